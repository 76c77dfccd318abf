"""Scopes of the Documenten API (component ``drc``)."""

from __future__ import annotations

COMPONENT = "drc"

SCOPE_DOCUMENTEN_LEZEN = "documenten.lezen"
SCOPE_DOCUMENTEN_AANMAKEN = "documenten.aanmaken"
SCOPE_DOCUMENTEN_BIJWERKEN = "documenten.bijwerken"
SCOPE_DOCUMENTEN_VERWIJDEREN = "documenten.verwijderen"
SCOPE_DOCUMENTEN_LOCK = "documenten.lock"
SCOPE_DOCUMENTEN_GEFORCEERD_UNLOCK = "documenten.geforceerd-unlock"
SCOPE_DOCUMENTEN_GEFORCEERD_BIJWERKEN = "documenten.geforceerd-bijwerken"

# Uploading a bestandsdeel belongs to creating or to updating a document.
SCOPES_BESTANDSDEEL = (SCOPE_DOCUMENTEN_AANMAKEN, SCOPE_DOCUMENTEN_BIJWERKEN)
SCOPES_UNLOCK = (SCOPE_DOCUMENTEN_LOCK, SCOPE_DOCUMENTEN_GEFORCEERD_UNLOCK)

KANAAL = "documenten"
