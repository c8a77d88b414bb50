//! Fixtures shared by the two test binaries (`tests/inproc`, `tests/e2e`).
//! Each binary uses a part of them, so unused items are expected.

#![allow(dead_code)]

pub mod cli;
pub mod clients;
pub mod demo;
pub mod demo_at;
pub mod http;
pub mod inproc;
pub mod oauth;
pub mod serve;
pub mod tmux;
pub mod upstream_fixture;
