"""Server-rendered web UI (Jinja2): operator console, municipality portal, finance view."""
