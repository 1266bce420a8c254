# The two commands a new machine needs: `make run` and `make test`. See README.md.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install services lint messages bench-search bench-search-one bench-relevance clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

install: $(VENV)/.installed

# Links in mails, verify pages and label QR codes point where `make run` serves, unless set.
PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)

run: install
	$(BIN)/python manage.py migrate --noinput
	PUBLIC_BASE_URL='$(PUBLIC_BASE_URL)' $(BIN)/python manage.py load_demo
	PUBLIC_BASE_URL='$(PUBLIC_BASE_URL)' $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest -n 2 -rs $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

services:
	bash scripts/services

# Each app keeps its own catalog in <app>/locale (English source, Simplified Chinese translation).
APPS_WITH_MESSAGES := marketplace accounts notifications listings grading certification events orders search

messages: install
	for app in $(APPS_WITH_MESSAGES); do (cd $$app && ../$(BIN)/django-admin makemessages -l zh_Hans && ../$(BIN)/django-admin compilemessages) || exit 1; done

# Search benchmark (see docs/bench.md): needs the services (`make services`). bench-search scores
# relevance and measures every backend (SQLite, PostgreSQL, Elasticsearch) at 10,000 and 100,000
# listings, each in a corpus of its own; bench-search-one measures the configured backend only.
ROUNDS ?= 100
BENCH_ARGS ?=
bench-relevance: install
	$(BIN)/python bench/search/relevance.py $(BENCH_ARGS)

bench-search: install
	$(BIN)/python bench/search/matrix.py --rounds $(ROUNDS) $(BENCH_ARGS)

bench-search-one: install
	$(BIN)/python bench/search/relevance.py
	$(BIN)/python bench/search/run.py --rounds $(ROUNDS) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 media
