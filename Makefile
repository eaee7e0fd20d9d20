# madoguchi — every target installs what it needs on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed

.PHONY: demo demo-national test lint bench soak sysdeps clean

# sysdeps first: building pyscard needs Debian's swig and libpcsclite-dev
$(STAMP): pyproject.toml uv.lock
	@bash scripts/sysdeps.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/pip install -q "uv==$(UV_VERSION)"
	UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --inexact --python $(BIN)/python -q
	@touch $@

sysdeps:
	@bash scripts/sysdeps.sh

demo: $(STAMP) sysdeps
	@bash scripts/demo.sh

demo-national: $(STAMP) sysdeps
	@bash scripts/demo_national.sh

test: $(STAMP) sysdeps
	$(BIN)/pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/madoguchi/rules src/madoguchi/pki src/madoguchi/services src/madoguchi/store
	$(BIN)/lint-imports

soak: $(STAMP) sysdeps
	MADOGUCHI_SOAK_SECONDS=$${MADOGUCHI_SOAK_SECONDS:-180} $(BIN)/pytest -q -s tests/soak

bench: $(STAMP)
	@bash scripts/sysdeps.sh bench
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
