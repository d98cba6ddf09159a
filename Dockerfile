# stocktake in a container: `stocktake serve` as an unprivileged user on port 8000.
# Settings come from the environment (docs/deploy.md, section 1); the database is
# PostgreSQL (STOCKTAKE_DATABASE_URL) or a SQLite file on a volume at /var/lib/stocktake.
#
# BASE is any Debian bookworm (or later) image with python3 (3.11 or later) and its venv
# module; a machine without Docker Hub passes its own (scripts/container-check builds one).
ARG BASE=python:3.12-slim-bookworm
FROM ${BASE}

# Pango and Cairo for the PDF packs (WeasyPrint); librsvg for the office documents' charts
# as PNG (CairoSVG stands in without it, about four times slower).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libcairo2 \
      librsvg2-2 \
 && rm -rf /var/lib/apt/lists/*

# The package in its own virtual environment (Debian's system Python refuses a plain
# `pip install`), from this repository; its dependencies from PyPI. pip itself first: an
# older one (bookworm's 23.0) installs pyspark by the deprecated `setup.py install`.
WORKDIR /opt/stocktake
COPY pyproject.toml README.md ./
COPY src ./src
RUN python3 -m venv /opt/stocktake/.venv \
 && /opt/stocktake/.venv/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/stocktake/.venv/bin/pip install --no-cache-dir . \
 && useradd --uid 10001 --user-group --create-home --home-dir /var/lib/stocktake \
      stocktake
ENV PATH=/opt/stocktake/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1

USER stocktake
WORKDIR /var/lib/stocktake
# The SQLite file (when STOCKTAKE_DATABASE_URL names no server) lives on this volume.
VOLUME /var/lib/stocktake
ENV STOCKTAKE_HOST=0.0.0.0 \
    STOCKTAKE_PORT=8000 \
    STOCKTAKE_WORKERS=2 \
    STOCKTAKE_DATABASE_URL=sqlite:////var/lib/stocktake/stocktake.db
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import os, sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['STOCKTAKE_PORT']).status != 200)"
CMD ["stocktake", "serve"]
