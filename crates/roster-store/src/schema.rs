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
    }
}

diesel::joinable!(organization_domains -> organizations (organization_id));
diesel::joinable!(directories -> organizations (organization_id));

diesel::allow_tables_to_appear_in_same_query!(organizations, organization_domains, directories);
