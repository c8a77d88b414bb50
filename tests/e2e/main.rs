//! End-to-end tests: the real `alpenglow` binary (demo, serve, the CLI,
//! the bridge) in child processes, driven over loopback HTTP, the admin
//! socket, tmux, and the official Python and TypeScript MCP SDKs.
//! One binary, so one link.

#[path = "../common/mod.rs"]
mod common;

mod admin_layout;
mod admin_socket;
mod approvals;
mod audit_trail;
mod backup;
mod bridge;
mod cli_admin;
mod doctor;
mod faces;
mod hold;
mod mcp_clients;
mod mcp_protocol;
mod oauth_sdk;
mod packaging;
mod service;
mod tls;
mod traffic_audit;
mod traffic_crash;
mod traffic_limits;
mod tui_admin;
mod tui_approvals;
mod tui_e2e;
