"""zgw-cloud control plane: tenants, plans, fleet operations, backups, usage and billing."""

__version__ = "0.1.0"
