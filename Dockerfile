# Runs `ouroboros serve` on a volume-mounted database.
#   docker build -t ouroboros .
#   docker run --rm -v ouroboros-data:/data ouroboros ouroboros token create admin --scope admin
#   docker run -p 8000:8000 -v ouroboros-data:/data ouroboros
# Binding to 0.0.0.0 requires an API token, so create one first (the first line above): the
# server refuses to start without one, and then every request but /health needs it.
# Dependencies are pinned by constraints.txt (`make constraints`); the CI `wheel` leg installs
# the built wheel with the same constraints and runs this CMD with these settings.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OUROBOROS_DB=/data/ouroboros.duckdb \
    OUROBOROS_ROOTS=/workspace \
    OUROBOROS_HOST=0.0.0.0 \
    OUROBOROS_PORT=8000

RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml setup.py README.md constraints.txt ./
COPY ouroboros ./ouroboros
COPY grammar ./grammar
COPY resolvers ./resolvers
COPY tools ./tools
COPY mcp_server ./mcp_server
RUN pip install --no-cache-dir -c constraints.txt . && useradd --create-home ouroboros \
    && mkdir -p /data /workspace && chown ouroboros /data /workspace

USER ouroboros
VOLUME ["/data"]
EXPOSE 8000
# No curl in the slim image: the healthcheck asks /health with Python's urllib (exit 1 on
# a refused connection, a timeout or a status other than 2xx).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('OUROBOROS_PORT', '8000'), timeout=4)"]
CMD ["ouroboros", "serve"]
