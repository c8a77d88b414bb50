//! The admin trail: every change made through the admin API leaves an audit
//! entry, written here at the one dispatch point, so the socket, the CLI
//! without a daemon and the dashboard cannot skip it. An entry says who (the
//! local user behind the admin socket, from its peer credentials, or the CLI
//! with no daemon), what (the operation and its target, the old and new
//! values; never a key: only the typed answers and views are recorded, which
//! carry none), when, and whether it worked.

use super::api::{ApiError, ApiResult, ErrorKind, Request};
use super::handler::{AdminContext, handle};
use super::{AdminService, views};
use crate::audit::{AuditEntry, Outcome};
use serde_json::{Map, Value, json};
use std::time::Instant;

/// Who sends admin requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    /// The process at the other end of the admin socket, by the kernel's
    /// word (SO_PEERCRED), not the client's.
    pub fn peer(uid: u32, pid: Option<i32>) -> Actor {
        let name = user_name(uid).map(|n| format!("{n} ")).unwrap_or_default();
        match pid {
            Some(pid) => Actor(format!("{name}(uid {uid}, pid {pid})")),
            None => Actor(format!("{name}(uid {uid})")),
        }
    }

    /// A socket peer whose credentials the kernel did not give.
    pub fn unknown_peer() -> Actor {
        Actor("unknown local user (no peer credentials)".into())
    }

    /// The CLI working on the store itself, with no daemon running, as the
    /// user running it.
    pub fn cli_no_daemon() -> Actor {
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        let name = user_name(uid).map(|n| format!("{n}, ")).unwrap_or_default();
        Actor(format!("cli, no daemon ({name}uid {uid})"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user's name from /etc/passwd.
fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut parts = line.split(':');
        let name = parts.next()?;
        (parts.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
    })
}

/// Runs one admin request as `actor`; a change is recorded in the audit log
/// (durably, before the answer goes back), refused and failed attempts too.
pub async fn dispatch(ctx: &AdminContext, actor: &Actor, mut request: Request) -> ApiResult<Value> {
    // A decision records who made it: the actor, never what the wire says.
    match &mut request {
        Request::ApproveApproval(c) => c.actor = actor.as_str().to_string(),
        Request::DenyApproval(c) => c.actor = actor.as_str().to_string(),
        _ => {}
    }
    let Some(change) = Change::of(&request) else { return handle(ctx, request).await };
    let old = change.old(ctx.admin());
    let started = Instant::now();
    let answer = handle(ctx, request).await;
    let entry = change.entry(actor, old, &answer, started.elapsed());
    if let Err(e) = ctx.admin().rooms().audit().record(entry).await {
        tracing::error!(error = %e, op = change.op, "the admin action was carried out but its audit entry was not written");
    }
    answer
}

/// What a change request is about.
struct Change {
    op: &'static str,
    target: String,
    model: Option<String>,
    old: Old,
    /// The approval a decision is about (links the entry to the request's and the run's).
    approval_id: Option<u64>,
}

/// How to read the value before the change.
enum Old {
    None,
    Setting(String),
    Resource(String),
    Credential(u64),
    Session(String),
    Grant(u64),
    Signup(u64),
    Approval(u64),
}

impl Change {
    /// The change a request makes, None for reads. Every variant is named:
    /// a new operation must say whether it changes anything.
    fn of(request: &Request) -> Option<Change> {
        let change = |op, target: String, old| Some(Change { op, target, model: None, old, approval_id: None });
        let decision = |op, id: u64, reason: &Option<String>| {
            let target = match reason {
                Some(r) => format!("approval {id}: {r}"),
                None => format!("approval {id}"),
            };
            Some(Change { op, target, model: None, old: Old::Approval(id), approval_id: Some(id) })
        };
        match request {
            Request::Ping(_)
            | Request::GetStatus(_)
            | Request::ShowSettings(_)
            | Request::ListResources(_)
            | Request::GetResource(_)
            | Request::ListCredentials(_)
            | Request::GetOdooStatus(_)
            | Request::ListOdooModels(_)
            | Request::ListOdooFields(_)
            | Request::ListOdooUsers(_)
            | Request::CheckKey(_)
            | Request::QueryAudit(_)
            | Request::GetAuditStatus(_)
            | Request::VerifyAudit(_)
            | Request::ListSessions(_)
            | Request::BackupAuditPage(_)
            | Request::ListOAuthClients(_)
            | Request::ListGrants(_)
            | Request::ListSignups(_)
            | Request::ListApprovals(_)
            | Request::GetApproval(_) => None,
            Request::ApproveApproval(c) => decision("approvals.approve", c.id, &c.reason),
            Request::DenyApproval(c) => decision("approvals.deny", c.id, &c.reason),
            Request::SetSetting(c) => change("settings.set", c.key.clone(), Old::Setting(c.key.clone())),
            Request::AddResources(c) => Some(Change {
                op: "resources.add",
                target: c.models.join(", "),
                model: (c.models.len() == 1).then(|| c.models[0].clone()),
                old: Old::None,
                approval_id: None,
            }),
            Request::EditResource(c) => change("resources.edit", c.resource.clone(), Old::Resource(c.resource.clone())),
            Request::RemoveResource(c) => {
                change("resources.remove", c.resource.clone(), Old::Resource(c.resource.clone()))
            }
            Request::CreateCredential(c) => {
                change("credentials.create", format!("{} (user {} {})", c.label, c.user_id, c.login), Old::None)
            }
            Request::RevokeCredential(c) => change("credentials.revoke", c.id.to_string(), Old::Credential(c.id)),
            Request::EndSession(c) => change("sessions.end", c.id.clone(), Old::Session(c.id.clone())),
            Request::RunJob(c) => change("jobs.run", c.name.clone(), Old::None),
            Request::RevokeGrant(c) => change("oauth.revoke", format!("grant {}", c.id), Old::Grant(c.id)),
            Request::ApproveSignup(c) => change("oauth.approve", format!("sign-up {}", c.id), Old::Signup(c.id)),
            Request::RefuseSignup(c) => change("oauth.refuse", format!("sign-up {}", c.id), Old::Signup(c.id)),
            Request::BackupConfig(c) => {
                change("backup", if c.with_audit { "with the audit log" } else { "configuration" }.into(), Old::None)
            }
        }
    }

    /// The value before the change (null when there is none or it cannot be read).
    fn old(&self, admin: &AdminService) -> Value {
        let value = match &self.old {
            Old::None => None,
            Old::Setting(key) => admin
                .settings_view()
                .ok()
                .and_then(|all| all.into_iter().find(|s| s.spec.key == key.as_str()))
                .and_then(|s| serde_json::to_value(views::scalar(&s.value)).ok()),
            Old::Resource(reference) => {
                admin.find_resource(reference).ok().and_then(|r| serde_json::to_value(views::resource(&r)).ok())
            }
            Old::Credential(id) => admin.credentials().ok().and_then(|all| {
                let today = AdminService::today();
                let (c, u) = all.iter().find(|(c, _)| c.id == *id)?;
                serde_json::to_value(views::credential(c, u, today)).ok()
            }),
            Old::Session(id) => admin
                .sessions_list(true)
                .ok()
                .and_then(|all| all.iter().find(|s| s.id == *id).map(views::session))
                .and_then(|s| serde_json::to_value(s).ok()),
            Old::Grant(id) => admin
                .oauth_grants(None, true)
                .ok()
                .and_then(|all| all.into_iter().find(|g| g.id == *id))
                .and_then(|g| serde_json::to_value(g).ok()),
            Old::Signup(id) => admin
                .oauth_signups()
                .ok()
                .and_then(|all| all.into_iter().find(|s| s.id == *id))
                .and_then(|s| serde_json::to_value(s).ok()),
            Old::Approval(id) => {
                admin.approval(*id).ok().and_then(|a| serde_json::to_value(super::approvals::view(&a)).ok())
            }
        };
        value.unwrap_or(Value::Null)
    }

    fn entry(&self, actor: &Actor, old: Value, answer: &ApiResult<Value>, elapsed: std::time::Duration) -> AuditEntry {
        let mut entry = AuditEntry::new("admin", "local".into(), self.op);
        entry.actor = Some(actor.as_str().to_string());
        entry.approval_id = self.approval_id;
        entry.duration_us = elapsed.as_micros().min(u128::from(u64::MAX)) as u64;
        let new = match answer {
            Ok(value) => new_value(self.op, value),
            Err(_) => Value::Null,
        };
        entry.model = self.model.clone().or_else(|| model_of(&old).or_else(|| model_of(&new)));
        let (old, new) = differences(old, new);
        entry.changes = Some(json!({"target": self.target, "old": old, "new": new}).to_string());
        match answer {
            Ok(_) => entry.outcome = Outcome::Ok,
            Err(e) => {
                entry.outcome = outcome(e);
                entry.error = Some(e.message.clone());
            }
        }
        entry
    }
}

/// The part of an answer that is the new value.
fn new_value(op: &str, answer: &Value) -> Value {
    match op {
        "settings.set" => answer.get("value").cloned().unwrap_or(Value::Null),
        "resources.remove" => Value::Null,
        _ => answer.clone(),
    }
}

fn model_of(view: &Value) -> Option<String> {
    view.get("model").and_then(Value::as_str).map(str::to_string)
}

/// For two objects, only the fields that differ; other values as they are.
fn differences(old: Value, new: Value) -> (Value, Value) {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            let (mut was, mut is) = (Map::new(), Map::new());
            for (key, value) in &old {
                if new.get(key) != Some(value) {
                    was.insert(key.clone(), value.clone());
                    is.insert(key.clone(), new.get(key).cloned().unwrap_or(Value::Null));
                }
            }
            for (key, value) in new.iter().filter(|(k, _)| !old.contains_key(*k)) {
                is.insert(key.clone(), value.clone());
            }
            (Value::Object(was), Value::Object(is))
        }
        pair => pair,
    }
}

fn outcome(e: &ApiError) -> Outcome {
    match e.kind {
        ErrorKind::Invalid | ErrorKind::Conflict => Outcome::Invalid,
        ErrorKind::NotFound => Outcome::NotFound,
        ErrorKind::Failed => Outcome::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_fields_that_changed_are_kept() {
        let (old, new) = differences(
            json!({"id": 1, "model": "res.partner", "read_only": true, "fields": []}),
            json!({"id": 1, "model": "res.partner", "read_only": false, "fields": [], "note": "x"}),
        );
        assert_eq!(old, json!({"read_only": true}));
        assert_eq!(new, json!({"read_only": false, "note": "x"}));
        assert_eq!(differences(json!(30), json!(60)), (json!(30), json!(60)));
        assert!(Actor::cli_no_daemon().as_str().starts_with("cli, no daemon ("));
        assert!(Actor::peer(0, Some(7)).as_str().ends_with("(uid 0, pid 7)"));
    }
}
