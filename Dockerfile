# syntax=docker/dockerfile:1.7
# Multi-stage build: dependencies → tests (must pass) → slim runtime serving the atlas with gunicorn.
# Build with the data directory as a named context (it is never copied into the repository):
#   docker build --build-context data=../shared/data -t buurtdekking .

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------- runtime dependencies
FROM ${PYTHON_IMAGE} AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 VIRTUAL_ENV=/opt/venv
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir "uv==0.13.9"
WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
# Runtime packages only: the runtime image copies this environment. The dev lock pins the same versions
# (with the same hashes) for every package in it, so the tests below run against exactly these.
RUN /opt/venv/bin/uv pip install --python /opt/venv/bin/python --no-cache -r requirements.lock

# ---------------------------------------------------------------- tests (the image only builds when they pass)
FROM deps AS test
# Chromium for the browser tests and PNG export; make for the project's own targets; DejaVu for the test
# that regenerates the committed map label glyphs (views/glyphs.py) and compares them byte for byte;
# GDAL's Python binding for PDOK's geopackage-validator, which checks the GeoPackage export (.venv-gpkg).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver make fonts-dejavu-core \
    gdal-bin python3-gdal python3-venv \
 && rm -rf /var/lib/apt/lists/*
COPY . /app
COPY --from=data . /data
ENV BUURTDEKKING_DATA=/data
# The dev extra (pytest, playwright, ruff, mypy, deptry …) goes into this stage's copy of the environment only.
RUN /opt/venv/bin/uv pip install --python /opt/venv/bin/python --no-cache -r requirements.lock -r requirements-dev.lock \
 && /opt/venv/bin/uv pip install --python /opt/venv/bin/python --no-deps -e . \
 && /opt/venv/bin/ruff check geodata etl views reports dashboard cli tests bench \
 && /opt/venv/bin/mypy \
 && /opt/venv/bin/lint-imports \
 && make gpkg-validator \
 && /opt/venv/bin/pytest -q \
 && /opt/venv/bin/buurtdekking build --out /app/atlas --quiet \
 && touch /app/.tests-passed

# ---------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /app buurtdekking
ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 \
    BUURTDEKKING_ATLAS=/app/atlas
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY --chown=buurtdekking pyproject.toml README.md ./
COPY --chown=buurtdekking geodata ./geodata
COPY --chown=buurtdekking etl ./etl
COPY --chown=buurtdekking views ./views
COPY --chown=buurtdekking reports ./reports
COPY --chown=buurtdekking dashboard ./dashboard
COPY --chown=buurtdekking cli ./cli
COPY --chown=buurtdekking assets ./assets
# Editable, so the package finds /app/assets (the Dash assets folder lives beside the packages).
RUN /opt/venv/bin/uv pip install --python /opt/venv/bin/python --no-deps --no-cache -e . \
 && rm -f /opt/venv/bin/uv
# The atlas built (and tested) in the test stage; the marker file makes this stage depend on the tests.
COPY --from=test --chown=buurtdekking /app/.tests-passed /app/.tests-passed
COPY --from=test --chown=buurtdekking /app/atlas /app/atlas
USER buurtdekking
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8050/', timeout=4)"
# --timeout: a first PDF/PNG export starts a headless Chromium; gunicorn's default 30 s is too tight on a busy machine.
CMD ["gunicorn", "--workers", "2", "--threads", "4", "--timeout", "120", "--bind", "0.0.0.0:8050", "--access-logfile", "-", "dashboard.wsgi:server"]
