-- The subject's side (issue 15): the request form, a status page that does things, the copy
-- of the data delivered. The requests table is at diesel's 32-column limit, so what a request
-- gains here lives in side tables keyed by the request.

-- A listed tenant appears in the organisation list of the public form at `/`; an unlisted one
-- only by its own link (`/t/{slug}`).
ALTER TABLE tenants ADD COLUMN listed BOOLEAN NOT NULL DEFAULT FALSE;

-- How a completed request was answered (CONTRACT.md, Completion): `done` or `no_data` (an
-- answer, not a refusal), and the bundle released to the subject (art. 15(3), art. 20), if any.
CREATE TABLE request_results (
    request_id TEXT PRIMARY KEY REFERENCES requests (id),
    result     TEXT NOT NULL,
    bundle_id  TEXT REFERENCES bundles (id),
    created_at TIMESTAMP NOT NULL
);

-- One-time codes mailed before a released bundle is downloaded (the status link alone is not
-- enough). Only a hash of the code is kept; the code itself is derived from the secret key and
-- the row's id when the mail is rendered, so it is stored nowhere. A code dies after five
-- wrong tries or with its bundle.
CREATE TABLE download_codes (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    bundle_id  TEXT NOT NULL REFERENCES bundles (id),
    code_hash  TEXT NOT NULL,
    failures   INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX download_codes_request ON download_codes (request_id, created_at);
