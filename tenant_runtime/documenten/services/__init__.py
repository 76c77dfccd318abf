"""Business rules of the Documenten API as plain functions of (session, client, input), one module per resource."""
