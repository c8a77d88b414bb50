//! Odoo wire formats, shared by the upstream clients and the sandbox server.
//!
//! Each codec is symmetric: the client encodes requests and parses responses,
//! the sandbox parses requests and encodes responses, so both sides use the
//! same types and cannot drift apart. Values cross into the rest of the crate
//! as `serde_json::Value`, the form Odoo's JSON APIs already use.

pub mod json2;
pub mod jsonrpc;
pub mod xmlrpc;
