# syntax=docker/dockerfile:1
# One Dockerfile for every service; the build argument SERVICE (a directory under services/)
# picks which one, PORT is its fixed port:
#
#   docker build --build-arg SERVICE=audit-service --build-arg PORT=8001 -t qa/audit-service .
#
# The build stage installs the locked third-party dependencies first (a layer that changes only
# with uv.lock), then the shared library and that one service. The final image holds Python and
# that virtualenv only: no uv, no compiler, no source of the other services, and it runs as an
# unprivileged user. Migrations are not run at start: `python -m qaf_shared.migrations <package>`
# runs them as a separate job (docker-compose.yml, deploy/k8s/).

FROM ghcr.io/astral-sh/uv:0.9.5 AS uv

FROM python:3.11-slim-bookworm AS build
ARG SERVICE
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# 1. Third-party dependencies of this service only, straight from the lock.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    if [ -z "${SERVICE}" ]; then echo "--build-arg SERVICE=<directory under services/>" >&2; exit 1; fi \
    && uv sync --frozen --no-dev --no-install-workspace --package "${SERVICE}"
# 2. The shared library and this service, as the workspace lays them out: qaf_shared finds
#    deploy/topics.yaml relative to its own source, so the sources stay under /app.
COPY pyproject.toml uv.lock ./
COPY deploy/topics.yaml deploy/topics.yaml
COPY shared shared
COPY services/${SERVICE} services/${SERVICE}
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package "${SERVICE}" \
    && python -m compileall -q shared/src "services/${SERVICE}/src"

FROM python:3.11-slim-bookworm AS runtime
ARG SERVICE
ARG PORT=8000
LABEL org.opencontainers.image.title="${SERVICE}" \
      org.opencontainers.image.description="QA Framework ${SERVICE}" \
      org.opencontainers.image.source="services/${SERVICE}"
# reporting-service makes the Deep Dive pack's PDF with WeasyPrint, which loads Pango and
# HarfBuzz's subsetter from the system, in the DejaVu fonts the pack is drawn in: the RUNTIME
# packages of deploy/local/debian-packages.sh (tests/test_dockerfile.py keeps the two lists
# the same). No other service needs them. Unpinned: Debian's security updates of these
# libraries are wanted, and a pinned version leaves the mirror when one comes.
# hadolint ignore=DL3008
RUN if [ "${SERVICE}" = "reporting-service" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends \
           libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
        && rm -rf /var/lib/apt/lists/*; \
    fi
RUN groupadd --system --gid 10001 qa \
    && useradd --system --uid 10001 --gid qa --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin qa
# Owned by root and not writable by the service's user: the code cannot change under it.
COPY --from=build /app /app
COPY --chmod=0755 deploy/docker/entrypoint.sh /usr/local/bin/qa-entrypoint
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    APP_SERVICE=${SERVICE} \
    APP_PORT=${PORT}
WORKDIR /app
USER 10001:10001
EXPOSE ${PORT}
# The process answers; readiness (database and Kafka) is /readyz, which orchestrators probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['APP_PORT'] + '/healthz', timeout=2)"]
ENTRYPOINT ["qa-entrypoint"]
# `serve` is `uvicorn --factory <package>.main:create_app --host 0.0.0.0 --port <PORT>`.
CMD ["serve"]
