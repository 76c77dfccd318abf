"""Business rules of the Besluiten API, one module per resource."""
