-- The outbox keeps a message's context (JSON, small) instead of three rendered bodies; the
-- sender renders it in `language` when it sends, so intake writes less.
ALTER TABLE outbox ADD COLUMN payload TEXT NOT NULL DEFAULT '{}';
ALTER TABLE outbox DROP COLUMN subject;
ALTER TABLE outbox DROP COLUMN body_text;
ALTER TABLE outbox DROP COLUMN body_html;

-- A tenant's queue in deadline order; the trailing columns answer its filters (status,
-- kind, open, overdue) and counts from the index alone.
DROP INDEX requests_tenant_due;
CREATE INDEX requests_tenant_due ON requests (tenant_id, due_at, reference, status, kind, closed_at, paused_since);
DROP INDEX requests_status_due;
CREATE INDEX requests_status_due ON requests (status, due_at, reference, kind, tenant_id);
