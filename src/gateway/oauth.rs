//! The gateway's OAuth side: an access token becomes a caller, and a
//! person's Odoo key is checked on the consent page.
//!
//! A token resolves (in `oauth`) to its grant: the credential it is bound
//! to, the person's Odoo key (unsealed in memory only) and the scopes.
//! From there the caller is made exactly as for that key: Odoo says who the
//! key belongs to (cached like any key), the credential must still be
//! active, and calls run as that Odoo user, so Odoo's own rights apply. A
//! token is for the MCP endpoint (its audience): the REST API refuses it.
//!
//! The consent page's sign-in goes through the login lockout like any key:
//! a wrong key counts against the client IP, a locked-out IP is refused.

use super::auth::{self, AuthCache};
use super::{Face, Gateway, OpError, Principal, RequestContext, UpstreamSlot, traffic};
use crate::config::catalog::{self, Catalog};
use crate::config::{ApiKey, Settings};
use crate::oauth::{OAuth, ResolveError};
use crate::upstream::{OdooUser, UpstreamError};
use std::net::IpAddr;

pub(super) async fn authenticate_token(
    catalog: &Catalog,
    upstream: &UpstreamSlot,
    cache: &AuthCache,
    settings: &Settings,
    ctx: &RequestContext,
    oauth: Option<&OAuth>,
    token: &str,
) -> Result<Principal, OpError> {
    let Some(oauth) = oauth else {
        return Err(OpError::Unauthenticated("OAuth access tokens are not accepted by this gateway".into()));
    };
    if let Some(why) = oauth.inactive_reason(settings) {
        return Err(OpError::Unauthenticated(format!("access token refused: {why}")));
    }
    if ctx.face == Face::Rest {
        return Err(OpError::Unauthenticated(format!(
            "this access token is for the MCP endpoint {}; the REST API takes API keys",
            oauth.resource()
        )));
    }
    let resolved = match oauth.resolve(token) {
        Ok(resolved) => resolved,
        Err(ResolveError::Invalid(why)) => return Err(OpError::Unauthenticated(why)),
        Err(ResolveError::Unavailable(why)) => return Err(OpError::Unavailable(why)),
    };
    let grant = &resolved.grant;
    let credential = match catalog.credential(grant.credential_id) {
        Ok(Some(c)) if c.is_active(catalog::today()) => c,
        Ok(Some(c)) => {
            // The credential went: so does the grant, and the key it kept.
            let _ = oauth.grants().revoke(grant.id, "its credential was revoked or expired");
            let why = if c.revoked_at.is_some() { "revoked" } else { "expired" };
            return Err(OpError::Unauthenticated(format!(
                "this connection's Alpenglow credential was {why}; ask an administrator"
            )));
        }
        Ok(None) => {
            let _ = oauth.grants().revoke(grant.id, "its credential was deleted");
            return Err(OpError::Unauthenticated("this connection's Alpenglow credential no longer exists".into()));
        }
        Err(e) => return Err(OpError::Unavailable(format!("the store cannot be read: {e}"))),
    };
    let key = resolved.key;
    let slot = cache.slot(&key);
    let user = match cache.get(slot) {
        Some((user, _)) => user,
        None => {
            let client = upstream.get(settings).await?;
            match client.authenticate(&key, Some(&grant.login)).await {
                Ok(user) => {
                    cache.put(slot, user.clone(), Some(credential.id));
                    user
                }
                Err(e) if e.is_transport() => return Err(OpError::Unavailable(format!("Odoo is unreachable: {e}"))),
                Err(_) => {
                    return Err(OpError::Unauthenticated(
                        "Odoo no longer accepts the API key this connection was made with; connect again".into(),
                    ));
                }
            }
        }
    };
    if user.uid != grant.uid || i64::from(credential.user_id) != grant.uid {
        return Err(OpError::Unauthenticated("this connection's key now belongs to another Odoo user".into()));
    }
    auth::finish(catalog, ctx, user, Some(credential), key, Some(resolved.scopes))
}

impl Gateway {
    /// The OAuth authorization server, when this gateway serves one.
    pub fn oauth(&self) -> Option<&OAuth> {
        self.inner.oauth.as_ref()
    }

    /// Checks a person's Odoo key on the consent page, as Odoo's own
    /// login would: JSON-2 tells the user from the key (19+),
    /// `common.authenticate` needs the login (16-18). A given login must be
    /// the key's own. Behind the login lockout: a refused key counts
    /// against the client IP, and a locked-out IP is refused whatever it sends.
    pub async fn verify_person(&self, ip: IpAddr, login: Option<&str>, key: &ApiKey) -> Result<OdooUser, OpError> {
        let settings = self.settings();
        let ctx = RequestContext::new(Face::Mcp, ip, super::Authorization::Bearer(String::new()));
        let attempt = traffic::admit_login(self, &settings, &ctx, false).await?;
        let result = self.check_key_with_odoo(&settings, login, key).await;
        match &result {
            Ok(_) => {
                if let Some(attempt) = attempt {
                    attempt.succeeded();
                }
            }
            Err(OpError::Unauthenticated(_)) => traffic::login_failed(&settings, attempt),
            Err(_) => {}
        }
        result
    }

    async fn check_key_with_odoo(
        &self,
        settings: &Settings,
        login: Option<&str>,
        key: &ApiKey,
    ) -> Result<OdooUser, OpError> {
        let client = self.inner.upstream.get(settings).await?;
        let user = match client.authenticate(key, login).await {
            Ok(user) => user,
            Err(UpstreamError::LoginRequired(_)) => {
                return Err(OpError::Unauthenticated(
                    "this Odoo version needs your login too: fill in your Odoo login (user name or e-mail) with the key".into(),
                ));
            }
            Err(e) if e.is_transport() => return Err(OpError::Unavailable(format!("Odoo is unreachable: {e}"))),
            Err(_) => {
                return Err(OpError::Unauthenticated(
                    "Odoo did not accept this API key (and login); check them in Odoo under My Profile > Account Security".into(),
                ));
            }
        };
        if let Some(login) = login
            && !user.login.eq_ignore_ascii_case(login.trim())
        {
            return Err(OpError::Unauthenticated("this API key belongs to another Odoo login".into()));
        }
        if user.share || !user.active {
            return Err(OpError::Unauthenticated("only active internal Odoo users can connect".into()));
        }
        Ok(user)
    }
}
