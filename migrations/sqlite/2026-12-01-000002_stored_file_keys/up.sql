-- Each stored file is sealed with its own key, derived from the purpose key and this random
-- salt (hex). The salt lives here, not beside the bytes: deleting the row makes the bytes
-- unreadable at once, even if removing them fails or a crash comes first (GDPR art. 5(1)(e), 32).
ALTER TABLE stored_files ADD COLUMN key_salt TEXT;

-- Maintenance finds files that were never finished; retention finds ID copies still held.
CREATE INDEX stored_files_incomplete ON stored_files (created_at) WHERE complete = 0;
CREATE INDEX id_documents_held ON id_documents (uploaded_at) WHERE deleted_at IS NULL;
