//! 256-bit secret keys kept in files as 64 hex digits: the OAuth vault's key
//! and the approval request states' key. Read, or made once (mode 0600,
//! never overwriting a file that appeared meanwhile), so either can also be
//! made by hand with `openssl rand -hex 32` or given as a systemd credential.

use ring::rand::{SecureRandom, SystemRandom};
use std::io::Write;
use std::path::Path;

/// Reads the key in `path`; `what` names it in errors ("OAuth key file").
pub fn read(path: &Path, what: &str) -> Result<[u8; 32], String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))?;
    let text = text.trim();
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "the {what} {} must hold 64 hex digits (256 bits), e.g. from: openssl rand -hex 32",
            path.display()
        ));
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("checked hex");
    }
    Ok(key)
}

/// Reads the key, or makes one when there is none; says whether it was made
/// now. `cannot_create` is told after the reason when the file cannot be
/// made (where else the key may come from).
pub fn load_or_create(path: &Path, what: &str, cannot_create: &str) -> Result<([u8; 32], bool), String> {
    if path.exists() {
        return read(path, what).map(|key| (key, false));
    }
    let mut key = [0u8; 32];
    SystemRandom::new().fill(&mut key).map_err(|_| "no random source".to_string())?;
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(format!("{hex}\n").as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| format!("cannot write the {what} {}: {e}", path.display()))?;
            Ok((key, true))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(path, what).map(|key| (key, false)),
        Err(e) => Err(format!("cannot create the {what} {}: {e}{cannot_create}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_key_reads_back_and_a_bad_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        let (made, new) = load_or_create(&path, "test key file", "").unwrap();
        assert!(new);
        assert_eq!(load_or_create(&path, "test key file", "").unwrap(), (made, false));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "not hex").unwrap();
        let error = read(&path, "test key file").unwrap_err();
        assert!(error.contains("test key file") && error.contains("64 hex digits"), "{error}");
        let nowhere = dir.path().join("missing/k.key");
        let error = load_or_create(&nowhere, "test key file", "; try elsewhere").unwrap_err();
        assert!(error.starts_with("cannot create the test key file") && error.ends_with("; try elsewhere"), "{error}");
    }
}
