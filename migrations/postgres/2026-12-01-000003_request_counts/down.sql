DROP TRIGGER requests_count_update ON requests;
DROP TRIGGER requests_count_insert ON requests;
DROP FUNCTION inzage_count_requests();
DROP TABLE request_counts;
