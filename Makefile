# Two commands for a fresh clone (Python 3.11+ only):
#   make run   - install into .venv, migrate, load demo data, serve the back office on http://127.0.0.1:8000/admin/
#   make test  - run the whole test suite against PostgreSQL and Redis (127.0.0.1:5432 / :6379 by default)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# What partners are told to call: the served address unless OCPI_BASE_URL is set (environment or make argument).
OCPI_BASE_URL ?= http://$(HOST):$(PORT)
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/roaming
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test install lint format bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# DEBUG on for the local development server: settings then accept the development SECRET_KEY and encryption key.
run: export DEBUG ?= true
run: install
	$(BIN)/python manage.py migrate --noinput
	OCPI_BASE_URL=$(OCPI_BASE_URL) $(BIN)/python manage.py load_demo_data
	@echo "Admin: http://$(HOST):$(PORT)/admin/  (user: admin, password: admin)"
	OCPI_BASE_URL=$(OCPI_BASE_URL) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
