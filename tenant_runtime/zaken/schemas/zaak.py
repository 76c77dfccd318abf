"""Zaak: request model (every field optional; creates and full updates check the required ones) and the
serializer, which takes the zaak's relations batch-loaded for a whole page (no query per zaak)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field
from sqlalchemy import ARRAY, DateTime, Integer, any_, bindparam, literal, null, select, union_all
from sqlalchemy.orm import Session

from tenant_runtime.catalogi.models import ZaakType
from tenant_runtime.core.urls import TenantUrls
from tenant_runtime.zaken.models import (
    Resultaat,
    Rol,
    Status,
    Zaak,
    ZaakEigenschap,
    ZaakInformatieObject,
    ZaakObject,
)
from tenant_runtime.zaken.schemas.common import (
    Duration,
    OptionalUrl,
    Rsin,
    Url,
    VertrouwelijkheidLiteral,
    ZgwModel,
    iso_date,
    iso_datetime,
)

Betalingsindicatie = Literal["nvt", "nog_niet", "gedeeltelijk", "geheel", ""]
Archiefnominatie = Literal["blijvend_bewaren", "vernietigen", ""]
Archiefstatus = Literal["nog_te_archiveren", "gearchiveerd", "gearchiveerd_procestermijn_onbekend", "overgedragen"]
AardRelatie = Literal["vervolg", "onderwerp", "bijdrage"]

BETALINGSINDICATIE_WEERGAVE = {
    "": "",
    "nvt": "Er is geen sprake van te betalen, met de zaak gemoeide, kosten.",
    "nog_niet": "De met de zaak gemoeide kosten zijn (nog) niet betaald.",
    "gedeeltelijk": "De met de zaak gemoeide kosten zijn gedeeltelijk betaald.",
    "geheel": "De met de zaak gemoeide kosten zijn geheel betaald.",
}


class VerlengingIn(ZgwModel):
    reden: str = Field(max_length=200)
    duur: Duration


class OpschortingIn(ZgwModel):
    indicatie: bool
    reden: str = Field(max_length=200)


class ProcessobjectIn(ZgwModel):
    datumkenmerk: str = Field(max_length=250)
    identificatie: str = Field(max_length=250)
    objecttype: str = Field(max_length=250)
    registratie: str = Field(max_length=250)


class KenmerkIn(ZgwModel):
    kenmerk: str = Field(max_length=40)
    bron: str = Field(max_length=40)


class RelevanteZaakIn(ZgwModel):
    url: Url
    aard_relatie: AardRelatie


class ZaakData(ZgwModel):
    identificatie: str | None = Field(None, max_length=40)
    bronorganisatie: Rsin | None = None
    omschrijving: str | None = Field(None, max_length=80)
    toelichting: str | None = Field(None, max_length=1000)
    zaaktype: Url | None = None
    registratiedatum: date | None = None
    verantwoordelijke_organisatie: Rsin | None = None
    startdatum: date | None = None
    einddatum_gepland: date | None = None
    uiterlijke_einddatum_afdoening: date | None = None
    publicatiedatum: date | None = None
    communicatiekanaal: OptionalUrl | None = None
    producten_of_diensten: list[Url] | None = None
    vertrouwelijkheidaanduiding: VertrouwelijkheidLiteral | None = None
    betalingsindicatie: Betalingsindicatie | None = None
    laatste_betaaldatum: datetime | None = None
    zaakgeometrie: dict[str, Any] | None = None
    verlenging: VerlengingIn | None = None
    opschorting: OpschortingIn | None = None
    selectielijstklasse: OptionalUrl | None = None
    hoofdzaak: Url | None = None
    relevante_andere_zaken: list[RelevanteZaakIn] | None = None
    kenmerken: list[KenmerkIn] | None = None
    archiefnominatie: Archiefnominatie | None = None
    archiefstatus: Archiefstatus | None = None
    archiefactiedatum: date | None = None
    opdrachtgevende_organisatie: str | None = Field(None, max_length=9)
    processobjectaard: str | None = Field(None, max_length=200)
    startdatum_bewaartermijn: date | None = None
    processobject: ProcessobjectIn | None = None


ZAAK_REQUIRED = ("bronorganisatie", "zaaktype", "verantwoordelijke_organisatie", "startdatum")


@dataclass(slots=True)
class ZaakRelations:
    """The related objects of a page of zaken, loaded with one query per relation."""

    zaaktype_uuid: dict[int, UUID] = field(default_factory=dict)
    zaak_uuid: dict[int, UUID] = field(default_factory=dict)  # hoofdzaken by id
    deelzaken: dict[int, list[UUID]] = field(default_factory=lambda: defaultdict(list))
    eigenschappen: dict[int, list[UUID]] = field(default_factory=lambda: defaultdict(list))
    rollen: dict[int, list[UUID]] = field(default_factory=lambda: defaultdict(list))
    status: dict[int, UUID] = field(default_factory=dict)
    zaakinformatieobjecten: dict[int, list[UUID]] = field(default_factory=lambda: defaultdict(list))
    zaakobjecten: dict[int, list[UUID]] = field(default_factory=lambda: defaultdict(list))
    resultaat: dict[int, UUID] = field(default_factory=dict)


def load_relations(session: Session, zaken: list[Zaak]) -> ZaakRelations:
    """Everything a page of zaken refers to, in three round trips: zaaktypen, hoofdzaken, and one UNION ALL of
    every relation that points at the page's zaken (a page of 100 zaken is answered in a few milliseconds)."""
    rel = ZaakRelations()
    if not zaken:
        return rel
    ids = [z.id for z in zaken]
    type_ids = {z.zaaktype_id for z in zaken if z.zaaktype_id is not None}
    if type_ids:
        rel.zaaktype_uuid = dict(
            session.execute(select(ZaakType.id, ZaakType.uuid).where(ZaakType.id.in_(type_ids))).tuples().all()
        )
    hoofd_ids = {z.hoofdzaak_id for z in zaken if z.hoofdzaak_id is not None}
    if hoofd_ids:
        rel.zaak_uuid = dict(session.execute(select(Zaak.id, Zaak.uuid).where(Zaak.id.in_(hoofd_ids))).tuples().all())
    no_moment = null().cast(DateTime(timezone=True))
    parts = [
        select(literal(kind).label("kind"), zaak_id.label("zaak_id"), uuid, moment.label("moment"), row_id)
        for kind, zaak_id, uuid, moment, row_id in (
            ("deelzaken", Zaak.hoofdzaak_id, Zaak.uuid, no_moment, Zaak.id),
            ("eigenschappen", ZaakEigenschap.zaak_id, ZaakEigenschap.uuid, no_moment, ZaakEigenschap.id),
            ("rollen", Rol.zaak_id, Rol.uuid, no_moment, Rol.id),
            (
                "zaakinformatieobjecten",
                ZaakInformatieObject.zaak_id,
                ZaakInformatieObject.uuid,
                no_moment,
                ZaakInformatieObject.id,
            ),
            ("zaakobjecten", ZaakObject.zaak_id, ZaakObject.uuid, no_moment, ZaakObject.id),
            ("status", Status.zaak_id, Status.uuid, Status.datum_status_gezet, Status.id),
            ("resultaat", Resultaat.zaak_id, Resultaat.uuid, no_moment, Resultaat.id),
        )
    ]
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter: the statement text stays the same for every page, so neither SQLAlchemy nor
        # psycopg re-renders seven 100-item IN lists per request.
        page_ids = bindparam("page_ids", ids, type_=ARRAY(Integer))
        rows = session.execute(
            union_all(*(part.where(part.selected_columns.zaak_id == any_(page_ids)) for part in parts))
        ).all()
    else:
        rows = session.execute(union_all(*(part.where(part.selected_columns.zaak_id.in_(ids)) for part in parts))).all()
    lists: dict[str, dict[int, list[UUID]]] = {
        "deelzaken": rel.deelzaken,
        "eigenschappen": rel.eigenschappen,
        "rollen": rel.rollen,
        "zaakinformatieobjecten": rel.zaakinformatieobjecten,
        "zaakobjecten": rel.zaakobjecten,
    }
    current_status: dict[int, tuple[datetime, int, UUID]] = {}
    for kind, zaak_id, uuid, moment, row_id in sorted(rows, key=lambda row: row[4]):  # in creation order
        if zaak_id is None:
            continue
        if kind == "status":
            key = (moment, row_id, uuid)
            if zaak_id not in current_status or key[:2] > current_status[zaak_id][:2]:
                current_status[zaak_id] = key  # the latest datumStatusGezet is the current status
        elif kind == "resultaat":
            rel.resultaat[zaak_id] = uuid
        else:
            lists[kind][zaak_id].append(uuid)
    rel.status = {zaak_id: key[2] for zaak_id, key in current_status.items()}
    return rel


