//! The corridor's shared vocabulary, which every room may import: the nine
//! operation names ([`OpName`]), who is calling ([`Principal`], what its
//! credential grants, and the [`Identity`] Odoo calls run as), and why an
//! operation was not carried out ([`OpError`]). It imports only `config`'s
//! types, so importing it never pulls in a room.

mod error;
mod op_name;
mod principal;
mod scopes;

/// Where the gateway serves MCP and the direct JSON-RPC face; the URL
/// clients are given ends with it.
pub const MCP_PATH: &str = "/alpenglow/mcp";

/// The tool (and direct JSON-RPC method) that checks a write held for
/// approval and, once approved, runs it. Not one of the nine operations:
/// it runs one of them.
pub const APPROVAL_STATUS_TOOL: &str = "alpenglow_approval_status";

pub use error::{Limit, OpError};
pub use op_name::OpName;
pub use principal::{Grant, Identity, Principal};
pub use scopes::{ScopeSet, TokenScope};
