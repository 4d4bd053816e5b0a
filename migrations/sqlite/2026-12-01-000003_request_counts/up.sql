-- How many requests there are per (tenant, status, kind), kept by triggers in the same
-- transaction as every change, so the queue's `total` is a sum over a few rows instead of a
-- count over every request. (One writer: one shard per key.)
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

CREATE TRIGGER requests_count_insert AFTER INSERT ON requests
BEGIN
    INSERT INTO request_counts (tenant_id, status, kind, shard, n)
    VALUES (COALESCE(NEW.tenant_id, ''), NEW.status, NEW.kind, 0, 1)
    ON CONFLICT (tenant_id, status, kind, shard) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER requests_count_delete AFTER DELETE ON requests
BEGIN
    INSERT INTO request_counts (tenant_id, status, kind, shard, n)
    VALUES (COALESCE(OLD.tenant_id, ''), OLD.status, OLD.kind, 0, -1)
    ON CONFLICT (tenant_id, status, kind, shard) DO UPDATE SET n = n - 1;
END;

CREATE TRIGGER requests_count_update AFTER UPDATE OF tenant_id, status, kind ON requests
WHEN OLD.tenant_id IS NOT NEW.tenant_id OR OLD.status <> NEW.status OR OLD.kind <> NEW.kind
BEGIN
    INSERT INTO request_counts (tenant_id, status, kind, shard, n)
    VALUES (COALESCE(OLD.tenant_id, ''), OLD.status, OLD.kind, 0, -1)
    ON CONFLICT (tenant_id, status, kind, shard) DO UPDATE SET n = n - 1;
    INSERT INTO request_counts (tenant_id, status, kind, shard, n)
    VALUES (COALESCE(NEW.tenant_id, ''), NEW.status, NEW.kind, 0, 1)
    ON CONFLICT (tenant_id, status, kind, shard) DO UPDATE SET n = n + 1;
END;
