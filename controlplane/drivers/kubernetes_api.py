"""The Kubernetes API as the Kubernetes driver uses it, on the official client: one API client (kubeconfig,
in-cluster ServiceAccount, optionally impersonating a user), server-side apply under one field manager, reads
where NotFound is an answer, and retries with backoff on 409/429/5xx and connection errors. What is still
failing after the retries becomes a ``TemporaryError`` (the job runner and Celery retry the step later); a
request the API server refuses (400, 403, 422, ...) is a ``PermanentError``: retrying would not change it."""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import structlog
import urllib3

from controlplane.config import Settings
from controlplane.drivers.interfaces import PermanentError, TemporaryError

log = structlog.get_logger(__name__)

# Every object the driver writes is applied under this field manager: it owns exactly the fields it sets, so a
# re-apply restores what drifted and leaves fields of other managers (an HPA's replicas, kubectl labels) alone.
FIELD_MANAGER = "zgw-cloud-controlplane"
RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0)  # in-process backoff before a failure is handed to the job's retries
RETRYABLE_STATUS = frozenset({409, 429, 500, 502, 503, 504})

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    api_version: str
    plural: str
    namespaced: bool = True

    @property
    def prefix(self) -> str:
        return "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"


# The kinds the driver writes (those of the runtime chart and of the tenant namespace), with their REST paths.
# Static on purpose: no discovery requests, and nothing outside this list can be applied by accident.
KINDS: dict[str, Kind] = {
    "Namespace": Kind("v1", "namespaces", namespaced=False),
    "ResourceQuota": Kind("v1", "resourcequotas"),
    "LimitRange": Kind("v1", "limitranges"),
    "Secret": Kind("v1", "secrets"),
    "ConfigMap": Kind("v1", "configmaps"),
    "Service": Kind("v1", "services"),
    "ServiceAccount": Kind("v1", "serviceaccounts"),
    "Deployment": Kind("apps/v1", "deployments"),
    "Job": Kind("batch/v1", "jobs"),
    "NetworkPolicy": Kind("networking.k8s.io/v1", "networkpolicies"),
    "Ingress": Kind("networking.k8s.io/v1", "ingresses"),
    "PodDisruptionBudget": Kind("policy/v1", "poddisruptionbudgets"),
    "HorizontalPodAutoscaler": Kind("autoscaling/v2", "horizontalpodautoscalers"),
}


def kind_of(kind: str) -> Kind:
    try:
        return KINDS[kind]
    except KeyError:
        raise PermanentError(f"the Kubernetes driver does not manage objects of kind {kind}") from None


def resource_path(kind: str, namespace: str | None = None, name: str | None = None) -> str:
    spec = kind_of(kind)
    path = spec.prefix
    if spec.namespaced:
        if not namespace:
            raise PermanentError(f"{kind} needs a namespace")
        path += f"/namespaces/{namespace}"
    path += f"/{spec.plural}"
    return f"{path}/{name}" if name else path


class ApiError(Exception):
    """A non-2xx answer of the API server (raised only inside this module's retry loop)."""

    def __init__(self, status: int, reason: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status, self.reason, self.message, self.retry_after = status, reason, message, retry_after


def build_api_client(settings: Settings) -> Any:
    """The official client's ApiClient for the configured cluster."""
    from kubernetes import client, config

    if settings.kubernetes_kubeconfig:
        api = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=settings.kubernetes_kubeconfig, context=settings.kubernetes_context or None
        )
    elif os.environ.get("KUBERNETES_SERVICE_HOST"):
        configuration = client.Configuration()
        config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        api = client.ApiClient(configuration)
    else:
        api = config.new_client_from_config(context=settings.kubernetes_context or None)  # type: ignore[no-untyped-call]
    if settings.kubernetes_as_user:
        api.set_default_header("Impersonate-User", settings.kubernetes_as_user)
    return api


