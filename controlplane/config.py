"""Settings of the control-plane processes (API/UI, Celery worker and beat), from ``ZGW_*`` variables."""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from cryptography.fernet import Fernet
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tenant_runtime.config import DEFAULT_DATA_DIR as DEFAULT_RUNTIME_DATA_DIR

DEVELOPMENT_SECRET = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - refused outside development
DEFAULT_RUNTIME_CHART = Path(__file__).resolve().parents[1] / "charts" / "zgw-tenant-runtime"


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
    tenant_database_prefix: str = Field(
        "zgwt_",
        pattern=r"^[a-z][a-z0-9]{0,14}_$",
        description="Name prefix of the tenant databases and roles this control plane creates on the PostgreSQL "
        "server; databases with the prefix that no tenant owns are reported as orphans (give control planes "
        "sharing one server different prefixes).",
    )
    # --- Kubernetes driver (ZGW_DRIVER=kubernetes) --------------------------------------------------------
    kubernetes_kubeconfig: str = Field(
        "",
        description="Kubeconfig of the cluster the Kubernetes driver provisions in. Empty: the pod's ServiceAccount "
        "when running in a cluster, else the default kubeconfig (KUBECONFIG, ~/.kube/config).",
    )
    kubernetes_context: str = Field("", description="Context of the kubeconfig; empty: its current context.")
    kubernetes_as_user: str = Field(
        "",
        description="Impersonate this user on every Kubernetes request (e.g. "
        "system:serviceaccount:zgw-system:zgw-controlplane, to act with exactly the chart's RBAC); empty: none.",
    )
    kubernetes_chart_path: Path = Field(
        DEFAULT_RUNTIME_CHART, description="The zgw-tenant-runtime chart rendered for dedicated tenants."
    )
    kubernetes_helm_binary: str = Field(
        "helm", description="helm binary that renders the chart (`helm template`; nothing is installed by helm)."
    )
    kubernetes_image_repository: str = Field(
        "", description="Image repository of dedicated runtimes; empty: the chart's default."
    )
    kubernetes_image_tag: str = Field("", description="Image tag of dedicated runtimes; empty: the chart's appVersion.")
    kubernetes_namespace_prefix: str = Field(
        "zgw-t-",
        pattern=r"^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9-])?$",
        description="A dedicated tenant's namespace is <prefix><slug> (shortened with a hash beyond 63 characters).",
    )
    kubernetes_base_domain: str = Field(
        "",
        description="Dedicated tenants are served at https://<slug>.<base domain> (their Ingress host). "
        "Empty: no Ingress.",
    )
    kubernetes_ingress_class: str = Field(
        "", description="IngressClass of dedicated tenants' Ingress; empty: the cluster's default class."
    )
    kubernetes_tls_secret: str = Field(
        "zgw-runtime-tls",
        description="Secret in the tenant namespace with the Ingress certificate (e.g. issued by cert-manager through "
        "ZGW_KUBERNETES_INGRESS_ANNOTATIONS); empty: the Ingress has no TLS.",
    )
    kubernetes_ingress_annotations: dict[str, str] = Field(
        default_factory=dict,
        description='Annotations of dedicated tenants\' Ingress, as JSON (e.g. {"cert-manager.io/cluster-issuer": '
        '"letsencrypt"}).',
    )
    kubernetes_api_url_template: str = Field(
        "https://{slug}.{base_domain}",
        description="API base URL of a dedicated tenant (shown to the municipality); placeholders {slug}, "
        "{namespace}, {base_domain}.",
    )
    kubernetes_verify_url_template: str = Field(
        "",
        description="Base URL the verification call uses to reach a dedicated tenant (e.g. "
        "http://zgw-runtime.{namespace}.svc through the Service); empty: the API base URL.",
    )
    kubernetes_controlplane_url: str = Field(
        "",
        description="The control plane's API as dedicated runtimes reach it (they ship their usage there, each "
        "with a token of its own runtime account); empty: their usage waits in their metering outboxes.",
    )
    kubernetes_controlplane_namespace: str = Field(
        "zgw-system", description="Namespace of the control plane: its pods may reach dedicated runtimes."
    )
    kubernetes_ingress_namespace: str = Field(
        "ingress-nginx", description="Namespace of the ingress controller allowed to reach dedicated runtimes."
    )
    kubernetes_runtime_database_host: str = Field(
        "",
        description="host[:port] at which dedicated runtime pods reach the tenant database server; empty: the host "
        "the control plane uses.",
    )
    kubernetes_runtime_values: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra Helm values (JSON) merged into every dedicated release, e.g. the NetworkPolicy egress "
        "of your cluster.",
    )
    kubernetes_pod_security_version: str = Field(
        "v1.34",
        pattern=r"^(latest|v1\.\d+)$",
        description="Pod Security Standard version pinned on tenant namespaces (enforce, audit and warn: restricted).",
    )
    kubernetes_ready_poll_seconds: float = Field(
        60.0,
        gt=0,
        description="How long one attempt of a step waits for Deployments, Jobs or a namespace deletion before the "
        "step is retried.",
    )
    kubernetes_request_timeout: float = Field(30.0, gt=0, description="Seconds one Kubernetes API request may take.")
    kubernetes_shared_pool: str = Field(
        "default", description="Pool of the shared runtime release that shared-tier tenants are registered in."
    )
    deprovision_retention_days: int = Field(
        30,
        ge=0,
        description="Days a deprovisioned tenant's data (database, documents, backups) is kept, and its final "
        "export downloadable, before the purge deletes them.",
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
    # --- backups, restores, drills, exports (controlplane/backups) ---------------------------------
    backup_target: Literal["local", "s3"] = Field(
        "local",
        description="Where backups and exports are stored: `local` (files below backup_local_dir, embedded "
        "default) or `s3` (S3-compatible object storage).",
    )
    backup_local_dir: Path = Field(
        Path(""), description="Directory of the local backup target. Empty: `backups` in the data dir."
    )
    backup_s3_endpoint_url: str = Field("", description="S3 endpoint of the backup target; empty: AWS S3.")
    backup_s3_region: str = Field("us-east-1", description="S3 region of the backup target.")
    backup_s3_access_key: str = Field("", description="S3 access key id; empty: boto3's default credential chain.")
    backup_s3_secret_key: str = Field("", description="S3 secret access key of the backup target (never logged).")
    backup_s3_bucket: str = Field("zgw-backups", description="S3 bucket of backups and exports (created if missing).")
    backup_s3_prefix: str = Field("", description="Key prefix inside the bucket (e.g. `prod/`); empty: none.")
    backup_platform_key: str = Field(
        "",
        description="Platform key (32 bytes, urlsafe base64) that wraps every tenant's backup data key (envelope "
        "encryption). Required in production; elsewhere empty means derived from secret_key. Generate one with "
        "`python -c 'import os,base64; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'`.",
    )
    backup_previous_platform_keys: list[str] = Field(
        default_factory=list,
        description="Earlier platform keys (JSON list), still accepted to unwrap the data keys of older backups "
        "after a rotation.",
    )
    backup_chunk_size: int = Field(
        1024 * 1024,
        ge=64 * 1024,
        le=64 * 1024 * 1024,
        description="Bytes per authenticated-encryption chunk of a stored backup (what is in memory at once).",
    )
    backup_work_dir: Path = Field(
        Path(""),
        description="Scratch directory for database dumps while they are encrypted or restored. Empty: "
        "`backup-work` in the data dir.",
    )
    backup_io_threads: int = Field(
        8, ge=1, le=64, description="Document objects read or written in parallel during a backup or restore."
    )
    backup_verify_readback: bool = Field(
        True,
        description="After writing a backup, read every stored object back and compare its SHA-256 before the "
        "backup counts as successful.",
    )
    backup_default_interval_hours: int = Field(
        24, ge=0, description="Hours between scheduled backups for plans without a backup policy (0: none)."
    )
    backup_default_keep_daily: int = Field(
        14, ge=0, description="Default retention: newest backup of each of the last N days."
    )
    backup_default_keep_weekly: int = Field(
        8, ge=0, description="Default retention: newest backup of each of the last N ISO weeks."
    )
    backup_default_keep_monthly: int = Field(
        12, ge=0, description="Default retention: newest backup of each of the last N calendar months."
    )
    backup_schedule_seconds: float = Field(
        300.0, gt=0, description="How often the beat task starts due backups and enforces retention."
    )
    backup_drill_interval_hours: int = Field(
        168, ge=0, description="Hours between restore drills of one tenant's latest backup (0: no drills)."
    )
    backup_drill_check_seconds: float = Field(
        900.0, gt=0, description="How often the beat task looks for tenants whose restore drill is due."
    )
    backup_drill_concurrency: int = Field(1, ge=1, description="Restore drills running at the same time at most.")
    backup_export_retention_days: int = Field(
        7, ge=1, description="Days a municipality's export stays downloadable before it is deleted."
    )
    usage_max_batch_events: int = Field(
        5000,
        ge=1,
        le=50000,
        description="Most usage events a runtime may submit in one request (POST /api/v1/usage/events).",
    )
    usage_max_event_age_days: int = Field(
        400, ge=1, description="Usage events for hours older than this many days are refused (a misconfigured clock)."
    )
    usage_stale_after_hours: int = Field(
        3, ge=1, description="An active tenant whose latest usage hour is older than this is reported as stale."
    )
    usage_check_interval_seconds: float = Field(
        900.0, gt=0, description="How often the beat checks every active tenant's usage for staleness."
    )
    stripe_enabled: bool = Field(
        False,
        description="Bill through Stripe (customers, subscriptions, meter events, webhooks). False: invoices are "
        "only computed, frozen and exported.",
    )
    stripe_api_key: str = Field("", description="Stripe secret API key (sk_...); required when Stripe is enabled.")
    stripe_webhook_secret: str = Field(
        "", description="Signing secret of the Stripe webhook endpoint (whsec_...); required when Stripe is enabled."
    )
    stripe_api_base: str = Field(
        "", description="Base URL of the Stripe API. Empty: https://api.stripe.com (tests use a local server)."
    )
    stripe_name_prefix: str = Field(
        "zgw_",
        pattern=r"^[a-z0-9_]{1,40}$",
        description="Meter event names and price lookup keys at Stripe are this prefix + the invoice component "
        "(e.g. zgw_api_calls).",
    )
    stripe_tax_rate_id: str = Field(
        "", description="Stripe tax rate (txr_...) put on every subscription; empty: no Stripe-side VAT."
    )
    stripe_timeout_seconds: float = Field(10.0, gt=0, description="Seconds one Stripe API request may take.")
    stripe_max_network_retries: int = Field(
        2, ge=0, le=10, description="Retries the Stripe library makes itself (same idempotency key) per call."
    )
    stripe_webhook_tolerance_seconds: int = Field(
        300, ge=1, description="Webhook signatures older than this are refused (replay protection)."
    )
    billing_vat_rate: Decimal = Field(
        Decimal("0.21"), ge=0, le=1, description="VAT rate applied to an invoice's subtotal (0.21 = 21%)."
    )
    billing_close_delay_hours: int = Field(
        2, ge=0, le=48, description="Hours after a month ends before month-close freezes its invoices (late usage)."
    )
    billing_meter_retry_seconds: float = Field(
        30.0, gt=0, description="First retry delay of a meter event the provider did not take; doubled per attempt."
    )
    billing_meter_dedup_hours: int = Field(
        23,
        ge=1,
        le=24,
        description="A meter event whose outcome is unknown is resent with its identifier only this long after "
        "the first attempt (inside Stripe's 24 h dedup window); later it waits for reconciliation.",
    )
    billing_reconcile_interval_seconds: float = Field(
        86400.0, gt=0, description="How often the beat reconciles the ledger with the payment provider (nightly)."
    )
    billing_tick_seconds: float = Field(
        300.0, gt=0, description="How often the beat sends due meter events, syncs customers and runs a due close."
    )
    public_url: str = Field("http://127.0.0.1:8000", description="Public base URL of the control plane.")
    # --- releases and upgrade campaigns (controlplane.releases) -----------------------------------------
    release_image_repository: str = Field(
        "ghcr.io/zgw-cloud/zgw-cloud",
        description="Image repository of a new release when none is given (`<repository>:<version>`).",
    )
    release_pinning_plans: list[str] = Field(
        default_factory=list,
        description="JSON list of plan codes whose municipality admins may pin their tenant's version themselves "
        "(operators always may).",
    )
    campaign_tick_seconds: float = Field(
        15.0, gt=0, description="How often the beat advances running upgrade campaigns (waves, windows, pauses)."
    )
    upgrade_gate_window_seconds: float = Field(
        30.0, ge=0, le=3600, description="Health gate: seconds the tenant's error rate is measured after its switch."
    )
    upgrade_gate_max_error_rate: float = Field(
        0.05, ge=0, le=1, description="Health gate: highest share of 5xx responses in the window that still passes."
    )
    upgrade_gate_timeout_seconds: float = Field(
        120.0, gt=0, description="Health gate: how long readiness and the smoke call may take to succeed."
    )
    runtime_pool_routes: dict[str, str] = Field(
        default_factory=dict,
        description="Same variable as the runtime's: pool → base URL of that pool's runtime process. The local "
        "driver checks a pool's readiness and reads its metrics there (no entry: the public runtime URL).",
    )
    runtime_registry_cache_seconds: float = Field(
        2.0,
        ge=0,
        description="Same variable as the runtime's: how long its processes cache a registry row. An upgrade into "
        "maintenance waits this long (plus a second) before its backup, so no runtime still takes writes.",
    )
    runtime_admin_token: str = Field(
        "",
        description="Same variable as the runtime's: the Bearer token of the shared runtime's /beheer endpoints, "
        "which the control plane calls for the notification delivery log and resends (never logged). Empty: derived "
        "from secret_key (`zgwcloud runtime-admin-token` prints it); dedicated runtimes get their own, derived per "
        "tenant.",
    )
    notifications_runtime_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=120,
        description="Timeout of one call from the control plane to a runtime's delivery log (list, resend); a "
        "runtime that does not answer in time is reported as 503.",
    )
    log_level: str = Field("INFO", description="Log level.")
    log_json: bool = Field(False, description="Log JSON lines instead of key=value console output.")

    @model_validator(mode="after")
    def _defaults_and_safety(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'controlplane.db').as_posix()}"
        if not self.runtime_registry_url:
            self.runtime_registry_url = f"sqlite:///{(self.runtime_data_dir / 'registry.db').as_posix()}"
        if not str(self.backup_local_dir) or str(self.backup_local_dir) == ".":
            self.backup_local_dir = self.data_dir / "backups"
        if not str(self.backup_work_dir) or str(self.backup_work_dir) == ".":
            self.backup_work_dir = self.data_dir / "backup-work"
        if self.stripe_enabled and self.environment == "production":
            missing = [n for n, v in (("ZGW_STRIPE_API_KEY", self.stripe_api_key),
                                      ("ZGW_STRIPE_WEBHOOK_SECRET", self.stripe_webhook_secret)) if not v]  # fmt: skip
            if missing:
                raise ValueError(f"{' and '.join(missing)} must be set when Stripe is enabled in production")
        if self.environment == "production" and (self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32):
            raise ValueError("ZGW_SECRET_KEY must be set to a random value of 32+ characters in production")
        if self.environment != "development" and not self.encryption_key:
            raise ValueError("ZGW_ENCRYPTION_KEY must be set outside development (a Fernet key)")
        if self.encryption_key:
            try:
                Fernet(self.encryption_key.encode())
            except ValueError:
                raise ValueError("ZGW_ENCRYPTION_KEY is not a valid Fernet key (32 urlsafe-base64 bytes)") from None
        if self.environment == "production" and not self.backup_platform_key:
            raise ValueError("ZGW_BACKUP_PLATFORM_KEY must be set in production (32 urlsafe-base64 bytes)")
        for key in filter(None, [self.backup_platform_key, *self.backup_previous_platform_keys]):
            try:
                valid = len(base64.urlsafe_b64decode(key.encode())) == 32
            except ValueError:
                valid = False
            if not valid:
                raise ValueError("ZGW_BACKUP_PLATFORM_KEY (and earlier keys) must be 32 urlsafe-base64 bytes")
        return self

    def fernet(self) -> Fernet:
        """The cipher of stored secrets; in development without a key, derived from ``secret_key``."""
        if self.encryption_key:
            return Fernet(self.encryption_key.encode())
        digest = hashlib.sha256(b"zgwcloud-encryption:" + self.secret_key.encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))

    def backup_platform_keys(self) -> list[bytes]:
        """The platform key that wraps new data keys first, then earlier ones (unset outside production: derived)."""
        if not self.backup_platform_key:
            return [hashlib.sha256(b"zgwcloud-backup-platform-key:" + self.secret_key.encode()).digest()]
        keys = [self.backup_platform_key, *self.backup_previous_platform_keys]
        return [base64.urlsafe_b64decode(k.encode()) for k in keys if k]

    @property
    def tasks_in_process(self) -> bool:
        return not self.celery_broker_url


@lru_cache
def get_settings() -> Settings:
    return Settings()
