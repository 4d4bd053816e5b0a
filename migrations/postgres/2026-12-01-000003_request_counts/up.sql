-- How many requests there are per (tenant, status, kind), kept by triggers in the same
-- transaction as every change, so the queue's `total` is a sum over a few rows instead of a
-- count over every request. Each key is spread over 16 shards (picked at random per change)
-- so concurrent intakes do not queue on one counter row.
CREATE TABLE request_counts (
    tenant_id TEXT NOT NULL,          -- '' for requests not yet assigned
    status    TEXT NOT NULL,
    kind      TEXT NOT NULL,
    shard     INTEGER NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, status, kind, shard)
);

INSERT INTO request_counts (tenant_id, status, kind, shard, n)
SELECT COALESCE(tenant_id, ''), status, kind, 0, COUNT(*) FROM requests GROUP BY 1, 2, 3;

CREATE FUNCTION inzage_count_requests() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO request_counts AS c (tenant_id, status, kind, shard, n)
        VALUES (COALESCE(OLD.tenant_id, ''), OLD.status, OLD.kind, floor(random() * 16)::int, -1)
        ON CONFLICT (tenant_id, status, kind, shard) DO UPDATE SET n = c.n - 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO request_counts AS c (tenant_id, status, kind, shard, n)
        VALUES (COALESCE(NEW.tenant_id, ''), NEW.status, NEW.kind, floor(random() * 16)::int, 1)
        ON CONFLICT (tenant_id, status, kind, shard) DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER requests_count_insert AFTER INSERT OR DELETE ON requests
    FOR EACH ROW EXECUTE FUNCTION inzage_count_requests();
CREATE TRIGGER requests_count_update AFTER UPDATE OF tenant_id, status, kind ON requests
    FOR EACH ROW
    WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.status <> NEW.status OR OLD.kind <> NEW.kind)
    EXECUTE FUNCTION inzage_count_requests();
