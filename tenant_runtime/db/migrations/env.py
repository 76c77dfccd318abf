from tenant_runtime.db.migrate import run_env
from tenant_runtime.db.models import load_all_models

run_env(load_all_models())
