"""Scopes of the Besluiten API (component ``brc``). Every besluiten scope is granted per besluittype."""

from __future__ import annotations

COMPONENT = "brc"
BRON = "brc"
KANAAL = "besluiten"

# List, search and read besluiten and besluitinformatieobjecten.
SCOPE_BESLUITEN_ALLES_LEZEN = "besluiten.lezen"
# Create besluiten and besluitinformatieobjecten.
SCOPE_BESLUITEN_AANMAKEN = "besluiten.aanmaken"
# Change besluiten.
SCOPE_BESLUITEN_BIJWERKEN = "besluiten.bijwerken"
# Delete besluiten and besluitinformatieobjecten.
SCOPE_BESLUITEN_ALLES_VERWIJDEREN = "besluiten.verwijderen"
# Read the audit trail of a besluit.
SCOPE_AUDITTRAILS_LEZEN = "audittrails.lezen"
