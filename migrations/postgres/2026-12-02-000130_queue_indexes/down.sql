DROP INDEX requests_channel_due;
DROP INDEX requests_subject_email;
