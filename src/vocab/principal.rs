//! Who is calling: the authenticated caller ([`Principal`]), what its
//! credential grants ([`Grant`]), and the [`Identity`] Odoo calls run as.
//! The caller's key is private here: it leaves a principal only inside the
//! identity handed to `upstream`.

use super::ScopeSet;
use crate::config::{ApiKey, Scope};

/// What a credential grants, as the policy needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub credential_id: u64,
    pub label: String,
    pub scope: Scope,
    pub company_id: Option<u32>,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub uid: i64,
    pub login: String,
    /// None: a key without credential (passthrough, no scope restrictions).
    pub grant: Option<Grant>,
    /// The company whose resources apply (the credential's, else the user's current one).
    pub home_company: Option<i64>,
    /// The companies Odoo calls may touch.
    pub company_ids: Vec<i64>,
    key: ApiKey,
    /// Why Odoo could not confirm this caller: the key matched a stored
    /// credential while Odoo was unreachable. Enough for the MCP handshake
    /// and the tool list; every operation is refused until Odoo answers.
    offline: Option<String>,
    /// What an OAuth access token's grant allows (None: an API key, which
    /// the credential alone governs).
    token_scopes: Option<ScopeSet>,
}

impl Principal {
    /// The identity Odoo calls run as: the caller's own key and user.
    pub fn identity(&self) -> Identity {
        Identity { key: self.key.clone(), uid: self.uid, company_ids: self.company_ids.clone() }
    }

    pub fn read_only_scope(&self) -> bool {
        self.grant.as_ref().is_some_and(|g| g.scope == Scope::ReadOnly)
    }

    /// An authenticated caller, as authentication found it.
    pub fn new(
        uid: i64,
        login: String,
        grant: Option<Grant>,
        home_company: Option<i64>,
        company_ids: Vec<i64>,
        key: ApiKey,
    ) -> Principal {
        Principal { uid, login, grant, home_company, company_ids, key, offline: None, token_scopes: None }
    }

    /// A caller recognised only by its stored credential while Odoo could
    /// not be asked (`why`); see [`Principal::offline`].
    pub fn recognised_offline(
        uid: i64,
        login: String,
        grant: Grant,
        home_company: Option<i64>,
        key: ApiKey,
        why: String,
    ) -> Principal {
        let company_ids = home_company.into_iter().collect();
        Principal {
            uid,
            login,
            grant: Some(grant),
            home_company,
            company_ids,
            key,
            offline: Some(why),
            token_scopes: None,
        }
    }

    /// The caller came with an OAuth access token whose grant holds `scopes`.
    pub fn with_token_scopes(mut self, scopes: ScopeSet) -> Principal {
        self.token_scopes = Some(scopes);
        self
    }

    /// What the caller's OAuth access token allows; None for an API key.
    pub fn token_scopes(&self) -> Option<ScopeSet> {
        self.token_scopes
    }

    /// Why Odoo could not confirm this caller, when it could not.
    pub fn offline(&self) -> Option<&str> {
        self.offline.as_deref()
    }

    /// A principal for tests and benches of the layers behind authentication.
    pub fn for_tests(uid: i64, grant: Option<Grant>, home_company: Option<i64>, key: ApiKey) -> Principal {
        Principal {
            uid,
            login: format!("user{uid}"),
            grant,
            home_company,
            company_ids: home_company.into_iter().collect(),
            key,
            offline: None,
            token_scopes: None,
        }
    }
}

/// Who a call runs as: the caller's own key and uid, and the companies the
/// call may touch (sent as `allowed_company_ids` in the context; empty means
/// the user's default company, Odoo's own rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub key: ApiKey,
    pub uid: i64,
    pub company_ids: Vec<i64>,
}
