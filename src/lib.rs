//! Alpenglow: a gateway that lets AI assistants work with an Odoo ERP, safely.
//!
//! The binary (`main.rs`) only parses arguments and wires rooms together; every
//! room lives here so that integration tests and benches reach the same code.
//! See ARCHITECTURE.md for the map and the invariants.

pub mod admin;
pub mod admin_socket;
pub mod approvals;
pub mod audit;
pub mod backup;
pub mod bridge;
pub mod cli;
pub mod config;
pub mod demo;
pub mod doctor;
pub mod domain;
pub mod faces;
pub mod gateway;
pub mod jobs;
pub mod limits;
pub mod logging;
pub mod metrics;
pub mod oauth;
pub mod ops;
pub mod policy;
pub mod rooms;
pub mod sandbox;
pub mod serve;
pub mod sessions;
pub mod store;
pub mod tui;
pub mod upstream;
pub mod vocab;
pub mod wire;
