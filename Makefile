# The two commands a developer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_HOME := $(CURDIR)/demo-data
# A fixed, publicly known key for the demo folder only, so that `make run` works without a keyring.
DEMO_KEY := 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff

.PHONY: run test lint bench package clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	EMR_HOME=$(DEMO_HOME) EMR_DB_KEY=$(DEMO_KEY) $(PY) -m emr.demo_setup
	EMR_HOME=$(DEMO_HOME) EMR_DB_KEY=$(DEMO_KEY) $(VENV)/bin/emr

test: $(STAMP)
	$(VENV)/bin/ruff check .
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP)
	$(VENV)/bin/emr-admin bench

# The PyInstaller bundle for this platform in dist/SmallPracticeEMR (packaging/README.md).
package: $(STAMP)
	$(PY) -m pip install --quiet -e '.[package]'
	$(PY) -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/emr.spec
	@du -sh dist/SmallPracticeEMR

clean:
	rm -rf $(VENV) demo-data bench-data build dist .pytest_cache .ruff_cache
