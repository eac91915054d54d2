# Camp Ashraf, an executable history: build and test entry points.
#   make book      set up (venv, pinned packages, TeX), validate data, build HTML + PDF
#   make test      the same set-up and build, then the whole test suite
#   make validate  check data/ only (python -m analysis validate data)
#   make estimates fill each event's counts and grade from its claims, then validate
#   make bench     measure build, re-run and page weights into BENCHMARKS.md
#   make release VERSION=X.Y.Z   set the book's version and date everywhere (then tag vX.Y.Z)
# The venv and system packages are installed only when missing; a second run reuses them.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
VNU := tools/node/node_modules/vnu-jar/build/dist/vnu.jar

.PHONY: book test validate estimates bench setup setup-test clean lock codebook release

# --- environment --------------------------------------------------------------
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; found " + sys.version.split()[0])'
	@test -x $(PY) || { echo "==> creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "==> installing pinned packages from requirements.txt (first run: about a minute)"
	@$(PY) -m pip install -qq --disable-pip-version-check -r requirements.txt
	@# the repository's analysis package, importable from any working directory (editable:
	@# it reads this clone's analysis/ and data/)
	@$(PY) -m pip install -qq --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/lib/python3*/site-packages/camp_ashraf_repo.pth  # left by older versions
	@$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (camp-ashraf)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP)
	@bash tools/system-deps.sh book

setup-test: $(STAMP)
	@bash tools/system-deps.sh test
	@$(MAKE) --no-print-directory $(VNU)

# The Nu HTML Checker for tests/test_nu_html.py: npm package vnu-jar, pinned by
# tools/node/package-lock.json. Its install script (which would download a Java runtime) is
# skipped: the system's Java (tools/system-deps.sh) runs the jar.
$(VNU): tools/node/package.json tools/node/package-lock.json
	@echo "==> installing the Nu HTML Checker (npm vnu-jar, pinned in tools/node/package-lock.json)"
	@npm ci --prefix tools/node --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(VNU)

# --- the book -----------------------------------------------------------------
validate: $(STAMP)
	@$(PY) -m analysis validate data

estimates: $(STAMP)
	@$(PY) -m analysis fill-estimates data
	@$(PY) -m analysis validate data

book: setup
	@$(PY) tools/build.py

test: setup-test book
	@$(PY) tools/notebooks.py _build/nbval
	@$(PY) -m pytest -p no:cacheprovider -n 2 --dist loadfile tests _build/nbval --nbval \
		--nbval-sanitize-with tests/nbval-sanitize.cfg -o junit_family=xunit2

bench: setup-test
	@$(PY) tools/bench.py $(if $(RUNS),--runs $(RUNS))

# standard library only: runs before the venv exists
release:
	@$(PYTHON) tools/release.py $(VERSION) $(if $(DATE),--date $(DATE))

codebook: $(STAMP)
	@$(PY) -m analysis codebook

lock: $(STAMP)
	@# setuptools too (pip freeze leaves it out): it builds the editable analysis package offline
	@{ sed -n '1,3p' requirements.txt; $(PY) -m pip freeze --all --exclude-editable | grep -v -E '^(pip|wheel)=='; } > requirements.lock.tmp && mv requirements.lock.tmp requirements.txt

clean:
	rm -rf _build test-artifacts
