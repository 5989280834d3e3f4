# Everything needs only python3.11 and make: `make demo`, `make test`.
PYTHON ?= python3.11
TOOLS  := .tools
VENV   := .venv
UV     := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

# PyAirbyte pins its own airbyte-cdk: it gets its own environment, installed exactly from its lock.
PYAIRBYTE_VENV := .venv-pyairbyte
PYAIRBYTE_LOCK := demo/requirements-pyairbyte.txt

# The connector image. The default base is the local one that scripts/docker-engine.sh builds without a
# registry; `make image BASE_IMAGE=` (empty) builds from the Dockerfile's default, Airbyte's base image.
IMAGE      ?= airbyte/source-cloudwatch-logs:dev
BASE_IMAGE ?= local/python-base:3.11

.PHONY: install pyairbyte-venv pyairbyte-lock docker-engine image demo test unit integration lint typecheck bench chaos clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==0.13.9"

# The lock file pins every package; `--frozen` fails instead of silently re-resolving. Bytecode is compiled at
# install: with PYTHONDONTWRITEBYTECODE set (as on these machines) every connector start would otherwise
# recompile ~900 modules (1.1 s of each start).
$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

$(PYAIRBYTE_VENV)/.installed: $(PYAIRBYTE_LOCK) | $(UV)
	rm -rf $(PYAIRBYTE_VENV)
	$(UV) venv --quiet --python $(PYTHON) $(PYAIRBYTE_VENV)
	$(UV) pip install --quiet --compile-bytecode --python $(PYAIRBYTE_VENV)/bin/python -r $(PYAIRBYTE_LOCK)
	touch $@

pyairbyte-venv: $(PYAIRBYTE_VENV)/.installed

pyairbyte-lock: | $(UV)
	$(UV) pip compile demo/requirements-pyairbyte.in --python-version 3.11 --universal -q -o $(PYAIRBYTE_LOCK)

# Starts a Docker engine if none answers (../shared/tools/container-setup.sh). Never fails: when no engine
# can be started, the Docker tests skip and print why.
docker-engine:
	@bash scripts/docker-engine.sh

image: docker-engine
	docker build --network host $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) -t $(IMAGE) .

demo: install pyairbyte-venv
	$(PYAIRBYTE_VENV)/bin/python -m demo.run

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

unit: install
	$(VENV)/bin/pytest unit_tests

integration: install pyairbyte-venv docker-engine
	$(VENV)/bin/pytest integration_tests testkit

# The whole suite: lint, types, unit, integration, Docker image, PyAirbyte and the CDK's standard tests.
test: lint typecheck pyairbyte-venv docker-engine
	$(VENV)/bin/pytest --durations=15

clean:
	rm -rf $(TOOLS) $(VENV) $(PYAIRBYTE_VENV) .pytest_cache .mypy_cache .ruff_cache .docker-unavailable .docker-engine.log .demo

# Throughput, CPU cost, memory and discover-at-scale benchmark (prints a table; exits 1 if a target is missed).
bench: install
	$(VENV)/bin/python -m benchmarks.run

# Crash-resume chaos: SIGKILL the connector at KILLS random points over random log-group shapes, resuming from
# the delivered states each time; prints a summary, exits 1 on any lost or unexplained event. SEED=<n> replays.
KILLS ?= 100
chaos: install
	$(VENV)/bin/python -m benchmarks.chaos --kills $(KILLS) $(if $(SEED),--seed $(SEED))
