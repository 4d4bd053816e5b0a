DROP TRIGGER requests_count_inserted ON requests;
DROP FUNCTION inzage_count_inserted_requests();
DROP TRIGGER requests_count_delete ON requests;
CREATE TRIGGER requests_count_insert AFTER INSERT OR DELETE ON requests
    FOR EACH ROW EXECUTE FUNCTION inzage_count_requests();
