# depositdesk — the two commands a new machine needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# uv is run as a module of the chosen Python, so a fresh pip install needs no PATH rehash.
UV     := $(PYTHON) -m uv

.PHONY: demo test fuzz lint bench venv venv-dev lock clean

$(BIN)/.installed: requirements.lock pyproject.toml
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip install --quiet --python $(BIN)/python --require-hashes -r requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.lock
	$(UV) pip install --quiet --python $(BIN)/python --require-hashes -r requirements-dev.lock
	@touch $@

venv: $(BIN)/.installed
venv-dev: $(BIN)/.installed-dev

demo: venv
	$(BIN)/depositdesk demo --port 8000

test: venv-dev
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2

# The OpenAPI fuzzer of `make test` (tests/api/test_fuzz.py) with many more cases per
# operation, on SQLite and PostgreSQL. FUZZ_EXAMPLES=2000 make fuzz goes further.
FUZZ_EXAMPLES ?= 300
fuzz: venv-dev
	DEPOSITDESK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) DEPOSITDESK_FUZZ_POSTGRES=1 \
	  $(BIN)/python -m pytest -q -p no:cacheprovider tests/api/test_fuzz.py

lint: venv-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy --strict src/depositdesk/domain src/depositdesk/services src/depositdesk/demo
	$(BIN)/mypy src/depositdesk
	$(BIN)/lint-imports

bench: venv-dev
	$(BIN)/python -m benchmarks

lock:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements.lock
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements-dev.lock

clean:
	rm -rf $(VENV) depositdesk.db .pytest_cache .mypy_cache .ruff_cache
