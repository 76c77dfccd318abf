"""Rollen, zaakobjecten, zaakinformatieobjecten, zaakeigenschappen, klantcontacten, contactmomenten, verzoeken."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from tenant_runtime.catalogi.models import InformatieObjectType, ZaakType, ZaakTypeInformatieObjectType
from tenant_runtime.core.outbox import OutboxMessage
from tenant_runtime.documenten.models import InformatieObject, InformatieObjectVersie
from tenant_runtime.zaken import links
from tenant_runtime.zaken.models import ZaakInformatieObject
from tests.tenant_runtime.conftest import ZgwTenant
from tests.tenant_runtime.zaken.conftest import RSIN, Api, Catalog


def make_document(tenant: ZgwTenant, catalog: Catalog, omschrijving: str = "Foto", related: bool = True) -> str:
    """An informatieobject of this tenant whose type is (or is not) one of the zaaktype's."""
    with tenant.session() as session, session.begin():
        zaaktype = session.scalar(select(ZaakType).where(ZaakType.uuid == catalog.zaaktype_uuid))
        assert zaaktype is not None
        iotype = InformatieObjectType(
            catalogus_id=zaaktype.catalogus_id,
            concept=False,
            omschrijving=omschrijving,
            vertrouwelijkheidaanduiding="openbaar",
            informatieobjectcategorie="foto",
            datum_begin_geldigheid=date(2024, 1, 1),
        )
        session.add(iotype)
        if related:
            session.add(
                ZaakTypeInformatieObjectType(
                    zaaktype=zaaktype, informatieobjecttype_omschrijving=omschrijving, volgnummer=1, richting="inkomend"
                )
            )
        session.flush()
        document = InformatieObject(informatieobjecttype_id=iotype.id, vertrouwelijkheidaanduiding="openbaar")
        document.versies = [
            InformatieObjectVersie(
                versie=1,
                identificatie="DOC-1",
                bronorganisatie=RSIN,
                creatiedatum=date(2024, 1, 1),
                titel="foto",
                vertrouwelijkheidaanduiding="openbaar",
                auteur="tester",
                taal="nld",
                indicatie_gebruiksrecht=None,
            )
        ]
        session.add(document)
        session.flush()
        return f"{tenant.api('documenten')}/enkelvoudiginformatieobjecten/{document.uuid}"


def rol_body(catalog: Catalog, zaak: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "zaak": zaak["url"],
        "betrokkeneType": "natuurlijk_persoon",
        "roltype": catalog.roltype,
        "roltoelichting": "melder",
        "betrokkeneIdentificatie": {"inpBsn": "111222333", "geslachtsnaam": "Jansen"},
        **extra,
    }


def test_rollen_with_identificatie_and_filters(api: Api, catalog: Catalog) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    other = api.create_zaak(catalog.zaaktype)
    created = api.post("/rollen", rol_body(catalog, zaak))
    assert created.status_code == 201, created.text
    rol = created.json()
    assert rol["omschrijving"] == "Initiator" and rol["omschrijvingGeneriek"] == "initiator"
    assert rol["betrokkeneIdentificatie"]["inpBsn"] == "111222333"
    api.post(
        "/rollen",
        rol_body(catalog, other, betrokkeneType="medewerker", betrokkeneIdentificatie={"identificatie": "mw-1"}),
    )
    by_bsn = api.get("/rollen", params={"betrokkeneIdentificatie__natuurlijkPersoon__inpBsn": "111222333"}).json()
    assert [r["url"] for r in by_bsn["results"]] == [rol["url"]]
    zaken = api.get("/zaken", params={"rol__betrokkeneIdentificatie__medewerker__identificatie": "mw-1"}).json()
    assert [z["url"] for z in zaken["results"]] == [other["url"]]
    zaken = api.get("/zaken", params={"rol__betrokkeneType": "natuurlijk_persoon"}).json()
    assert [z["url"] for z in zaken["results"]] == [zaak["url"]]
    assert api.get(zaak["url"]).json()["rollen"] == [rol["url"]]

    bad = api.post("/rollen", rol_body(catalog, zaak, betrokkeneIdentificatie={"inpBsn": "1234567890"}))
    assert bad.status_code == 400
    assert bad.json()["invalidParams"][0] == {
        "name": "betrokkeneIdentificatie.inpBsn",
        "code": "max_length",
        "reason": bad.json()["invalidParams"][0]["reason"],
    }
    assert api.delete(rol["url"]).status_code == 204
    assert api.get(rol["url"]).status_code == 404


def test_zaakobjecten_shapes(api: Api, catalog: Catalog) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    overige = api.post(
        "/zaakobjecten",
        {
            "zaak": zaak["url"],
            "objectType": "overige",
            "objectTypeOverige": "boom",
            "objectIdentificatie": {"overigeData": {"soort": "eik"}},
            "zaakobjecttype": catalog.zaakobjecttype,
        },
    )
    assert overige.status_code == 201, overige.text
    assert overige.json()["zaakobjecttype"] == catalog.zaakobjecttype
    missing = api.post("/zaakobjecten", {"zaak": zaak["url"], "objectType": "overige", "object": "https://x.nl/o/1"})
    assert missing.status_code == 400
    assert missing.json()["invalidParams"][0]["code"] == "missing-object-type-overige"
    bad_adres = api.post(
        "/zaakobjecten", {"zaak": zaak["url"], "objectType": "adres", "objectIdentificatie": {"huisnummer": "een"}}
    )
    assert bad_adres.status_code == 400
    names = {p["name"] for p in bad_adres.json()["invalidParams"]}
    assert "objectIdentificatie.identificatie" in names and "objectIdentificatie.huisnummer" in names
    by_url = api.post("/zaakobjecten", {"zaak": zaak["url"], "objectType": "pand", "object": "https://bag.nl/panden/1"})
    assert by_url.status_code == 201
    patched = api.patch(by_url.json()["url"], {"relatieomschrijving": "betreft"})
    assert patched.json()["relatieomschrijving"] == "betreft"
    listed = api.get("/zaakobjecten", params={"objectType": "pand"}).json()
    assert [o["url"] for o in listed["results"]] == [by_url.json()["url"]]


