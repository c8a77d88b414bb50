//! The vault: seals the Odoo keys that OAuth grants act with.
//!
//! A connector acts as the person who approved it, so the gateway must keep
//! that person's Odoo key. It keeps it sealed with ChaCha20-Poly1305 (ring,
//! already under rustls) under a 256-bit key held outside the store: a file
//! of mode 0600 (`oauth_key_file`, the systemd credential `oauth_key`, or
//! `<data dir>.oauth-key`), made on first use. A copy of the database or a
//! backup alone opens nothing. The grant id is the associated data, so a
//! sealed key moved to another grant does not open.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The layout of a sealed value: this byte, the nonce, the ciphertext and tag.
const SEALED_V1: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct VaultError(pub String);

/// The sealing key, loaded (or made) on first use.
pub struct Vault {
    path: PathBuf,
    key: Mutex<Option<Arc<LessSafeKey>>>,
}

impl Vault {
    pub fn new(path: PathBuf) -> Vault {
        Vault { path, key: Mutex::new(None) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn key(&self) -> Result<Arc<LessSafeKey>, VaultError> {
        let mut slot = self.key.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(key) = slot.as_ref() {
            return Ok(key.clone());
        }
        let bytes = load_or_create(&self.path)?;
        let key = Arc::new(LessSafeKey::new(
            UnboundKey::new(&CHACHA20_POLY1305, &bytes).map_err(|_| VaultError("the OAuth key is unusable".into()))?,
        ));
        *slot = Some(key.clone());
        Ok(key)
    }

    /// Seals `secret`, bound to `context` (the grant id).
    pub fn seal(&self, secret: &str, context: &[u8]) -> Result<Vec<u8>, VaultError> {
        let key = self.key()?;
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).map_err(|_| VaultError("no random source".into()))?;
        let mut data = secret.as_bytes().to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context), &mut data)
            .map_err(|_| VaultError("sealing failed".into()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + data.len());
        out.push(SEALED_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&data);
        Ok(out)
    }

    /// Opens what [`Vault::seal`] sealed for the same `context`.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<String, VaultError> {
        let key = self.key()?;
        let unreadable = || {
            VaultError(
                "the sealed Odoo key does not open with the current OAuth key (was the key file replaced?); the person must connect again"
                    .into(),
            )
        };
        let (&version, rest) = sealed.split_first().ok_or_else(unreadable)?;
        if version != SEALED_V1 || rest.len() < NONCE_LEN {
            return Err(unreadable());
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| unreadable())?;
        let mut body = body.to_vec();
        let plain = key.open_in_place(nonce, Aad::from(context), &mut body).map_err(|_| unreadable())?;
        String::from_utf8(plain.to_vec()).map_err(|_| unreadable())
    }
}

/// What `doctor` says about the key file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFileState {
    /// Not made yet: it will be on the first sign-in.
    Missing,
    /// Readable, owner only.
    Ok,
    /// The problem, in words.
    Problem(String),
}

/// Checks the key file without creating it.
pub fn key_file_state(path: &Path) -> KeyFileState {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => KeyFileState::Missing,
        Err(e) => KeyFileState::Problem(format!("cannot read {}: {e}", path.display())),
        Ok(meta) => {
            if let Some(problem) = mode_problem(path, &meta) {
                return KeyFileState::Problem(problem);
            }
            match read_key(path) {
                Ok(_) => KeyFileState::Ok,
                Err(e) => KeyFileState::Problem(e.0),
            }
        }
    }
}

#[cfg(unix)]
fn mode_problem(path: &Path, meta: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} (mode {mode:o}) is open to other users; it must be 0600 (chmod 600 {})",
            path.display(),
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn mode_problem(_path: &Path, _meta: &std::fs::Metadata) -> Option<String> {
    None
}

const WHAT: &str = "OAuth key file";

fn read_key(path: &Path) -> Result<[u8; 32], VaultError> {
    crate::config::key_file::read(path, WHAT).map_err(VaultError)
}

/// Reads the key (refusing a file open to others), or makes one.
fn load_or_create(path: &Path) -> Result<[u8; 32], VaultError> {
    if let Ok(meta) = std::fs::metadata(path)
        && let Some(problem) = mode_problem(path, &meta)
    {
        return Err(VaultError(problem));
    }
    let where_else = "; set oauth_key_file in the config to a writable place, or give the key as a systemd credential (LoadCredential=oauth_key:/etc/alpenglow/oauth_key, made with: openssl rand -hex 32)";
    let (key, made) = crate::config::key_file::load_or_create(path, WHAT, where_else).map_err(VaultError)?;
    if made {
        tracing::info!(path = %path.display(), "made the OAuth key file (it seals the Odoo keys of OAuth grants)");
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_bound_to_the_context() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("oauth.key");
        assert_eq!(key_file_state(&path), KeyFileState::Missing);
        let vault = Vault::new(path.clone());
        let sealed = vault.seal("0123456789abcdef0123456789abcdef01234567", b"7").unwrap();
        assert!(!sealed.windows(16).any(|w| w == b"0123456789abcdef"), "sealed in clear");
        assert_eq!(vault.open(&sealed, b"7").unwrap(), "0123456789abcdef0123456789abcdef01234567");
        assert!(vault.open(&sealed, b"8").is_err(), "another grant's context");
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(vault.open(&tampered, b"7").is_err());
        assert_eq!(key_file_state(&path), KeyFileState::Ok);

        // A new vault on the same file opens it; another key does not.
        assert!(Vault::new(path.clone()).open(&sealed, b"7").is_ok());
        let other = Vault::new(dir.path().join("other.key"));
        assert!(other.open(&sealed, b"7").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_owner_only_and_an_open_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("oauth.key");
        Vault::new(path.clone()).seal("x", b"1").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = Vault::new(path.clone()).seal("x", b"1").unwrap_err();
        assert!(error.0.contains("chmod 600"), "{error}");
        assert!(matches!(key_file_state(&path), KeyFileState::Problem(_)));
        std::fs::write(&path, "not hex").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(Vault::new(path).seal("x", b"1").unwrap_err().0.contains("64 hex digits"));
    }
}
