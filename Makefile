# Camp Ashraf, an executable history: build and test entry points. `make` or `make help`
# lists the targets (each `## ` comment below is one line of that list).
# The venv and system packages are installed only when missing; a second run reuses them.
# Supported Python: 3.11, 3.12 and 3.13 (pyproject.toml's requires-python says the same);
# choose one with PYTHON=..., e.g. make book PYTHON=python3.13.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
VNU := tools/node/node_modules/vnu-jar/build/dist/vnu.jar

.PHONY: help book test validate estimates bench setup setup-test clean lock codebook release

.DEFAULT_GOAL := help
help: ## list the targets, one line each (also what a plain `make` prints)
	@echo "Camp Ashraf, an executable history. Targets (run from the repository's folder):"
	@sed -n -E 's/^([a-z-]+):[^#]*## (.*)$$/  make \1\t\2/p' $(MAKEFILE_LIST) | expand -t 22
	@echo "Python: 3.11, 3.12 or 3.13; another interpreter with PYTHON=..., e.g. make book PYTHON=python3.13"

# One line for an interpreter the book does not support (or one that is missing), checked
# before anything runs whenever PYTHON will be used: .venv is missing, or PYTHON was given on
# the command line. The check is written for any Python, even 2.7. A PYTHON given on the
# command line must also be the one .venv was made with: otherwise .venv is made again.
PY_GOALS := book test setup setup-test validate estimates codebook lock bench
ifneq ($(filter $(PY_GOALS),$(MAKECMDGOALS)),)
ifneq ($(if $(wildcard $(PY)),,missing)$(filter command line,$(origin PYTHON)),)
PY_PROBLEM := $(shell $(PYTHON) -c 'import sys; v = sys.version_info; print("" if (3, 11) <= v[:2] <= (3, 13) else "Python %d.%d.%d ($(PYTHON)) is not supported" % v[:3])' 2>/dev/null || echo "PYTHON=$(PYTHON) was not found")
ifneq ($(strip $(PY_PROBLEM)),)
$(error $(strip $(PY_PROBLEM)): the book needs Python 3.11, 3.12 or 3.13; choose one with PYTHON=..., e.g. make book PYTHON=python3.13)
endif
ifeq ($(origin PYTHON),command line)
ifneq ($(wildcard $(PY)),)
ifneq ($(shell $(PY) -c 'import sys; print(sys.version_info[:2])'),$(shell $(PYTHON) -c 'import sys; print(sys.version_info[:2])'))
$(info ==> $(VENV) was made with another Python than $(PYTHON): making it again)
$(shell rm -rf $(VENV))
endif
endif
endif
endif
endif

# --- environment --------------------------------------------------------------
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || { echo "==> creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "==> installing pinned packages from requirements.txt (first run: about a minute)"
	@$(PY) -m pip install -qq --disable-pip-version-check -r requirements.txt
	@# the repository's analysis package, importable from any working directory (editable:
	@# it reads this clone's analysis/ and data/)
	@$(PY) -m pip install -qq --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/lib/python3*/site-packages/camp_ashraf_repo.pth  # left by older versions
	@$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (camp-ashraf)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP) ## only the environment: .venv and the system packages of the build
	@bash tools/system-deps.sh book

setup-test: $(STAMP) ## the environment and the system packages of the tests (Chromium, poppler, Java, vnu.jar, the Binder environment)
	@bash tools/system-deps.sh test
	@$(MAKE) --no-print-directory $(VNU)
	@$(PY) tools/notebooks.py --env-only

# The Nu HTML Checker for tests/test_nu_html.py: npm package vnu-jar, pinned by
# tools/node/package-lock.json. Its install script (which would download a Java runtime) is
# skipped: the system's Java (tools/system-deps.sh) runs the jar.
$(VNU): tools/node/package.json tools/node/package-lock.json
	@echo "==> installing the Nu HTML Checker (npm vnu-jar, pinned in tools/node/package-lock.json)"
	@npm ci --prefix tools/node --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(VNU)

# --- the book -----------------------------------------------------------------
validate: $(STAMP) ## check data/ only, in a second or two (python -m analysis validate data)
	@$(PY) -m analysis validate data

estimates: $(STAMP) ## write each event's counts and grade from its claims, then validate
	@$(PY) -m analysis fill-estimates data
	@$(PY) -m analysis validate data

book: setup ## set up (.venv, pinned packages, TeX), validate data, build the HTML site and the PDF
	@$(PY) tools/build.py

test: setup-test book ## make book, then the whole test suite
	@$(PY) tools/notebooks.py _build/nbval
	@$(PY) -m pytest -p no:cacheprovider -n 2 --dist loadfile tests _build/nbval \
		--nbval --nbval-kernel-name camp-ashraf-binder --nbval-sanitize-with tests/nbval-sanitize.cfg \
		-o junit_family=xunit2

bench: setup-test ## measure build, re-run and page weights into BENCHMARKS.md (RUNS=1: one pass)
	@$(PY) tools/bench.py $(if $(RUNS),--runs $(RUNS))

# standard library only: runs before the venv exists
release: ## set the book's version and date everywhere: make release VERSION=X.Y.Z
	@$(PYTHON) tools/release.py $(VERSION) $(if $(DATE),--date $(DATE))

codebook: $(STAMP) ## write the data codebook page from datapackage.json
	@$(PY) -m analysis codebook

lock: $(STAMP) ## rewrite requirements.txt (the lock file) from .venv
	@# setuptools too (pip freeze leaves it out): it builds the editable analysis package offline
	@{ sed -n '1,3p' requirements.txt; $(PY) -m pip freeze --all --exclude-editable | grep -v -E '^(pip|wheel)=='; } > requirements.lock.tmp && mv requirements.lock.tmp requirements.txt

clean: ## remove _build/ and test-artifacts/
	rm -rf _build test-artifacts
