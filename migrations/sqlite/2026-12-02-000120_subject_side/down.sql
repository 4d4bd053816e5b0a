DROP TABLE download_codes;
DROP TABLE request_results;
ALTER TABLE tenants DROP COLUMN listed;
