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
