-- The Ouroboros store schema on PostgreSQL, version 1: a new database gets this, then every
-- step in pgdatabase.MIGRATIONS (the tables added later are defined there, once).
-- Unlike the DuckDB file, several processes write here at once: uniqueness lives in
-- constraints, and reads are served by indexes (no process holds the graph in memory).

CREATE TABLE ouroboros_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE memory (
    key        text      PRIMARY KEY,
    value      text      NOT NULL,  -- JSON text
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL
);

CREATE TABLE entities (
    id          bigserial PRIMARY KEY,
    name        text      NOT NULL UNIQUE,
    entity_type text      NOT NULL,
    created_at  timestamp NOT NULL,
    updated_at  timestamp NOT NULL,
    doc_len     integer   NOT NULL DEFAULT 0  -- keyword-index length (BM25)
);

CREATE TABLE observations (
    entity_id  bigint    NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    seq        bigserial NOT NULL,  -- global insertion order
    content    text      NOT NULL,
    created_at timestamp NOT NULL,
    PRIMARY KEY (entity_id, content)
);
CREATE INDEX observations_by_entity ON observations (entity_id, seq);

CREATE TABLE relations (
    src           bigint    NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    dst           bigint    NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    relation_type text      NOT NULL,
    created_at    timestamp NOT NULL,
    seq           bigserial NOT NULL,
    PRIMARY KEY (src, relation_type, dst)
);
CREATE INDEX relations_by_dst ON relations (dst);
CREATE INDEX relations_by_seq ON relations (seq);

-- The keyword index: analyzed terms of each entity (name terms weighted), kept in the write's
-- transaction, so every instance's search sees every committed write.
CREATE TABLE postings (
    term      text    NOT NULL,
    entity_id bigint  NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    tf        integer NOT NULL,
    PRIMARY KEY (term, entity_id)
);
CREATE INDEX postings_by_entity ON postings (entity_id);

CREATE TABLE events (
    ts          timestamp        NOT NULL,
    kind        text             NOT NULL,
    name        text             NOT NULL,
    ok          boolean          NOT NULL,
    duration_ms double precision NOT NULL,
    details     text
);
CREATE INDEX events_by_ts ON events (ts);

CREATE TABLE audit (
    ts      timestamp NOT NULL,
    actor   text      NOT NULL,
    action  text      NOT NULL,
    target  text      NOT NULL,
    outcome text      NOT NULL,
    details text
);
CREATE INDEX audit_by_ts ON audit (ts);

CREATE TABLE tokens (
    id           text      PRIMARY KEY,
    name         text      NOT NULL,
    scopes       text      NOT NULL,
    secret_hash  text      NOT NULL UNIQUE,
    created_at   timestamp NOT NULL,
    last_used_at timestamp,
    revoked_at   timestamp
);

-- Counters the reads need at once (entity count and total indexed length for BM25, counts):
-- updated in the writes' transactions.
CREATE TABLE ouroboros_stats (
    n_entities     bigint NOT NULL,
    n_observations bigint NOT NULL,
    n_relations    bigint NOT NULL,
    total_len      bigint NOT NULL
);
INSERT INTO ouroboros_stats VALUES (0, 0, 0, 0);
