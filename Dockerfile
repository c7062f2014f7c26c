# syntax=docker/dockerfile:1
# The smartcity backend image: one image for the API, the one-shot migration job and the workers
# (docker-compose.yml picks the command). Build: docker build -t smartcity-backend .

# Both stages must share the interpreter: the virtual environment built in the first one points at it.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# The wall page's bundle (/ioc): MapLibre and the page's own code, from package-lock.json alone, so the
# running image needs no node and fetches nothing. Debian's Node.js, as scripts/bootstrap.sh installs it.
FROM ${PYTHON_IMAGE} AS wall
RUN apt-get update -q \
    && apt-get install -y -q --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src/ioc/wall/web
COPY ioc/wall/web/package.json ioc/wall/web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY ioc/wall/web/ ./
RUN npm run --silent build


FROM ${PYTHON_IMAGE} AS build

# The same uv as scripts/bootstrap.sh, so that the image resolves uv.lock exactly as developers and CI do.
ARG UV_VERSION=0.13.8
RUN pip install --no-cache-dir --disable-pip-version-check --root-user-action=ignore "uv==${UV_VERSION}"

# Use the image's Python, never a downloaded one. Bytecode is compiled at build time because the running
# process cannot write it: the code belongs to root.
ENV UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=python3.11 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /app

# Dependencies first, alone: this layer is rebuilt only when the lock changes, not on every code change.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

COPY README.md ./
COPY core/ core/
COPY api/ api/
COPY feedback/ feedback/
COPY dossiers/ dossiers/
COPY iot/ iot/
COPY ioc/ ioc/
COPY --from=wall /src/ioc/wall/static/dist/ ioc/wall/static/dist/
COPY mobile_contract/ mobile_contract/
COPY migrations/ migrations/
COPY data/ data/

# The project is installed editable (uv's default) on purpose: the settings find data/ and the migrations beside
# the packages, under /app, which a wheel in site-packages would not have.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev \
    && python -m compileall -q core api feedback dossiers iot ioc mobile_contract migrations


FROM ${PYTHON_IMAGE} AS runtime

# A fixed uid, so that volume ownership does not depend on the order users were created in.
ARG APP_UID=10001
RUN groupadd --system --gid "${APP_UID}" smartcity \
    && useradd --system --uid "${APP_UID}" --gid smartcity --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin smartcity \
    && install -d -o smartcity -g smartcity -m 0750 /var/lib/smartcity

# Code and dependencies stay owned by root: the process that serves requests cannot change them.
COPY --from=build /app /app

# Production unless told otherwise: the settings then refuse to start with the development secrets.
ENV PATH=/app/.venv/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SMARTCITY_PROFILE=production \
    SMARTCITY_STATE_DIR=/var/lib/smartcity

WORKDIR /app
USER smartcity

EXPOSE 8000

# Liveness only; docker-compose.yml checks readiness (/ready) for the API service. The slim image has no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

# In a container the API must listen on all of the container's interfaces to be reachable through the published
# port; the settings' loopback default is right on a developer's machine, not here.
CMD ["smartcity", "serve", "--host", "0.0.0.0", "--port", "8000"]
