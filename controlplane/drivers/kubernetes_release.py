"""A dedicated tenant's runtime release: the zgw-tenant-runtime chart rendered with ``helm template`` and applied
with server-side apply under the driver's field manager (see docs/operations/kubernetes.md for why not a Helm
release). The chart's ``pre-install,pre-upgrade`` hook Jobs (the migrations) run first and must complete; then
every other object is applied, and objects an earlier render had but this one has not are deleted.

A ConfigMap, the *release record*, remembers what was applied (values digest, completed hooks, objects,
image) and owns every object of the release (owner references), so deleting it uninstalls the release through
the garbage collector. Upgrades (a new image or chart) go through the same ``apply``: a changed migrations Job
runs before the Deployments roll."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
import yaml

from controlplane.config import Settings
from controlplane.drivers import kubernetes_objects as objects
from controlplane.drivers.interfaces import PermanentError, ProgressReporter, RuntimeStatus, TemporaryError, TenantSpec
from controlplane.drivers.kubernetes_api import KINDS, KubeApi, Manifest

log = structlog.get_logger(__name__)

HOOK_ANNOTATION = "helm.sh/hook"
INSTALL_HOOKS = frozenset({"pre-install", "pre-upgrade"})
INSTANCE_SELECTOR = f"app.kubernetes.io/instance={objects.RELEASE}"
POLL_INTERVAL = 0.5


@dataclass(frozen=True)
class Rendered:
    values: dict[str, Any]
    hooks: list[Manifest]  # pre-install/pre-upgrade Jobs, run to completion before the rest
    main: list[Manifest]

    @property
    def values_digest(self) -> str:
        return objects.digest(self.values)

    @property
    def hooks_digest(self) -> str:
        """Of the hooks as rendered (each carries its own digest; owner references do not count)."""
        return objects.digest([h["metadata"]["annotations"][objects.HASH_ANNOTATION] for h in self.hooks])

    def object_keys(self) -> list[str]:
        return sorted(f"{m['kind']}/{m['metadata']['name']}" for m in self.main)


class ChartRenderer:
    """``helm template`` of the runtime chart (no cluster access; helm never installs anything). Renders are
    cached per (namespace, values, Kubernetes version), so re-applying an unchanged release costs no helm run."""

    def __init__(self, settings: Settings, cache_size: int = 256) -> None:
        self.helm = settings.kubernetes_helm_binary
        self.chart = Path(settings.kubernetes_chart_path)
        self._cache: OrderedDict[str, list[Manifest]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._fingerprint = ""

    def fingerprint(self) -> str:
        """Changes with any file of the chart (a new chart version renders anew)."""
        if not self._fingerprint:
            if not (self.chart / "Chart.yaml").is_file():
                raise PermanentError(f"runtime chart not found at {self.chart} (ZGW_KUBERNETES_CHART_PATH)")
            digest = hashlib.sha256()
            for path in sorted(p for p in self.chart.rglob("*") if p.is_file()):
                digest.update(str(path.relative_to(self.chart)).encode() + b"\0" + path.read_bytes() + b"\0")
            self._fingerprint = digest.hexdigest()[:16]
        return self._fingerprint

    def chart_version(self) -> str:
        meta = yaml.safe_load((self.chart / "Chart.yaml").read_text())
        return f"{meta['name']}-{meta['version']}"

    def render(self, namespace: str, values: dict[str, Any], kube_version: str) -> list[Manifest]:
        key = objects.digest([self.fingerprint(), namespace, values, kube_version])
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return _copy(self._cache[key])
        manifests = self._helm_template(namespace, values, kube_version)
        with self._lock:
            self._cache[key] = manifests
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return _copy(manifests)

    def _helm_template(self, namespace: str, values: dict[str, Any], kube_version: str) -> list[Manifest]:
        with tempfile.TemporaryDirectory(prefix="zgw-helm-") as home:
            values_file = Path(home) / "values.json"
            values_file.write_text(json.dumps(values))
            # helm keeps caches and config under HOME; the control plane's root filesystem is read-only.
            env = {**os.environ, "HELM_CACHE_HOME": home, "HELM_CONFIG_HOME": home, "HELM_DATA_HOME": home}
            command = [self.helm, "template", objects.RELEASE, str(self.chart), "--namespace", namespace,
                       "--kube-version", kube_version, "--values", str(values_file)]  # fmt: skip
            try:
                result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
            except FileNotFoundError:
                raise PermanentError(f"helm not found ({self.helm}, ZGW_KUBERNETES_HELM_BINARY)") from None
            except subprocess.TimeoutExpired:
                raise TemporaryError("helm template timed out", delay=10) from None
        if result.returncode != 0:
            raise PermanentError(f"helm template failed: {result.stderr.strip()[:1000]}")
        return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _copy(manifests: list[Manifest]) -> list[Manifest]:
    """A private deep copy (callers add namespaces and owner references)."""
    copied: list[Manifest] = json.loads(json.dumps(manifests))
    return copied


def _hook_phases(manifest: Manifest) -> set[str]:
    value = (manifest.get("metadata", {}).get("annotations") or {}).get(HOOK_ANNOTATION, "")
    return {part.strip() for part in value.split(",") if part.strip()}


def owner_reference(record: Manifest) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": record["metadata"]["name"],
        "uid": record["metadata"]["uid"],
        "controller": True,
    }


class RuntimeRelease:
    def __init__(self, api: KubeApi, renderer: ChartRenderer, settings: Settings) -> None:
        self.api, self.renderer, self.settings = api, renderer, settings

    # --- what should be there ----------------------------------------------------------------------
    def render(self, tenant: TenantSpec, status: RuntimeStatus) -> Rendered:
        namespace = objects.namespace_name(self.settings, tenant)
        values = objects.release_values(self.settings, tenant, status)
        hooks: list[Manifest] = []
        main: list[Manifest] = []
        for manifest in self.renderer.render(namespace, values, self.api.server_version()):
            if manifest.get("kind") not in KINDS:
                raise PermanentError(f"the runtime chart renders a {manifest.get('kind')}, which is not applied")
            metadata = manifest["metadata"]
            metadata["namespace"] = namespace
            metadata.setdefault("labels", {})["app.kubernetes.io/managed-by"] = objects.MANAGED_BY
            template = manifest.get("spec", {}).get("template", {}).get("metadata")
            if template is not None and "labels" in template:
                template["labels"]["app.kubernetes.io/managed-by"] = objects.MANAGED_BY
            phases = _hook_phases(manifest)
            if not phases:
                main.append(manifest)
            elif phases & INSTALL_HOOKS:
                metadata["annotations"][objects.HASH_ANNOTATION] = objects.digest(manifest)
                hooks.append(manifest)
            # other hooks (helm test, post-delete) have no place in an applied release
        return Rendered(values, hooks, main)

    def record(self, tenant: TenantSpec) -> Manifest | None:
        return self.api.get("ConfigMap", objects.namespace_name(self.settings, tenant), objects.RELEASE_RECORD)

    def _record_manifest(self, tenant: TenantSpec, data: dict[str, str]) -> Manifest:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": objects.RELEASE_RECORD,
                "namespace": objects.namespace_name(self.settings, tenant),
                "labels": {**objects.tenant_labels(tenant), "app.kubernetes.io/instance": objects.RELEASE},
            },
            "data": data,
        }

    # --- applying ----------------------------------------------------------------------------------
    def apply(self, tenant: TenantSpec, status: RuntimeStatus, report: ProgressReporter | None = None) -> Rendered:
        """Bring the release to the chart rendered for ``tenant`` and ``status`` (idempotent, resumable)."""
        rendered = self.render(tenant, status)
        namespace = objects.namespace_name(self.settings, tenant)
        record = self.record(tenant)
        data: dict[str, str] = dict((record or {}).get("data") or {})
        if record is None:
            record = self.api.apply(self._record_manifest(tenant, {"objects": "[]"}))
        owner = owner_reference(record)
        if rendered.hooks and data.get("hooksDigest") != rendered.hooks_digest:
            for hook in rendered.hooks:
                hook["metadata"]["ownerReferences"] = [owner]
                self._run_hook(namespace, hook, report)
            data["hooksDigest"] = rendered.hooks_digest
            self.api.apply(self._record_manifest(tenant, data))  # a retry does not run them again
        for manifest in rendered.main:
            manifest["metadata"]["ownerReferences"] = [owner]
            self.api.apply(manifest)
        previous = set(json.loads(data.get("objects", "[]")))
        for stale in sorted(previous - set(rendered.object_keys())):
            kind, name = stale.split("/", 1)
            if kind in KINDS:
                self.api.delete(kind, namespace, name)
                log.info("runtime_object_pruned", tenant=tenant.slug, object=stale)
        image = rendered.values.get("image", {})
        data.update(
            objects=json.dumps(rendered.object_keys()),
            valuesDigest=rendered.values_digest,
            status=status.value,
            chart=self.renderer.chart_version(),
            image=json.dumps(image, sort_keys=True),
            version=tenant.release.version if tenant.release is not None else str(image.get("tag", "")),
        )
        self.api.apply(self._record_manifest(tenant, data))
        log.info("runtime_release_applied", tenant=tenant.slug, namespace=namespace, status=status.value,
                 objects=len(rendered.main), values=rendered.values_digest)  # fmt: skip
        return rendered

    def run_migrations(self, tenant: TenantSpec, report: ProgressReporter | None = None) -> None:
        """An upgrade's (or rollback's) migration step, as a Job: the chart's migrations Job rendered with
        ``tenant.release``'s image, bringing the database to exactly that release's schema heads
        (``zgwcloud runtime migrate --heads ...``). It has a name of its own per target, so the chart's own hook
        (run again by the next ``apply``, then a no-op) keeps its record."""
        release = tenant.release
        if release is None or not release.schema_heads:
            raise PermanentError("a migration Job needs the release's schema heads")
        namespace = objects.namespace_name(self.settings, tenant)
        hooks = [h for h in self.render(tenant, RuntimeStatus.ACTIVE).hooks if h.get("kind") == "Job"]
        if not hooks:
            raise PermanentError("the runtime chart renders no migrations Job (migrations.enabled)")
        job = json.loads(json.dumps(hooks[0]))
        container = job["spec"]["template"]["spec"]["containers"][0]
        arguments = ["--heads", ",".join(release.schema_heads)]
        for path in release.migration_paths:
            arguments += ["--migrations-dir", path]
        container["command"] = [*container["command"], *arguments]
        annotations = job["metadata"]["annotations"]
        for name in [a for a in annotations if a.startswith("helm.sh/")]:
            del annotations[name]
        annotations.pop(objects.HASH_ANNOTATION, None)
        target = objects.digest([release.image, arguments])[:10]
        job["metadata"]["name"] = f"{objects.RELEASE}-migrate-{target}"
        annotations[objects.HASH_ANNOTATION] = objects.digest(job)
        record = self.record(tenant)
        if record is not None:
            job["metadata"]["ownerReferences"] = [owner_reference(record)]
        log.info("runtime_migration_job", tenant=tenant.slug, job=job["metadata"]["name"], image=release.image,
                 heads=release.schema_heads)  # fmt: skip
        self._run_hook(namespace, job, report)

    def _run_hook(self, namespace: str, job: Manifest, report: ProgressReporter | None) -> None:
        """Run one hook Job to completion with helm's policy (before-hook-creation, hook-succeeded): a run of an
        older render, or one that had failed before this attempt, is replaced; a finished run is deleted. A run
        that fails while we wait stays for inspection (PermanentError; a retry of the job replaces it). Waits up
        to the poll window, then TemporaryError."""
        name = job["metadata"]["name"]
        wanted = job["metadata"]["annotations"][objects.HASH_ANNOTATION]
        deadline = time.monotonic() + self.settings.kubernetes_ready_poll_seconds
        first = True
        while True:
            existing = self.api.get("Job", namespace, name)
            if existing is None:
                self.api.apply(job)
            elif existing["metadata"].get("deletionTimestamp") is None:
                conditions = {c["type"]: c for c in existing.get("status", {}).get("conditions") or []}
                same = (existing["metadata"].get("annotations") or {}).get(objects.HASH_ANNOTATION) == wanted
                if same and _true(conditions.get("Complete")):
                    self.api.delete("Job", namespace, name)  # hook-succeeded
                    log.info("runtime_hook_completed", namespace=namespace, job=name)
                    return
                if same and _true(conditions.get("Failed")) and not first:
                    message = conditions["Failed"].get("message", "")
                    raise PermanentError(f"hook Job {name} failed: {message} (kept for inspection)")
                if not same or _true(conditions.get("Failed")):
                    self.api.delete("Job", namespace, name, propagation="Foreground")  # before-hook-creation
            first = False
            if report is not None:
                active = (existing or {}).get("status", {}).get("active", 0)
                report(f"migratiejob {name}: {'loopt' if active else 'wacht'}")
            if time.monotonic() >= deadline:
                raise TemporaryError(f"hook Job {name} not complete yet", delay=3)
            time.sleep(POLL_INTERVAL)

    # --- observing ---------------------------------------------------------------------------------
    def readiness(self, tenant: TenantSpec) -> tuple[bool, str]:
        """(ready, progress): every Deployment of the release has rolled out and is available."""
        record = self.record(tenant)
        if record is None:
            return False, "release nog niet toegepast"
        wanted = [k.split("/", 1)[1] for k in json.loads((record.get("data") or {}).get("objects", "[]"))
                  if k.startswith("Deployment/")]  # fmt: skip
        found = {
            d["metadata"]["name"]: d
            for d in self.api.list("Deployment", objects.namespace_name(self.settings, tenant), INSTANCE_SELECTOR)
        }
        ready, parts = True, []
        for name in wanted:
            deployment = found.get(name)
            if deployment is None:
                ready = False
                parts.append(f"{name}: ontbreekt")
                continue
            ok, text = deployment_progress(deployment)
            ready = ready and ok
            parts.append(f"{name}: {text}")
        return ready, "; ".join(parts)

    def uninstall(self, tenant: TenantSpec) -> bool:
        """Delete the release record: the garbage collector deletes every object it owns."""
        return self.api.delete(
            "ConfigMap", objects.namespace_name(self.settings, tenant), objects.RELEASE_RECORD, propagation="Foreground"
        )


def _true(condition: dict[str, Any] | None) -> bool:
    return condition is not None and condition.get("status") == "True"


def deployment_progress(deployment: Manifest) -> tuple[bool, str]:
    """(rolled out and available, "2/2 beschikbaar" or why not)."""
    spec, status = deployment.get("spec", {}), deployment.get("status", {})
    replicas = int(spec.get("replicas", 1))
    available = int(status.get("availableReplicas") or 0)
    updated = int(status.get("updatedReplicas") or 0)
    total = int(status.get("replicas") or 0)
    current = status.get("observedGeneration", 0) >= deployment["metadata"].get("generation", 0)
    conditions = {c["type"]: c for c in status.get("conditions") or []}
    failure = conditions.get("ReplicaFailure")
    if _true(failure):
        assert failure is not None
        return False, f"{available}/{replicas} beschikbaar ({failure.get('message', '')[:200]})"
    progressing = conditions.get("Progressing")
    if progressing is not None and progressing.get("reason") == "ProgressDeadlineExceeded":
        raise PermanentError(f"Deployment {deployment['metadata']['name']}: {progressing.get('message', '')}")
    done = current and updated >= replicas and available >= replicas and total <= replicas
    return done, f"{available}/{replicas} beschikbaar"
