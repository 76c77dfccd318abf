# Shortcuts for the scripts in scripts/ (the README's two commands work without make as well).
.PHONY: run test lint bench clean

run:
	scripts/run.sh

test:
	scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy controlplane tenant_runtime

bench:
	.venv/bin/python -m bench

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
