"""The document content storage of a tenant as the runtime sees it (``ZGW_RUNTIME_STORAGE_*``), so backups
read and restores write the very objects the Documenten API serves."""

from __future__ import annotations

import threading

from controlplane.config import Settings
from tenant_runtime.config import RuntimeSettings
from tenant_runtime.storage import ContentStorage, storage_for

_lock = threading.Lock()
# One RuntimeSettings per control-plane settings object (the runtime's S3 clients are cached per settings).
_runtime_settings: dict[int, tuple[Settings, RuntimeSettings]] = {}


def runtime_settings(settings: Settings) -> RuntimeSettings:
    """The runtime's settings from the environment, with the data dir and registry the control plane uses."""
    with _lock:
        cached = _runtime_settings.get(id(settings))
        if cached is not None:
            return cached[1]
        values = RuntimeSettings(data_dir=settings.runtime_data_dir, registry_url=settings.runtime_registry_url)
        _runtime_settings[id(settings)] = (settings, values)
        return values


def content_storage(settings: Settings, slug: str) -> ContentStorage:
    return storage_for(runtime_settings(settings), slug)
