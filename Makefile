# Two commands for a newcomer: `make run` and `make test`. Both set themselves up, idempotently.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8050
ATLAS ?= atlas
WORKERS ?= 2
# Two locks: requirements.lock is the runtime (what the Docker image serves with), requirements-dev.lock adds
# the dev extra (tests, linters, browser driver) with the runtime's pins as constraints, so both agree.
# The setup stamp changes whenever either lock or the project metadata changes.
LOCKS := requirements.lock requirements-dev.lock
LOCK_HASH := $(shell cat $(LOCKS) pyproject.toml | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(LOCK_HASH)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup browser redis postgis axe plotly-bundle gpkg-validator atlas run serve test docs lint unit bench lock lock-gpkg clean
.PHONY: nginx

setup: $(STAMP)

$(STAMP): $(LOCKS) pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(VENV)/bin/uv || $(VENV)/bin/pip install -q "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip install -q --python $(PY) -r requirements.lock -r requirements-dev.lock
	$(VENV)/bin/uv pip install -q --python $(PY) --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

# Debian's Chromium for the browser tests and PNG export; installed only when missing.
# DejaVu is the font the map-label glyphs are generated from (a test regenerates one range).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
	  echo "Chromium installeren / installing Chromium (Debian packages chromium, chromium-driver, fonts-dejavu-core)"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver fonts-dejavu-core; \
	fi

# nginx for the several-hosts tests (tests/test_two_hosts.py, tests/test_browser_proxy.py): the reverse proxy
# of deploy/nginx.conf in front of two gunicorn hosts. Debian's nginx-light, installed only when missing.
nginx:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  echo "nginx installeren / installing nginx (Debian package nginx-light)"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light; \
	fi

# Debian's redis-server for the tests of the shared store (BUURTDEKKING_REDIS): tests/engines_redis.py starts a
# throw-away server of its own; installed only when missing.
redis:
	@if ! command -v redis-server >/dev/null; then \
	  echo "Redis installeren / installing Redis (Debian package redis-server)"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server; \
	fi

# PostgreSQL 15 with PostGIS for the PostGIS atlas store tests (tests/engines_pg.py starts a throw-away server
# from /usr/lib/postgresql/15/bin); installed only when missing.
PG_BIN := /usr/lib/postgresql/15/bin
postgis:
	@if [ ! -x $(PG_BIN)/initdb ] || [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then \
	  echo "PostGIS installeren / installing PostGIS (Debian package postgresql-15-postgis-3)"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15-postgis-3; \
	fi

# axe-core for the accessibility checks in the browser tests: pinned, from the npm registry, checked against
# its sha256; the tests inject this local file (never a CDN). npm comes from Debian when missing.
AXE_VERSION := 4.10.3
AXE_SHA256 := 880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb
AXE_JS := .cache/npm/axe.min.js
axe: $(AXE_JS)

$(AXE_JS):
	@command -v npm >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm; }
	@mkdir -p $(@D)/axe-$(AXE_VERSION)
	cd $(@D)/axe-$(AXE_VERSION) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar -xzf axe-core-$(AXE_VERSION).tgz package/axe.min.js
	echo "$(AXE_SHA256)  $(@D)/axe-$(AXE_VERSION)/package/axe.min.js" | sha256sum -c --quiet
	mv $(@D)/axe-$(AXE_VERSION)/package/axe.min.js $@ && rm -rf $(@D)/axe-$(AXE_VERSION)

# plotly.js with only the trace types the app draws (assets/vendor/plotly-buurtdekking.min.js, committed, so a
# fresh clone needs no npm): a quarter of the full bundle's start-up time. Rebuild after upgrading plotly
# (tests/test_first_load.py says when) from the npm packages pinned in dashboard/plotlyjs/package-lock.json.
PLOTLY_BUILD := .cache/plotlyjs
plotly-bundle:
	@command -v npm >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm; }
	@rm -rf $(PLOTLY_BUILD) && mkdir -p $(PLOTLY_BUILD)
	cp dashboard/plotlyjs/package.json dashboard/plotlyjs/package-lock.json dashboard/plotlyjs/entry.js dashboard/plotlyjs/regenerator.js dashboard/plotlyjs/build.mjs $(PLOTLY_BUILD)/
	cd $(PLOTLY_BUILD) && npm ci --ignore-scripts --no-audit --no-fund --silent
	cd $(PLOTLY_BUILD) && node build.mjs $(CURDIR)/assets/vendor

