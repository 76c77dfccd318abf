"""What the charts render: probes, pod hygiene, secrets only by reference, hooks, NetworkPolicies, Ingress,
HPA/PDB and RBAC, for the defaults and every example values set."""

from __future__ import annotations

import importlib
import ipaddress
import re
from pathlib import Path

import pytest

from controlplane.config import Settings
from tenant_runtime.config import RuntimeSettings
from tests.charts.rendering import (
    CONTROLPLANE_CHART,
    RUNTIME_CHART,
    Helm,
    Rendered,
    container,
    env_of,
    labels_match,
    values_sets,
)

CI = {path.stem: path for chart in (RUNTIME_CHART, CONTROLPLANE_CHART) for path in values_sets(chart) if path}
ALL_CASES = [
    pytest.param(chart, values, id=f"{chart.name}-{values.stem if values else 'defaults'}")
    for chart in (RUNTIME_CHART, CONTROLPLANE_CHART)
    for values in values_sets(chart)
]
RUNTIME_CASES = [p for p in ALL_CASES if p.values[0] == RUNTIME_CHART]
SECRET_SETTINGS = {
    "ZGW_RUNTIME_REGISTRY_URL",
    "ZGW_RUNTIME_CELERY_BROKER_URL",
    "ZGW_RUNTIME_ADMIN_TOKEN",
    "ZGW_DATABASE_URL",
    "ZGW_SECRET_KEY",
    "ZGW_ENCRYPTION_KEY",
    "ZGW_CELERY_BROKER_URL",
    "ZGW_CELERY_RESULT_BACKEND",
    "ZGW_TENANT_DATABASE_SERVER_URL",
}


def _render(helm: Helm, chart: Path, values: Path | None) -> Rendered:
    return helm.template(chart, values)


def _settings_env_names(chart: Path) -> set[str]:
    runtime = {f"ZGW_RUNTIME_{name.upper()}" for name in RuntimeSettings.model_fields}
    if chart == RUNTIME_CHART:
        return runtime
    return {f"ZGW_{name.upper()}" for name in Settings.model_fields}


