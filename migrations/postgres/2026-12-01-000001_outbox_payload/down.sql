DROP INDEX requests_status_due;
CREATE INDEX requests_status_due ON requests (status, due_at, reference);
DROP INDEX requests_tenant_due;
CREATE INDEX requests_tenant_due ON requests (tenant_id, due_at, reference);
ALTER TABLE outbox ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN body_text TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox DROP COLUMN payload;
