//! The `roster` binary's library half: command-line interface, configuration, telemetry and the
//! HTTP wiring of the protocol crates. It holds no business logic of its own; integration tests
//! drive it as a user would.

mod admin_commands;
mod api_key_commands;
pub mod cli;
pub mod config;
mod demo_command;
mod hold_commands;
pub mod http;
pub mod metrics;
mod output;
mod overload;
mod request_id;
pub mod secret_key;
mod simulate_command;
pub mod telemetry;
mod terminal;
mod webhook_listen;
