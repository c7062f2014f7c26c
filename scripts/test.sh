#!/usr/bin/env bash
# `make test`: the same preparation as `make run` (packages, servers), then lint, the formatter check, type
# checks (Python and the wall's TypeScript) and the suite.
# Tests use their own database and Redis database on the local servers, so a running `make run` is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
bash scripts/services.sh start

printf '\033[1;34m[test]\033[0m ruff\n'
.venv/bin/ruff check .
printf '\033[1;34m[test]\033[0m ruff format\n'
.venv/bin/ruff format --check .
printf '\033[1;34m[test]\033[0m mypy\n'
.venv/bin/mypy
printf '\033[1;34m[test]\033[0m tsc (the wall page)\n'
(cd ioc/wall/web && npm run --silent check)
printf '\033[1;34m[test]\033[0m pytest\n'
status=0
.venv/bin/pytest "$@" || status=$?
# pytest exits 5 when it collected nothing: that is a failure of the suite, not a pass.
[ $status -eq 5 ] && echo "no tests were collected" >&2
exit $status
