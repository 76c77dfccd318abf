"""Fixtures of the Helm chart tests: the helm binary, isolated from the user's helm configuration."""

from __future__ import annotations

import pytest

from tests.charts.rendering import Helm


@pytest.fixture(scope="session")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    return Helm.find(tmp_path_factory.mktemp("helm-home"))
