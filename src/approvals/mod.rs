//! The approval queue: writes that wait for a person's yes before they
//! reach Odoo, kept in the store so they survive a restart.
//!
//! An [`Approval`] holds the exact call (tool and parameters), the SHA-256
//! of its canonical form (`ops::Operation::canonical`), who asked (the
//! credential, else the Odoo user), and its state:
//!
//! ```text
//! pending --approve--> approved --claim--> running --finish--> done | failed
//!    |  \--deny--> denied            \
//!    \-- (expiry) --> expired         \-- (expiry) --> expired
//! ```
//!
//! Every transition is one atomic compare-and-swap on the record, flushed
//! before it is acted on: `claim` (approved -> running) is stored before the
//! operation is sent to Odoo, so an approval runs at most once, even across
//! a crash (a `running` approval found after a restart is never run again).

pub mod state;

use crate::config::ApprovalRule;
use crate::store::{Record, Store, StoreError, StoreResult};
use serde::{Deserialize, Serialize};

/// Finished approvals are kept this long (for the dashboard and the
/// caller's status checks), then deleted by the Session Cleanup.
pub const RETENTION_MICROS: i64 = 7 * 86_400 * 1_000_000;

/// Where an approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Pending,
    Approved,
    Denied,
    Expired,
    /// Claimed for its one run; stays so if the process died meanwhile.
    Running,
    Done,
    Failed,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approved => "approved",
            State::Denied => "denied",
            State::Expired => "expired",
            State::Running => "running",
            State::Done => "done",
            State::Failed => "failed",
        }
    }

    /// Whether nothing more can happen to it.
    pub fn is_final(self) -> bool {
        matches!(self, State::Denied | State::Expired | State::Done | State::Failed)
    }
}

/// Who asked, from where: the approval runs only for the same caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub credential_id: Option<u64>,
    pub credential_label: Option<String>,
    pub uid: i64,
    pub login: String,
    pub face: String,
    pub client_ip: String,
}

impl Requester {
    /// The same credential (or, without one, the same Odoo user).
    pub fn is(&self, credential_id: Option<u64>, uid: i64) -> bool {
        self.credential_id == credential_id && (credential_id.is_some() || self.uid == uid)
    }
}

/// An approval or denial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub approved: bool,
    /// Who decided (the admin socket's peer, the CLI with no daemon).
    pub by: String,
    /// Whether an admin decided (not the person using the client).
    pub by_admin: bool,
    pub at_us: i64,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub id: u64,
    /// What the resource's rule asked for when the call was made.
    pub rule: ApprovalRule,
    pub state: State,
    /// The operation (`alpenglow_update`) and its parameters as JSON text:
    /// what runs once approved.
    pub tool: String,
    pub params: String,
    pub model: String,
    /// SHA-256 of the canonical operation: the call that runs must hash the same.
    pub operation_hash: [u8; 32],
    /// What will happen, in plain words.
    pub summary: String,
    pub record_count: u64,
    pub requester: Requester,
    pub created_us: i64,
    /// Past this, a pending or approved approval is expired.
    pub expires_us: i64,
    pub decision: Option<Decision>,
    pub started_us: Option<i64>,
    pub finished_us: Option<i64>,
    /// `ok`, or why the run failed.
    pub result: Option<String>,
}

impl Record for Approval {
    const TREE: &'static str = "approvals";
    const KIND: &'static str = "approval";
    const VERSION: u8 = 1;
}

impl Approval {
    /// The state as of `now_us`: a pending or approved approval past its
    /// expiry reads as expired even before the cleanup marks it.
    pub fn state_at(&self, now_us: i64) -> State {
        match self.state {
            State::Pending | State::Approved if now_us >= self.expires_us => State::Expired,
            state => state,
        }
    }
}

/// SHA-256 of a canonical operation's text.
pub fn operation_hash(canonical: &str) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Why a transition was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    #[error("there is no approval {0}")]
    NotFound(u64),
    /// The approval is not in a state that allows this; the message says which.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a new approval is made of.
pub struct NewApproval {
    pub rule: ApprovalRule,
    pub tool: String,
    pub params: String,
    pub model: String,
    pub operation_hash: [u8; 32],
    pub summary: String,
    pub record_count: u64,
    pub requester: Requester,
    pub now_us: i64,
    pub ttl_us: i64,
}

/// The queue over one store. Cheap to clone.
#[derive(Clone)]
pub struct Approvals {
    store: Store,
}

impl Approvals {
    pub fn new(store: Store) -> Approvals {
        Approvals { store }
    }

    fn table(&self) -> StoreResult<crate::store::Table<Approval>> {
        self.store.table::<Approval>()
    }

