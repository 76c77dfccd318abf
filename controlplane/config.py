"""Settings of the control-plane processes (API/UI, Celery worker and beat), from ``ZGW_*`` variables."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tenant_runtime.config import DEFAULT_DATA_DIR as DEFAULT_RUNTIME_DATA_DIR

DEVELOPMENT_SECRET = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - refused outside development


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ZGW_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development", description="Deployment environment; production refuses development secrets."
    )
    data_dir: Path = Field(Path("var"), description="Directory for SQLite databases, local files and exports.")
    database_url: str = Field(
        "",
        description="SQLAlchemy URL of the control-plane database. Empty: SQLite `controlplane.db` in the data dir.",
    )
    secret_key: str = Field(DEVELOPMENT_SECRET, description="Signs session cookies; must be set in production.")
    encryption_key: str = Field(
        "",
        description="Fernet key (urlsafe base64, 32 bytes) that encrypts stored API secrets. Empty is only allowed "
        "in development (then derived from secret_key); generate one with "
        "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`.",
    )
    celery_broker_url: str = Field(
        "",
        description="Celery broker (e.g. redis://host:6379/0). Empty: tasks run in-process (embedded default).",
    )
    celery_result_backend: str = Field("", description="Celery result backend; empty: none.")
    driver: Literal["local", "kubernetes"] = Field("local", description="Provisioning driver for tenants.")
    runtime_registry_url: str = Field(
        "", description="Tenant registry of the shared runtime. Empty: `registry.db` in the runtime data dir."
    )
    runtime_data_dir: Path = Field(
        DEFAULT_RUNTIME_DATA_DIR,
        description="Data dir of the local shared runtime (same variable as the runtime reads).",
    )
    runtime_public_url: str = Field(
        "http://127.0.0.1:8001",
        description="Public base URL of the shared tenant runtime (for API base URLs).",
    )
    tenant_database_server_url: str = Field(
        "",
        description="PostgreSQL server URL where the local driver creates tenant databases. "
        "Empty: one SQLite file per tenant.",
    )
    export_dir: Path = Field(
        Path(""),
        description="Where final exports of deprovisioned tenants are written. Empty: `exports` in the data dir.",
    )
    deprovision_retention_days: int = Field(
        30, ge=0, description="Days a deprovisioned tenant's database is kept (suspended) before it is dropped."
    )
    credential_overlap_minutes: int = Field(
        60 * 24, ge=0, description="Minutes the previous secret keeps working after a credential is rotated."
    )
    celery_visibility_timeout: int = Field(
        3600,
        ge=1,
        description="Seconds after which a task a dead worker took (unacknowledged) is delivered again (Redis).",
    )
    reconcile_interval_seconds: float = Field(
        300.0, gt=0, description="How often the beat schedule reconciles tenants against the runtime."
    )
    public_url: str = Field("http://127.0.0.1:8000", description="Public base URL of the control plane.")
    log_level: str = Field("INFO", description="Log level.")
    log_json: bool = Field(False, description="Log JSON lines instead of key=value console output.")

    @model_validator(mode="after")
    def _defaults_and_safety(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'controlplane.db').as_posix()}"
        if not self.runtime_registry_url:
            self.runtime_registry_url = f"sqlite:///{(self.runtime_data_dir / 'registry.db').as_posix()}"
        if not str(self.export_dir) or str(self.export_dir) == ".":
            self.export_dir = self.data_dir / "exports"
        if self.environment == "production" and (self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32):
            raise ValueError("ZGW_SECRET_KEY must be set to a random value of 32+ characters in production")
        if self.environment != "development" and not self.encryption_key:
            raise ValueError("ZGW_ENCRYPTION_KEY must be set outside development (a Fernet key)")
        if self.encryption_key:
            try:
                Fernet(self.encryption_key.encode())
            except ValueError:
                raise ValueError("ZGW_ENCRYPTION_KEY is not a valid Fernet key (32 urlsafe-base64 bytes)") from None
        return self

    def fernet(self) -> Fernet:
        """The cipher of stored secrets; in development without a key, derived from ``secret_key``."""
        if self.encryption_key:
            return Fernet(self.encryption_key.encode())
        digest = hashlib.sha256(b"zgwcloud-encryption:" + self.secret_key.encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))

    @property
    def tasks_in_process(self) -> bool:
        return not self.celery_broker_url


@lru_cache
def get_settings() -> Settings:
    return Settings()
