//! The admin's side of OAuth, over the store alone: registered clients,
//! grants (per credential) with revoke, and sign-up requests with approve
//! and refuse. [`dispatch`] serves them by name for the admin socket and
//! the CLI's direct mode (`oauth.clients`, `oauth.grants`, `oauth.revoke`,
//! `oauth.signups`, `oauth.approve`, `oauth.refuse`). Views never carry a
//! sealed key. Revocations and decisions are audited.

use super::Grants;
use super::records::{Grant, RegisteredClient, Signup, SignupStatus};
use crate::admin::{AdminError, AdminResult, AdminService};
use crate::audit::AuditEntry;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The operations and their arguments, for `help`.
pub const OPS: &[(&str, &str)] = &[
    ("oauth.clients", "-"),
    ("oauth.grants", "credential?, all?"),
    ("oauth.revoke", "id"),
    ("oauth.signups", "-"),
    ("oauth.approve", "id"),
    ("oauth.refuse", "id"),
];

fn time_text(t: Option<OffsetDateTime>) -> Value {
    t.and_then(|t| t.format(&Rfc3339).ok()).map(Value::String).unwrap_or(Value::Null)
}

pub fn grant_view(grant: &Grant) -> Value {
    json!({
        "id": grant.id,
        "client": grant.client_name,
        "client_id": grant.client_id,
        "client_host": grant.client_host,
        "credential_id": grant.credential_id,
        "uid": grant.uid,
        "login": grant.login,
        "scopes": grant.scopes,
        "created_at": time_text(Some(grant.created_at)),
        "last_used": time_text(grant.last_used),
        "status": if grant.is_active() { "active" } else { "revoked" },
        "revoked_at": time_text(grant.revoked_at),
        "revoked_why": grant.revoked_why,
        "key_kept": grant.sealed_key.is_some(),
    })
}

fn client_view(client: &RegisteredClient) -> Value {
    json!({
        "client_id": client.client_id,
        "name": client.client_name,
        "redirect_uris": client.redirect_uris,
        "registered_at": time_text(Some(client.registered_at)),
        "registered_ip": client.registered_ip,
    })
}

fn signup_view(signup: &Signup) -> Value {
    json!({
        "id": signup.id,
        "uid": signup.uid,
        "login": signup.login,
        "name": signup.name,
        "client": signup.client_name,
        "requested_at": time_text(Some(signup.requested_at)),
        "status": signup.status.name(),
        "decided_at": time_text(signup.decided_at),
        "credential_id": signup.credential_id,
    })
}

fn id_arg(op: &str, args: &Value) -> AdminResult<u64> {
    args.get("id")
        .and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())))
        .ok_or_else(|| AdminError::Invalid(format!("{op} needs the id (a whole number)")))
}

/// Serves one OAuth admin operation; None for a name that is not one.
pub async fn dispatch(admin: &AdminService, op: &str, args: &Value) -> Option<AdminResult<Value>> {
    let grants = Grants::new(admin.store().clone());
    let result = match op {
        "oauth.clients" => (|| {
            let mut clients = admin.store().table::<RegisteredClient>()?.values()?;
            clients.sort_by_key(|c| std::cmp::Reverse(c.registered_at));
            Ok((Value::Array(clients.iter().map(client_view).collect()), None))
        })(),
        "oauth.grants" => (|| {
            let credential = args.get("credential").and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
            let all = args.get("all").and_then(Value::as_bool).unwrap_or(false);
            let list = grants.list(credential)?;
            Ok((Value::Array(list.iter().filter(|g| all || g.is_active()).map(grant_view).collect()), None))
        })(),
        "oauth.revoke" => (|| {
            let id = id_arg(op, args)?;
            let current =
                grants.get(id)?.ok_or_else(|| AdminError::NotFound(format!("no OAuth grant with id {id}")))?;
            if !current.is_active() {
                return Err(AdminError::Invalid(format!("grant {id} was already revoked")));
            }
            let revoked = grants.revoke(id, "revoked by an administrator")?.expect("exists");
            Ok(revoked)
        })()
        .map(|revoked| {
            let detail = format!("grant {} revoked by an administrator", revoked.id);
            (grant_view(&revoked), Some(("oauth.admin_revoke", Some(revoked), detail)))
        }),
        "oauth.signups" => grants
            .signups()
            .map(|list| (Value::Array(list.iter().map(signup_view).collect()), None))
            .map_err(Into::into),
        "oauth.approve" | "oauth.refuse" => (|| {
            let id = id_arg(op, args)?;
            let approve = op == "oauth.approve";
            let table = admin.store().table::<Signup>()?;
            let current = table
                .get(&id)?
                .ok_or_else(|| AdminError::NotFound(format!("no OAuth sign-up request with id {id}")))?;
            if current.status != SignupStatus::Pending {
                return Err(AdminError::Invalid(format!(
                    "sign-up request {id} is {}, not pending",
                    current.status.name()
                )));
            }
            let now = OffsetDateTime::now_utc();
            let decided = table
                .update(&id, |s| {
                    s.status = if approve { SignupStatus::Approved } else { SignupStatus::Refused };
                    s.decided_at = Some(now);
                })?
                .expect("exists");
            admin.store().flush()?;
            let verb = if approve { "approved" } else { "refused" };
            let detail = format!("sign-up {id} of {} (uid {}) {verb}", decided.login, decided.uid);
            Ok((signup_view(&decided), Some(("oauth.signup", None, detail))))
        })(),
        _ => return None,
    };
    Some(match result {
        Ok((view, Some((name, grant, detail)))) => {
            audit(admin, name, grant.as_ref(), detail).await;
            Ok(view)
        }
        Ok((view, None)) => Ok(view),
        Err(e) => Err(e),
    })
}

/// An admin's OAuth decision in the audit log.
async fn audit(admin: &AdminService, name: &'static str, grant: Option<&Grant>, detail: String) {
    if !admin.settings().map(|s| s.audit_logging).unwrap_or(true) {
        return;
    }
    let mut entry = AuditEntry::new("admin", "admin socket".into(), name);
    if let Some(grant) = grant {
        entry.credential_id = Some(grant.credential_id);
        entry.uid = Some(grant.uid);
        entry.login = Some(grant.login.clone());
    }
    entry.fields = Some(detail);
    if let Err(e) = admin.audit().record(entry).await {
        tracing::error!(error = %e, "audit entry not written");
    }
}
