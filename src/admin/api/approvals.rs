//! The approval queue's operations and answer: list, show the exact
//! operation, approve, deny (with an optional reason). Enough for a screen:
//! a list row and the detail pane read the same [`ApprovalView`].

use serde::{Deserialize, Serialize};

/// Approvals, newest first: those waiting or approved; with `all`, also
/// denied, expired and run ones (kept 7 days).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListApprovals {
    #[serde(default)]
    pub all: bool,
}

/// One approval, with the exact operation it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetApproval {
    pub id: u64,
}

/// Approves a pending approval: the caller's next status check runs it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApproveApproval {
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who decides: set by the admin trail from the socket's peer, never
    /// read from the wire.
    #[serde(skip)]
    pub actor: String,
}

/// Denies a pending approval; the reason is shown to the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenyApproval {
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// As for [`ApproveApproval`].
    #[serde(skip)]
    pub actor: String,
}

/// A write held for approval, as an admin sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApprovalView {
    pub id: u64,
    /// `pending`, `approved`, `denied`, `expired`, `running`, `done`, `failed`.
    pub state: String,
    /// `confirm` or `admin`: what the resource's rule asked for.
    pub rule: String,
    /// The operation, e.g. `alpenglow_update`.
    pub tool: String,
    pub model: String,
    /// What will happen, in plain words.
    pub summary: String,
    pub record_count: u64,
    /// The exact parameters that run once approved.
    pub operation: serde_json::Value,
    /// SHA-256 (hex) of the canonical operation the approval is bound to.
    pub operation_hash: String,
    pub credential_id: Option<u64>,
    pub credential: Option<String>,
    pub uid: i64,
    pub login: String,
    pub face: String,
    pub ip: String,
    pub created_at: String,
    pub expires_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub reason: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// `ok`, or why the run failed.
    pub result: Option<String>,
}
