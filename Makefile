# bareosnet — everything goes through .venv, built from a Python >= 3.13 found by .ci/find-python.
PY := $(shell .ci/find-python)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test test-fast run lint bench check-configs clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PY)" || { echo "no Python >= 3.13 found" >&2; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,lint]'
	touch $(STAMP)

# The whole suite (what CI runs).
test: venv
	$(BIN)/python -m pytest -q

test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow"

# The lab: the three emulators on configs/, a console session against them, then stop.
run: venv
	$(BIN)/python -m daemons.lab

lint: venv
	$(BIN)/ruff check bareosnet daemons tests bench
	$(BIN)/mypy bareosnet daemons

bench: venv
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f; done

check-configs: venv
	$(BIN)/bareos-dir-emu -t -c configs/dir
	$(BIN)/bareos-sd-emu -t -c configs/sd
	$(BIN)/bareos-fd-emu -t -c configs/fd

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
