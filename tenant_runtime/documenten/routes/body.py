"""Receiving a document's JSON body: metadata parsed, base64 ``inhoud`` streamed into the content storage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request

from tenant_runtime.core.handlers import invalid_params_from
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem
from tenant_runtime.documenten.inhoud import BodyError, DocumentBodyParser
from tenant_runtime.documenten.services.content import ReceivedContent, new_key
from tenant_runtime.storage import ContentStorage, ContentWriter

# Decoded content is handed to the storage in blocks of this size (one thread hop per block).
FLUSH_BYTES = 4 * 1024 * 1024

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ReceivedDocument:
    metadata: dict[str, Any]
    content: ReceivedContent | None


async def receive_document(request: Request, storage: ContentStorage) -> ReceivedDocument:
    """Read the body once; the content is in the storage (committed) when this returns, else nothing is."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise Problem(415, f"Niet ondersteund mediatype '{content_type}'.", code="unsupported_media_type")
    parser = DocumentBodyParser()
    key = new_key()
    writer: ContentWriter | None = None
    buffer = bytearray()
    try:
        async for chunk in request.stream():
            decoded = parser.feed(chunk)
            if parser.content_present and writer is None:
                writer = await run_in_threadpool(storage.writer, key)
            if decoded:
                buffer += decoded
                if len(buffer) >= FLUSH_BYTES:
                    await run_in_threadpool(writer.write, bytes(buffer))  # type: ignore[union-attr]
                    buffer.clear()
        metadata = parser.finish()
        if writer is None:
            return ReceivedDocument(metadata, None)
        if buffer:
            await run_in_threadpool(writer.write, bytes(buffer))
            buffer.clear()
        stored = await run_in_threadpool(writer.commit)
    except BodyError as error:
        await _abort(writer)
        raise validation_problem([InvalidParam(error.field, error.code, error.reason)]) from None
    except ClientDisconnect:
        await _abort(writer)
        raise Problem(400, "De verbinding werd verbroken tijdens het uploaden.", code="client_disconnect") from None
    except BaseException:
        await _abort(writer)
        raise
    return ReceivedDocument(metadata, ReceivedContent(key, stored.size, stored.sha256))


async def _abort(writer: ContentWriter | None) -> None:
    if writer is not None:
        await run_in_threadpool(writer.abort)


def parse_metadata(model: type[Model], metadata: dict[str, Any]) -> Model:
    try:
        return model.model_validate(metadata)
    except ValidationError as error:
        raise validation_problem(invalid_params_from(list(error.errors()))) from None