@pytest.mark.parametrize(("chart", "values"), ALL_CASES)
def test_every_pod_is_restricted_and_hardened(helm: Helm, chart: Path, values: Path | None) -> None:
    rendered = _render(helm, chart, values)
    templates = list(rendered.pod_templates())
    assert templates
    for workload, template in templates:
        spec = template["spec"]
        where = f"{workload['kind']} {workload['metadata']['name']}"
        assert spec["enableServiceLinks"] is False, where
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert "emptyDir" in volumes["tmp"], where
        if chart == RUNTIME_CHART or workload["metadata"]["labels"]["app.kubernetes.io/component"] in (
            "beat",
            "migrations",
        ):
            assert spec["automountServiceAccountToken"] is False, where
        for item in spec["containers"]:
            security = item["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["runAsNonRoot"] is True, where
            assert security["capabilities"] == {"drop": ["ALL"]}, where
            assert security["seccompProfile"] == {"type": "RuntimeDefault"}, where
            assert {"name": "tmp", "mountPath": "/tmp"} in item["volumeMounts"], where
            assert item["resources"]["requests"]["cpu"] and item["resources"]["requests"]["memory"], where
            assert item["resources"]["limits"]["memory"], where
            assert "privileged" not in security and "hostNetwork" not in spec, where


@pytest.mark.parametrize(("chart", "values"), ALL_CASES)
def test_api_probes_health_endpoints(helm: Helm, chart: Path, values: Path | None) -> None:
    api = _render(helm, chart, values).one("Deployment", "api")
    main = container(api)
    port = next(p for p in main["ports"] if p["name"] == "http")["containerPort"]
    assert port == (8001 if chart == RUNTIME_CHART else 8000)
    assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert main["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert main["command"][main["command"].index("--port") + 1] == str(port)
    # replicas spread over nodes (soft), selecting exactly the API's pods
    [spread] = api["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert spread["topologyKey"] == "kubernetes.io/hostname" and spread["whenUnsatisfiable"] == "ScheduleAnyway"
    assert spread["labelSelector"]["matchLabels"] == api["spec"]["selector"]["matchLabels"]


@pytest.mark.parametrize(("chart", "values"), ALL_CASES)
def test_commands_name_real_entry_points(helm: Helm, chart: Path, values: Path | None) -> None:
    rendered = _render(helm, chart, values)
    package = "tenant_runtime" if chart == RUNTIME_CHART else "controlplane"
    seen = set()
    for _, item in rendered.containers():
        command = item["command"]
        if command[0] == "uvicorn":
            module, attribute = command[command.index("--factory") + 1].split(":")
            assert module == f"{package}.main"
            assert callable(getattr(importlib.import_module(module), attribute))
        elif command[0] == "celery":
            module, attribute = command[command.index("-A") + 1].split(":")
            assert module == f"{package}.celery_app"
            app = getattr(importlib.import_module(module), attribute)
            assert app.main in ("zgwcloud", "zgw-runtime")
            if "beat" in command:
                # the root filesystem is read-only: the schedule must live on the /tmp emptyDir
                assert "--schedule=/tmp/celerybeat-schedule" in command
        else:
            assert command[0] == "zgwcloud"
        seen.add(command[0] if command[0] != "celery" else command[3])
    assert {"uvicorn", "zgwcloud"} <= seen
    if chart == CONTROLPLANE_CHART:
        assert {"worker", "beat"} <= seen


@pytest.mark.parametrize(("chart", "values"), ALL_CASES)
def test_environment_names_are_settings_and_secrets_come_from_secrets(
    helm: Helm, chart: Path, values: Path | None
) -> None:
    rendered = _render(helm, chart, values)
    known = _settings_env_names(chart)
    assert not rendered.of_kind("Secret"), "the charts never create Secrets: values carry no secrets"
    for workload, item in rendered.containers():
        for name, entry in env_of(item).items():
            assert name in known, f"{workload['metadata']['name']} sets {name}, which no setting reads"
            if name in SECRET_SETTINGS:
                assert "value" not in entry, f"{name} must come from a Secret"
                assert entry["valueFrom"]["secretKeyRef"]["name"]
    text = helm.template_text(chart, values)
    assert not re.search(r"(postgres(ql)?(\+psycopg)?|redis)://", text), "a connection URL was rendered"


def test_runtime_secret_references(helm: Helm) -> None:
    default = _render(helm, RUNTIME_CHART, None)
    env = env_of(container(default.one("Deployment", "api")))
    assert env["ZGW_RUNTIME_REGISTRY_URL"]["valueFrom"]["secretKeyRef"] == {
        "name": "zgw-zgw-tenant-runtime",
        "key": "ZGW_RUNTIME_REGISTRY_URL",
    }
    assert env["ZGW_RUNTIME_ADMIN_TOKEN"]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert env["ZGW_RUNTIME_METERING_TOKEN"]["valueFrom"]["secretKeyRef"]["optional"] is True
    assert "ZGW_RUNTIME_METERING_CONTROLPLANE_URL" not in env  # usage waits in the outboxes until configured
    shipping = helm.template(RUNTIME_CHART, sets=["config.meteringControlplaneUrl=http://zgw.zgw-system.svc"])
    env = env_of(container(shipping.one("Deployment", "api")))
    assert env["ZGW_RUNTIME_METERING_CONTROLPLANE_URL"]["value"] == "http://zgw.zgw-system.svc"
    assert "optional" not in env["ZGW_RUNTIME_CELERY_BROKER_URL"]["valueFrom"]["secretKeyRef"]
    dedicated = _render(helm, RUNTIME_CHART, CI["dedicated-values"])
    for _, item in dedicated.containers():
        refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in item["env"] if "valueFrom" in e}
        assert refs == {"utrecht-runtime"}
    without_worker = helm.template(RUNTIME_CHART, sets=["worker.enabled=false"])
    assert [d["metadata"]["name"] for d in without_worker.of_kind("Deployment")] == ["zgw-zgw-tenant-runtime"]
    assert "ZGW_RUNTIME_CELERY_BROKER_URL" not in env_of(container(without_worker.one("Deployment", "api")))


def test_dedicated_tier_pins_its_tenant(helm: Helm) -> None:
    rendered = _render(helm, RUNTIME_CHART, CI["dedicated-values"])
    for _, item in rendered.containers():
        env = env_of(item)
        assert env["ZGW_RUNTIME_PINNED_TENANT"]["value"] == "utrecht"
        assert env["ZGW_RUNTIME_PUBLIC_URL"]["value"] == "https://utrecht.zgw.example.nl"
        assert env["ZGW_RUNTIME_DELIVERY_BLOCK_PRIVATE_CALLBACKS"]["value"] == "false"
        assert env["ZGW_RUNTIME_EXTERNAL_API_ROOTS"]["value"] == '["https://selectielijst.openzaak.nl/api/v1/"]'
    job = rendered.one("Job", "migrations")
    assert container(job)["command"] == ["zgwcloud", "runtime", "migrate"]
    assert job["metadata"]["labels"]["zgw-cloud.nl/tenant"] == "utrecht"


def test_shared_tier_serves_a_pool(helm: Helm) -> None:
    rendered = _render(helm, RUNTIME_CHART, CI["shared-values"])
    for _, item in rendered.containers():
        env = env_of(item)
        assert "ZGW_RUNTIME_PINNED_TENANT" not in env
        assert "ZGW_RUNTIME_PUBLIC_URL" not in env, "shared tier: URLs follow each tenant's host"
        assert env["ZGW_RUNTIME_BASE_DOMAIN"]["value"] == "zgw.example.nl"
        assert env["ZGW_RUNTIME_DELIVERY_BLOCK_PRIVATE_CALLBACKS"]["value"] == "true"
    # a pool's migrations touch only the tenants that pool serves
    assert container(rendered.one("Job", "migrations"))["command"] == [
        "zgwcloud",
        "runtime",
        "migrate",
        "--pool",
        "shared-v1",
    ]
    assert rendered.one("Deployment", "api")["spec"]["replicas"] == 3
    assert rendered.one("Deployment", "worker")["spec"]["replicas"] == 2
    for manifest in rendered.manifests:
        assert manifest["metadata"]["labels"]["zgw-cloud.nl/pool"] == "shared-v1"


@pytest.mark.parametrize(("chart", "values"), ALL_CASES)
def test_migrations_run_as_a_pre_install_and_pre_upgrade_hook(helm: Helm, chart: Path, values: Path | None) -> None:
    rendered = _render(helm, chart, values)
    job = rendered.one("Job", "migrations")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert set(annotations["helm.sh/hook-delete-policy"].split(",")) == {"before-hook-creation", "hook-succeeded"}
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # the hook runs before the chart's own objects exist: it may only reference the operator's Secret
    assert "serviceAccountName" not in job["spec"]["template"]["spec"]
    assert "envFrom" not in container(job)
    # migrations never run at pod start
    for workload, item in rendered.containers():
        if workload["kind"] == "Deployment":
            assert "migrate" not in item["command"]
            assert "initContainers" not in workload["spec"]["template"]["spec"]
    assert "helm.sh/hook" not in rendered.one("Deployment", "api")["metadata"].get("annotations", {})


def test_migrations_hook_can_be_disabled(helm: Helm) -> None:
    assert not helm.template(RUNTIME_CHART, sets=["migrations.enabled=false"]).of_kind("Job")


NETWORK_POLICY_CASES = [
    *RUNTIME_CASES,
    pytest.param(CONTROLPLANE_CHART, CI["production-values"], id="zgw-controlplane-production-values"),
]


@pytest.mark.parametrize(("chart", "values"), NETWORK_POLICY_CASES)
def test_network_policies_deny_by_default(helm: Helm, chart: Path, values: Path | None) -> None:
    rendered = _render(helm, chart, values)
    prefix = rendered.one("Deployment", "api")["metadata"]["name"] + "-"
    policies = {p["metadata"]["name"].removeprefix(prefix): p for p in rendered.of_kind("NetworkPolicy")}
    assert set(policies) == {"default-deny", "allow-dns", "allow-ingress", "allow-egress"}
    deny = policies["default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny and "egress" not in deny
    # every pod of the release (API, workers, beat, migrations) is covered by the default deny
    for _, template in rendered.pod_templates():
        assert labels_match(deny["podSelector"]["matchLabels"], template["metadata"]["labels"])

    dns = policies["allow-dns"]["spec"]["egress"]
    assert {(p["protocol"], p["port"]) for p in dns[0]["ports"]} == {("UDP", 53), ("TCP", 53)}
    assert dns[0]["to"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "kube-system"}

    ingress = policies["allow-ingress"]["spec"]
    api_labels = rendered.one("Deployment", "api")["spec"]["template"]["metadata"]["labels"]
    worker_labels = rendered.one("Deployment", "worker")["spec"]["template"]["metadata"]["labels"]
    assert labels_match(ingress["podSelector"]["matchLabels"], api_labels)
    assert not labels_match(ingress["podSelector"]["matchLabels"], worker_labels), "workers accept no traffic"
    assert ingress["ingress"][0]["ports"] == [{"protocol": "TCP", "port": "http"}]
    sources = ingress["ingress"][0]["from"]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}} in sources
    assert all(not peer.get("ipBlock") for peer in sources)

    egress = policies["allow-egress"]["spec"]["egress"]
    ports = {port["port"] for rule in egress for port in rule["ports"]}
    assert {5432, 443} <= ports
    assert 80 not in ports and 22 not in ports
    for rule in egress:
        assert rule["to"], "an egress rule without destinations would allow everything"
        assert rule["ports"], "an egress rule without ports would allow every port"


def test_network_policy_destinations_are_configurable(helm: Helm) -> None:
    rendered = _render(helm, RUNTIME_CHART, CI["dedicated-values"])
    egress = next(p for p in rendered.of_kind("NetworkPolicy") if p["metadata"]["name"].endswith("allow-egress"))
    rules = {tuple(port["port"] for port in rule["ports"]): rule["to"] for rule in egress["spec"]["egress"]}
    assert rules[(5432,)] == [{"ipBlock": {"cidr": "10.20.0.0/16"}}]
    assert rules[(6379,)] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "zgw-redis"}}}]
    assert rules[(9000,)] == [{"ipBlock": {"cidr": "10.30.0.10/32"}}]
    callbacks = rules[(443,)][0]["ipBlock"]
    assert callbacks["cidr"] == "0.0.0.0/0"
    assert all(ipaddress.ip_network(block).is_private for block in callbacks["except"])
    # the shared example admits the control plane as well as the ingress controller
    shared = _render(helm, RUNTIME_CHART, CI["shared-values"])
    allow = next(p for p in shared.of_kind("NetworkPolicy") if p["metadata"]["name"].endswith("allow-ingress"))
    assert len(allow["spec"]["ingress"][0]["from"]) == 2
    # default: S3 is not reachable until configured
    default = _render(helm, RUNTIME_CHART, None)
    egress = next(p for p in default.of_kind("NetworkPolicy") if p["metadata"]["name"].endswith("allow-egress"))
    assert 9000 not in {port["port"] for rule in egress["spec"]["egress"] for port in rule["ports"]}
    assert not helm.template(RUNTIME_CHART, sets=["networkPolicy.enabled=false"]).of_kind("NetworkPolicy")
    # the control plane's policies need the API server's address: off until configured
    assert not _render(helm, CONTROLPLANE_CHART, None).of_kind("NetworkPolicy")
    cp = _render(helm, CONTROLPLANE_CHART, CI["production-values"])
    egress = next(p for p in cp.of_kind("NetworkPolicy") if p["metadata"]["name"].endswith("allow-egress"))
    rules = {tuple(port["port"] for port in rule["ports"]): rule["to"] for rule in egress["spec"]["egress"]}
    assert rules[(443, 6443)] == [{"ipBlock": {"cidr": "10.96.0.1/32"}}, {"ipBlock": {"cidr": "192.168.10.0/28"}}]
    # dedicated runtimes (their namespaces carry the driver's tier label) may reach the API to ship usage
    allow = next(p for p in cp.of_kind("NetworkPolicy") if p["metadata"]["name"].endswith("allow-ingress"))
    tenants = {"namespaceSelector": {"matchLabels": {"zgw-cloud.nl/tier": "dedicated"}}}
    assert tenants in allow["spec"]["ingress"][0]["from"]
    # ... and a runtime's egress to the control plane is a destination of its own, by the API's port name
    named = helm.template(
        RUNTIME_CHART,
        sets=[
            "networkPolicy.egress.controlplane.ports[0]=http",
            "networkPolicy.egress.controlplane.cidrs[0]=10.1.0.0/16",
        ],
    )
    egress = next(p for p in named.of_kind("NetworkPolicy") if p["metadata"]["name"].endswith("allow-egress"))
    assert {"to": [{"ipBlock": {"cidr": "10.1.0.0/16"}}], "ports": [{"protocol": "TCP", "port": "http"}]} in egress[
        "spec"
    ]["egress"]


