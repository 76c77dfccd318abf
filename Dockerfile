# One image for every zgw-cloud process; the command picks the role (see docker-compose.yml).
# helm renders the tenant runtime chart for the Kubernetes driver (`helm template` only); built from the Go module
# proxy, whose checksum database verifies the source, as scripts/build-test-binaries.sh does.
FROM golang:1.25-bookworm AS helm
ARG HELM_VERSION=v3.19.5
RUN CGO_ENABLED=0 GOBIN=/out go install helm.sh/helm/v3/cmd/helm@${HELM_VERSION}

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY controlplane ./controlplane
COPY tenant_runtime ./tenant_runtime
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ZGW_ENVIRONMENT=production ZGW_LOG_JSON=true \
    ZGW_RUNTIME_ENVIRONMENT=production ZGW_RUNTIME_LOG_JSON=true
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin zgw
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY --from=helm /out/helm /usr/local/bin/helm
# The runtime chart the Kubernetes driver renders for dedicated tenants (ZGW_KUBERNETES_CHART_PATH).
COPY charts /opt/zgw-cloud/charts
ENV ZGW_KUBERNETES_CHART_PATH=/opt/zgw-cloud/charts/zgw-tenant-runtime
USER 10001
WORKDIR /home/zgw
EXPOSE 8000 8001
CMD ["uvicorn", "--factory", "tenant_runtime.main:app_from_env", "--host", "0.0.0.0", "--port", "8001", "--no-proxy-headers"]
