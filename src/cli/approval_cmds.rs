//! `alpenglow approvals`: the writes held for approval, through the admin
//! socket (or the store, with no daemon running): list, show the exact
//! operation, approve, deny. Approving only lets the caller's next status
//! check run the operation, once.

use super::CliError;
use super::output::{json, table};
use crate::admin::api::{ApprovalView, ApproveApproval, DenyApproval, GetApproval, ListApprovals};
use crate::admin_socket::AdminClient;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ApprovalsCommand {
    /// List approvals waiting for a decision (and approved ones not yet run).
    List {
        /// Also denied, expired and run ones (kept 7 days).
        #[arg(long)]
        all: bool,
    },
    /// Show one approval with the exact operation it runs.
    Show {
        /// Approval id.
        id: u64,
    },
    /// Approve: the caller's next alpenglow_approval_status runs the operation, once.
    Approve {
        /// Approval id.
        id: u64,
        /// Why (recorded in the audit log).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Deny: the operation is never run; the caller is told, with the reason.
    Deny {
        /// Approval id.
        id: u64,
        /// Why (shown to the caller and recorded in the audit log).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
}

fn print_list(all: &[ApprovalView]) {
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|a| {
            vec![
                a.id.to_string(),
                a.state.clone(),
                a.rule.clone(),
                a.credential.clone().unwrap_or_else(|| a.login.clone()),
                a.summary.clone(),
                a.expires_at.clone(),
            ]
        })
        .collect();
    table(&["ID", "STATE", "RULE", "ASKED BY", "WHAT", "EXPIRES"], &rows);
}

fn print_one(a: &ApprovalView) {
    println!("approval {} ({}, rule {})", a.id, a.state, a.rule);
    println!("  what:       {}", a.summary);
    println!("  operation:  {} {}", a.tool, a.operation);
    println!("  bound to:   sha256 {}", a.operation_hash);
    let who = a.credential.as_deref().map(|c| format!("credential {c:?}, ")).unwrap_or_default();
    println!("  asked by:   {who}Odoo user {} (uid {}) over {} from {}", a.login, a.uid, a.face, a.ip);
    println!("  asked at:   {}; expires {}", a.created_at, a.expires_at);
    if let (Some(by), Some(at)) = (&a.decided_by, &a.decided_at) {
        println!("  decided:    by {by} at {at}{}", a.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default());
    }
    if let Some(result) = &a.result {
        println!("  ran:        {} -> {result}", a.started_at.as_deref().unwrap_or("?"));
    }
}

pub fn approvals(api: &AdminClient, cmd: ApprovalsCommand, as_json: bool) -> Result<(), CliError> {
    let one = match cmd {
        ApprovalsCommand::List { all } => {
            let listed = api.call(ListApprovals { all })?;
            if as_json {
                json(&listed)
            } else {
                print_list(&listed)
            }
            return Ok(());
        }
        ApprovalsCommand::Show { id } => api.call(GetApproval { id })?,
        ApprovalsCommand::Approve { id, reason } => api.call(ApproveApproval { id, reason, actor: String::new() })?,
        ApprovalsCommand::Deny { id, reason } => api.call(DenyApproval { id, reason, actor: String::new() })?,
    };
    if as_json {
        json(&one)
    } else {
        print_one(&one)
    }
    Ok(())
}
