# make demo   a real scan of the bundled offline universe -> reports/demo.html
# make test   lint, type-check and the whole test suite
# make bench  the benchmarks in bench/ (figures to compare, not pass/fail)
# Both bootstrap .venv and the Debian packages they need on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBS   := unbound chromium postfix systemd nginx-light postgresql redis-server

.PHONY: test demo bench lint typecheck pytest debs venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,demo,visual,postgres,scale]'
	touch $@

# Debian packages the suite drives for real: unbound (DNS), chromium (the report in a browser),
# postfix (postmap checks the blocklist maps; its master runs as a real MTA for the SMTP probe tests),
# systemd (systemd-analyze checks the timer units), nginx-light (serves the visual corpus and other
# web pages the probes read), postgresql (initdb + pg_ctl: a throwaway cluster for the history's
# second back end), redis-server (the broker and shared budgets of the distributed-scan tests).
debs:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

lint: venv
	$(BIN)/ruff check lookalike tests bench
	$(BIN)/ruff format --check lookalike tests bench

typecheck: venv
	$(BIN)/mypy

# Two workers: the end-to-end tests spend most of their time waiting on real servers and CLI
# subprocesses, so a second worker overlaps those waits (PYTEST_WORKERS=0 runs in one process).
PYTEST_WORKERS ?= 2
pytest: venv debs
	$(BIN)/pytest -n $(PYTEST_WORKERS)

test: lint typecheck pytest

# The demo renders its pages in Debian's chromium (DEBS) with the visual extra (in .venv).
demo: venv debs
	$(BIN)/lookalike demo --report reports/demo.html

bench: venv debs
	$(BIN)/python -m bench.generate
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.dns
	$(BIN)/python -m bench.probes
	$(BIN)/python -m bench.store
	$(BIN)/python -m bench.registry
	$(BIN)/python -m bench.visual
	$(BIN)/python -m bench.screenshots
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis artifacts
