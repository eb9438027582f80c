# Two commands do everything on a fresh machine (Python >= 3.11 with venv):
#   make run    set up .venv and run the bundled baseline (safetysim run)
#   make test   set up .venv (with test and browser tools) and run the test suite
#   make ci     make test, then the fast subset on Python 3.13 (make test-py313)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export SOLARA_TELEMETRY_MIXPANEL_ENABLE := False
export MPLBACKEND := Agg
# NumPy's AVX-512 kernels round sums, exp and log differently from its AVX2 ones; with them off,
# the same config and seed give the same numbers on every x86-64 machine with AVX2.
export NPY_DISABLE_CPU_FEATURES := X86_V4 AVX512_ICL AVX512_SPR

.PHONY: setup run test test-py313 ci validate compare browser translations clean-venv

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,app]"
	touch $@

setup: $(VENV)/.installed

run: setup
	$(VENV)/bin/safetysim run

validate: setup
	$(VENV)/bin/safetysim validate

compare: setup
	$(VENV)/bin/safetysim compare configs/compare_paths.yaml

# Debian's chromium for the browser test, and Solara's JavaScript assets from the npm registry
# (the teaching page must render without internet access).
browser: setup
	bash scripts/setup_browser.sh $(VENV)

test: setup browser
	$(PY) -m pytest -q

# Re-extract the teaching page's texts and merge them into the Chinese catalogue (lists what lacks
# a translation).
translations: setup
	$(PY) scripts/update_translations.py

# The fast subset (no browser, no slow tests) on the newest supported Python, in its own venv.
# Skips with a message where that interpreter is not installed.
PY313 ?= $(HOME)/.pyenv/versions/3.13.0/bin/python
VENV313 ?= .venv313
test-py313:
	@if [ ! -x "$(PY313)" ]; then echo "skipping the Python 3.13 tests: $(PY313) not found (set PY313=...)"; exit 0; fi; \
	set -e; \
	if [ ! -f $(VENV313)/.installed ] || [ pyproject.toml -nt $(VENV313)/.installed ]; then \
	  $(PY313) -m venv $(VENV313); \
	  $(VENV313)/bin/python -m pip install --quiet --upgrade pip; \
	  $(VENV313)/bin/python -m pip install --quiet -e ".[test,app]"; \
	  touch $(VENV313)/.installed; \
	fi; \
	$(VENV313)/bin/python -c 'import sys, mesa; print(f"Python {sys.version.split()[0]}, Mesa {mesa.__version__}")'; \
	$(VENV313)/bin/python -m pytest -q -m "not slow and not browser"

# What CI runs: the full suite on Python 3.11, the fast subset on Python 3.13.
ci: test test-py313

clean-venv:
	rm -rf $(VENV) $(VENV313)