class KubeApi:
    """Requests to the API server with retries, and a count of them (for metrics and the benchmark)."""

    def __init__(self, settings: Settings, api_client: Any | None = None) -> None:
        self.client = api_client if api_client is not None else build_api_client(settings)
        self.timeout = settings.kubernetes_request_timeout
        self._calls = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self._server_version = ""

    @property
    def calls(self) -> int:
        """Requests sent so far (retries included)."""
        return self._calls

    @property
    def thread_calls(self) -> int:
        """Requests this thread has sent (for per-operation counts while other threads use the client too)."""
        return int(getattr(self._local, "calls", 0))

    def close(self) -> None:
        self.client.close()

    # --- raw requests ------------------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: object = None,
        content_type: str = "application/json",
    ) -> Any:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        request = self.client.param_serialize(
            method, path, query_params=query or [], header_params=headers, body=body, auth_settings=["BearerToken"]
        )
        with self._lock:
            self._calls += 1
        self._local.calls = self.thread_calls + 1
        response = self.client.call_api(*request, _request_timeout=self.timeout)
        response.read()
        data = response.data or b""
        if 200 <= response.status <= 299:
            return json.loads(data) if data else None
        try:
            status = json.loads(data)
            message, reason = str(status.get("message", "")), str(status.get("reason", ""))
        except ValueError:
            message, reason = data.decode(errors="replace")[:300], ""
        retry_after = response.headers.get("Retry-After") if response.headers else None
        raise ApiError(response.status, reason, message, float(retry_after) if retry_after else None)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API request with retries; 404 raises ``NotFound`` for the caller to treat as an answer."""
        what = f"{method} {path}"
        for attempt, delay in enumerate((*RETRY_DELAYS, None)):
            try:
                return self._send(method, path, **kwargs)
            except ApiError as exc:
                if exc.status == 404:
                    raise NotFound(what) from None
                if exc.status == 403 and "being terminated" in exc.message:
                    # Writing into a namespace that is still being deleted: it will be gone shortly.
                    raise TemporaryError(f"{what}: {exc.message}", delay=5) from None
                if exc.status not in RETRYABLE_STATUS or "failed to create typed patch object" in exc.message:
                    # (an apply that does not match the schema is answered 500, but is the caller's error)
                    raise PermanentError(f"Kubernetes refused {what}: {exc}") from None
                failure = f"Kubernetes {what}: {exc}"
                wait = exc.retry_after if exc.retry_after is not None else delay
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                failure = f"Kubernetes API not reachable ({what}): {type(exc).__name__}"
                wait = delay
            if delay is None:
                break
            log.info("kubernetes_request_retry", request=what, attempt=attempt + 1, reason=failure)
            time.sleep(min(wait if wait is not None else delay, 10.0))
        raise TemporaryError(failure, delay=5)

    # --- objects -----------------------------------------------------------------------------------
    def get(self, kind: str, namespace: str | None, name: str) -> Manifest | None:
        """The object, or None when it does not exist."""
        try:
            found: Manifest = self.request("GET", resource_path(kind, namespace, name))
            return found
        except NotFound:
            return None

    def list(self, kind: str, namespace: str | None, label_selector: str = "") -> list[Manifest]:
        query = [("labelSelector", label_selector)] if label_selector else []
        try:
            answer = self.request("GET", resource_path(kind, namespace), query=query)
        except NotFound:  # the namespace does not exist (yet)
            return []
        return list(answer.get("items") or [])

    def apply(self, manifest: Manifest) -> Manifest:
        """Server-side apply: create the object or bring the fields we own to these values (idempotent, so
        AlreadyExists cannot happen); conflicts with other managers are resolved in our favour (``force``)."""
        kind, metadata = manifest["kind"], manifest["metadata"]
        path = resource_path(kind, metadata.get("namespace"), metadata["name"])
        try:
            applied: Manifest = self.request(
                "PATCH",
                path,
                query=[("fieldManager", FIELD_MANAGER), ("force", "true")],
                body=manifest,
                content_type="application/apply-patch+yaml",
            )
        except NotFound:  # the namespace of a namespaced object is missing
            raise TemporaryError(f"apply {kind} {metadata['name']}: namespace missing", delay=2) from None
        return applied

    def delete(self, kind: str, namespace: str | None, name: str, *, propagation: str = "Background") -> bool:
        """Delete the object; False when it was already gone (the outcome we wanted)."""
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": propagation}
        try:
            self.request("DELETE", resource_path(kind, namespace, name), body=body)
        except NotFound:
            return False
        return True

    def server_version(self) -> str:
        """The API server's version (gitVersion), asked once; helm renders the chart for it."""
        if not self._server_version:
            answer = self.request("GET", "/version")
            self._server_version = str(answer["gitVersion"])
        return self._server_version


class NotFound(Exception):
    """404: the object (or its namespace) does not exist."""
