DROP INDEX requests_closed;
DROP TABLE request_erasures;
ALTER TABLE tenants DROP COLUMN sector;
