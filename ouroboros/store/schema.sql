-- The Ouroboros store schema, version 5 (see schema.py for migrations; a fresh file gets this
-- DDL whole, an older one the migration steps, and both end with the same tables and columns).
-- No indexes or constraints beyond the table shapes: the owner process is the only writer and
-- enforces uniqueness under its write lock, reads are served from its in-memory model, and DuckDB
-- ART indexes on hot, updated tables are where its known WAL-replay bugs live.

CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR NOT NULL,
    value VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS memory (
    key        VARCHAR   NOT NULL,
    value      VARCHAR   NOT NULL,  -- JSON text
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS entities (
    id          BIGINT    NOT NULL,
    name        VARCHAR   NOT NULL,
    entity_type VARCHAR   NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

-- Observations and relations are bi-temporal (version 2): valid time [valid_from, valid_to)
-- is when the fact held in the world (NULL: unknown, read as open-ended); record time
-- [created_at, expired_at) is when the store held this row as the truth (expired_at NULL: it
-- still does). An invalidation expires the row and records a successor whose valid_to is set.
CREATE TABLE IF NOT EXISTS observations (
    entity_id  BIGINT    NOT NULL,
    seq        BIGINT    NOT NULL,  -- global insertion order
    content    VARCHAR   NOT NULL,
    created_at TIMESTAMP NOT NULL,  -- record time: when the store learned it (recordedAt)
    valid_from TIMESTAMP,
    valid_to   TIMESTAMP,
    expired_at TIMESTAMP
);

CREATE TABLE IF NOT EXISTS relations (
    src           BIGINT    NOT NULL,
    dst           BIGINT    NOT NULL,
    relation_type VARCHAR   NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    valid_from    TIMESTAMP,
    valid_to      TIMESTAMP,
    expired_at    TIMESTAMP
);

-- Other names an entity is found by (merge_entities records the merged name here).
CREATE TABLE IF NOT EXISTS aliases (
    alias      VARCHAR   NOT NULL,  -- as given
    norm       VARCHAR   NOT NULL,  -- normalised form (see store/names.py)
    entity_id  BIGINT    NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Ingested documents and conversations: what each one became, for re-ingest and provenance.
CREATE TABLE IF NOT EXISTS sources (
    document    VARCHAR   NOT NULL,  -- path or conversation id
    kind        VARCHAR   NOT NULL,  -- markdown, text or transcript
    digest      VARCHAR   NOT NULL,  -- SHA-256 of the content ingested
    chunks      VARCHAR   NOT NULL,  -- JSON array of the entity names it produced
    ingested_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS embeddings (
    entity_id BIGINT     NOT NULL,
    model     VARCHAR    NOT NULL,
    digest    VARCHAR    NOT NULL,  -- hash of the text that was embedded
    vector    FLOAT[384] NOT NULL
);

CREATE TABLE IF NOT EXISTS events (
    ts          TIMESTAMP NOT NULL,
    kind        VARCHAR   NOT NULL,
    name        VARCHAR   NOT NULL,
    ok          BOOLEAN   NOT NULL,
    duration_ms DOUBLE    NOT NULL,
    details     VARCHAR            -- JSON text
);

CREATE TABLE IF NOT EXISTS audit (
    ts      TIMESTAMP NOT NULL,
    actor   VARCHAR   NOT NULL,
    action  VARCHAR   NOT NULL,
    target  VARCHAR   NOT NULL,
    outcome VARCHAR   NOT NULL,
    details VARCHAR            -- JSON text
);

CREATE TABLE IF NOT EXISTS tokens (
    id          VARCHAR   NOT NULL,
    name        VARCHAR   NOT NULL,
    scopes      VARCHAR   NOT NULL,  -- JSON array
    secret_hash VARCHAR   NOT NULL,  -- SHA-256 hex of the secret; the secret is never stored
    created_at  TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at  TIMESTAMP
);

-- Bootstrapped OpenAPI clients (version 3), so every process on the file sees them. URLs are
-- stored with secrets redacted; redacted says the base URL lost one (see apiclients.py).
CREATE TABLE IF NOT EXISTS openapi_clients (
    name         VARCHAR   NOT NULL,
    version      VARCHAR   NOT NULL,  -- new on every bootstrap (callers cache parsed clients by it)
    spec_url     VARCHAR   NOT NULL,
    base_url     VARCHAR   NOT NULL,
    redacted     BOOLEAN   NOT NULL,
    title        VARCHAR,
    spec_version VARCHAR   NOT NULL,
    spec         VARCHAR   NOT NULL,  -- JSON text of the whole spec
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);

-- Results of writes that arrived over RPC, so a client retrying after an owner died mid-call
-- gets the first result instead of running the write twice (see local.py).
CREATE TABLE IF NOT EXISTS rpc_results (
    request_id VARCHAR   NOT NULL,
    result     VARCHAR   NOT NULL,  -- JSON text
    created_at TIMESTAMP NOT NULL
);
