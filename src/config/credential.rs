//! Credentials: what an Odoo user's API key is authorized to do through Alpenglow.
//!
//! The API key itself is never stored: a credential keeps an argon2id hash of
//! it and a short non-secret prefix (as Odoo's own key index does) to find the
//! candidate credentials quickly. Usage counters live in their own tree so
//! that request-path writes never race an admin's edit of the credential.

use crate::store::Record;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, password_hash::rand_core::OsRng};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// How many leading characters of a key are kept in clear to find its
/// credential (Odoo's INDEX_SIZE). The rest (32 hex characters, 128 bits, for
/// an Odoo key) stays secret.
pub const KEY_PREFIX_LEN: usize = 8;

/// An API key in clear. It never leaves memory: no Display, a redacted Debug,
/// no Serialize.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl ApiKey {
    /// Checks the shape of a key: 16 to 256 visible ASCII characters. (Odoo's
    /// keys are 40 hex characters; other lengths are allowed for other setups.)
    pub fn parse(text: &str) -> Result<ApiKey, CredentialError> {
        let key = text.trim();
        if key.len() < 16 || key.len() > 256 || !key.chars().all(|c| c.is_ascii_graphic()) {
            return Err(CredentialError(
                "an API key must be 16 to 256 visible ASCII characters without spaces (Odoo's keys are 40 hex characters)"
                    .into(),
            ));
        }
        Ok(ApiKey(key.to_string()))
    }

    /// The clear text, for the one place that must send it (the Odoo call).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn prefix(&self) -> &str {
        &self.0[..KEY_PREFIX_LEN]
    }

    /// An argon2id hash in PHC string form, with a random salt.
    pub fn hash(&self) -> String {
        self.hash_with(&Argon2::default())
    }

    /// [`ApiKey::hash`] at argon2's minimum cost (8 KiB, one pass), for the
    /// stores of tests that create hundreds of credentials and do not test
    /// hashing (see `Catalog::lower_key_hash_cost_for_tests`). Verification
    /// reads the cost from each stored hash, so hashes of either cost verify.
    pub(crate) fn hash_at_test_cost(&self) -> String {
        let cheapest = argon2::Params::new(argon2::Params::MIN_M_COST, 1, 1, None).expect("argon2's own minimum");
        self.hash_with(&Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, cheapest))
    }

    fn hash_with(&self, argon2: &Argon2) -> String {
        let salt = SaltString::generate(&mut OsRng);
        argon2.hash_password(self.0.as_bytes(), &salt).expect("argon2 with valid params").to_string()
    }

    /// Whether this key matches a stored PHC hash.
    pub fn verify(&self, phc: &str) -> bool {
        PasswordHash::new(phc).is_ok_and(|hash| Argon2::default().verify_password(self.0.as_bytes(), &hash).is_ok())
    }
}

/// What a credential allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Every operation the resources allow.
    Full,
    /// Only list_models, describe, search, read and aggregate.
    ReadOnly,
}

impl Scope {
    pub fn parse(text: &str) -> Result<Scope, CredentialError> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "full" => Ok(Scope::Full),
            "read-only" | "readonly" => Ok(Scope::ReadOnly),
            other => Err(CredentialError(format!("unknown scope {other:?}; allowed: full, read-only"))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scope::Full => "full",
            Scope::ReadOnly => "read-only",
        }
    }
}

/// A credential as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    pub id: u64,
    pub label: String,
    pub user_id: u32,
    pub login: String,
    pub scope: Scope,
    /// The last day the credential is accepted (UTC).
    pub expires_on: Option<Date>,
    /// None: all companies.
    pub company_id: Option<u32>,
    pub created_at: OffsetDateTime,
    /// Set once, never cleared: revocation is permanent.
    pub revoked_at: Option<OffsetDateTime>,
    pub key_prefix: String,
    /// argon2id PHC string of the key.
    pub key_hash: String,
}

impl Record for Credential {
    const TREE: &'static str = "credentials";
    const KIND: &'static str = "credential";
    const VERSION: u8 = 1;
}

impl Credential {
    /// Expired from the day after Expires On (UTC).
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires_on.is_some_and(|last| today > last)
    }

    pub fn is_active(&self, today: Date) -> bool {
        self.revoked_at.is_none() && !self.is_expired(today)
    }

    pub fn status(&self, today: Date) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.is_expired(today) {
            "expired"
        } else {
            "active"
        }
    }
}