def serialize_zaak(urls: TenantUrls, zaak: Zaak, rel: ZaakRelations) -> dict[str, Any]:
    def url(resource: str, uuid: UUID | str) -> str:
        return urls.resource("zaken", resource, uuid)

    zaak_url = url("zaken", zaak.uuid)
    if zaak.zaaktype_id is not None:
        zaaktype = urls.resource("catalogi", "zaaktypen", rel.zaaktype_uuid[zaak.zaaktype_id])
    else:
        zaaktype = zaak.zaaktype_url
    status = rel.status.get(zaak.id)
    resultaat = rel.resultaat.get(zaak.id)
    hoofdzaak = rel.zaak_uuid.get(zaak.hoofdzaak_id) if zaak.hoofdzaak_id is not None else None
    return {
        "url": zaak_url,
        "uuid": str(zaak.uuid),
        "identificatie": zaak.identificatie,
        "bronorganisatie": zaak.bronorganisatie,
        "omschrijving": zaak.omschrijving,
        "toelichting": zaak.toelichting,
        "zaaktype": zaaktype,
        "registratiedatum": iso_date(zaak.registratiedatum),
        "verantwoordelijkeOrganisatie": zaak.verantwoordelijke_organisatie,
        "startdatum": iso_date(zaak.startdatum),
        "einddatum": iso_date(zaak.einddatum),
        "einddatumGepland": iso_date(zaak.einddatum_gepland),
        "uiterlijkeEinddatumAfdoening": iso_date(zaak.uiterlijke_einddatum_afdoening),
        "publicatiedatum": iso_date(zaak.publicatiedatum),
        "communicatiekanaal": zaak.communicatiekanaal,
        "productenOfDiensten": list(zaak.producten_of_diensten or []),
        "vertrouwelijkheidaanduiding": zaak.vertrouwelijkheidaanduiding,
        "betalingsindicatie": zaak.betalingsindicatie,
        "betalingsindicatieWeergave": BETALINGSINDICATIE_WEERGAVE.get(zaak.betalingsindicatie, ""),
        "laatsteBetaaldatum": iso_datetime(zaak.laatste_betaaldatum),
        "zaakgeometrie": zaak.zaakgeometrie,
        "verlenging": (
            {"reden": zaak.verlenging_reden, "duur": zaak.verlenging_duur} if zaak.verlenging_duur else None
        ),
        "opschorting": {"indicatie": zaak.opschorting_indicatie, "reden": zaak.opschorting_reden},
        "selectielijstklasse": zaak.selectielijstklasse,
        "hoofdzaak": url("zaken", hoofdzaak) if hoofdzaak is not None else None,
        "deelzaken": [url("zaken", u) for u in rel.deelzaken.get(zaak.id, [])],
        "relevanteAndereZaken": [dict(r) for r in zaak.relevante_andere_zaken or []],
        "eigenschappen": [f"{zaak_url}/zaakeigenschappen/{u}" for u in rel.eigenschappen.get(zaak.id, [])],
        "rollen": [url("rollen", u) for u in rel.rollen.get(zaak.id, [])],
        "status": url("statussen", status) if status is not None else None,
        "zaakinformatieobjecten": [
            url("zaakinformatieobjecten", u) for u in rel.zaakinformatieobjecten.get(zaak.id, [])
        ],
        "zaakobjecten": [url("zaakobjecten", u) for u in rel.zaakobjecten.get(zaak.id, [])],
        "kenmerken": [dict(k) for k in zaak.kenmerken or []],
        "archiefnominatie": zaak.archiefnominatie or None,
        "archiefstatus": zaak.archiefstatus,
        "archiefactiedatum": iso_date(zaak.archiefactiedatum),
        "resultaat": url("resultaten", resultaat) if resultaat is not None else None,
        "opdrachtgevendeOrganisatie": zaak.opdrachtgevende_organisatie,
        "processobjectaard": zaak.processobjectaard,
        "startdatumBewaartermijn": iso_date(zaak.startdatum_bewaartermijn),
        "processobject": zaak.processobject,
    }


def _without_empty_uris(body: dict[str, Any]) -> dict[str, Any]:
    for key in ("communicatiekanaal", "selectielijstklasse"):
        if not body[key]:
            del body[key]  # optional, and an empty string is no URI
    # Optional gegevensgroepen without a value are left out: the document declares them nullable through
    # ``allOf`` + ``nullable``, which validators of the document read as "an object".
    for key in ("zaakgeometrie", "verlenging", "processobject"):
        if body[key] is None:
            del body[key]
    return body


def serialize_zaken(session: Session, urls: TenantUrls, zaken: list[Zaak]) -> list[dict[str, Any]]:
    rel = load_relations(session, zaken)
    return [_without_empty_uris(serialize_zaak(urls, zaak, rel)) for zaak in zaken]
