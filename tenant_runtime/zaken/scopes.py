"""Scopes of the Zaken API (component ``zrc``), as the standard's ``security`` sections name them."""

from __future__ import annotations

COMPONENT = "zrc"

SCOPE_ZAKEN_ALLES_LEZEN = "zaken.lezen"
SCOPE_ZAKEN_CREATE = "zaken.aanmaken"
SCOPE_ZAKEN_BIJWERKEN = "zaken.bijwerken"
SCOPE_ZAKEN_ALLES_VERWIJDEREN = "zaken.verwijderen"
SCOPE_ZAKEN_HEROPENEN = "zaken.heropenen"
SCOPE_STATUSSEN_TOEVOEGEN = "zaken.statussen.toevoegen"
SCOPE_ZAKEN_GEFORCEERD_BIJWERKEN = "zaken.geforceerd-bijwerken"
SCOPE_AUDITTRAILS_LEZEN = "audittrails.lezen"

# Operations whose ``security`` section is an alternative "(a | b | c)": any one of the scopes suffices.
SCOPES_UPDATE = (SCOPE_ZAKEN_BIJWERKEN, SCOPE_ZAKEN_GEFORCEERD_BIJWERKEN)
SCOPES_STATUS_CREATE = (SCOPE_ZAKEN_CREATE, SCOPE_STATUSSEN_TOEVOEGEN, SCOPE_ZAKEN_HEROPENEN)
SCOPES_RELATED_CREATE = (SCOPE_ZAKEN_CREATE, SCOPE_ZAKEN_BIJWERKEN, SCOPE_ZAKEN_GEFORCEERD_BIJWERKEN)
SCOPES_RELATED_DELETE = (SCOPE_ZAKEN_BIJWERKEN, SCOPE_ZAKEN_GEFORCEERD_BIJWERKEN, SCOPE_ZAKEN_ALLES_VERWIJDEREN)
