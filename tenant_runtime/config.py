"""Settings of the tenant runtime process (one class, read from ``ZGW_RUNTIME_*`` environment variables)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var/runtime")


class ExternalApiCredential(BaseModel):
    """The application this runtime is at an external ZGW API: its JWTs are signed with ``secret``."""

    client_id: str = Field(min_length=1)
    secret: SecretStr


class RuntimeSettings(BaseSettings):
    """Configuration of one tenant-runtime process (shared tier, or dedicated to one tenant)."""

    model_config = SettingsConfigDict(env_prefix="ZGW_RUNTIME_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development", description="Deployment environment; production refuses development defaults."
    )
    data_dir: Path = Field(DEFAULT_DATA_DIR, description="Directory for SQLite tenant databases and local files.")
    registry_url: str = Field(
        "",
        description="SQLAlchemy URL of the tenant registry (slug → database, status). "
        "Empty: a SQLite file `registry.db` in the data directory.",
    )
    base_domain: str = Field(
        "localhost",
        description="Tenants are routed by host name `<slug>.<base_domain>`; `/t/<slug>/` prefixes always work.",
    )
    pinned_tenant: str = Field(
        "", description="Dedicated tier: serve only this tenant slug, without a host or path prefix."
    )
    pool: str = Field(
        "",
        description="Runtime pool this process is (e.g. shared-v2): it serves only the tenants the registry assigns "
        "to this pool. Empty: every pool without a route in pool_routes (one process for every tenant).",
    )
    pool_routes: dict[str, str] = Field(
        default_factory=dict,
        description="JSON map pool → base URL of that pool's runtime process; requests for those pools' tenants are "
        "forwarded there (local driver: one public address for every pool). Other pools' tenants get 503.",
    )
    public_url: str = Field(
        "",
        description="Externally visible base URL (scheme://host[:port]) used when building resource URLs; "
        "empty: derived from the request and the X-Forwarded-* headers.",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Comma-separated addresses or networks (CIDR) of the proxies whose X-Forwarded-Proto, -Host, "
        "-Prefix and -For headers are honoured (`*`: every peer, for a runtime only the ingress can reach); from "
        "other peers those headers are ignored. Run uvicorn with --no-proxy-headers.",
    )
    db_pool_size: int = Field(2, ge=1, description="Connections kept open per tenant database.")
    db_max_overflow: int = Field(4, ge=0, description="Extra connections per tenant database under load.")
    db_pool_timeout: float = Field(10.0, gt=0, description="Seconds to wait for a free connection.")
    max_open_tenant_engines: int = Field(
        256, ge=1, description="Tenant connection pools kept open at once; the least recently used is closed."
    )
    registry_cache_seconds: float = Field(
        2.0, ge=0, description="How long a tenant registry lookup is cached in-process."
    )
    count_cache_seconds: float = Field(
        300.0,
        ge=0,
        description="Longest time a list's count is reused while the tenant database's write generation is "
        "unchanged (PostgreSQL; any committed write retires it at once); 0 counts on every page.",
    )
    external_api_roots: list[str] = Field(
        default_factory=list,
        description="API roots (e.g. https://catalogi.example.nl/catalogi/api/v1/) whose resources may be referenced "
        "and are fetched over HTTP; URLs elsewhere are rejected (no requests to arbitrary hosts). JSON list.",
    )
    external_api_credentials: dict[str, ExternalApiCredential] = Field(
        default_factory=dict,
        description='JSON map external API root → {"client_id", "secret"}: requests to that API carry a ZGW '
        "JWT of this application (the longest matching root wins); every root must also be in external_api_roots.",
    )
    selectielijst_api_root: str = Field(
        "/referentielijsten/api/v1",
        description="Root of the Selectielijst API whose URLs (selectielijstProcestype, selectielijstklasse, "
        "resultaattypeomschrijving) the Catalogi API answers from the shipped reference data without network "
        "access; a path is relative to the tenant's own base URL (default: the runtime's own Referentielijsten API).",
    )
    celery_broker_url: str = Field(
        "",
        description="Celery broker of the runtime's notification delivery workers (e.g. redis://host:6379/2). "
        "Empty: notifications are delivered by a background thread of the runtime process (embedded default).",
    )
    delivery_in_process: bool = Field(
        True,
        description="Without a Celery broker: deliver notifications from a background thread of the runtime "
        "process. False: this process only serves requests.",
    )
    delivery_timeout: float = Field(
        10.0, gt=0, le=120, description="Seconds a subscriber's callback may take to answer one notification."
    )
    delivery_max_attempts: int = Field(
        10, ge=1, description="Delivery attempts per notification and abonnement before it is dead-lettered."
    )
    delivery_retry_base_seconds: float = Field(
        10.0, gt=0, description="First retry delay; each further attempt doubles it (exponential backoff)."
    )
    delivery_retry_max_seconds: float = Field(
        3600.0, gt=0, description="Upper bound of the retry delay and of a circuit breaker's open period."
    )
    delivery_circuit_threshold: int = Field(
        5, ge=1, description="Consecutive failed deliveries after which an abonnement's circuit breaker opens."
    )
    delivery_circuit_open_seconds: float = Field(
        30.0, gt=0, description="How long an open circuit rests before one probe delivery; doubles per reopening."
    )
    delivery_tick_seconds: float = Field(
        1.0, gt=0, description="How often every active tenant's outbox is checked for work besides the wake-ups."
    )
    delivery_batch_size: int = Field(
        100, ge=1, le=5000, description="Outbox messages fanned out, and deliveries claimed per abonnement, at once."
    )
    delivery_concurrency: int = Field(
        16, ge=1, le=256, description="Notifications in flight at once to one abonnement's callback."
    )
    delivery_block_private_callbacks: bool = Field(
        False,
        description="Refuse callback URLs on loopback, private, link-local or reserved addresses (checked on "
        "subscribe and when connecting); recommended for the shared tier.",
    )
    delivery_log_retention_days: int = Field(
        30, ge=1, description="Days delivered and dead-lettered notifications and their delivery log are kept."
    )
    storage_backend: Literal["local", "s3"] = Field(
        "local",
        description="Where document content (Documenten API) is stored: `local` (files below storage_local_dir, "
        "embedded default) or `s3` (S3-compatible object storage).",
    )
    storage_local_dir: Path | None = Field(
        None,
        description="Directory of the local content storage (one subdirectory per tenant); empty: "
        "`<data_dir>/documenten`.",
    )
    storage_s3_endpoint_url: str = Field(
        "", description="S3 endpoint (e.g. http://minio:9000); empty: AWS S3 of storage_s3_region."
    )
    storage_s3_region: str = Field("us-east-1", description="S3 region.")
    storage_s3_access_key: str = Field("", description="S3 access key id; empty: boto3's default credential chain.")
    storage_s3_secret_key: str = Field("", description="S3 secret access key (never logged).")
    storage_s3_bucket: str = Field(
        "zgw-documenten",
        description="S3 bucket of document content; with storage_s3_bucket_per_tenant the prefix of the "
        "per-tenant bucket names (`<bucket>-<slug>`).",
    )
    storage_s3_bucket_per_tenant: bool = Field(
        False,
        description="One bucket per tenant (`<bucket>-<slug>`, created when missing) instead of a prefix "
        "`tenants/<slug>/` per tenant in one shared bucket.",
    )
    document_part_size: int = Field(
        100 * 1024 * 1024,
        ge=1,
        description="Size in bytes of a bestandsdeel when a document is uploaded in parts (the last part may be "
        "smaller); at least 5 MiB with the s3 backend (S3's minimum part size).",
    )
    document_verify_downloads: bool = Field(
        True,
        description="Check every document download against the content's recorded SHA-256 while it streams; a "
        "mismatch ends the transfer short of its Content-Length (never a silently corrupt file) and is logged.",
    )
    document_sweep_seconds: float = Field(
        3600.0,
        gt=0,
        description="How often the content sweep runs per tenant (purge recorded orphans, remove unreferenced "
        "objects and uploads, expire abandoned bestandsdelen uploads).",
    )
    document_orphan_grace_seconds: float = Field(
        3600.0,
        ge=60,
        description="Age (since its last write) before the sweep removes an object or unfinished upload no "
        "document version references; longer than any upload takes, so in-flight content is never removed.",
    )
    document_upload_expiry_seconds: float = Field(
        7 * 24 * 3600.0,
        ge=3600,
        description="Age (since the version was registered) after which an unfinished upload in bestandsdelen is "
        "expired: its parts are removed and the version is left without content (the lock stays; the holder "
        "can unlock or upload again).",
    )
    admin_token: str = Field(
        "",
        description="Platform credential (Bearer token) for the runtime's /beheer endpoints called by the "
        "control plane. Empty: those endpoints are disabled.",
    )
    metering_enabled: bool = Field(
        True, description="Meter usage per tenant and hour (API calls, stored bytes, zaken, documenten, clients)."
    )
    metering_controlplane_url: str = Field(
        "",
        description="Base URL of the control plane that receives usage events (e.g. http://controlplane:8000). "
        "Empty: usage is kept in the tenants' metering outboxes and shipped once it is set.",
    )
    metering_token: str = Field(
        "", description="API token of the runtime's service account at the control plane (never logged)."
    )
    metering_flush_seconds: float = Field(
        10.0, gt=0, le=300, description="How often the in-memory counts are written to the tenants' outboxes."
    )
    metering_ship_seconds: float = Field(
        30.0, gt=0, description="How often closed hours are sealed, gauges sampled and usage shipped."
    )
    metering_seal_grace_seconds: float = Field(
        120.0,
        gt=0,
        le=3000,
        description="Seconds after an hour ends before it is sealed and shipped (longer than a flush interval, so "
        "every process has flushed that hour's counts).",
    )
    metering_batch_size: int = Field(1000, ge=1, le=5000, description="Usage events per shipment.")
    metering_timeout: float = Field(10.0, gt=0, le=120, description="Seconds the control plane may take per shipment.")
    metering_retry_base_seconds: float = Field(
        5.0, gt=0, description="First retry delay of a failed shipment; doubled per further failure."
    )
    metering_retry_max_seconds: float = Field(
        600.0, gt=0, description="Upper bound of the retry delay (also the delay after a refused batch)."
    )
    metering_retention_days: int = Field(
        35, ge=1, description="Days shipped outbox rows are kept in the tenant database (the ledger has them)."
    )
    log_level: str = Field("INFO", description="Log level (DEBUG, INFO, WARNING, ERROR).")
    log_json: bool = Field(False, description="Log JSON lines instead of key=value console output.")

    @model_validator(mode="after")
    def _fill_defaults(self) -> RuntimeSettings:
        if self.metering_seal_grace_seconds <= 2 * self.metering_flush_seconds:
            raise ValueError("metering_seal_grace_seconds must be more than twice metering_flush_seconds")
        if self.storage_backend == "s3" and self.document_part_size < 5 * 1024 * 1024:
            raise ValueError("document_part_size must be at least 5 MiB (5242880) with storage_backend=s3")
        unknown = sorted(
            root for root in self.external_api_credentials if not _below_any(root, self.external_api_roots)
        )
        if unknown:
            raise ValueError(f"external_api_credentials for roots not in external_api_roots: {', '.join(unknown)}")
        if not self.registry_url:
            self.registry_url = f"sqlite:///{(self.data_dir / 'registry.db').as_posix()}"
        return self


def _below_any(url: str, roots: list[str]) -> bool:
    return any(url.rstrip("/").startswith(root.rstrip("/")) for root in roots)


@lru_cache
def get_settings() -> RuntimeSettings:
    return RuntimeSettings()
