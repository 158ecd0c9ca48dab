# The habits of this repository. Every target installs the environment first when needed.
PY      := .venv/bin/python
STAMP   := .venv/.installed
PYTEST_ARGS ?=

.PHONY: install fmt lint typecheck arch test up bench check clean

$(STAMP): requirements.lock pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

fmt: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

lint: $(STAMP)
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

typecheck: $(STAMP)
	$(PY) -m mypy contracts bus journal objects services gateway support tests bench

arch: $(STAMP)
	.venv/bin/lint-imports

test: $(STAMP)
	.venv/bin/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

up: $(STAMP)
	.venv/bin/eco2 up

bench: $(STAMP)
	$(PY) -m bench.bus
	$(PY) -m bench.journal
	$(PY) -m bench.gateway run
	$(PY) -m bench.scan_load run
	$(PY) -m bench.places

check: lint typecheck arch test

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache
