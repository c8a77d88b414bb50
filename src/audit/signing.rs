//! The checkpoints' signing key: Ed25519 (ring), kept outside the store in
//! a file of mode 0600 (by default `audit-signing.key` in the data
//! directory, beside the store's `db/`; or a path from the config file, or
//! a systemd credential), created on first start.
//!
//! The files use the signed-note key formats of Go's
//! `golang.org/x/mod/sumdb/note`, so standard tooling reads them:
//! the key file holds `PRIVATE+KEY+<name>+<id>+<base64(0x01 || seed)>`, and
//! `audit-signing.pub` beside it the verifier key
//! `<name>+<id>+<base64(0x01 || public key)>`, where `<id>` is the key ID
//! in hex: `SHA-256(name || 0x0A || 0x01 || public key)[:4]` (c2sp.org/signed-note).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use std::path::{Path, PathBuf};

/// The signed-note signature type of Ed25519.
const ED25519_TYPE: u8 = 0x01;

/// The key file's name in the data directory.
pub const DEFAULT_KEY_FILE: &str = crate::config::boot::SIGNING_KEY_FILE;

/// A private key that signs checkpoints. Never printed: `Debug` shows the
/// name and key ID only.
pub struct Signer {
    name: String,
    key_id: [u8; 4],
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({}+{})", self.name, hex4(&self.key_id))
    }
}

/// A public key that checks checkpoint signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    key_id: [u8; 4],
    public: [u8; 32],
}

/// The signed-note key ID.
fn key_id(name: &str, public: &[u8]) -> [u8; 4] {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(name.as_bytes());
    context.update(&[b'\n', ED25519_TYPE]);
    context.update(public);
    let digest = context.finish();
    let mut id = [0u8; 4];
    id.copy_from_slice(&digest.as_ref()[..4]);
    id
}

fn hex4(id: &[u8; 4]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `name` may name a key (and be a checkpoint's origin): not empty,
/// no spaces, no `+`.
fn name_ok(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

impl Signer {
    fn from_seed(name: &str, seed: &[u8]) -> Result<Signer, String> {
        if !name_ok(name) {
            return Err(format!("{name:?} cannot name a key: no spaces, no '+'"));
        }
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|e| format!("not an Ed25519 key: {e}"))?;
        Ok(Signer { name: name.to_string(), key_id: key_id(name, pair.public_key().as_ref()), pair })
    }

    /// Reads `PRIVATE+KEY+<name>+<id>+<base64(0x01 || seed)>`.
    pub fn parse(text: &str) -> Result<Signer, String> {
        // At most five parts: base64 itself may hold '+'.
        let parts: Vec<&str> = text.trim().splitn(5, '+').collect();
        let [private, key, name, id, encoded] = parts[..] else {
            return Err("a signing key reads PRIVATE+KEY+<name>+<key id>+<base64 key>".into());
        };
        if private != "PRIVATE" || key != "KEY" {
            return Err("a signing key starts with PRIVATE+KEY+".into());
        }
        let bytes = STANDARD.decode(encoded).map_err(|_| "the key is not base64".to_string())?;
        let seed = match bytes.split_first() {
            Some((&ED25519_TYPE, seed)) if seed.len() == 32 => seed,
            _ => return Err("not an Ed25519 signing key (type 0x01, 32 bytes)".into()),
        };
        let signer = Signer::from_seed(name, seed)?;
        if hex4(&signer.key_id) != id.to_ascii_lowercase() {
            return Err(format!("the key ID {id} does not match the key"));
        }
        Ok(signer)
    }

    /// The key file's text.
    fn encode(&self, seed: &[u8]) -> String {
        let mut bytes = vec![ED25519_TYPE];
        bytes.extend_from_slice(seed);
        format!("PRIVATE+KEY+{}+{}+{}\n", self.name, hex4(&self.key_id), STANDARD.encode(bytes))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn verifier(&self) -> Verifier {
        let mut public = [0u8; 32];
        public.copy_from_slice(self.pair.public_key().as_ref());
        Verifier { name: self.name.clone(), key_id: self.key_id, public }
    }

    /// The signature line for `text` (a note's text, ending in a newline):
    /// `— <name> base64(key ID || signature)`, with its newline.
    pub fn signature_line(&self, text: &str) -> String {
        let mut bytes = self.key_id.to_vec();
        bytes.extend_from_slice(self.pair.sign(text.as_bytes()).as_ref());
        format!("\u{2014} {} {}\n", self.name, STANDARD.encode(bytes))
    }
}

impl Verifier {
    /// Reads `<name>+<id>+<base64(0x01 || public key)>`.
    pub fn parse(text: &str) -> Result<Verifier, String> {
        let parts: Vec<&str> = text.trim().splitn(3, '+').collect();
        let [name, id, encoded] = parts[..] else {
            return Err("a verifier key reads <name>+<key id>+<base64 key>".into());
        };
        let bytes = STANDARD.decode(encoded).map_err(|_| "the verifier key is not base64".to_string())?;
        let public: [u8; 32] = match bytes.split_first() {
            Some((&ED25519_TYPE, key)) => key.try_into().map_err(|_| "an Ed25519 key has 32 bytes".to_string())?,
            _ => return Err("not an Ed25519 verifier key (type 0x01)".into()),
        };
        let verifier = Verifier { name: name.to_string(), key_id: key_id(name, &public), public };
        if hex4(&verifier.key_id) != id.to_ascii_lowercase() {
            return Err(format!("the key ID {id} does not match the key"));
        }
        Ok(verifier)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether a signature line's key is this one (by name and key ID).
    pub fn is_key(&self, name: &str, key_id: &[u8]) -> bool {
        self.name == name && self.key_id == key_id
    }

    /// Checks an Ed25519 signature over `text`.
    pub fn verify(&self, text: &str, signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.public).verify(text.as_bytes(), signature).is_ok()
    }
}

impl std::fmt::Display for Verifier {
    /// The verifier key, as `audit-signing.pub` holds it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut bytes = vec![ED25519_TYPE];
        bytes.extend_from_slice(&self.public);
        write!(f, "{}+{}+{}", self.name, hex4(&self.key_id), STANDARD.encode(bytes))
    }
}

/// The verifier key's file beside a key file: `audit-signing.pub`.
pub fn public_key_path(key: &Path) -> PathBuf {
    key.with_extension("pub")
}

/// Reads the key file at `path`. A key that others may read is used, but
/// said loudly: it must be 0600.
pub fn load(path: &Path) -> Result<Signer, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let signer = Signer::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{:o}", meta.permissions().mode() & 0o777),
                "the audit signing key can be read by others: chmod 600 it"
            );
        }
    }
    Ok(signer)
}

