//! One schema for both backends, in the types `MultiConnection` shares
//! (Text ids, naive UTC Timestamp, Date, JSON as Text; Bool as SQLite INTEGER 0/1 and PostgreSQL
//! BOOLEAN, through diesel's own mapping).

diesel::table! {
    tenants (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        contact_email -> Text,
        language -> Text,
        datamap_path -> Nullable<Text>,
        id_document_required -> Bool,
        created_at -> Timestamp,
        sector -> Text,
        listed -> Bool,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        tenant_id -> Nullable<Text>,
        disabled -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    requests (id) {
        id -> Text,
        reference -> Text,
        tenant_id -> Nullable<Text>,
        kind -> Text,
        status -> Text,
        channel -> Text,
        language -> Text,
        subject_name -> Text,
        subject_email -> Text,
        subject_email_norm -> Text,
        subject_phone -> Nullable<Text>,
        details -> Nullable<Text>,
        received_at -> Timestamp,
        received_on -> Date,
        legal_due -> Date,
        promised_due -> Date,
        extended_due -> Nullable<Date>,
        extension_months -> Nullable<Integer>,
        extension_reason -> Nullable<Text>,
        paused_days -> Integer,
        paused_since -> Nullable<Date>,
        identity_pending -> Bool,
        due_at -> Timestamp,
        identity_check -> Nullable<Text>,
        outcome -> Nullable<Text>,
        refusal_ground -> Nullable<Text>,
        refusal_reason -> Nullable<Text>,
                closed_at -> Nullable<Timestamp>,
        next_reminder_at -> Nullable<Timestamp>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (key) {
        key -> Text,
        request_id -> Text,
        body_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    request_events (id) {
        id -> BigInt,
        request_id -> Text,
        at -> Timestamp,
        actor_kind -> Text,
        actor_id -> Nullable<Text>,
        actor_label -> Text,
        kind -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        note -> Nullable<Text>,
        data -> Nullable<Text>,
        public -> Bool,
    }
}

diesel::table! {
    request_identities (id) {
        id -> Text,
        request_id -> Text,
        kind -> Text,
        value -> Text,
        added_by -> Nullable<Text>,
        added_at -> Timestamp,
    }
}

diesel::table! {
    reference_counters (year) {
        year -> Integer,
        last_value -> BigInt,
    }
}

diesel::table! {
    used_tokens (jti) {
        jti -> Text,
        purpose -> Text,
        used_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    jobs (id) {
        id -> Text,
        kind -> Text,
        payload -> Text,
        dedupe_key -> Nullable<Text>,
        state -> Text,
        run_after -> Timestamp,
        attempts -> Integer,
        max_attempts -> Integer,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        request_id -> Nullable<Text>,
        template -> Text,
        recipient -> Text,
        language -> Text,
        payload -> Text,
        message_id -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_by -> Nullable<Text>,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reminders (request_id, stage, target) {
        request_id -> Text,
        stage -> Text,
                target -> Date,
        sent_at -> Timestamp,
        mailed -> Bool,
    }
}

diesel::table! {
    access_grants (id) {
        id -> Text,
        tenant_id -> Text,
        grantee_id -> Text,
        granted_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<Text>,
        reason -> Text,
        first_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor_label -> Text,
        action -> Text,
        tenant_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        detail -> Nullable<Text>,
        chain -> Nullable<Text>,
        seq -> Nullable<BigInt>,
        actor_role -> Nullable<Text>,
        grant_id -> Nullable<Text>,
        ip -> Nullable<Text>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
    }
}

diesel::table! {
    stored_files (id) {
        id -> Text,
        purpose -> Text,
        size_bytes -> BigInt,
        complete -> Bool,
        created_at -> Timestamp,
        key_salt -> Nullable<Text>,
    }
}

diesel::table! {
    file_chunks (file_id, seq) {
        file_id -> Text,
        seq -> Integer,
        data -> Binary,
    }
}

diesel::table! {
    bundles (id) {
        id -> Text,
        request_id -> Text,
        status -> Text,
        tables_done -> Integer,
        tables_total -> Integer,
        row_count -> BigInt,
        file_id -> Nullable<Text>,
        size_bytes -> Nullable<BigInt>,
        sha256 -> Nullable<Text>,
        error -> Nullable<Text>,
        requested_by -> Nullable<Text>,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    id_documents (id) {
        id -> Text,
        request_id -> Text,
        file_id -> Nullable<Text>,
        content_type -> Text,
        size_bytes -> BigInt,
        uploaded_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(users -> tenants (tenant_id));
diesel::joinable!(requests -> tenants (tenant_id));
diesel::joinable!(request_events -> requests (request_id));
diesel::joinable!(request_identities -> requests (request_id));
diesel::joinable!(bundles -> requests (request_id));
diesel::joinable!(access_grants -> tenants (tenant_id));
diesel::joinable!(file_chunks -> stored_files (file_id));
diesel::joinable!(id_documents -> requests (request_id));

diesel::table! {
    request_counts (tenant_id, status, kind, shard) {
        tenant_id -> Text,
        status -> Text,
        kind -> Text,
        shard -> Integer,
        n -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    users,
    requests,
    request_events,
    idempotency_keys,
    request_identities,
    reference_counters,
    used_tokens,
    jobs,
    outbox,
    reminders,
    access_grants,
    audit_log,
    stored_files,
    file_chunks,
    bundles,
    id_documents,
    request_counts,
);

diesel::table! {
    request_erasures (request_id) {
        request_id -> Text,
        erased_at -> Timestamp,
    }
}

diesel::joinable!(request_erasures -> requests (request_id));
diesel::allow_tables_to_appear_in_same_query!(requests, request_erasures);

diesel::table! {
    console_sessions (id) {
        id -> Text,
        user_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    execution_plans (id) {
        id -> Text,
        request_id -> Text,
        kind -> Text,
        state -> Text,
        systems -> Text,
        recipients -> Text,
        sealed_changes -> Nullable<Text>,
        result -> Nullable<Text>,
        error -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        approved_by -> Nullable<Text>,
        approved_email -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    execution_systems (plan_id, position) {
        plan_id -> Text,
        position -> Integer,
        name -> Text,
        state -> Text,
        rows_done -> BigInt,
        result -> Nullable<Text>,
        committed_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(execution_plans -> requests (request_id));
diesel::joinable!(execution_systems -> execution_plans (plan_id));
diesel::allow_tables_to_appear_in_same_query!(requests, execution_plans, execution_systems);

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        public_key -> Text,
        private_key -> Binary,
        key_salt -> Text,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    request_results (request_id) {
        request_id -> Text,
        result -> Text,
        bundle_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    certificates (id) {
        id -> Text,
        request_id -> Text,
        plan_id -> Text,
        kid -> Text,
        jws -> Text,
        issued_at -> Timestamp,
    }
}

diesel::joinable!(certificates -> requests (request_id));
diesel::joinable!(certificates -> signing_keys (kid));
diesel::allow_tables_to_appear_in_same_query!(requests, certificates, signing_keys);

diesel::table! {
    download_codes (id) {
        id -> Text,
        request_id -> Text,
        bundle_id -> Text,
        code_hash -> Text,
        failures -> Integer,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(request_results -> requests (request_id));
diesel::joinable!(download_codes -> requests (request_id));
diesel::allow_tables_to_appear_in_same_query!(requests, request_results, download_codes);
