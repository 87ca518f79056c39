# Every target sets up .venv itself, so each works as the first command on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
PERSONS_DB ?= persons.db
SERVE_ARGS ?=

.PHONY: generate check lint types drift test corpus golden serve fuzz bench mutate clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required (PYTHON=$(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

generate: $(STAMP)
	$(BIN)/python -m generator generate

# What CI runs: lint, types, drift, tests.
check: lint types drift test

lint: $(STAMP)
	$(BIN)/ruff check generator tests examples bench templates
	$(BIN)/black --check -q generator tests examples bench templates

types: $(STAMP)
	$(BIN)/mypy --strict generator examples

drift: $(STAMP)
	$(BIN)/python -m generator check

test: $(STAMP)
	$(BIN)/python -m pytest

golden: $(STAMP)
	$(BIN)/python -m tests.golden.regenerate

# Every spec of the shared corpus (../shared/specs: the peer generators' test
# suites and large published specs): generated, imported and type-checked,
# with the tally; then every diagnostic on all of it, located (OpenAI's too).
# Not part of `make test`, which runs a sample: 17 minutes on this machine, busy.
corpus: $(STAMP)
	$(BIN)/python -m tests.generality.corpus $(CORPUS_ARGS)
	GENERATOR_CORPUS=all $(BIN)/python -m pytest tests/generality/test_located_diagnostics.py

serve: $(STAMP)
	$(BIN)/python -m examples.serve --host 127.0.0.1 --port $(PORT) --db $(PERSONS_DB) $(SERVE_ARGS)

# schemathesis, every check, against `python -m examples.serve`: both scopes and
# more examples than `make test` runs (FUZZ_EXAMPLES per operation).
FUZZ_EXAMPLES ?= 25
fuzz: $(STAMP)
	PERSONS_FUZZ_SCOPES=all PERSONS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -s tests/e2e/test_schemathesis.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

# Mutation testing (mutmut) of the runtimes, escape/naming/diagnostics and the
# reference handler and filters; writes mutation/REPORT.md. Not part of `make
# test` or CI: about 35 minutes here, on a random sample of each file's mutants.
# MUTATE_ARGS: covered files to limit it to, --minutes N (the bound; what is left
# is reported unchecked), --sample N per file (0: all), --seed S.
mutate: $(STAMP)
	$(BIN)/python mutation/run.py $(MUTATE_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
