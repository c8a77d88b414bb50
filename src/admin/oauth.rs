//! The admin's side of OAuth (remote connectors): registered clients,
//! grants (per credential) with revoke, and sign-up requests with approve
//! and refuse, over the store through `oauth::Grants`. Revocations and
//! decisions are audited (face `admin`); views never carry a token or the
//! sealed key.

use super::api::{GrantView, OAuthClientView, SignupView};
use super::{AdminError, AdminResult, AdminService};
use crate::audit::AuditEntry;
use crate::oauth::records::{Grant, RegisteredClient, Signup};
use crate::oauth::{Grants, SignupDecision};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn timestamp(t: Option<OffsetDateTime>) -> Option<String> {
    t.and_then(|t| t.format(&Rfc3339).ok())
}

pub fn grant_view(grant: &Grant) -> GrantView {
    GrantView {
        id: grant.id,
        client: grant.client_name.clone(),
        client_id: grant.client_id.clone(),
        client_host: grant.client_host.clone(),
        credential_id: grant.credential_id,
        uid: grant.uid,
        login: grant.login.clone(),
        scopes: grant.scopes.clone(),
        created_at: timestamp(Some(grant.created_at)),
        last_used: timestamp(grant.last_used),
        status: if grant.is_active() { "active" } else { "revoked" }.into(),
        revoked_at: timestamp(grant.revoked_at),
        revoked_why: grant.revoked_why.clone(),
        key_kept: grant.sealed_key.is_some(),
    }
}

fn client_view(client: &RegisteredClient) -> OAuthClientView {
    OAuthClientView {
        client_id: client.client_id.clone(),
        name: client.client_name.clone(),
        redirect_uris: client.redirect_uris.clone(),
        registered_at: timestamp(Some(client.registered_at)),
        registered_ip: client.registered_ip.clone(),
    }
}

fn signup_view(signup: &Signup) -> SignupView {
    SignupView {
        id: signup.id,
        uid: signup.uid,
        login: signup.login.clone(),
        name: signup.name.clone(),
        client: signup.client_name.clone(),
        requested_at: timestamp(Some(signup.requested_at)),
        status: signup.status.name().into(),
        decided_at: timestamp(signup.decided_at),
        credential_id: signup.credential_id,
    }
}

impl AdminService {
    fn grants(&self) -> Grants {
        Grants::new(self.store().clone())
    }

    pub fn oauth_clients(&self) -> AdminResult<Vec<OAuthClientView>> {
        Ok(self.grants().clients()?.iter().map(client_view).collect())
    }

    /// Grants, newest first: live ones, or all; of one credential when asked.
    pub fn oauth_grants(&self, credential: Option<u64>, all: bool) -> AdminResult<Vec<GrantView>> {
        let list = self.grants().list(credential)?;
        Ok(list.iter().filter(|g| all || g.is_active()).map(grant_view).collect())
    }

    /// Revokes a grant: its tokens stop working on their next use and the
    /// Odoo key it kept is erased. Revoking twice is refused.
    pub async fn revoke_grant(&self, id: u64) -> AdminResult<GrantView> {
        let grants = self.grants();
        let current = grants.get(id)?.ok_or_else(|| AdminError::NotFound(format!("no OAuth grant with id {id}")))?;
        if !current.is_active() {
            return Err(AdminError::Invalid(format!("grant {id} was already revoked")));
        }
        let revoked = grants
            .revoke(id, "revoked by an administrator")?
            .ok_or_else(|| AdminError::NotFound(format!("no OAuth grant with id {id}")))?;
        self.oauth_audit("oauth.admin_revoke", Some(&revoked), format!("grant {id} revoked by an administrator")).await;
        Ok(grant_view(&revoked))
    }

    pub fn oauth_signups(&self) -> AdminResult<Vec<SignupView>> {
        Ok(self.grants().signups()?.iter().map(signup_view).collect())
    }

    /// Approves (or refuses) a pending sign-up.
    pub async fn decide_signup(&self, id: u64, approve: bool) -> AdminResult<SignupView> {
        let decided = match self.grants().decide_signup(id, approve)? {
            SignupDecision::Decided(signup) => signup,
            SignupDecision::NotFound => {
                return Err(AdminError::NotFound(format!("no OAuth sign-up request with id {id}")));
            }
            SignupDecision::NotPending(status) => {
                return Err(AdminError::Invalid(format!("sign-up request {id} is {}, not pending", status.name())));
            }
        };
        let verb = if approve { "approved" } else { "refused" };
        let detail = format!("sign-up {id} of {} (uid {}) {verb}", decided.login, decided.uid);
        self.oauth_audit("oauth.signup", None, detail).await;
        Ok(signup_view(&decided))
    }

    /// An admin's OAuth decision in the audit log.
    async fn oauth_audit(&self, name: &'static str, grant: Option<&Grant>, detail: String) {
        if !self.settings().map(|s| s.audit_logging).unwrap_or(true) {
            return;
        }
        let mut entry = AuditEntry::new("admin", "admin socket".into(), name);
        if let Some(grant) = grant {
            entry.credential_id = Some(grant.credential_id);
            entry.uid = Some(grant.uid);
            entry.login = Some(grant.login.clone());
        }
        entry.fields = Some(detail);
        if let Err(e) = self.rooms().audit().record(entry).await {
            tracing::error!(error = %e, "audit entry not written");
        }
    }
}
