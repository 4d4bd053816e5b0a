CREATE INDEX requests_subject_email ON requests (subject_email_norm);
