//! Approval: binding the person who signed in to a credential, and the
//! grant and code that follow.
//!
//! The gateway has already checked the person's Odoo key with Odoo (so we
//! know their uid). Their grant binds to a credential the way the gateway
//! picks one for an API key: an active credential of their Odoo user (the
//! one registered for this very key, else the most restrictive); none
//! active while some exist is a refusal (revoking never turns into more
//! access); none at all is a sign-up, with the admin's defaults, made at
//! once or after an admin's approval (`oauth_signup_approval`).

use super::flow::{AuthorizeRequest, grant_detail};
use super::records::{AuthCode, Grant, Signup, SignupStatus};
use super::{CODE_TTL_SECS, ClientInfo, Event, OAuth, secrets};
use crate::audit::Outcome;
use crate::config::catalog::{self, CredentialRefused};
use crate::config::{ApiKey, Credential, CredentialDraft, Scope, Settings};
use crate::store::CompositeKey;
use crate::vocab::ScopeSet;
use std::net::IpAddr;
use time::OffsetDateTime;

/// The person who signed in, as Odoo knows them.
pub struct Person {
    pub uid: i64,
    pub login: String,
    pub name: String,
    pub company_ids: Vec<i64>,
    pub key: ApiKey,
}

/// Why an approval did not end in a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalError {
    /// Waiting for an admin: the page says so; nothing goes to the client.
    Pending(String),
    /// Refused for good reasons the person can act on.
    Refused(String),
    /// Something failed on our side.
    Failed(String),
}

impl OAuth {
    /// The person approved `chosen` scopes (a subset of the request's) for
    /// `client`: binds a credential, seals the key into a new grant, and
    /// returns where to send the browser (the redirect URI with the code).
    pub async fn approve(
        &self,
        request: &AuthorizeRequest,
        client: &ClientInfo,
        person: &Person,
        chosen: ScopeSet,
        ip: IpAddr,
    ) -> Result<String, ApprovalError> {
        let settings = self.rooms().catalog().settings().map_err(|e| ApprovalError::Failed(e.to_string()))?;
        let credential = match self.credential_for(person, client, &settings) {
            Ok(credential) => credential,
            Err(refusal) => {
                let (outcome, why) = match &refusal {
                    ApprovalError::Pending(m) => (Outcome::Denied, format!("sign-up pending: {m}")),
                    ApprovalError::Refused(m) | ApprovalError::Failed(m) => (Outcome::Denied, m.clone()),
                };
                let mut event = Event::new("oauth.authorize", ip, format!("client {} ({})", client.name, client.host))
                    .refused(outcome, why);
                event.uid = Some(person.uid);
                event.login = Some(person.login.clone());
                self.audit(event).await;
                return Err(refusal);
            }
        };
        let failed = |e: String| ApprovalError::Failed(e);
        let store = self.rooms().store();
        let id = store.next_id().map_err(|e| failed(e.to_string()))?;
        let sealed = self.vault().seal(person.key.expose(), &id.to_be_bytes()).map_err(|e| failed(e.0))?;
        let now = OffsetDateTime::now_utc();
        let grant = Grant {
            id,
            client_id: client.client_id.clone(),
            client_name: client.name.clone(),
            client_host: client.host.clone(),
            credential_id: credential.id,
            uid: person.uid,
            login: person.login.clone(),
            scopes: chosen.intersect(request.scopes).to_text(),
            audience: request.resource.clone(),
            created_at: now,
            last_used: None,
            revoked_at: None,
            revoked_why: None,
            sealed_key: Some(sealed),
        };
        let code = secrets::new_secret(secrets::CODE_PREFIX);
        let stored_code = AuthCode {
            grant_id: id,
            client_id: client.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            code_challenge: request.code_challenge.clone(),
            audience: request.resource.clone(),
            expires_at: now.unix_timestamp() + CODE_TTL_SECS,
            used: false,
        };
        store
            .table::<Grant>()
            .and_then(|t| t.insert(&id, &grant))
            .and_then(|()| store.table::<AuthCode>())
            .and_then(|t| t.insert(&CompositeKey(secrets::digest(&code)), &stored_code))
            .and_then(|()| store.flush())
            .map_err(|e| failed(e.to_string()))?;
        let mut event = Event::new("oauth.authorize", ip, grant_detail(&grant)).grant(&grant);
        event.credential_label = Some(credential.label.clone());
        self.audit(event).await;
        let mut pairs = vec![("code", code.as_str())];
        if let Some(state) = &request.state {
            pairs.push(("state", state.as_str()));
        }
        Ok(self.redirect_url(&request.redirect_uri, &pairs))
    }

    /// The person said no: the client hears `access_denied`.
    pub async fn deny(&self, request: &AuthorizeRequest, client: &ClientInfo, ip: IpAddr) -> String {
        let event = Event::new("oauth.authorize", ip, format!("client {} ({})", client.name, client.host))
            .refused(Outcome::Denied, "the person denied access");
        self.audit(event).await;
        self.error_redirect(
            &request.redirect_uri,
            request.state.as_deref(),
            "access_denied",
            "the person denied access",
        )
    }

