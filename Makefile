# Two commands for a newcomer: `make run` and `make test`. Everything installs into .venv/ from requirements.lock.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= data/demo

.PHONY: run test parity spark-night spark-cluster lint demo dev clean browser strace screenshot bench soak

# Python caches what it compiles in __pycache__/ even where the environment says not to (some CI images set
# PYTHONDONTWRITEBYTECODE=1): otherwise every `membrana run` and dbt process compiles Dagster, dbt and Great
# Expectations from source again, about 4 s each (7.5 s instead of 3.5 s to import the definitions and GE).
unexport PYTHONDONTWRITEBYTECODE

# --no-compile: pip would byte-compile every module of every package (Dagster, Great Expectations, pyspark),
# most of them never imported; Python compiles what a run imports, on first use.
PIP_INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check --no-compile -c requirements.lock

$(BIN)/membrana: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -e '.[dev]'
	touch $@

# Spark and its dbt adapter (the `spark` optional group, ~630 MB): only for the Spark targets and the
# parity test, so `make run` never pays for them. Installed with everything else in one pip run, so a
# fresh clone's `make test` resolves and installs once.
$(VENV)/.spark-installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -e '.[dev,spark]'
	touch $(BIN)/membrana $@

run: $(BIN)/membrana
	@test -d $(DATA_DIR)/landing || $(BIN)/membrana demo --out $(DATA_DIR)
	MEMBRANA_DATA_DIR=$(DATA_DIR) $(BIN)/membrana run

# Two test workers, each test module whole in one of them (a module builds its companies once), the slowest
# modules first (tests/conftest.py).
test: $(VENV)/.spark-installed browser strace lint
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder

# Debian's headless Chromium for the dashboard's browser test; installed only when missing (CI runs as root).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# strace, for the test that no command connects anywhere but 127.0.0.1 (tests/e2e/test_no_calls_home.py);
# installed only when missing. unshare, the other half of that test, comes with util-linux (always there).
strace:
	@command -v strace >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace; }

# The dashboard screenshot shown in README, from the demo's last published dashboard.
screenshot: $(BIN)/membrana browser
	$(BIN)/python tests/support/headless_chromium.py $(DATA_DIR)/published/dashboard.html docs/dashboard.png

# The demo company built on DuckDB and on Spark must give the same marts (tests/parity).
parity: $(VENV)/.spark-installed
	$(BIN)/pytest tests/parity -q

# Two nights on Spark inside the process against the same nights on DuckDB (MEMBRANA_TARGET=spark membrana run):
# About 12 minutes on 2 busy cores, not in `make test`.
spark-night: $(VENV)/.spark-installed
	$(BIN)/pytest tests/parity/test_spark_night.py -m spark_night -q

# A standalone Spark master and worker started from the pyspark package on 127.0.0.1: the two nights with
# MEMBRANA_SPARK_MASTER pointing at it, and `dbt build` on the spark_thrift target through a Thrift server on it.
# About 18 minutes (12 for the nights, 6 for Thrift; 17:39 on 2026-12-05) on 2 busy cores, not in `make test`.
spark-cluster: $(VENV)/.spark-installed
	$(BIN)/pytest tests/parity/test_spark_cluster.py tests/parity/test_spark_thrift.py -m spark_cluster -q

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