/// Usage counters of one credential, written on the request path.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    pub last_used: Option<OffsetDateTime>,
    pub last_ip: Option<String>,
    pub request_count: u64,
}

impl Record for Usage {
    const TREE: &'static str = "credential_usage";
    const KIND: &'static str = "credential usage";
    const VERSION: u8 = 1;
}

/// What an admin supplies to create a credential.
#[derive(Debug, Clone)]
pub struct CredentialDraft {
    pub label: String,
    pub user_id: u32,
    pub login: String,
    pub scope: Scope,
    pub expires_on: Option<Date>,
    pub company_id: Option<u32>,
    pub key: ApiKey,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CredentialError(pub String);

/// Parses an `Expires On` date, `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<Date, CredentialError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &format)
        .map_err(|_| CredentialError(format!("{text:?} is not a date; use YYYY-MM-DD, e.g. 2027-01-31")))
}

impl CredentialDraft {
    pub fn validate(mut self, today: Date) -> Result<CredentialDraft, CredentialError> {
        self.label = self.label.trim().to_string();
        if self.label.is_empty() || self.label.chars().count() > 120 {
            return Err(CredentialError("a credential needs a label of 1 to 120 characters".into()));
        }
        if self.label.chars().any(char::is_control) {
            return Err(CredentialError("a label cannot contain control characters".into()));
        }
        if self.user_id == 0 {
            return Err(CredentialError("the Odoo user id must be a positive number".into()));
        }
        self.login = self.login.trim().to_string();
        if self.login.is_empty() || self.login.chars().any(|c| c.is_control()) {
            return Err(CredentialError("the Odoo login cannot be empty".into()));
        }
        if self.company_id == Some(0) {
            return Err(CredentialError(
                "company id 0 does not exist; leave the company blank for all companies".into(),
            ));
        }
        if let Some(last) = self.expires_on
            && last < today
        {
            return Err(CredentialError(format!("the expiry date {last} is in the past")));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn key_hash_verifies_only_the_same_key() {
        let key = ApiKey::parse("0123456789abcdef0123456789abcdef01234567").unwrap();
        let hash = key.hash();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains(key.expose()));
        assert!(key.verify(&hash));
        let other = ApiKey::parse("0123456789abcdef0123456789abcdef01234568").unwrap();
        assert!(!other.verify(&hash));
        assert!(!key.verify("not a hash"));
        assert_eq!(key.prefix(), "01234567");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        // The default cost, which a store keeps unless a test lowered it.
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    }

    #[test]
    fn a_test_cost_hash_says_its_cost_and_verifies_like_any_other() {
        let key = ApiKey::parse("0123456789abcdef0123456789abcdef01234567").unwrap();
        let hash = key.hash_at_test_cost();
        assert!(hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{hash}");
        assert!(key.verify(&hash));
        assert!(!ApiKey::parse("0123456789abcdef0123456789abcdef01234568").unwrap().verify(&hash));
    }

    #[test]
    fn key_shape() {
        assert!(ApiKey::parse("short").is_err());
        assert!(ApiKey::parse("has a space in the middle!!").is_err());
        assert!(ApiKey::parse(&"x".repeat(257)).is_err());
    }

    #[test]
    fn expiry_is_inclusive_of_the_last_day() {
        let c = Credential {
            id: 1,
            label: "l".into(),
            user_id: 2,
            login: "admin".into(),
            scope: Scope::Full,
            expires_on: Some(date!(2026 - 11 - 27)),
            company_id: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            revoked_at: None,
            key_prefix: "01234567".into(),
            key_hash: String::new(),
        };
        assert!(c.is_active(date!(2026 - 11 - 27)));
        assert!(c.is_expired(date!(2026 - 11 - 28)));
        assert_eq!(c.status(date!(2026 - 11 - 28)), "expired");
    }

    #[test]
    fn scope_and_date_parsing() {
        assert_eq!(Scope::parse("read_only").unwrap(), Scope::ReadOnly);
        assert_eq!(Scope::parse("FULL").unwrap(), Scope::Full);
        assert!(Scope::parse("admin").unwrap_err().0.contains("allowed: full, read-only"));
        assert_eq!(parse_date("2027-01-31").unwrap(), date!(2027 - 01 - 31));
        assert!(parse_date("31/01/2027").unwrap_err().0.contains("YYYY-MM-DD"));
    }
}
