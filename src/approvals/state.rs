//! The sealed `requestState` of a 2026-07-28 confirmation: what the server
//! needs back from a stateless client to finish a held call, signed with
//! HMAC-SHA-256 under a 256-bit key kept outside the store (a 0600 file,
//! `approval.key` in the data directory or the systemd credential
//! `approval_key`, made on first use), so a copy of the database
//! or a backup cannot mint one. It names the approval, the SHA-256 of the
//! exact operation, the caller and an expiry; it is usable once because
//! the approval it names leaves `pending` at its first use.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What a request state carries (visible to the client, not secret; the
/// tag makes it unforgeable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateClaims {
    pub approval_id: u64,
    /// Hex SHA-256 of the canonical operation.
    pub operation_hash: String,
    /// `credential:ID` or `user:UID`.
    pub caller: String,
    pub expires_us: i64,
}

/// The HMAC key, loaded (or made) on first use.
pub struct StateKey {
    path: PathBuf,
    key: Mutex<Option<hmac::Key>>,
}

impl StateKey {
    pub fn new(path: PathBuf) -> StateKey {
        StateKey { path, key: Mutex::new(None) }
    }

    /// The default key file: `approval.key` in the data directory, beside
    /// (not inside) the store's own files.
    pub fn in_data_dir(data_dir: &Path) -> PathBuf {
        data_dir.join(crate::config::boot::APPROVAL_KEY_FILE)
    }

    fn key(&self) -> Result<hmac::Key, String> {
        let mut slot = self.key.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(key) = slot.as_ref() {
            return Ok(key.clone());
        }
        let key = hmac::Key::new(hmac::HMAC_SHA256, &load_or_create(&self.path)?);
        *slot = Some(key.clone());
        Ok(key)
    }

    /// `base64url(claims JSON) . base64url(tag)`.
    pub fn seal(&self, claims: &StateClaims) -> Result<String, String> {
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).map_err(|e| e.to_string())?);
        let tag = hmac::sign(&self.key()?, body.as_bytes());
        Ok(format!("{body}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref())))
    }

    /// The claims of a state this key sealed; None for anything else.
    pub fn open(&self, state: &str) -> Result<Option<StateClaims>, String> {
        let Some((body, tag)) = state.split_once('.') else { return Ok(None) };
        let Ok(tag) = URL_SAFE_NO_PAD.decode(tag) else { return Ok(None) };
        if hmac::verify(&self.key()?, body.as_bytes(), &tag).is_err() {
            return Ok(None);
        }
        let Ok(json) = URL_SAFE_NO_PAD.decode(body) else { return Ok(None) };
        Ok(serde_json::from_slice(&json).ok())
    }
}

fn load_or_create(path: &Path) -> Result<[u8; 32], String> {
    let where_else = "; or give the key as the systemd credential approval_key (made with: openssl rand -hex 32)";
    crate::config::key_file::load_or_create(path, "approval key file", where_else).map(|(key, _)| key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_state_opens_only_unaltered_and_only_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let key = StateKey::new(StateKey::in_data_dir(dir.path()));
        let claims =
            StateClaims { approval_id: 4, operation_hash: "ab".into(), caller: "credential:2".into(), expires_us: 9 };
        let sealed = key.seal(&claims).unwrap();
        assert_eq!(key.open(&sealed).unwrap(), Some(claims.clone()));
        let file = dir.path().join("approval.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        // Another body under the old tag, or another key: nothing.
        let (_, tag) = sealed.split_once('.').unwrap();
        let forged = StateClaims { approval_id: 5, ..claims.clone() };
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(key.open(&format!("{body}.{tag}")).unwrap(), None);
        let other = StateKey::new(dir.path().join("other.key"));
        assert_eq!(other.open(&sealed).unwrap(), None);
        assert_eq!(key.open("garbage").unwrap(), None);
        // The file is read back by a new handle (a restart).
        assert_eq!(StateKey::new(file).open(&sealed).unwrap(), Some(claims));
    }
}
