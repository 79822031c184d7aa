# Entry points for the book and its tests. `make book` and `make test` are all a reader
# needs; both create the virtual environment in .venv/ on first use.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install constraints book results claims test lint clean

install: $(STAMP)

# pyproject.toml gives ranges (what srcore needs); constraints.txt pins every package
# exactly, torch 2.14.1 and torchvision 0.29.1 among them, so this one pip command
# resolves torch together with everything else (TOOLCHAIN.md: never let pip pick torch
# on its own). `book` is the book's tooling, `ray` is `srcore sweep --backend ray`; CI
# tests both backends. The stamp makes a second `make install` a no-op until
# pyproject.toml or constraints.txt changes.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -c constraints.txt -e ".[book,test,ray]"
	touch $@

# Re-pin constraints.txt to what .venv holds now (after an upgrade there).
constraints: install
	{ sed -n '/^#/p' constraints.txt; $(PY) -m pip freeze --exclude-editable; } > constraints.tmp
	mv constraints.tmp constraints.txt

# Warnings are errors, but every page is still built so all of them are reported.
# --all re-executes every notebook: Sphinx cannot see that a page depends on
# book/results/*.json, so an incremental build could show stale numbers.
# SRCORE_RESULTS_MODE=read: the book build never trains; a missing record fails the
# build with its name (make it with `make results`).
# The repository behind the launch buttons is REPOSITORY (`make book
# REPOSITORY=https://github.com/OWNER/REPO`), else the git remote `origin`; with
# neither the book has no launch buttons and its front page says so.
# scripts/book_config.py writes _build/_config.yml: _config.yml plus that repository
# at this commit.
REPOSITORY ?=
book: install
	$(PY) scripts/book_config.py --repository "$(REPOSITORY)" --out _build/_config.yml
	SRCORE_RESULTS_MODE=read $(VENV)/bin/jupyter-book build . --config _build/_config.yml \
		--path-output . --all -W --keep-going
	@echo "Book: _build/html/index.html"

# Recompute the committed records (book/results/) of every notebook with the `quick`
# profile: papermill runs each notebook, computing what is missing and loading the rest.
NOTEBOOKS := $(wildcard notebooks/*.ipynb)
results: install
	mkdir -p _build/executed
	for nb in $(NOTEBOOKS); do \
		$(VENV)/bin/papermill $$nb _build/executed/$$(basename $$nb) -p profile quick -k python3 || exit 1; \
	done

# Each chapter stores the claims it judged in book/results/claims/ for the synthesis
# chapter and the front page (srcore/chapters/claim_files.py). The book build only
# checks them, and fails when the records changed since: then run this (it reads the
# records, trains nothing) and commit book/results/claims.
claims: install
	mkdir -p _build/executed
	for nb in $(filter-out notebooks/99_synthesis.ipynb,$(NOTEBOOKS)); do \
		SRCORE_RESULTS_MODE=read SRCORE_CLAIMS=write $(VENV)/bin/papermill $$nb \
			_build/executed/$$(basename $$nb) -k python3 --cwd notebooks || exit 1; \
	done

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf _build .pytest_cache .ruff_cache *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
