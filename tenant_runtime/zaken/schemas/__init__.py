"""Request models and response serializers of the Zaken API (camelCase exactly as the spec)."""
