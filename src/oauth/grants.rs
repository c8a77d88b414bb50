//! Grants and the tokens behind them, over the store alone (no vault, no
//! network), so the admin service and the timers use the same calls as the
//! authorization server: list, revoke (which erases the sealed Odoo key at
//! once), the registered clients, sign-up decisions, and the hourly purge of
//! spent codes and tokens.

use super::records::{AuthCode, Grant, IssuedToken, RegisteredClient, Signup, SignupStatus};
use crate::store::{CompositeKey, Store, StoreResult};
use time::OffsetDateTime;

/// What became of an admin's decision on a sign-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignupDecision {
    Decided(Signup),
    NotFound,
    /// Already decided (or done): nothing changed.
    NotPending(SignupStatus),
}

/// How long spent codes and tokens are kept past their expiry.
const KEEP_SPENT_SECS: i64 = 24 * 3600;

/// Grants of one store.
#[derive(Clone)]
pub struct Grants {
    store: Store,
}

impl Grants {
    pub fn new(store: Store) -> Grants {
        Grants { store }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn get(&self, id: u64) -> StoreResult<Option<Grant>> {
        self.store.table::<Grant>()?.get(&id)
    }

    /// Every grant, newest first; only those of one credential when asked.
    pub fn list(&self, credential: Option<u64>) -> StoreResult<Vec<Grant>> {
        let mut all: Vec<Grant> = self
            .store
            .table::<Grant>()?
            .values()?
            .into_iter()
            .filter(|g| credential.is_none_or(|c| g.credential_id == c))
            .collect();
        all.sort_by_key(|g| std::cmp::Reverse(g.id));
        Ok(all)
    }

    /// Revokes a grant: its tokens stop working on their next use and the
    /// person's Odoo key it kept is erased. The revoked grant, or None when
    /// there is no such grant; revoking twice keeps the first time and reason.
    pub fn revoke(&self, id: u64, why: &str) -> StoreResult<Option<Grant>> {
        let now = OffsetDateTime::now_utc();
        let revoked = self.store.table::<Grant>()?.update(&id, |g| {
            if g.revoked_at.is_none() {
                g.revoked_at = Some(now);
                g.revoked_why = Some(why.to_string());
            }
            g.sealed_key = None;
        })?;
        self.store.flush()?;
        Ok(revoked)
    }

    /// Revokes every live grant bound to a credential (it was revoked);
    /// returns how many.
    pub fn revoke_for_credential(&self, credential_id: u64, why: &str) -> StoreResult<usize> {
        let mut count = 0;
        for grant in self.list(Some(credential_id))? {
            if grant.is_active() || grant.sealed_key.is_some() {
                self.revoke(grant.id, why)?;
                count += 1;
            }
        }
        Ok(count)
    }

    /// Notes that a grant was used, at most once a minute (no flush: the
    /// background flush keeps it, like credential usage).
    pub fn touch(&self, grant: &Grant) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        if grant.last_used.is_some_and(|at| (now - at).whole_seconds() < 60) {
            return Ok(());
        }
        self.store.table::<Grant>()?.update(&grant.id, |g| g.last_used = Some(now))?;
        Ok(())
    }

    /// The clients registered by DCR, newest first.
    pub fn clients(&self) -> StoreResult<Vec<RegisteredClient>> {
        let mut all = self.store.table::<RegisteredClient>()?.values()?;
        all.sort_by_key(|c| std::cmp::Reverse(c.registered_at));
        Ok(all)
    }

    /// An admin approves (or refuses) a pending sign-up.
    pub fn decide_signup(&self, id: u64, approve: bool) -> StoreResult<SignupDecision> {
        let table = self.store.table::<Signup>()?;
        let Some(current) = table.get(&id)? else { return Ok(SignupDecision::NotFound) };
        if current.status != SignupStatus::Pending {
            return Ok(SignupDecision::NotPending(current.status));
        }
        let now = OffsetDateTime::now_utc();
        let mut was = SignupStatus::Pending;
        let decided = table.update(&id, |s| {
            was = s.status;
            if s.status == SignupStatus::Pending {
                s.status = if approve { SignupStatus::Approved } else { SignupStatus::Refused };
                s.decided_at = Some(now);
            }
        })?;
        self.store.flush()?;
        Ok(match decided {
            Some(signup) if was == SignupStatus::Pending => SignupDecision::Decided(signup),
            Some(_) => SignupDecision::NotPending(was),
            None => SignupDecision::NotFound,
        })
    }

