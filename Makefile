# Two commands for a newcomer: `make run` and `make test`. Everything installs into .venv/ from requirements.lock.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= data/demo

.PHONY: run test system-packages spark-ci spark-dev spark-cluster lint demo dev clean screenshot bench soak

# Python caches what it compiles in __pycache__/ even where the environment says not to (some CI images set
# PYTHONDONTWRITEBYTECODE=1): otherwise every `membrana run` and dbt process compiles Dagster, dbt and Great
# Expectations from source again, about 4 s each (7.5 s instead of 3.5 s to import the definitions and GE).
unexport PYTHONDONTWRITEBYTECODE

# uv installs the locked packages (requirements.lock, as constraints): about 34 s on a fresh machine against
# pip's 70 s, as it downloads in parallel. pip installs uv itself (pinned in the lock) into the virtualenv
# first, so nothing but Python and PyPI is needed. Like `pip --no-compile`, uv compiles nothing ahead: Python
# compiles what a run imports, on first use (most of Dagster, Great Expectations and pyspark never is).
INSTALL := $(BIN)/uv pip install --quiet --python $(BIN)/python -c requirements.lock

$(BIN)/uv: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock uv
	touch $@

$(BIN)/membrana: pyproject.toml requirements.lock $(BIN)/uv
	$(INSTALL) -e '.[dev]'
	touch $@

# Spark and its dbt adapter (the `spark` optional group, ~630 MB): only for the Spark targets and the
# parity test, so `make run` never pays for them. Installed with everything else in one run, so a fresh
# clone's `make test` resolves and installs once.
$(VENV)/.spark-installed: pyproject.toml requirements.lock $(BIN)/uv
	$(INSTALL) -e '.[dev,spark]'
	touch $(BIN)/membrana $@

run: $(BIN)/membrana
	@test -d $(DATA_DIR)/landing || $(BIN)/membrana demo --out $(DATA_DIR)
	MEMBRANA_DATA_DIR=$(DATA_DIR) $(BIN)/membrana run

# Two test workers, each test module whole in one of them (a module builds its companies once), the slowest
# modules first (tests/conftest.py). The lint runs beside them: the workers leave about a third of the two
# cores idle (waiting on their subprocesses), which the lint's 45 s of CPU fills; its report follows
# pytest's, and either failing fails `make test`. The Debian packages install while uv installs Python's
# (make -j2: the two waits overlap on a fresh machine).
test:
	@$(MAKE) --no-print-directory -j2 $(VENV)/.spark-installed system-packages
	@$(MAKE) --no-print-directory lint > $(VENV)/lint.log 2>&1 & lint=$$!; \
		$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder; tests=$$?; \
		wait $$lint; linted=$$?; echo "--- make lint (ran beside the tests):"; cat $(VENV)/lint.log; \
		test $$tests -eq 0 -a $$linted -eq 0

# Debian's headless Chromium (the dashboard's browser test) and strace (the test that no command connects
# anywhere but 127.0.0.1, tests/e2e/test_no_calls_home.py; unshare, its other half, comes with util-linux):
# one apt-get for whichever is missing (CI runs as root).
system-packages:
	@missing=""; test -x /usr/bin/chromium || missing="chromium"; command -v strace >/dev/null || missing="$$missing strace"; \
		test -z "$$missing" || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; }

# The dashboard screenshot shown in README, from the demo's last published dashboard.
screenshot: $(BIN)/membrana system-packages
	$(BIN)/python tests/support/headless_chromium.py $(DATA_DIR)/published/dashboard.html docs/dashboard.png

# The Spark nights CI runs after `make test` (.ci/run), one module per worker: a company's two nights on Spark
# inside the process (MEMBRANA_TARGET=spark membrana run) and on a standalone master and worker started from the
# pyspark package on 127.0.0.1 (MEMBRANA_SPARK_MASTER) publish what the same nights publish on DuckDB. Minutes
# each (README "Running on Spark"), so not in `make test`.
spark-ci: $(VENV)/.spark-installed
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder -m spark \
		tests/parity/test_spark_cluster.py tests/parity/test_spark_night.py

# A night on Spark launched from the Dagster UI (MEMBRANA_TARGET=spark make dev): about 4 minutes alone.
spark-dev: $(VENV)/.spark-installed
	$(BIN)/pytest tests/parity/test_spark_dagster_dev.py -m spark -q

# The same cluster, and `dbt build`, then the two nights, on the spark_thrift target through a Thrift server on it,
# and the two nights on the databricks target through one speaking HTTPS on Databricks' path.
spark-cluster: $(VENV)/.spark-installed
	$(BIN)/pytest tests/parity/test_spark_cluster.py tests/parity/test_spark_thrift.py \
		tests/parity/test_spark_thrift_night.py -m spark -q

# Regenerate the embedded demo data folder (deterministic: same files every time).
demo: $(BIN)/membrana
	$(BIN)/membrana demo --out $(DATA_DIR)

# The Dagster UI with the whole lineage, on the demo data unless MEMBRANA_DATA_DIR is set. It opens the data
# folder's Dagster instance, the one `membrana run` records every night in: its dagster/ unless DAGSTER_HOME is
# set, chosen and prepared by orchestration/dagster_instance.py (whose dagster.yaml turns Dagster's telemetry
# off); DAGSTER_DISABLE_TELEMETRY=1 stops the UI's upload thread too.
DEV_DATA_DIR = $(abspath $(or $(MEMBRANA_DATA_DIR),$(DATA_DIR)))
DAGSTER_PORT ?= 3000
dev: $(BIN)/membrana
	home=$$($(BIN)/python -m orchestration.dagster_instance $(DEV_DATA_DIR)) && \
	MEMBRANA_DATA_DIR=$(DEV_DATA_DIR) DAGSTER_HOME=$$home DAGSTER_DISABLE_TELEMETRY=1 \
		$(BIN)/dagster dev --host 127.0.0.1 --port $(DAGSTER_PORT)

# Performance benchmark against the reference scripts (bench/run_bench.py): writes BENCHMARKS.md.
# SIZE: any of tiny small medium large (100 k, 1 M, 10 M contacts; tiny = 10 k, for CI).
SIZE ?= small medium large
bench: $(BIN)/membrana
	$(BIN)/python bench/run_bench.py --sizes "$(SIZE)"

# The soak test (tests/support/soak.py): NIGHTS nights of a generated company with faults on nights the SEED
# picks, each compared with a rebuild from scratch; one line per night, stops at the first divergence. About a
# minute a night on 2 cores, more as the history grows; `make test` runs three nights (tests/e2e/test_soak.py).
NIGHTS ?= 30
SEED ?= 1
soak: $(BIN)/membrana
	$(BIN)/python -m tests.support.soak --nights $(NIGHTS) --seed $(SEED)

# ruff, and sqlfluff over the dbt models (.sqlfluff). sqlfluff compiles them with dbt, whose profile wants a
# data folder: an empty temporary one, so lint never opens a real warehouse.
lint: $(BIN)/membrana
	$(BIN)/ruff check orchestration tests
	tmp=$$(mktemp -d) && MEMBRANA_DATA_DIR=$$tmp MEMBRANA_TARGET=duckdb $(BIN)/sqlfluff lint dbt_project/models; \
		status=$$?; rm -rf $$tmp; exit $$status

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs
