"""Content on S3-compatible object storage (AWS S3, MinIO, ...) with boto3.

Each tenant gets its own bucket (``<bucket>-<slug>``) or its own prefix in a shared bucket. Writes stream in
parts of ``chunk_size`` bytes (S3 multipart upload) so a document of any size needs only one part in memory;
small documents are a single ``PutObject``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from botocore.exceptions import ClientError

from tenant_runtime.storage.interfaces import READ_CHUNK_SIZE, ContentNotFound, StoredContent, StoredPart

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# S3 refuses parts below 5 MiB (except the last one).
MIN_PART_SIZE = 5 * 1024 * 1024
WRITE_PART_SIZE = 8 * 1024 * 1024
HASH_CHUNK_SIZE = 1024 * 1024


def _missing(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in ("NoSuchKey", "404", "NotFound", "NoSuchUpload")


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
            self._upload_id = self._client.create_multipart_upload(Bucket=self._bucket, Key=self._key)["UploadId"]
        number = len(self._parts) + 1
        response = self._client.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=chunk
        )
        self._parts.append({"ETag": response["ETag"], "PartNumber": number})

    def commit(self) -> StoredContent:
        assert not self._closed, "writer is closed"
        try:
            if not self._upload_id:
                self._client.put_object(Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer))
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
        return self.client.create_multipart_upload(Bucket=self.bucket, Key=self._key(key))["UploadId"]

    def put_part(self, key: str, upload_id: str, number: int, data: BinaryIO, size: int) -> StoredPart:
        """``data`` must be seekable: it is read once for the SHA-256 and once by the upload."""
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
            )
        except ClientError as error:
            if _missing(error):
                raise ContentNotFound(upload_id) from None
            raise
        return StoredPart(number, response["ETag"], size, digest.hexdigest())

    def complete_parts(self, key: str, upload_id: str, parts: Sequence[StoredPart]) -> StoredContent:
        ordered = sorted(parts, key=lambda p: p.number)
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self._key(key),
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"ETag": p.token, "PartNumber": p.number} for p in ordered]},
        )
        # The SHA-256 of the whole cannot be derived from the parts' digests: stream the assembled object once.
        digest = hashlib.sha256()
        size = 0
        for chunk in self.read(key):
            digest.update(chunk)
            size += len(chunk)
        return StoredContent(size, digest.hexdigest())

    def abort_parts(self, key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self._key(key), UploadId=upload_id)
        except ClientError as error:
            if not _missing(error):
                raise
