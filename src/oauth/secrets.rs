//! The random values the authorization server hands out, how they are
//! stored (SHA-256: they carry 256 bits of entropy, so a fast hash is
//! enough), PKCE's S256 check and the consent form's CSRF token.
//!
//! Every value has a prefix saying what it is (`agw_at_` access token,
//! `agw_rt_` refresh token, `agw_ac_` code), so the gateway tells an access
//! token from an Odoo API key without a store read, and a token pasted in
//! the wrong place is refused at once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};

pub const ACCESS_PREFIX: &str = "agw_at_";
pub const REFRESH_PREFIX: &str = "agw_rt_";
pub const CODE_PREFIX: &str = "agw_ac_";
pub const CLIENT_PREFIX: &str = "agw_client_";

/// 32 bytes from the system's CSPRNG.
pub fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes).expect("the system random source works");
    bytes
}

/// `prefix` followed by 256 random bits, base64url without padding.
pub fn new_secret(prefix: &str) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random_bytes()))
}

/// A shorter random id (128 bits) for client ids, which are not secret.
pub fn new_client_id() -> String {
    format!("{CLIENT_PREFIX}{}", URL_SAFE_NO_PAD.encode(&random_bytes()[..16]))
}

/// Whether `text` has the shape of one of our access tokens.
pub fn is_access_token(text: &str) -> bool {
    text.starts_with(ACCESS_PREFIX)
}

/// The key a secret is stored under: its SHA-256.
pub fn digest(secret: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, secret.as_bytes()).as_ref().to_vec()
}

/// base64url(SHA-256(text)) without padding: the S256 code challenge of a verifier.
pub fn s256(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()))
}

/// Compares without stopping at the first difference.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A PKCE code verifier as RFC 7636 §4.1 defines it: 43 to 128 characters
/// of `[A-Za-z0-9-._~]`.
pub fn verifier_is_well_formed(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// A code challenge: base64url of a SHA-256, so exactly 43 characters.
pub fn challenge_is_well_formed(challenge: &str) -> bool {
    challenge.len() == 43 && URL_SAFE_NO_PAD.decode(challenge).is_ok_and(|b| b.len() == 32)
}

/// PKCE S256: the verifier hashes to the challenge.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    verifier_is_well_formed(verifier) && same(s256(verifier).as_bytes(), challenge.as_bytes())
}

/// The consent form's CSRF token: an HMAC over the browser's cookie nonce,
/// the authorization request it shows and when it was issued. A form
/// posted from another site lacks the cookie (or cannot know the HMAC), so
/// nobody can sign a person in with someone else's key behind their back.
pub struct Csrf {
    key: ring::hmac::Key,
}

/// How long a consent page may be left open before its form is refused.
pub const CSRF_LIFETIME_SECS: i64 = 30 * 60;

impl Csrf {
    /// A key of this process: a page shown before a restart must be reloaded.
    pub fn new() -> Csrf {
        Csrf { key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &random_bytes()) }
    }

    fn mac(&self, nonce: &str, request: &str, issued_at: i64) -> String {
        let message = format!("{nonce}\n{request}\n{issued_at}");
        URL_SAFE_NO_PAD.encode(ring::hmac::sign(&self.key, message.as_bytes()))
    }

    /// The token for a form showing `request` to the browser holding `nonce`.
    pub fn token(&self, nonce: &str, request: &str, now: i64) -> String {
        format!("{now}.{}", self.mac(nonce, request, now))
    }

    /// Whether `token` was issued by [`Csrf::token`] for this nonce and
    /// request, less than [`CSRF_LIFETIME_SECS`] ago.
    pub fn verify(&self, token: &str, nonce: &str, request: &str, now: i64) -> bool {
        let Some((issued, mac)) = token.split_once('.') else { return false };
        let Ok(issued_at) = issued.parse::<i64>() else { return false };
        if !(0..=CSRF_LIFETIME_SECS).contains(&(now - issued_at)) || nonce.is_empty() {
            return false;
        }
        same(self.mac(nonce, request, issued_at).as_bytes(), mac.as_bytes())
    }
}

impl Default for Csrf {
    fn default() -> Self {
        Csrf::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_prefixed() {
        let a = new_secret(ACCESS_PREFIX);
        let b = new_secret(ACCESS_PREFIX);
        assert_ne!(a, b);
        assert!(is_access_token(&a));
        assert!(!is_access_token(&new_secret(REFRESH_PREFIX)));
        // 256 bits in base64url: 43 characters after the prefix.
        assert_eq!(a.len(), ACCESS_PREFIX.len() + 43);
        assert_eq!(digest(&a).len(), 32);
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(s256(verifier), challenge);
        assert!(pkce_matches(verifier, challenge));
        assert!(challenge_is_well_formed(challenge));
        assert!(!pkce_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK", challenge));
        assert!(!pkce_matches("short", &s256("short")));
        assert!(!challenge_is_well_formed("plain-text-challenge"));
    }

    #[test]
    fn csrf_tokens_bind_nonce_request_and_time() {
        let csrf = Csrf::new();
        let token = csrf.token("nonce", "request", 1_000);
        assert!(csrf.verify(&token, "nonce", "request", 1_010));
        assert!(!csrf.verify(&token, "other", "request", 1_010));
        assert!(!csrf.verify(&token, "nonce", "changed", 1_010));
        assert!(!csrf.verify(&token, "nonce", "request", 1_000 + CSRF_LIFETIME_SECS + 1));
        assert!(!csrf.verify(&token, "", "request", 1_010));
        assert!(!Csrf::new().verify(&token, "nonce", "request", 1_010));
        assert!(!csrf.verify("garbage", "nonce", "request", 1_010));
    }
}
