from tenant_runtime.db.migrate import run_env
from tenant_runtime.registry.models import RegistryBase

run_env(RegistryBase.metadata)
