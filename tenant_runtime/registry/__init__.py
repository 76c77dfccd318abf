"""The tenant registry: which tenants this runtime serves, their databases and status."""
