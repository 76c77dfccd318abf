"""Scopes of the Catalogi API (component ``ztc``), as the standard defines them."""

from __future__ import annotations

COMPONENT = "ztc"

SCOPE_CATALOGI_READ = "catalogi.lezen"
SCOPE_CATALOGI_WRITE = "catalogi.schrijven"
# Catalogi 1.2+: corrections of published (non-concept) types and their sub-types.
SCOPE_CATALOGI_FORCED_WRITE = "catalogi.geforceerd-schrijven"
# Deleting published types and the sub-types of published zaaktypen.
SCOPE_CATALOGI_FORCED_DELETE = "catalogi.geforceerd-verwijderen"

# ztc-014: the Zaken and Documenten APIs' read scopes also give read access to zaaktypen.
SCOPE_ZAKEN_READ = ("zrc", "zaken.lezen")
SCOPE_DOCUMENTEN_READ = ("drc", "documenten.lezen")
