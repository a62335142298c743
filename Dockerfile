# opengroups in a container: `docker build -t opengroups .` (docs/operations.md).
# The service listens on 8080 and keeps its files (the SQLite database unless
# OPENGROUPS_DATABASE_URL names another, the generated secret key) in the /data volume.

FROM python:3.11-slim AS build
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
# Wheels of the package and of every dependency: the final stage installs from them alone.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OPENGROUPS_DATA_DIR=/data \
    OPENGROUPS_PORT=8080
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels /wheels/opengroups-*.whl \
    && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home opengroups \
    && mkdir /data \
    && chown opengroups:opengroups /data
# Numeric, so that a runtime can tell it is not root (Kubernetes' runAsNonRoot).
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('OPENGROUPS_PORT', '8080') + '/health', timeout=4)"]
CMD ["opengroups", "serve", "--host", "0.0.0.0"]
