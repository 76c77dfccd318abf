"""Content on S3-compatible object storage (AWS S3, MinIO, ...) with boto3.

Each tenant gets its own bucket (``<bucket>-<slug>``) or its own prefix in a shared bucket. Writes stream in
parts of ``chunk_size`` bytes (S3 multipart upload) so a document of any size needs only one part in memory;
small documents are a single ``PutObject``.

Every request that carries bytes also carries their SHA-256 (``ChecksumSHA256``), which S3 checks before it
stores them (``BadDigest`` otherwise); multipart uploads are created with ``ChecksumAlgorithm=SHA256`` and
completed with each part's checksum, and S3 answers with the composite checksum of the object, which must equal
the one computed from the parts' digests (``tenant_runtime.storage.checksums``). Nothing is read back to hash it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, BinaryIO

from botocore.exceptions import ClientError

from tenant_runtime.storage.checksums import base64_to_hex, composite_sha256, hex_to_base64
from tenant_runtime.storage.interfaces import (
    READ_CHUNK_SIZE,
    ContentCorrupt,
    ContentNotFound,
    PendingUpload,
    StoredContent,
    StoredObject,
    StoredPart,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# S3 refuses parts below 5 MiB (except the last one).
MIN_PART_SIZE = 5 * 1024 * 1024
WRITE_PART_SIZE = 8 * 1024 * 1024
HASH_CHUNK_SIZE = 1024 * 1024


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _missing(error: ClientError) -> bool:
    return _code(error) in ("NoSuchKey", "404", "NotFound", "NoSuchUpload")


def _corrupt(error: ClientError) -> bool:
    """S3 refused bytes or parts whose checksum did not match."""
    return _code(error) in ("BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidPart")


def _sha256_b64(data: bytes) -> str:
    return hex_to_base64(hashlib.sha256(data).hexdigest())


class S3Writer:
    def __init__(self, client: S3Client, bucket: str, key: str, part_size: int = WRITE_PART_SIZE) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._part_size = max(part_size, MIN_PART_SIZE)
        self._buffer = bytearray()
        self._hash = hashlib.sha256()
        self._size = 0
        self._upload_id = ""
        self._parts: list[dict[str, Any]] = []
        self._closed = False

    def write(self, data: bytes) -> None:
        assert not self._closed, "writer is closed"
        self._buffer += data
        self._hash.update(data)
        self._size += len(data)
        while len(self._buffer) >= self._part_size:
            chunk = bytes(self._buffer[: self._part_size])
            del self._buffer[: self._part_size]
            self._upload(chunk)

    def _upload(self, chunk: bytes) -> None:
        if not self._upload_id:
            self._upload_id = self._client.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, ChecksumAlgorithm="SHA256"
            )["UploadId"]
        number = len(self._parts) + 1
        checksum = _sha256_b64(chunk)
        try:
            response = self._client.upload_part(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=chunk,
                ChecksumSHA256=checksum,
            )
        except ClientError as error:
            if _corrupt(error):
                raise ContentCorrupt(self._key, [number]) from error
            raise
        self._parts.append({"ETag": response["ETag"], "PartNumber": number, "ChecksumSHA256": checksum})

    def commit(self) -> StoredContent:
        assert not self._closed, "writer is closed"
        try:
            if not self._upload_id:
                body = bytes(self._buffer)
                try:
                    self._client.put_object(
                        Bucket=self._bucket, Key=self._key, Body=body, ChecksumSHA256=_sha256_b64(body)
                    )
                except ClientError as error:
                    if _corrupt(error):
                        raise ContentCorrupt(self._key) from error
                    raise
            else:
                if self._buffer:
                    self._upload(bytes(self._buffer))
                self._client.complete_multipart_upload(
                    Bucket=self._bucket,
                    Key=self._key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},  # type: ignore[typeddict-item]
                )
        except BaseException:
            self.abort()
            raise
        self._buffer.clear()
        self._closed = True
        return StoredContent(self._size, self._hash.hexdigest())

    def abort(self) -> None:
        self._buffer.clear()
        if self._upload_id and not self._closed:
            try:
                self._client.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
            except ClientError as error:
                if not _missing(error):
                    raise
        self._closed = True


class S3Storage:
    """``ContentStorage`` on one bucket, below ``prefix`` (``""`` when the bucket belongs to the tenant)."""

    def __init__(self, client: S3Client, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def _key(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"Ongeldige sleutel: {key!r}")
        return self.prefix + key

    def writer(self, key: str) -> S3Writer:
        return S3Writer(self.client, self.bucket, self._key(key))

    def read(self, key: str, chunk_size: int = READ_CHUNK_SIZE) -> Iterator[bytes]:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if _missing(error):
                raise ContentNotFound(key) from None
            raise
        body = response["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(chunk_size)
            finally:
                body.close()

        return chunks()

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if _missing(error):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def start_parts(self, key: str) -> str:
        return self.client.create_multipart_upload(Bucket=self.bucket, Key=self._key(key), ChecksumAlgorithm="SHA256")[
            "UploadId"
        ]

    def put_part(self, key: str, upload_id: str, number: int, data: BinaryIO, size: int) -> StoredPart:
        """``data`` must be seekable: it is read once for the SHA-256 and once by the upload, which S3 checks
        against that SHA-256."""
        start = data.tell()
        digest = hashlib.sha256()
        remaining = size
        while remaining and (chunk := data.read(min(HASH_CHUNK_SIZE, remaining))):
            digest.update(chunk)
            remaining -= len(chunk)
        if remaining:
            raise ValueError(f"Deel {number}: {size - remaining} bytes ontvangen, {size} verwacht.")
        data.seek(start)
        try:
            response = self.client.upload_part(
                Bucket=self.bucket,
                Key=self._key(key),
                UploadId=upload_id,
                PartNumber=number,
                Body=data,
                ContentLength=size,
                ChecksumSHA256=hex_to_base64(digest.hexdigest()),
            )
        except ClientError as error:
            if _missing(error):
                raise ContentNotFound(upload_id) from None
            if _corrupt(error):
                raise ContentCorrupt(key, [number]) from error
            raise
        return StoredPart(number, response["ETag"], size, digest.hexdigest())

    def complete_parts(self, key: str, upload_id: str, parts: Sequence[StoredPart]) -> StoredContent:
        """S3 assembles the parts and checks each against the checksum it stored with it; its composite checksum
        of the object must equal the one derived from the parts' recorded digests, and its size their sum."""
        ordered = sorted(parts, key=lambda p: p.number)
        part_size = max((p.size for p in ordered), default=0)
        if any(p.size != part_size for p in ordered[:-1]):
            raise ValueError("Alle delen behalve het laatste moeten even groot zijn.")
        expected = composite_sha256(p.sha256 for p in ordered)
        try:
            response = self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self._key(key),
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [
                        {"ETag": p.token, "PartNumber": p.number, "ChecksumSHA256": hex_to_base64(p.sha256)}
                        for p in ordered
                    ]
                },
            )
        except ClientError as error:
            if _missing(error):
                raise ContentNotFound(upload_id) from None
            if _corrupt(error):
                raise ContentCorrupt(key) from error
            raise
        reported = response.get("ChecksumSHA256")
        size = sum(p.size for p in ordered)
        stored = self.client.head_object(Bucket=self.bucket, Key=self._key(key))["ContentLength"]
        if (reported and base64_to_hex(reported) != expected) or stored != size:
            # Completed, but not what was uploaded: remove it, the client uploads the parts again.
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
            raise ContentCorrupt(key)
        return StoredContent(size, expected, part_size)

    def abort_parts(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self._key(key), UploadId=upload_id)
        except ClientError as error:
            if not _missing(error):
                raise

    def list_keys(self) -> Iterator[StoredObject]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                yield StoredObject(item["Key"][len(self.prefix) :], item["Size"], item["LastModified"])

    def list_uploads(self, idle_since: datetime) -> Iterator[PendingUpload]:
        """Multipart uploads initiated before ``idle_since`` whose newest part is older too (the parts are only
        listed for uploads old enough to be candidates). The bucket's uploads are listed without ``Prefix`` and
        filtered here: MinIO matches that parameter against whole object names only."""
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket):
            for upload in page.get("Uploads", []):
                if not upload["Key"].startswith(self.prefix) or upload["Initiated"] >= idle_since:
                    continue
                key, upload_id = upload["Key"], upload["UploadId"]
                last = upload["Initiated"]
                try:
                    for parts in self.client.get_paginator("list_parts").paginate(
                        Bucket=self.bucket, Key=key, UploadId=upload_id
                    ):
                        last = max([last, *(p["LastModified"] for p in parts.get("Parts", []))])
                except ClientError as error:
                    if _missing(error):  # completed or aborted meanwhile
                        continue
                    raise
                if last < idle_since:
                    yield PendingUpload(key[len(self.prefix) :], upload_id, last)
