-- The audit trail becomes a hash chain per tenant (entries without a tenant form their own
-- chain, `chain` = ''). Rows written before this migration keep NULL in the new columns: the
-- chain starts after them (`inzage audit verify` reports them as unchained; none may follow
-- the first chained entry).
ALTER TABLE audit_log ADD COLUMN chain      TEXT;
ALTER TABLE audit_log ADD COLUMN seq        BIGINT;
ALTER TABLE audit_log ADD COLUMN actor_role TEXT;
ALTER TABLE audit_log ADD COLUMN grant_id   TEXT;
ALTER TABLE audit_log ADD COLUMN ip         TEXT;
ALTER TABLE audit_log ADD COLUMN prev_hash  TEXT;
ALTER TABLE audit_log ADD COLUMN hash       TEXT;
-- One entry per place in a chain: two writers can never fork it.
CREATE UNIQUE INDEX audit_log_chain_seq ON audit_log (chain, seq);
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at);

-- Append-only: no UPDATE or DELETE of an entry, whoever asks (Bijlage 2: logging of staff
-- access; the controller's audit right).
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Grants carry why they were given, and when the grantee first used them (one mail then).
ALTER TABLE access_grants ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE access_grants ADD COLUMN first_used_at TIMESTAMP;
CREATE INDEX access_grants_tenant_created ON access_grants (tenant_id, created_at);
