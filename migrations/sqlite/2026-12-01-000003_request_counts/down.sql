DROP TRIGGER requests_count_update;
DROP TRIGGER requests_count_delete;
DROP TRIGGER requests_count_insert;
DROP TABLE request_counts;
