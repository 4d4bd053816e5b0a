-- Plans that carry out rectification, erasure and restriction in a tenant's databases
-- (GDPR art. 16-19; processing agreement 3.7, 7.5(ii)-(iii), 10.3). One row per plan; at most
-- one draft per request is current (a newer one supersedes it). No personal data: which
-- tables and columns, how many rows; a rectification's new values are kept sealed
-- (AES-256-GCM under the installation's key) only until the plan is carried out or replaced.
CREATE TABLE execution_plans (
    id             TEXT PRIMARY KEY,
    request_id     TEXT NOT NULL REFERENCES requests (id),
    kind           TEXT NOT NULL,            -- erasure | restriction | lift | rectification
    state          TEXT NOT NULL,            -- draft | superseded | approved | running | done | failed
    systems        TEXT NOT NULL,            -- JSON: per system and table the action and dry-run rows
    recipients     TEXT NOT NULL,            -- JSON: the data map's recipients of the tables touched
    sealed_changes TEXT,                     -- rectification only, until executed
    result         TEXT,                     -- JSON: columns changed and SHA-256 of old values
    error          TEXT,
    created_by     TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    approved_by    TEXT,
    approved_email TEXT,
    approved_at    TIMESTAMP,
    finished_at    TIMESTAMP
);
CREATE INDEX execution_plans_request ON execution_plans (request_id, created_at);

-- Per system of a plan: how far its execution is. A system is one transaction in its own
-- database: 'committing' is written just before that commit, 'done' just after.
CREATE TABLE execution_systems (
    plan_id      TEXT NOT NULL REFERENCES execution_plans (id),
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    state        TEXT NOT NULL,              -- pending | committing | done
    rows_done    INTEGER NOT NULL,
    result       TEXT,                       -- JSON: per table the action and rows, as executed
    committed_at TIMESTAMP,
    PRIMARY KEY (plan_id, position)
);
