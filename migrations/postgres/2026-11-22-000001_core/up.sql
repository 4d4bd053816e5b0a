-- inzage's own store (PostgreSQL). Timestamps are UTC (timestamp without time zone);
-- dates are Europe/Amsterdam calendar dates. Ids are text (UUIDs) so both backends share types.

CREATE TABLE tenants (
    id                   TEXT PRIMARY KEY,
    slug                 TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    contact_email        TEXT NOT NULL,
    language             TEXT NOT NULL DEFAULT 'nl',
    datamap_path         TEXT,
    id_document_required BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'support', 'controller')),
    tenant_id     TEXT REFERENCES tenants (id),
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMP NOT NULL,
    CHECK ((role = 'controller') = (tenant_id IS NOT NULL))
);

CREATE TABLE requests (
    id                    TEXT PRIMARY KEY,
    reference             TEXT NOT NULL UNIQUE,
    tenant_id             TEXT REFERENCES tenants (id),
    kind                  TEXT NOT NULL,
    status                TEXT NOT NULL,
    channel               TEXT NOT NULL,
    language              TEXT NOT NULL,
    subject_name          TEXT NOT NULL,
    subject_email         TEXT NOT NULL,
    subject_email_norm    TEXT NOT NULL,
    subject_phone         TEXT,
    details               TEXT,
    received_at           TIMESTAMP NOT NULL,
    received_on           DATE NOT NULL,
    legal_due             DATE NOT NULL,
    promised_due          DATE NOT NULL,
    extended_due          DATE,
    extension_months      INTEGER,
    extension_reason      TEXT,
    paused_days           INTEGER NOT NULL DEFAULT 0,
    paused_since          DATE,
    identity_pending      BOOLEAN NOT NULL DEFAULT FALSE,
    due_at                TIMESTAMP NOT NULL,
    -- {"by", "at", "method"}: only that identity was checked, never the document (EDPB 01/2022).
    identity_check        TEXT,
    outcome               TEXT,
    refusal_ground        TEXT,
    refusal_reason        TEXT,
        closed_at             TIMESTAMP,
    -- When the deadline sweep should next look at this request (its next reminder stage);
    -- NULL while paused or closed. The sweep reads only rows with this moment passed.
    next_reminder_at      TIMESTAMP,
    version               INTEGER NOT NULL DEFAULT 0,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL
);
-- The queue: open requests, soonest deadline first (partial: closed ones are history). The
-- trailing columns let the deadlines view count per tenant from the index alone.
CREATE INDEX requests_open_due ON requests (due_at, reference, tenant_id, paused_since) WHERE closed_at IS NULL;
CREATE INDEX requests_tenant_due ON requests (tenant_id, due_at, reference);
CREATE INDEX requests_status_due ON requests (status, due_at, reference);
CREATE INDEX requests_due ON requests (due_at, reference);
CREATE INDEX requests_subject_email ON requests (subject_email_norm);
CREATE INDEX requests_tenant_status_due ON requests (tenant_id, status, due_at, reference);
CREATE INDEX requests_next_reminder ON requests (next_reminder_at) WHERE next_reminder_at IS NOT NULL;

-- Intakes sent with an Idempotency-Key: the same key and body answer with the same request.
CREATE TABLE idempotency_keys (
    key        TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    body_hash  TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Append-only history of a request.
CREATE TABLE request_events (
    id          BIGSERIAL PRIMARY KEY,
    request_id  TEXT NOT NULL REFERENCES requests (id),
    at          TIMESTAMP NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT,
    actor_label TEXT NOT NULL,
    kind        TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    note        TEXT,
    data        TEXT,
    public      BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX request_events_request ON request_events (request_id, id);

-- Extra identifiers staff add to find the subject's rows (phone, customer id).
CREATE TABLE request_identities (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    added_by   TEXT,
    added_at   TIMESTAMP NOT NULL,
    UNIQUE (request_id, kind, value)
);

-- SQLite allocates reference numbers from this table; PostgreSQL uses a sequence per year.
CREATE TABLE reference_counters (
    year       INTEGER PRIMARY KEY,
    last_value BIGINT NOT NULL
);

-- Single-use tokens (verification links) that have been spent.
CREATE TABLE used_tokens (
    jti        TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    used_at    TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- Background work shared by every instance (claimed with FOR UPDATE SKIP LOCKED).
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    dedupe_key   TEXT UNIQUE,
    state        TEXT NOT NULL,
    run_after    TIMESTAMP NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    locked_by    TEXT,
    locked_until TIMESTAMP,
    last_error   TEXT,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP
);
CREATE INDEX jobs_ready ON jobs (run_after) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_state ON jobs (state, kind);

-- Mail written in the same transaction as the change that causes it.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    request_id      TEXT REFERENCES requests (id),
    template        TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    language        TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    message_id      TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_by       TEXT,
    locked_until    TIMESTAMP,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE state = 'pending';

-- Deadline reminders, each stage once per request.
CREATE TABLE reminders (
    request_id TEXT NOT NULL REFERENCES requests (id),
    stage      TEXT NOT NULL,
        target     DATE NOT NULL,
    sent_at    TIMESTAMP NOT NULL,
    -- false: the stage was reached while a later one was due, and recorded without a mail.
    mailed     BOOLEAN NOT NULL,
    PRIMARY KEY (request_id, stage, target)
);

-- A controller's time-boxed permission for a support user to reach its data.
CREATE TABLE access_grants (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    grantee_id TEXT NOT NULL REFERENCES users (id),
    granted_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    revoked_by TEXT REFERENCES users (id)
);
CREATE INDEX access_grants_lookup ON access_grants (tenant_id, grantee_id, expires_at);

-- Reads of personal data by staff that are not a request's own event.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    actor_id    TEXT,
    actor_label TEXT NOT NULL,
    action      TEXT NOT NULL,
    tenant_id   TEXT,
    request_id  TEXT,
    detail      TEXT
);
CREATE INDEX audit_log_request ON audit_log (request_id, id);

-- Files at rest (bundles, ID copies), encrypted before they reach the storage.
CREATE TABLE stored_files (
    id         TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    size_bytes BIGINT NOT NULL DEFAULT 0,
    complete   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
-- PostgreSQL store only: the encrypted bytes, in chunks, so any instance serves any file.
CREATE TABLE file_chunks (
    file_id TEXT NOT NULL REFERENCES stored_files (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    data    BYTEA NOT NULL,
    PRIMARY KEY (file_id, seq)
);

CREATE TABLE bundles (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL REFERENCES requests (id),
    status       TEXT NOT NULL,
    tables_done  INTEGER NOT NULL DEFAULT 0,
    tables_total INTEGER NOT NULL DEFAULT 0,
    row_count    BIGINT NOT NULL DEFAULT 0,
    file_id      TEXT REFERENCES stored_files (id) ON DELETE SET NULL,
    size_bytes   BIGINT,
    sha256       TEXT,
    error        TEXT,
    requested_by TEXT,
    created_at   TIMESTAMP NOT NULL,
    started_at   TIMESTAMP,
    finished_at  TIMESTAMP,
    expires_at   TIMESTAMP
);
CREATE INDEX bundles_request ON bundles (request_id, created_at);

CREATE TABLE id_documents (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL REFERENCES requests (id),
    file_id      TEXT REFERENCES stored_files (id) ON DELETE SET NULL,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    uploaded_at  TIMESTAMP NOT NULL,
    deleted_at   TIMESTAMP
);
CREATE INDEX id_documents_request ON id_documents (request_id);
