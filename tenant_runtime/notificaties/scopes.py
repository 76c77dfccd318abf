"""Scopes of the Notificaties API (component ``nrc``)."""

from __future__ import annotations

COMPONENT = "nrc"

# Create, change, delete and read abonnementen; read kanalen.
SCOPE_NOTIFICATIES_CONSUMEREN = "notificaties.consumeren"
# Create and read kanalen; read abonnementen; publish notificaties.
SCOPE_NOTIFICATIES_PUBLICEREN = "notificaties.publiceren"

SCOPES_READ = (SCOPE_NOTIFICATIES_CONSUMEREN, SCOPE_NOTIFICATIES_PUBLICEREN)
