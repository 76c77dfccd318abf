"""zgw-cloud tenant runtime: the multi-tenant ZGW API server."""

__version__ = "0.1.0"
