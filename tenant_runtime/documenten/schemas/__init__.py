"""Request models and response serializers of the Documenten API, one module per resource."""