def test_zaakinformatieobjecten(alpha: ZgwTenant, api: Api, catalog: Catalog) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    document = make_document(alpha, catalog)
    created = api.post("/zaakinformatieobjecten", {"zaak": zaak["url"], "informatieobject": document, "titel": "foto"})
    assert created.status_code == 201, created.text
    zio = created.json()
    assert zio["aardRelatieWeergave"] == "Hoort bij, omgekeerd: kent"
    assert zio["registratiedatum"].startswith(date.today().isoformat())
    again = api.post("/zaakinformatieobjecten", {"zaak": zaak["url"], "informatieobject": document})
    assert again.status_code == 400 and again.json()["invalidParams"][0]["code"] == "unique"
    other_zaak = api.create_zaak(catalog.zaaktype)
    moved = api.patch(zio["url"], {"zaak": other_zaak["url"]})
    assert moved.status_code == 400 and moved.json()["invalidParams"][0]["code"] == "wijzigen-niet-toegelaten"
    unrelated = make_document(alpha, catalog, omschrijving="Brief", related=False)
    wrong_type = api.post("/zaakinformatieobjecten", {"zaak": zaak["url"], "informatieobject": unrelated})
    assert wrong_type.status_code == 400
    assert wrong_type.json()["invalidParams"][0]["code"] == "missing-zaaktype-informatieobjecttype-relation"
    listed = api.get("/zaakinformatieobjecten", params={"informatieobject": document}).json()
    assert [z["url"] for z in listed] == [zio["url"]]
    # The implied objectinformatieobject: the Documenten API finds the zaak through links.py.
    with alpha.session() as session:
        io_id = session.scalar(select(ZaakInformatieObject.informatieobject_id))
        assert io_id is not None
        assert [z.uuid.hex for z in links.zaakinformatieobjecten_of(session, io_id)] == [zio["uuid"].replace("-", "")]
    # A zaak cannot be closed while a document's indicatieGebruiksrecht is unset (zrc-007).
    api.post("/resultaten", {"zaak": zaak["url"], "resultaattype": catalog.resultaattypen["afgehandeld"]})
    closing = api.post(
        "/statussen",
        {"zaak": zaak["url"], "statustype": catalog.statustypen[-1], "datumStatusGezet": "2024-05-01T10:00:00Z"},
    )
    assert closing.status_code == 400
    assert closing.json()["invalidParams"][0]["code"] == "indicatiegebruiksrecht-unset"
    assert api.delete(zio["url"]).status_code == 204


def test_zaakeigenschappen(api: Api, catalog: Catalog) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    path = f"/zaken/{zaak['uuid']}/zaakeigenschappen"
    created = api.post(path, {"zaak": zaak["url"], "eigenschap": catalog.eigenschappen["kleur"], "waarde": "rood"})
    assert created.status_code == 201, created.text
    ze = created.json()
    assert ze["naam"] == "kleur" and ze["url"] == f"{zaak['url']}/zaakeigenschappen/{ze['uuid']}"
    wrong = api.post(path, {"zaak": zaak["url"], "eigenschap": catalog.eigenschappen["kleur"], "waarde": "paars"})
    assert wrong.status_code == 400 and wrong.json()["invalidParams"][0]["name"] == "waarde"
    bad_date = api.post(
        path, {"zaak": zaak["url"], "eigenschap": catalog.eigenschappen["vervaldatum"], "waarde": "morgen"}
    )
    assert bad_date.status_code == 400
    assert api.patch(ze["url"], {"waarde": "groen"}).json()["waarde"] == "groen"
    assert [e["url"] for e in api.get(path).json()] == [ze["url"]]
    assert api.get(zaak["url"]).json()["eigenschappen"] == [ze["url"]]
    assert api.delete(ze["url"]).status_code == 204


def test_klantcontacten_contactmomenten_verzoeken(alpha: ZgwTenant, api: Api, catalog: Catalog) -> None:
    zaak = api.create_zaak(catalog.zaaktype)
    kc = api.post("/klantcontacten", {"zaak": zaak["url"], "datumtijd": "2024-05-01T10:00:00Z", "kanaal": "telefoon"})
    assert kc.status_code == 201 and kc.json()["identificatie"]
    assert api.get("/klantcontacten", params={"zaak": zaak["url"]}).json()["count"] == 1
    zcm = api.post("/zaakcontactmomenten", {"zaak": zaak["url"], "contactmoment": "https://cmc.nl/contactmomenten/1"})
    assert zcm.status_code == 201
    zv = api.post("/zaakverzoeken", {"zaak": zaak["url"], "verzoek": "https://vrc.nl/verzoeken/1"})
    assert zv.status_code == 201
    assert [v["url"] for v in api.get("/zaakverzoeken", params={"zaak": zaak["url"]}).json()] == [zv.json()["url"]]
    assert api.delete(zcm.json()["url"]).status_code == 204
    with alpha.session() as session:
        resources = [m.resource for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert resources[-4:] == ["klantcontact", "zaakcontactmoment", "zaakverzoek", "zaakcontactmoment"]
