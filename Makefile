# cnnlab: two commands for people, `make demo` and `make test`.
# The virtual environment is built once and refreshed when pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH_VERSION ?= 2.13.0
# CPU wheels of torch; a plain `pip install torch` on Linux pulls a multi-GB CUDA build.
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
DEMO_ARGS ?= --data mnist --model lenet5

.PHONY: install dev demo test lint bench browser clean

install: $(VENV)/.installed
dev: $(VENV)/.installed-dev

$(VENV)/.torch:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@if $(PY) -c "import torch" 2>/dev/null; then \
		echo "torch already present"; \
	elif command -v nvidia-smi >/dev/null 2>&1; then \
		$(PY) -m pip install "torch==$(TORCH_VERSION)"; \
	else \
		echo "no GPU found: installing the CPU build of torch $(TORCH_VERSION)"; \
		$(PY) -m pip install --timeout 10 --retries 1 "torch==$(TORCH_VERSION)" --extra-index-url $(TORCH_CPU_INDEX); \
	fi
	touch $@

$(VENV)/.installed: $(VENV)/.torch pyproject.toml
	$(PY) -m pip install -q -e ".[report]"
	touch $@

$(VENV)/.installed-dev: $(VENV)/.torch pyproject.toml
	$(PY) -m pip install -q -e ".[dev]"
	touch $@ $(VENV)/.installed

demo: install
	$(VENV)/bin/cnnlab train $(DEMO_ARGS) --out runs/demo --overwrite

test: dev lint
	$(PY) -m pytest

# ruff: lint (pyflakes, pycodestyle, import order; lines up to 120) and the formatter's check, before the tests
lint: dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

# Debian's chromium for the browser tests (Playwright drives it through executable_path; it never downloads
# a browser of its own). Needs root or sudo; where neither works the browser tests skip with the reason.
browser:
	@if command -v chromium >/dev/null 2>&1; then echo "chromium present"; \
	elif [ "$$(id -u)" = 0 ]; then (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium could not be installed: browser tests will skip"; \
	elif command -v sudo >/dev/null 2>&1; then (sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null) || echo "chromium could not be installed: browser tests will skip"; \
	else echo "chromium missing and no root: browser tests will skip"; fi

bench: dev
	$(PY) bench/train_speed.py

clean:
	rm -rf $(VENV) runs .pytest_cache
