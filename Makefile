# Everything needs only python3.11 and make: `make demo`, `make test`.
PYTHON ?= python3.11
TOOLS  := .tools
VENV   := .venv
UV     := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install demo test unit integration lint typecheck bench chaos clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==0.13.9"

# The lock file pins every package; `--frozen` fails instead of silently re-resolving.
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/python -m demo.run

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

unit: install
	$(VENV)/bin/pytest unit_tests

integration: install
	$(VENV)/bin/pytest integration_tests

# The whole suite: lint, types, unit and integration tests.
test: lint typecheck
	$(VENV)/bin/pytest

clean:
	rm -rf $(TOOLS) $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Throughput, CPU cost, memory and discover-at-scale benchmark (prints a table; exits 1 if a target is missed).
bench: install
	$(VENV)/bin/python -m benchmarks.run

# Crash-resume chaos: SIGKILL the connector at KILLS random points over random log-group shapes, resuming from
# the delivered states each time; prints a summary, exits 1 on any lost or unexplained event. SEED=<n> replays.
KILLS ?= 100
chaos: install
	$(VENV)/bin/python -m benchmarks.chaos --kills $(KILLS) $(if $(SEED),--seed $(SEED))
