//! Each identity provider's own steps for connecting a directory, as shown next to its SCIM
//! base URL and token in the dashboard and the setup portal.

use roster_core::{DirectoryType, Protocol};
use serde_json::{Value, json};

/// The name people know the provider by, what its base URL and token are called, and its
/// steps. Steps are trusted HTML (only `<strong>` and `<code>`); the base URL is shown in the
/// page next to them.
pub(crate) fn guide(directory_type: DirectoryType) -> Value {
    let (name, token_label, steps): (&str, &str, &[&str]) = match directory_type {
        DirectoryType::OktaScimV2 => (
            "Okta (SCIM 2.0)",
            "Bearer token",
            &[
                "In the Okta Admin Console, open <strong>Applications → Applications</strong> and your app (or <strong>Create App Integration</strong> → SAML 2.0 or OIDC, then <strong>General → App Settings → Edit</strong> and pick <strong>SCIM</strong> as the provisioning method).",
                "Open <strong>Provisioning → Integration → Edit</strong>. Paste the <strong>SCIM base URL</strong> into <strong>SCIM connector base URL</strong>, and enter <code>userName</code> as the <strong>Unique identifier field for users</strong>.",
                "Tick <strong>Import New Users and Profile Updates</strong>, <strong>Push New Users</strong>, <strong>Push Profile Updates</strong> and <strong>Push Groups</strong>.",
                "Choose <strong>HTTP Header</strong> as the <strong>Authentication Mode</strong> and paste the <strong>bearer token</strong> into <strong>Authorization</strong>.",
                "Click <strong>Test Connector Configuration</strong> (<strong>Test API Credentials</strong> in catalogue apps), then <strong>Save</strong>. This directory turns <strong>linked</strong>.",
                "Under <strong>Provisioning → To App → Edit</strong>, enable <strong>Create Users</strong>, <strong>Update User Attributes</strong> and <strong>Deactivate Users</strong>, and save.",
                "Assign people or groups under <strong>Assignments</strong>, and push groups under <strong>Push Groups</strong>.",
            ],
        ),
        DirectoryType::OktaScimV1_1 => (
            "Okta (SCIM 1.1 Header Auth)",
            "API token",
            &[
                "In the Okta Admin Console, add the catalogue app that uses <strong>SCIM 1.1 Header Auth</strong> (or your existing one) and open <strong>Provisioning → Configure API Integration</strong>.",
                "Tick <strong>Enable API integration</strong>. Paste the <strong>SCIM base URL</strong> (it contains <code>/scim/v1.1/</code>) into <strong>Base URL</strong>.",
                "In <strong>API Token</strong>, enter <code>Bearer </code> followed by the token: the whole header value.",
                "Click <strong>Test API Credentials</strong>, then <strong>Save</strong>. This directory turns <strong>linked</strong>.",
                "Under <strong>Provisioning → To App → Edit</strong>, enable <strong>Create Users</strong>, <strong>Update User Attributes</strong> and <strong>Deactivate Users</strong>; then assign people or groups.",
            ],
        ),
        DirectoryType::AzureScimV2 => (
            "Microsoft Entra ID",
            "Secret token",
            &[
                "In the Microsoft Entra admin center, open <strong>Enterprise applications → New application → Create your own application</strong> and choose <strong>Integrate any other application you don't find in the gallery</strong>.",
                "Open <strong>Provisioning → Get started</strong> and set <strong>Provisioning Mode</strong> to <strong>Automatic</strong>.",
                "Under <strong>Admin Credentials</strong>, paste the <strong>SCIM base URL</strong> into <strong>Tenant URL</strong> and the token into <strong>Secret Token</strong>.",
                "Click <strong>Test Connection</strong>, then <strong>Save</strong>. This directory turns <strong>linked</strong>.",
                "Review <strong>Mappings</strong> (the defaults work), assign users and groups under <strong>Users and groups</strong>, and set <strong>Provisioning Status</strong> to <strong>On</strong>. Entra provisions in cycles of about 40 minutes; <strong>Provision on demand</strong> sends one user at once.",
            ],
        ),
        DirectoryType::OneLoginScimV2 => (
            "OneLogin",
            "SCIM bearer token",
            &[
                "In OneLogin, open <strong>Applications → Add App</strong> and add <strong>SCIM Provisioner with SAML (SCIM v2 Enterprise)</strong>.",
                "Under <strong>Configuration</strong>, paste the <strong>SCIM base URL</strong> into <strong>SCIM Base URL</strong> and the token into <strong>SCIM Bearer Token</strong>, then click <strong>Enable</strong> under <strong>API Status</strong>. This directory turns <strong>linked</strong>.",
                "Under <strong>Provisioning</strong>, tick <strong>Enable provisioning</strong> and choose what happens when users are deleted or suspended. Save.",
                "Assign users (and map roles to groups under <strong>Parameters → Groups</strong>).",
            ],
        ),
        DirectoryType::JumpCloudScimV2 => (
            "JumpCloud",
            "Token key",
            &[
                "In the JumpCloud Admin Portal, open <strong>SSO Applications</strong> and your application (or add a custom one).",
                "Open <strong>Identity Management</strong> and choose <strong>SCIM 2.0</strong>.",
                "Paste the <strong>SCIM base URL</strong> into <strong>Base URL</strong> and the token into <strong>Token Key</strong>.",
                "Click <strong>Test Connection</strong>, then <strong>Activate</strong>. This directory turns <strong>linked</strong>.",
                "Bind user groups to the application under <strong>User Groups</strong> to provision their members.",
            ],
        ),
        DirectoryType::CustomApi => (
            "Custom API (HR system, script)",
            "Bearer token",
            &[
                "Give the HR system, Okta Workflows or your script the <strong>bulk API base URL</strong> and the <strong>bearer token</strong>.",
                "It POSTs batches of employee records, JSON or CSV, to the base URL followed by <code>/bulk</code>, with the header <code>Authorization: Bearer &lt;token&gt;</code>; <code>dry_run</code> rehearses a batch without writing it.",
                "The first batch written turns this directory <strong>linked</strong>.",
                "Without a program: a vendor administrator can upload the HR system's CSV export in Roster's dashboard, and sees what it would do before applying it.",
            ],
        ),
        // PingFederate, Rippling, generic SCIM, and any type added later.
        other => (
            match other {
                DirectoryType::PingFederateScimV2 => "PingFederate",
                DirectoryType::RipplingScimV2 => "Rippling",
                _ => "Generic SCIM 2.0",
            },
            "Bearer token",
            &[
                "In your identity provider's SCIM (or provisioning) settings, enter the <strong>SCIM base URL</strong>.",
                "Authenticate with the header <code>Authorization: Bearer &lt;token&gt;</code>, using the token below.",
                "Test the connection: the first authenticated request turns this directory <strong>linked</strong>.",
                "Assign users and groups; Roster accepts RFC 7643/7644 users, groups, filters and PATCH.",
            ],
        ),
    };
    let base_url_label = match directory_type.protocol() {
        Protocol::Scim => "SCIM base URL",
        Protocol::Bulk => "Bulk API base URL",
    };
    json!({"name": name, "token_label": token_label, "base_url_label": base_url_label, "steps": steps})
}

/// The provider choices of a form: `(alias, name)` in the order people look for them.
pub(crate) fn choices() -> Value {
    DirectoryType::ALL
        .iter()
        .map(|(kind, _, alias)| json!({"value": alias, "name": guide(*kind)["name"]}))
        .collect()
}