    /// Stores a pending approval, durably (the caller is given its id).
    pub fn create(&self, new: NewApproval) -> StoreResult<Approval> {
        let id = self.store.next_id()?;
        let approval = Approval {
            id,
            rule: new.rule,
            state: State::Pending,
            tool: new.tool,
            params: new.params,
            model: new.model,
            operation_hash: new.operation_hash,
            summary: new.summary,
            record_count: new.record_count,
            requester: new.requester,
            created_us: new.now_us,
            expires_us: new.now_us + new.ttl_us,
            decision: None,
            started_us: None,
            finished_us: None,
            result: None,
        };
        self.table()?.insert(&id, &approval)?;
        self.store.flush()?;
        Ok(approval)
    }

    pub fn get(&self, id: u64) -> Result<Approval, ApprovalError> {
        self.table()?.get(&id)?.ok_or(ApprovalError::NotFound(id))
    }

    /// Newest first; without `all`, only those still waiting or approved.
    pub fn list(&self, all: bool, now_us: i64) -> StoreResult<Vec<Approval>> {
        let mut out: Vec<Approval> =
            self.table()?.values()?.into_iter().filter(|a| all || !a.state_at(now_us).is_final()).collect();
        out.reverse();
        Ok(out)
    }

    /// One atomic step: `step` sees the stored approval and either changes
    /// it or says why not. Flushed before it returns.
    fn transition(
        &self,
        id: u64,
        mut step: impl FnMut(&mut Approval) -> Result<(), String>,
    ) -> Result<Approval, ApprovalError> {
        let mut refusal = None;
        let updated = self.table()?.update(&id, |approval| {
            let mut next = approval.clone();
            refusal = match step(&mut next) {
                Ok(()) => {
                    *approval = next;
                    None
                }
                Err(why) => Some(why),
            };
        })?;
        let approval = updated.ok_or(ApprovalError::NotFound(id))?;
        if let Some(why) = refusal {
            return Err(ApprovalError::Refused(why));
        }
        self.store.flush()?;
        Ok(approval)
    }

    /// Approves or denies a pending approval. An approved one may run until
    /// `now + ttl` (a fresh window from the decision).
    pub fn decide(&self, id: u64, decision: Decision, ttl_us: i64) -> Result<Approval, ApprovalError> {
        let now = decision.at_us;
        self.transition(id, |a| match a.state_at(now) {
            State::Pending => {
                a.state = if decision.approved { State::Approved } else { State::Denied };
                if decision.approved {
                    a.expires_us = now + ttl_us;
                }
                a.decision = Some(decision.clone());
                Ok(())
            }
            State::Expired => Err(format!("approval {id} expired before it was decided; the caller must ask again")),
            other => Err(format!("approval {id} is {}, not pending: it was already decided", other.name())),
        })
    }

    /// Claims an approved approval for its one run (approved -> running),
    /// stored before the operation is sent.
    pub fn claim(&self, id: u64, now_us: i64) -> Result<Approval, ApprovalError> {
        self.transition(id, |a| match a.state_at(now_us) {
            State::Approved => {
                a.state = State::Running;
                a.started_us = Some(now_us);
                Ok(())
            }
            other => Err(format!("approval {id} is {}, not approved", other.name())),
        })
    }

    /// Records how the one run ended (running -> done | failed).
    pub fn finish(&self, id: u64, outcome: Result<(), String>, now_us: i64) -> Result<Approval, ApprovalError> {
        self.transition(id, |a| {
            if a.state != State::Running {
                return Err(format!("approval {id} is {}, not running", a.state.name()));
            }
            a.finished_us = Some(now_us);
            match &outcome {
                Ok(()) => {
                    a.state = State::Done;
                    a.result = Some("ok".into());
                }
                Err(why) => {
                    a.state = State::Failed;
                    a.result = Some(why.clone());
                }
            }
            Ok(())
        })
    }

    /// The Session Cleanup's part: marks pending and approved approvals
    /// past their expiry as expired, and deletes finished ones older than
    /// [`RETENTION_MICROS`]. Returns (expired, deleted).
    pub fn cleanup(&self, now_us: i64) -> StoreResult<(usize, usize)> {
        let table = self.table()?;
        let (mut expired, mut deleted) = (0, 0);
        for approval in table.values()? {
            let id = approval.id;
            if approval.state_at(now_us) == State::Expired && !approval.state.is_final() {
                let changed = table.update(&id, |a| {
                    if a.state_at(now_us) == State::Expired {
                        a.state = State::Expired;
                    }
                })?;
                expired += usize::from(changed.is_some_and(|a| a.state == State::Expired));
            } else if approval.state.is_final() && approval.created_us < now_us - RETENTION_MICROS {
                deleted += usize::from(table.remove(&id)?);
            }
        }
        if expired + deleted > 0 {
            self.store.flush()?;
        }
        Ok((expired, deleted))
    }
}

#[cfg(test)]
mod tests;
