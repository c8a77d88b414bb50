//! In-process tests: the gateway, the policy, the sandbox, the upstream
//! clients and the dashboard, over real loopback HTTP and real stores in
//! temp directories, all in this one process. One binary, so one link.

#[path = "../common/mod.rs"]
mod common;

mod audit_chain;
mod auth;
mod boundary;
mod guard_rails;
mod house;
mod login_lockout;
mod oauth;
mod odoo_probe;
mod params;
mod policy_matrix;
mod policy_props;
mod round_trips;
mod sandbox_api;
mod sandbox_domain;
mod sandbox_odoo;
mod sandbox_wire;
mod snapshots;
mod tui_render;
mod tui_render_approvals;
mod upstream_conformance;
mod upstream_recorded;
mod upstream_transport;