# PDOK's geopackage-validator for the export tests, in its own environment: its GDAL binding must match the
# system libgdal, so it is Debian's python3-gdal (seen through --system-site-packages) and everything else is
# hash-locked in tests/requirements-gpkg-validator.lock. Debian packages are installed only when missing.
GPKG_VENV ?= .venv-gpkg
GPKG_LOCK := tests/requirements-gpkg-validator.lock
GPKG_STAMP := $(GPKG_VENV)/.installed-$(shell sha256sum $(GPKG_LOCK) | cut -c1-16)
gpkg-validator: $(GPKG_STAMP)

$(GPKG_STAMP): $(GPKG_LOCK)
	@if ! /usr/bin/python3 -c "import osgeo.gdal, ensurepip" 2>/dev/null; then \
	  echo "GDAL installeren / installing GDAL (Debian packages gdal-bin, python3-gdal, python3-venv)"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q gdal-bin python3-gdal python3-venv; \
	fi
	@rm -rf $(GPKG_VENV)
	/usr/bin/python3 -m venv --system-site-packages $(GPKG_VENV)
	$(GPKG_VENV)/bin/pip install -q --no-deps --require-hashes -r $(GPKG_LOCK)
	$(GPKG_VENV)/bin/geopackage-validator show-validations >/dev/null
	@touch $@

atlas: setup
	$(VENV)/bin/buurtdekking build --out $(ATLAS)

# Production serving (gunicorn, compressed responses) of the freshly built atlas; --timeout leaves room for a
# first PDF/PNG export, which starts a headless Chromium. Threads: while a worker renders a page (the map page
# is streamed as it renders) or an export, its other threads keep serving the static files.
run: atlas
	@echo "buurtdekking: http://$(HOST):$(PORT)"
	BUURTDEKKING_ATLAS=$(ATLAS) $(VENV)/bin/gunicorn --workers $(WORKERS) --threads 4 --timeout 120 --bind $(HOST):$(PORT) \
	  --access-logfile - dashboard.wsgi:server

serve: setup
	$(VENV)/bin/buurtdekking serve --atlas $(ATLAS) --host $(HOST) --port $(PORT)

# deptry twice: the runtime code against [project] dependencies ([tool.deptry] in pyproject.toml), then
# tests/ and bench/ with the dev extra allowed and without the unused-dependency rule.
DEPTRY_DEV := tests bench --exclude '\.venv' --ignore DEP002,DEP004
# docs/ATLAS.md is generated from the atlas schema (etl/atlas_schema.py), docs/CONFIGURATION.md from the settings
# tables (etl/settings.py, dashboard/settings.py); a test fails when either is stale.
docs: setup
	$(PY) -m etl.atlas_docs > docs/ATLAS.md
	$(PY) -m dashboard.settings_docs > docs/CONFIGURATION.md

lint: setup
	$(VENV)/bin/ruff check geodata etl views reports dashboard cli tests bench
	$(VENV)/bin/ruff format --check geodata etl views reports dashboard cli tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/deptry .
	$(VENV)/bin/deptry $(DEPTRY_DEV)
	$(VENV)/bin/lint-imports

unit: setup
	$(VENV)/bin/pytest -m "not browser"

test: setup browser redis postgis axe gpkg-validator nginx lint
	$(VENV)/bin/pytest

bench: setup browser
	$(VENV)/bin/python -m bench

# Re-resolve both locks after changing pyproject.toml; the pins already in them are kept where they still fit.
lock:
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev -c requirements.lock --python-version 3.11 --generate-hashes -q \
	  -o requirements-dev.lock

lock-gpkg:
	$(VENV)/bin/uv pip compile tests/requirements-gpkg-validator.in --override tests/requirements-gpkg-validator.override \
	  --python-version 3.11 --generate-hashes -q -o $(GPKG_LOCK)

clean:
	rm -rf $(VENV) $(GPKG_VENV) $(ATLAS) .pytest_cache .mypy_cache .ruff_cache
