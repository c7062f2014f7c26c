# The two commands a fresh Debian/Ubuntu machine needs: `make run` and `make test`.
.PHONY: run stop test lint services status contract help
.DEFAULT_GOAL := help

help:
	@echo "make run    install what is missing, start PostGIS, Redis, Mosquitto and the API on http://127.0.0.1:8000"
	@echo "make stop   stop everything make run started"
	@echo "make test   the same preparation, then lint, type checks and the whole test suite"

run:
	@bash scripts/run.sh

stop:
	@bash scripts/stop.sh

test:
	@bash scripts/test.sh

lint:
	@bash scripts/bootstrap.sh && .venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

services:
	@bash scripts/bootstrap.sh && bash scripts/services.sh start

status:
	@bash scripts/services.sh status

contract:
	@.venv/bin/smartcity contract export
