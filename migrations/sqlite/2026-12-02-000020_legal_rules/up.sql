-- The legal rules reviewed against the statutes (2026-12).

-- A tenant's kind of controller decides the remedies the subject is told: a private
-- controller (complaint to the Autoriteit Persoonsgegevens, verzoekschrift under UAVG art. 35)
-- or a public body (bezwaar under UAVG art. 34 and Awb 6:7, then the administrative court).
ALTER TABLE tenants ADD COLUMN sector TEXT NOT NULL DEFAULT 'private';

-- Closed requests whose personal fields the retention job erased (GDPR art. 5(1)(e)); the
-- request row keeps the anonymous record (kind, tenant, dates, outcome, ground).
CREATE TABLE request_erasures (
    request_id TEXT PRIMARY KEY REFERENCES requests (id),
    erased_at  TIMESTAMP NOT NULL
);
CREATE INDEX requests_closed ON requests (closed_at) WHERE closed_at IS NOT NULL;
