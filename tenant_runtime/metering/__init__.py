"""Usage metering of the tenant runtime: API calls, stored bytes, zaken, documenten and active clients per tenant
and hour, counted in memory, flushed into a durable per-tenant outbox and shipped to the control plane."""
