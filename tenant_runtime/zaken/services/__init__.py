"""Business rules of the Zaken API, one module per resource; plain functions of (session, context, input)."""
