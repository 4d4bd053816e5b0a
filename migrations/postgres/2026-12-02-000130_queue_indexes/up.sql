-- The console's queue over 1,000,000 requests (benches/console_queue.rs, README "Performance").
--
-- Search by e-mail address (`POST /console/search`) reads the requests of one normalised
-- subject address. Migration 2026-12-02-000050 dropped `requests_subject_email` because no
-- query read requests by address then; the console's search does now, and without an index
-- it reads every row (a sequential scan of the table: far over the 100 ms a page may take).
-- It costs every intake one more index write (about a tenth of the minimal durable write,
-- measured with that migration): the price of finding a subject's requests when they call.
CREATE INDEX requests_subject_email ON requests (subject_email_norm);
-- The channel filter (`?channel=letter`, alone or with a tenant, open or overdue): requests of
-- one channel in due order, and their count. `request_counts` does not keep channels, so the
-- count is read from this index; with tenant, closed_at and paused_since in it, a channel
-- with a tenant or with "only open"/"only overdue" is answered from the index alone (measured
-- over 1,000,000 requests: a controller's letters 344 ms → 2 ms, open phone requests
-- 677 ms → 3 ms; benches/console_queue.rs).
CREATE INDEX requests_channel_due ON requests (channel, due_at, reference, tenant_id, closed_at, paused_since);