    /// The credential the grant binds to (see the module doc).
    fn credential_for(
        &self,
        person: &Person,
        client: &ClientInfo,
        settings: &Settings,
    ) -> Result<Credential, ApprovalError> {
        let catalog = self.rooms().catalog();
        let failed = |e: crate::store::StoreError| ApprovalError::Failed(e.to_string());
        let today = catalog::today();
        let of_user: Vec<Credential> = catalog
            .credentials()
            .map_err(failed)?
            .into_iter()
            .map(|(c, _)| c)
            .filter(|c| i64::from(c.user_id) == person.uid)
            .collect();
        let active: Vec<Credential> = of_user.iter().filter(|c| c.is_active(today)).cloned().collect();
        if !active.is_empty() {
            // argon2 once: the credential registered for this very key wins.
            if let Ok(Some(own)) = catalog.credential_for_key(&person.key)
                && own.is_active(today)
                && i64::from(own.user_id) == person.uid
            {
                return Ok(own);
            }
            let chosen = active.into_iter().min_by_key(|c| (c.scope != Scope::ReadOnly, c.company_id.is_none(), c.id));
            return Ok(chosen.expect("not empty"));
        }
        if !of_user.is_empty() {
            return Err(ApprovalError::Refused(
                "your Alpenglow credentials are revoked or expired; ask an administrator to create a new one".into(),
            ));
        }
        self.sign_up(person, client, settings)
    }

    /// A person with no credential: one with the sign-up defaults, now or
    /// once an admin approved.
    fn sign_up(&self, person: &Person, client: &ClientInfo, settings: &Settings) -> Result<Credential, ApprovalError> {
        let failed = |e: String| ApprovalError::Failed(e);
        let signups = self.rooms().store().table::<Signup>().map_err(|e| failed(e.to_string()))?;
        let mine = self
            .grants()
            .signups()
            .map_err(|e| failed(e.to_string()))?
            .into_iter()
            .find(|s| s.uid == person.uid && s.status != SignupStatus::Done);
        if settings.oauth.signup_approval {
            match mine {
                Some(s) if s.status == SignupStatus::Approved => {
                    let credential = self.make_credential(person, settings)?;
                    signups
                        .update(&s.id, |s| {
                            s.status = SignupStatus::Done;
                            s.credential_id = Some(credential.id);
                        })
                        .map_err(|e| failed(e.to_string()))?;
                    self.rooms().store().flush().map_err(|e| failed(e.to_string()))?;
                    return Ok(credential);
                }
                Some(s) if s.status == SignupStatus::Refused => {
                    return Err(ApprovalError::Refused(
                        "an administrator refused your sign-up; ask them for a credential".into(),
                    ));
                }
                Some(s) => {
                    return Err(ApprovalError::Pending(format!(
                        "your sign-up (request {}) is waiting for an administrator's approval; connect again once they approved it",
                        s.id
                    )));
                }
                None => {
                    let id = self.rooms().store().next_id().map_err(|e| failed(e.to_string()))?;
                    let signup = Signup {
                        id,
                        uid: person.uid,
                        login: person.login.clone(),
                        name: person.name.clone(),
                        client_name: client.name.clone(),
                        requested_at: OffsetDateTime::now_utc(),
                        status: SignupStatus::Pending,
                        decided_at: None,
                        credential_id: None,
                    };
                    signups.insert(&id, &signup).map_err(|e| failed(e.to_string()))?;
                    self.rooms().store().flush().map_err(|e| failed(e.to_string()))?;
                    return Err(ApprovalError::Pending(format!(
                        "you have no Alpenglow credential yet: your sign-up (request {id}) now waits for an administrator's approval (alpenglow oauth approve {id}); connect again once they approved it"
                    )));
                }
            }
        }
        self.make_credential(person, settings)
    }

    fn make_credential(&self, person: &Person, settings: &Settings) -> Result<Credential, ApprovalError> {
        let oauth = &settings.oauth;
        if let Some(company) = oauth.signup_company
            && !person.company_ids.is_empty()
            && !person.company_ids.contains(&i64::from(company))
        {
            return Err(ApprovalError::Refused(format!(
                "sign-ups get company {company}, which is not one of your Odoo companies; ask an administrator for a credential"
            )));
        }
        let user_id =
            u32::try_from(person.uid).map_err(|_| ApprovalError::Failed("an Odoo uid out of range".into()))?;
        let draft = CredentialDraft {
            label: format!("{} (OAuth sign-up)", person.login),
            user_id,
            login: person.login.clone(),
            scope: if oauth.signup_read_only { Scope::ReadOnly } else { Scope::Full },
            expires_on: oauth.signup_expiry_days.map(|days| catalog::today() + time::Duration::days(i64::from(days))),
            company_id: oauth.signup_company,
            key: person.key.clone(),
        };
        self.rooms().catalog().create_credential(draft).map_err(|e| match e {
            CredentialRefused::Store(e) => ApprovalError::Failed(e.to_string()),
            other => ApprovalError::Refused(other.to_string()),
        })
    }
}
