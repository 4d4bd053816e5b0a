-- Intakes written together (group commit, `service::intake_writer`) count their requests once
-- per statement: one upsert per (tenant, status, kind) of the statement's rows, in key order.
-- A row-level trigger made each row of a group upsert a random shard, so two groups locked
-- shards of the same key in different orders and deadlocked (PostgreSQL ends one after
-- `deadlock_timeout`, a second). Locking the keys in one order, one shard each, cannot form a
-- cycle. Updates and deletes (one request at a time) keep the row-level trigger.
DROP TRIGGER requests_count_insert ON requests;

CREATE TRIGGER requests_count_delete AFTER DELETE ON requests
    FOR EACH ROW EXECUTE FUNCTION inzage_count_requests();

CREATE FUNCTION inzage_count_inserted_requests() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO request_counts AS c (tenant_id, status, kind, shard, n)
    SELECT tenant_id, status, kind, floor(random() * 16)::int, n
    FROM (SELECT COALESCE(tenant_id, '') AS tenant_id, status, kind, COUNT(*) AS n
          FROM inserted GROUP BY 1, 2, 3) AS per_key
    ORDER BY tenant_id, status, kind
    ON CONFLICT (tenant_id, status, kind, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE TRIGGER requests_count_inserted AFTER INSERT ON requests
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION inzage_count_inserted_requests();
