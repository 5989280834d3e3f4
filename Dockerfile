# The connector image, as the Airbyte platform runs it: `docker run --rm -i <image> spec|check|discover|read ...`.
#
#   docker build -t airbyte/source-cloudwatch-logs:dev .
#   docker build --build-arg BASE_IMAGE=local/python-base:3.11 -t airbyte/source-cloudwatch-logs:dev .   (offline)
#
# BASE_IMAGE defaults to Airbyte's Python connector base image, pinned by digest; metadata.yaml's
# connectorBuildOptions.baseImage names the same one (unit_tests/test_metadata.py keeps them equal). Any image
# with python3.11 (and its venv module) on PATH works as a base.
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73

# ---------------------------------------------------------------------------------------------------------------------
# Build stage: resolve nothing, install exactly what uv.lock pins into a virtual environment.
FROM ${BASE_IMAGE} AS build
ARG UV_VERSION=0.13.9
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_NO_CACHE=1
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --quiet "uv==${UV_VERSION}"

WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
# The runtime dependencies, with their hashes, exactly as locked (no dev group, not the project itself).
RUN /opt/uv/bin/uv export --frozen --no-dev --no-emit-project --format requirements-txt -o /tmp/requirements.txt \
 && python3 -m venv /opt/connector \
 && /opt/connector/bin/pip install --quiet --require-hashes --no-deps -r /tmp/requirements.txt

COPY source_cloudwatch_logs ./source_cloudwatch_logs
RUN /opt/uv/bin/uv build --wheel --out-dir /tmp/dist \
 && /opt/connector/bin/pip install --quiet --no-deps /tmp/dist/*.whl \
 && /opt/connector/bin/pip uninstall --quiet --yes pip \
 && find /opt/connector -name __pycache__ -prune -exec rm -rf {} + \
 && /opt/connector/bin/python -m compileall -q /opt/connector/lib

# ---------------------------------------------------------------------------------------------------------------------
# Final stage: the base image plus the virtual environment; no uv, pip caches, wheels or sources.
FROM ${BASE_IMAGE}
COPY --from=build /opt/connector /opt/connector

# Airbyte's base image has the user `airbyte` (uid 1000); other bases get one.
RUN id -u airbyte >/dev/null 2>&1 || useradd --uid 1000 --user-group --create-home --shell /usr/sbin/nologin airbyte \
 && mkdir -p /airbyte/integration_code \
 && chown airbyte /airbyte /airbyte/integration_code

ENV PATH="/opt/connector/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    AIRBYTE_ENTRYPOINT="source-cloudwatch-logs"
WORKDIR /airbyte/integration_code
USER airbyte

LABEL io.airbyte.name="airbyte/source-cloudwatch-logs" \
      io.airbyte.version="0.2.0" \
      org.opencontainers.image.title="source-cloudwatch-logs" \
      org.opencontainers.image.description="Airbyte source connector for AWS CloudWatch Logs" \
      org.opencontainers.image.licenses="MIT"

ENTRYPOINT ["source-cloudwatch-logs"]
