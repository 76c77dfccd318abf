"""Settings of the control-plane processes (API/UI, Celery worker and beat), from ``ZGW_*`` variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

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
        description="Fernet key that encrypts stored credentials. Empty in development: derived from secret_key.",
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
    public_url: str = Field("http://127.0.0.1:8000", description="Public base URL of the control plane.")
    log_level: str = Field("INFO", description="Log level.")
    log_json: bool = Field(False, description="Log JSON lines instead of key=value console output.")

    @model_validator(mode="after")
    def _defaults_and_safety(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'controlplane.db').as_posix()}"
        if not self.runtime_registry_url:
            self.runtime_registry_url = f"sqlite:///{(self.runtime_data_dir / 'registry.db').as_posix()}"
        if self.environment == "production":
            if self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32:
                raise ValueError("ZGW_SECRET_KEY must be set to a random value of 32+ characters in production")
            if not self.encryption_key:
                raise ValueError("ZGW_ENCRYPTION_KEY must be set in production")
        return self

    @property
    def tasks_in_process(self) -> bool:
        return not self.celery_broker_url


@lru_cache
def get_settings() -> Settings:
    return Settings()