def test_ingress_host_per_tenant_with_tls(helm: Helm) -> None:
    dedicated = _render(helm, RUNTIME_CHART, CI["dedicated-values"]).one("Ingress")
    assert dedicated["spec"]["ingressClassName"] == "nginx"
    assert dedicated["spec"]["tls"] == [{"hosts": ["utrecht.zgw.example.nl"], "secretName": "utrecht-zgw-tls"}]
    [rule] = dedicated["spec"]["rules"]
    assert rule["host"] == "utrecht.zgw.example.nl"
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "zgw-zgw-tenant-runtime", "port": {"name": "http"}}
    assert dedicated["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt"}

    shared = _render(helm, RUNTIME_CHART, CI["shared-values"]).one("Ingress")
    assert [r["host"] for r in shared["spec"]["rules"]] == ["utrecht.zgw.example.nl", "zeist.zgw.example.nl"]
    assert [t["secretName"] for t in shared["spec"]["tls"]] == ["utrecht-zgw-tls", "zeist-zgw-tls"]
    assert not _render(helm, RUNTIME_CHART, None).of_kind("Ingress")

    service = _render(helm, RUNTIME_CHART, None).one("Service")
    api = _render(helm, RUNTIME_CHART, None).one("Deployment", "api")
    assert labels_match(service["spec"]["selector"], api["spec"]["template"]["metadata"]["labels"])
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_hpa_and_pdb_are_off_by_default_and_sane_when_on(helm: Helm) -> None:
    default = _render(helm, RUNTIME_CHART, None)
    assert not default.of_kind("HorizontalPodAutoscaler") and not default.of_kind("PodDisruptionBudget")
    assert default.one("Deployment", "api")["spec"]["replicas"] == 2

    rendered = _render(helm, RUNTIME_CHART, CI["autoscaling-values"])
    api = rendered.one("Deployment", "api")
    assert "replicas" not in api["spec"], "the HPA owns the replica count"
    hpa = rendered.one("HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": api["metadata"]["name"]}
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 12)
    assert {m["resource"]["name"] for m in hpa["metrics"]} == {"cpu", "memory"}
    pdb = rendered.one("PodDisruptionBudget")["spec"]
    assert pdb["maxUnavailable"] == 1 and "minAvailable" not in pdb
    assert labels_match(pdb["selector"]["matchLabels"], api["spec"]["template"]["metadata"]["labels"])
    worker = rendered.one("Deployment", "worker")["spec"]["template"]["metadata"]["labels"]
    assert not labels_match(pdb["selector"]["matchLabels"], worker)
    # the API rolls without losing capacity; beat never runs twice
    assert api["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    beat = rendered.one("Deployment", "beat")["spec"]
    assert beat["replicas"] == 1 and beat["strategy"] == {"type": "Recreate"}


def test_controlplane_rbac_is_limited_to_the_driver(helm: Helm) -> None:
    rendered = _render(helm, CONTROLPLANE_CHART, None)
    role = rendered.one("ClusterRole")
    granted: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        assert "*" not in rule["apiGroups"] + rule["resources"] + rule["verbs"], rule
        assert "resourceNames" not in rule and "nonResourceURLs" not in rule
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted.setdefault((group, resource), set()).update(rule["verbs"])
    assert set(granted) == {
        ("", "namespaces"),
        ("", "resourcequotas"),
        ("", "limitranges"),
        ("", "secrets"),
        ("", "configmaps"),
        ("", "services"),
        ("apps", "deployments"),
        ("batch", "jobs"),
        ("networking.k8s.io", "networkpolicies"),
        ("networking.k8s.io", "ingresses"),
        ("policy", "poddisruptionbudgets"),
        ("autoscaling", "horizontalpodautoscalers"),
    }
    # server-side apply (create + patch), reads, listing the release's objects, pruning; never update or watch
    allowed = {"get", "list", "create", "patch", "delete"}
    assert all(verbs <= allowed for verbs in granted.values())
    assert {"list", "watch", "delete"}.isdisjoint(granted[("", "secrets")]), "the driver reads its Secret by name"
    assert granted[("", "namespaces")] == {"get", "create", "patch", "delete"}
    binding = rendered.one("ClusterRoleBinding")
    account = rendered.one("ServiceAccount")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": role["metadata"]["name"],
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": "zgw"}]
    assert account["automountServiceAccountToken"] is False
    # only the processes that drive the Kubernetes API get a token
    for component, token in (("api", True), ("worker", True), ("beat", False), ("migrations", False)):
        kind = "Job" if component == "migrations" else "Deployment"
        spec = rendered.one(kind, component)["spec"]["template"]["spec"]
        assert spec["automountServiceAccountToken"] is token, component
        assert (spec.get("serviceAccountName") == account["metadata"]["name"]) is token, component


def test_controlplane_settings_and_ingress(helm: Helm) -> None:
    rendered = _render(helm, CONTROLPLANE_CHART, CI["production-values"])
    for _, item in rendered.containers():
        env = env_of(item)
        assert env["ZGW_ENVIRONMENT"]["value"] == "production"
        assert env["ZGW_DRIVER"]["value"] == "kubernetes"
        assert env["ZGW_PUBLIC_URL"]["value"] == "https://beheer.zgw.example.nl"
        assert env["ZGW_RUNTIME_PUBLIC_URL"]["value"] == "https://zgw.example.nl"
        assert env["ZGW_KUBERNETES_CONTROLPLANE_URL"]["value"].endswith(".svc:80")  # its own Service by default
        for name in ("ZGW_DATABASE_URL", "ZGW_SECRET_KEY", "ZGW_ENCRYPTION_KEY", "ZGW_CELERY_BROKER_URL"):
            assert env[name]["valueFrom"]["secretKeyRef"] == {"name": "zgw-controlplane-secrets", "key": name}
    ingress = rendered.one("Ingress")["spec"]
    assert ingress["tls"] == [{"hosts": ["beheer.zgw.example.nl"], "secretName": "beheer-zgw-tls"}]
    assert ingress["rules"][0]["host"] == "beheer.zgw.example.nl"
    assert rendered.one("PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    assert container(rendered.one("Job", "migrations"))["command"] == ["zgwcloud", "migrate"]