    pub fn signups(&self) -> StoreResult<Vec<Signup>> {
        let mut all = self.store.table::<Signup>()?.values()?;
        all.sort_by_key(|g| std::cmp::Reverse(g.id));
        Ok(all)
    }

    /// Deletes codes and tokens a day past their expiry (kept until then so
    /// a replay is recognised, and an expired token is told from a guessed
    /// one), then revokes the grants no live token or code
    /// leads to any more, erasing the keys they kept: a connection left
    /// unused past its refresh token's life is closed. Returns (removed
    /// codes and tokens, closed grants).
    pub fn purge_expired(&self, now_unix: i64) -> StoreResult<(usize, usize)> {
        let tokens = self.store.table::<IssuedToken>()?;
        let codes = self.store.table::<AuthCode>()?;
        let stale_tokens = tokens.raw_keys_where(|t: &IssuedToken| t.expires_at + KEEP_SPENT_SECS < now_unix)?;
        let mut removed = tokens.remove_many(stale_tokens.into_iter().map(CompositeKey))?;
        let stale_codes = codes.raw_keys_where(|c: &AuthCode| c.expires_at + KEEP_SPENT_SECS < now_unix)?;
        removed += codes.remove_many(stale_codes.into_iter().map(CompositeKey))?;
        let mut live = std::collections::HashSet::new();
        for token in tokens.values()? {
            if !token.rotated && token.expires_at >= now_unix {
                live.insert(token.grant_id);
            }
        }
        for code in codes.values()? {
            if code.expires_at >= now_unix {
                live.insert(code.grant_id);
            }
        }
        let mut closed = 0;
        for grant in self.list(None)? {
            if grant.is_active() && !live.contains(&grant.id) {
                self.revoke(grant.id, "no live token left (unused past its refresh token's life)")?;
                closed += 1;
            }
        }
        self.store.flush()?;
        Ok((removed, closed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::records::TokenKind;

    fn grant(id: u64) -> Grant {
        Grant {
            id,
            client_id: "c".into(),
            client_name: "c".into(),
            client_host: "h".into(),
            credential_id: 1,
            uid: 2,
            login: "admin".into(),
            scopes: "odoo.read".into(),
            audience: "https://a.example/alpenglow/mcp".into(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            last_used: None,
            revoked_at: None,
            revoked_why: None,
            sealed_key: Some(vec![1, 2, 3]),
        }
    }

    #[test]
    fn the_purge_keeps_spent_tokens_a_day_and_closes_grants_nothing_leads_to() {
        let dir = tempfile::tempdir().unwrap();
        let grants = Grants::new(Store::open(dir.path()).unwrap());
        let table = grants.store().table::<Grant>().unwrap();
        for id in [1, 2, 3] {
            table.insert(&id, &grant(id)).unwrap();
        }
        let now = 1_000_000;
        let tokens = grants.store().table::<IssuedToken>().unwrap();
        let token = |grant_id, kind, expires_at, rotated| IssuedToken { kind, grant_id, expires_at, rotated };
        // 1: a live refresh token. 2: only a rotated one and an expired access
        // token. 3: an access token expired two days ago.
        tokens.insert(&CompositeKey(vec![1]), &token(1, TokenKind::Refresh, now + 100, false)).unwrap();
        tokens.insert(&CompositeKey(vec![2]), &token(2, TokenKind::Refresh, now + 100, true)).unwrap();
        tokens.insert(&CompositeKey(vec![3]), &token(2, TokenKind::Access, now - 10, false)).unwrap();
        tokens.insert(&CompositeKey(vec![4]), &token(3, TokenKind::Access, now - 2 * 86_400, false)).unwrap();
        let (removed, closed) = grants.purge_expired(now).unwrap();
        assert_eq!((removed, closed), (1, 2));
        assert_eq!(tokens.len(), 3, "the token expired 10 s ago is kept a day");
        assert!(grants.get(1).unwrap().unwrap().is_active());
        for id in [2, 3] {
            let g = grants.get(id).unwrap().unwrap();
            assert!(!g.is_active() && g.sealed_key.is_none(), "grant {id}");
        }
    }
}
