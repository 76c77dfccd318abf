from controlplane.models import metadata
from tenant_runtime.db.migrate import run_env

run_env(metadata)
