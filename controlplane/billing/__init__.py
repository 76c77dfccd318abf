"""Billing: plans and their prices, invoices priced from the usage ledger, the payment provider (Stripe or
disabled), month-close, reconciliation and the finance view's data."""
