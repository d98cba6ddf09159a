# stocktake in a container: `stocktake serve` as an unprivileged user on port 8000.
# Settings come from the environment (docs/deploy.md, section 1); the database is
# PostgreSQL (STOCKTAKE_DATABASE_URL) or a SQLite file on a volume at /var/lib/stocktake.
FROM python:3.12-slim

# Pango and Cairo for the PDF packs (WeasyPrint) and the charts as PNG (cairosvg).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libcairo2 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/stocktake
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . && useradd --system --create-home --home-dir /var/lib/stocktake stocktake

USER stocktake
WORKDIR /var/lib/stocktake
ENV STOCKTAKE_HOST=0.0.0.0 \
    STOCKTAKE_PORT=8000 \
    STOCKTAKE_DATABASE_URL=sqlite:////var/lib/stocktake/stocktake.db
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s \
  CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["stocktake", "serve"]
