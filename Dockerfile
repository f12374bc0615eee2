# Runs `ouroboros serve` on a volume-mounted database.
#   docker build -t ouroboros .
#   docker run -p 8000:8000 -v ouroboros-data:/data -e OUROBOROS_TOKEN_REQUIRED=1 ouroboros
# Binding to 0.0.0.0 requires auth tokens: create one first with
#   docker run --rm -v ouroboros-data:/data ouroboros ouroboros token create admin --scope admin
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OUROBOROS_DB=/data/ouroboros.duckdb \
    OUROBOROS_ROOTS=/workspace

RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY ouroboros ./ouroboros
COPY grammar ./grammar
COPY resolvers ./resolvers
COPY tools ./tools
COPY mcp_server ./mcp_server
RUN pip install --no-cache-dir . && useradd --create-home ouroboros \
    && mkdir -p /data /workspace && chown ouroboros /data /workspace

USER ouroboros
VOLUME ["/data"]
EXPOSE 8000
CMD ["ouroboros", "serve", "--host", "0.0.0.0", "--port", "8000"]
