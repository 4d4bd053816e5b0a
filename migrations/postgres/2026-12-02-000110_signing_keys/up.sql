-- The installation's Ed25519 signing keys (execution certificates, processing agreement 10.3).
-- The private key is sealed with a key derived from the master secret (INZAGE_SECRET_KEY) and
-- this row's random salt (hex), bound to the kid: a copy of the store alone signs nothing.
-- A key is current while `retired_at` is NULL; at most one is (the unique index below), so
-- instances that create the first key at once end up with one. Retired keys stay published.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,     -- RFC 7638 JWK thumbprint (base64url SHA-256)
    public_key  TEXT NOT NULL,        -- base64url of the 32-byte Ed25519 public key (JWK "x")
    private_key BYTEA NOT NULL,       -- the 32-byte seed, sealed (crate::crypto)
    key_salt    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    retired_at  TIMESTAMP
);
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;

-- Signed execution certificates: a compact JWS (EdDSA) per executed plan.
CREATE TABLE certificates (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES requests (id),
    plan_id    TEXT NOT NULL,
    kid        TEXT NOT NULL REFERENCES signing_keys (kid),
    jws        TEXT NOT NULL,
    issued_at  TIMESTAMP NOT NULL
);
CREATE INDEX certificates_request ON certificates (request_id, issued_at);
