"""Scopes of the Autorisaties API (component ``ac``)."""

from __future__ import annotations

COMPONENT = "ac"

# List and read applicaties with their autorisaties, and look one up by client id.
SCOPE_AUTORISATIES_LEZEN = "autorisaties.lezen"
# Create, change and delete applicaties and their autorisaties.
SCOPE_AUTORISATIES_BIJWERKEN = "autorisaties.bijwerken"

KANAAL = "autorisaties"
