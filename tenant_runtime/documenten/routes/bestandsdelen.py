"""Route of ``/bestandsdelen/{uuid}``: uploading one part of a document's content (multipart form)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from tenant_runtime.core.deps import SessionDep, UrlsDep
from tenant_runtime.documenten.routes.common import StorageDep, Uploader
from tenant_runtime.documenten.schemas.enkelvoudiginformatieobjecten import serialize_bestandsdeel
from tenant_runtime.documenten.scopes import SCOPES_BESTANDSDEEL
from tenant_runtime.documenten.services import access, content

router = APIRouter(tags=["bestandsdelen"])


@router.put("/bestandsdelen/{uuid}", response_model=None)
def bestandsdeel_update(
    uuid: str,
    inhoud: Annotated[UploadFile, File()],
    lock: Annotated[str, Form(min_length=1)],
    session: SessionDep,
    urls: UrlsDep,
    storage: StorageDep,
    client: Uploader,
) -> dict[str, Any]:
    deel = content.get_bestandsdeel(session, uuid)
    document = deel.versie.informatieobject
    if not any(access.may(client, [scope], urls, document) for scope in SCOPES_BESTANDSDEEL):
        raise access.forbidden()
    inhoud.file.seek(0, 2)
    size = inhoud.file.tell()
    inhoud.file.seek(0)
    result = content.upload_part(session, storage, deel, lock, inhoud.file, size)
    return serialize_bestandsdeel(urls, result.deel, lock=result.document.lock or lock)
