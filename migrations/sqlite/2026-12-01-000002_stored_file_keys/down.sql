DROP INDEX id_documents_held;
DROP INDEX stored_files_incomplete;
ALTER TABLE stored_files DROP COLUMN key_salt;