/// Reads the key file at `path`, or makes a new key there (mode 0600, and
/// the verifier key beside it, 0644) if there is none. Returns the key and
/// whether it was made now.
pub fn load_or_create(path: &Path) -> Result<(Signer, bool), String> {
    if path.exists() {
        return load(path).map(|s| (s, false));
    }
    // The seed exists outside the key pair only here, on its way to the file.
    let mut seed = [0u8; 32];
    SystemRandom::new().fill(&mut seed).map_err(|_| "the system's random source failed".to_string())?;
    let signer = Signer::from_seed(&default_name(), &seed)?;
    write_new(path, &signer.encode(&seed), 0o600)?;
    seed.fill(0);
    let public = public_key_path(path);
    if let Err(e) = write_new(&public, &format!("{}\n", signer.verifier()), 0o644) {
        tracing::warn!(error = %e, "the audit verifier key file was not written (the key itself was)");
    }
    Ok((signer, true))
}

/// Reads the verifier key for `path`: from the key itself when readable,
/// else from `audit-signing.pub` beside it. None when neither exists.
pub fn load_verifier(path: &Path) -> Result<Option<Verifier>, String> {
    match std::fs::read_to_string(path) {
        Ok(_) => return load(path).map(|s| Some(s.verifier())),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    let public = public_key_path(path);
    match std::fs::read_to_string(&public) {
        Ok(text) => Verifier::parse(&text).map(Some).map_err(|e| format!("{}: {e}", public.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", public.display())),
    }
}

/// Writes a new file (never over an existing one) with `mode`, synced.
fn write_new(path: &Path, text: &str, mode: u32) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let cannot = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(cannot)?;
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(path).map_err(cannot)?;
    file.write_all(text.as_bytes()).map_err(cannot)?;
    file.sync_all().map_err(cannot)
}

/// A new key's name, which is also the checkpoints' origin: this host's
/// name and `alpenglow-audit`, as a schema-less URL (no spaces, no `+`).
fn default_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| name_ok(h))
        .unwrap_or_else(|| "localhost".into());
    format!("{host}/alpenglow-audit")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_their_files_and_sign() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DEFAULT_KEY_FILE);
        let (signer, created) = load_or_create(&path).unwrap();
        assert!(created);
        let (again, created) = load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(signer.verifier(), again.verifier());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let text = "origin\n1\nAAAA\n";
        let line = signer.signature_line(text);
        assert!(line.starts_with(&format!("\u{2014} {} ", signer.name())));
        let encoded = line.trim_end().rsplit(' ').next().unwrap();
        let bytes = STANDARD.decode(encoded).unwrap();
        let verifier = Verifier::parse(&std::fs::read_to_string(public_key_path(&path)).unwrap()).unwrap();
        assert!(verifier.is_key(signer.name(), &bytes[..4]));
        assert!(verifier.verify(text, &bytes[4..]));
        assert!(!verifier.verify("origin\n2\nAAAA\n", &bytes[4..]));
        assert_eq!(load_verifier(&path).unwrap(), Some(verifier));
        assert_eq!(load_verifier(&dir.path().join("none.key")).unwrap(), None);
        assert!(Signer::parse("PRIVATE+KEY+a+00000000+AQ==").is_err());
    }

    /// The reference vector of Go's `golang.org/x/mod/sumdb/note` tests:
    /// the same key files, and the same signature byte for byte (Ed25519
    /// is deterministic), so Go's tooling reads ours.
    #[test]
    fn go_note_reference_vector() {
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let text =
            "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
        let signer = Signer::parse(skey).unwrap();
        assert_eq!(signer.verifier().to_string(), vkey);
        assert_eq!(Verifier::parse(vkey).unwrap(), signer.verifier());
        assert_eq!(
            signer.signature_line(text),
            "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        );
        assert!(Verifier::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").is_err());
    }
}
