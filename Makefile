# Fresh machine: `make app` installs and starts the app; `make test` installs and runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: app test lint bench clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

app: $(STAMP)
	$(BIN)/python -m rnaapp app

test: $(STAMP)
	$(BIN)/ruff check .
	@# The browser tests (tests/test_browser.py) drive Debian's chromium; install it when we can.
	@command -v chromium >/dev/null || (command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: browser tests will be skipped"
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/site.py --docs
	$(BIN)/python bench/speed.py --docs
	$(BIN)/python bench/scan.py --sections accuracy --docs
	$(BIN)/python bench/plant.py report --docs
	$(BIN)/python bench/gene.py report --docs

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
