//! Integration tests: the real server on a loopback port, a real database per test (SQLite by
//! default, PostgreSQL when `ROSTER_TEST_DATABASE_URL` names one), the real `roster` binary.
//! One test binary, so the workspace links it once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod api;
mod api_directories;
mod api_organizations;
mod api_webhooks;
mod browser;
mod bulk;
mod dashboard;
mod dashboard_mail;
mod dashboard_portal;
mod dashboard_silent;
mod dashboard_test_events;
mod dashboard_upload;
mod deprovisioning_guard;
mod faults;
mod foundation;
mod hostile_input;
mod observability;
mod overload;
mod receiver;
mod scim_entra;
mod scim_okta;
mod scim_protocol;
mod secrets;
mod simulator;
mod smtp;
mod support;
mod tenancy;
mod webhooks;
