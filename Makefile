# Two entry points: `make run` (server on the embedded defaults + demo knowledge base) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run test lint typecheck browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first: 2.13.0 is the CPU build on this machine's disk; any other pin downloads gigabytes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/kundresa db upgrade
	$(BIN)/kundresa serve

# Debian's chromium for the browser tests (playwright drives it; it never downloads a browser).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing and not root: browser tests will skip" >&2; fi; fi

lint: install
	$(BIN)/ruff check bot router knowledge infra config tests bench
	$(BIN)/mypy bot router knowledge infra config

test: install browser
	$(BIN)/ruff check bot router knowledge infra config tests bench
	@# pytest exits 5 when it collects nothing: that is a failure, not a pass.
	@# Two workers, each taking whole modules (module-scoped servers and browsers stay in one worker).
	$(BIN)/python -m pytest -q -n 2 --dist loadfile $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo 'no tests collected' >&2; exit 1; fi; exit $$rc

bench: install
	$(BIN)/python bench/search_latency.py
	$(BIN)/python bench/chat_load.py

clean:
	rm -rf $(VENV) build *.egg-info
