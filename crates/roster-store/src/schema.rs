//! The one schema both backends share. Only portable column types: text, big integers
//! (timestamps are Unix milliseconds), booleans.
#![allow(missing_docs)]

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        external_id -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
        metadata -> Text,
    }
}

diesel::table! {
    organization_domains (domain) {
        domain -> Text,
        organization_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    directories (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        directory_type -> Text,
        state -> Text,
        external_key -> Text,
        bearer_token_digest -> Text,
        inactive_user_retention_days -> Nullable<BigInt>,
        last_request_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        event_sequence -> BigInt,
        email_domain_policy -> Text,
        deprovisioning_guard_enabled -> Bool,
        deprovisioning_guard_percent -> BigInt,
        deprovisioning_guard_minimum -> BigInt,
        deprovisioning_guard_window_minutes -> BigInt,
    }
}

diesel::joinable!(organization_domains -> organizations (organization_id));
diesel::joinable!(directories -> organizations (organization_id));

diesel::allow_tables_to_appear_in_same_query!(organizations, organization_domains, directories);

diesel::table! {
    directory_users (id) {
        id -> Text,
        directory_id -> Text,
        organization_id -> Text,
        user_name_key -> Text,
        external_id -> Nullable<Text>,
        display_name_key -> Nullable<Text>,
        email_key -> Nullable<Text>,
        active -> Bool,
        document -> Text,
        profile -> Text,
        version -> BigInt,
        deactivated_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
        email_outside_domains -> Bool,
    }
}

diesel::table! {
    directory_user_emails (user_id, position) {
        user_id -> Text,
        directory_id -> Text,
        position -> BigInt,
        value_key -> Text,
        type_key -> Nullable<Text>,
        is_primary -> Bool,
    }
}

diesel::table! {
    directory_groups (id) {
        id -> Text,
        directory_id -> Text,
        organization_id -> Text,
        display_name -> Text,
        display_name_key -> Text,
        external_id -> Nullable<Text>,
        document -> Text,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    directory_group_members (group_id, user_id) {
        group_id -> Text,
        user_id -> Text,
        directory_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        directory_id -> Text,
        organization_id -> Text,
        sequence -> BigInt,
        event_type -> Text,
        data -> Text,
        created_at -> BigInt,
        dispatched -> Bool,
        deprovisions -> Bool,
        held -> Bool,
        hold_id -> Nullable<Text>,
    }
}

diesel::table! {
    scim_requests (id) {
        id -> Text,
        directory_id -> Text,
        method -> Text,
        path -> Text,
        status -> BigInt,
        duration_ms -> BigInt,
        request_body -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        secret_digest -> Text,
        organization_id -> Nullable<Text>,
        read_only -> Bool,
        last_used_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::joinable!(directory_group_members -> directory_groups (group_id));
diesel::joinable!(directory_group_members -> directory_users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    directories,
    directory_users,
    directory_user_emails,
    directory_groups,
    directory_group_members,
    events,
    scim_requests,
);

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        url -> Text,
        event_types -> Text,
        organization_id -> Nullable<Text>,
        enabled -> Bool,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<BigInt>,
        failing_since -> Nullable<BigInt>,
        disabled_reason -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        event_id -> Text,
        endpoint_id -> Text,
        status -> Text,
        attempts -> BigInt,
        round_attempts -> BigInt,
        next_attempt_at -> BigInt,
        locked_until -> Nullable<BigInt>,
        lease_owner -> Nullable<Text>,
        last_attempt_at -> Nullable<BigInt>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    webhook_attempts (delivery_id, attempt) {
        delivery_id -> Text,
        attempt -> BigInt,
        started_at -> BigInt,
        duration_ms -> BigInt,
        status_code -> Nullable<BigInt>,
        response_body -> Nullable<Text>,
        error -> Nullable<Text>,
        lease_owner -> Text,
    }
}

diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    events,
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts,
);

diesel::table! {
    deprovisioning_holds (id) {
        id -> Text,
        directory_id -> Text,
        organization_id -> Text,
        status -> Text,
        opened_at -> BigInt,
        deprovisioned -> BigInt,
        active_at_start -> BigInt,
        decided_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    directory_health (directory_id) {
        directory_id -> Text,
        last_error_at -> Nullable<BigInt>,
        last_error_status -> Nullable<BigInt>,
        last_error_detail -> Nullable<Text>,
        silent_since -> Nullable<BigInt>,
    }
}

diesel::joinable!(directory_health -> directories (directory_id));

diesel::allow_tables_to_appear_in_same_query!(directory_health, directories);

diesel::table! {
    bulk_idempotency_keys (directory_id, idempotency_key) {
        directory_id -> Text,
        idempotency_key -> Text,
        request_digest -> Text,
        status -> BigInt,
        response -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    admins (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        created_at -> BigInt,
        last_login_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    dashboard_sessions (token_digest) {
        token_digest -> Text,
        admin_id -> Nullable<Text>,
        organization_id -> Nullable<Text>,
        csrf_token -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    admin_invitations (id) {
        id -> Text,
        email -> Text,
        token_digest -> Text,
        invited_by -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        accepted_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        actor -> Text,
        action -> Text,
        target -> Nullable<Text>,
        organization_id -> Nullable<Text>,
        details -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    portal_links (id) {
        id -> Text,
        organization_id -> Text,
        token_digest -> Text,
        intent -> Text,
        created_by -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}
