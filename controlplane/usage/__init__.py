"""The usage ledger: append-only, deduplicated usage events from the tenant runtimes, with corrections."""
