//! The hash chain: every entry carries its place (`seq`: 1, 2, 3, ...), the
//! previous entry's hash and its own, SHA-256 over a canonical encoding.
//!
//! The canonical encoding is the entry as `audit export` writes it, minus
//! the three fields derived from others (`time`, `duration_ms`) or being
//! defined (`hash`), minus every `null`, as compact JSON with the keys in
//! sorted order: what Python's `json.dumps(body, sort_keys=True,
//! separators=(",", ":"), ensure_ascii=False)` writes, so an export can be
//! re-verified in a few lines of Python (README). Hashes are lowercase hex
//! in the export; the first entry of a chain links to 32 zero bytes.
//!
//! A field added to entries later must be optional (absent is `null`, so
//! left out): old entries then hash as they did.

use super::AuditEntry;
use ring::digest::{Context, SHA256};
use std::io::Write;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// What the first entry of a chain links to.
pub const GENESIS: Hash = [0; 32];

/// The entry's hash over its canonical encoding (its own `hash` left out).
pub fn hash_of(entry: &AuditEntry) -> Hash {
    let mut context = Context::new(&SHA256);
    context.update(&canonical(entry));
    let mut out = [0u8; 32];
    out.copy_from_slice(context.finish().as_ref());
    out
}

/// Lowercase hex, as the export writes hashes.
pub fn hex(hash: &Hash) -> String {
    let mut out = String::with_capacity(64);
    for byte in hash {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The canonical encoding (see the module doc). Keys in byte order; a
/// `None` is left out.
pub fn canonical(e: &AuditEntry) -> Vec<u8> {
    let mut w = Writer { out: Vec::with_capacity(512), first: true };
    w.out.push(b'{');
    w.text("actor", e.actor.as_deref());
    w.uint("approval_id", e.approval_id);
    w.text("changes", e.changes.as_deref());
    w.int("company_id", e.company_id);
    w.text("credential", e.credential_label.as_deref());
    w.uint("credential_id", e.credential_id);
    w.text("domain", e.domain.as_deref());
    w.uint("duration_us", Some(e.duration_us));
    w.text("error", e.error.as_deref());
    w.text("face", Some(&e.face));
    w.text("fields", e.fields.as_deref());
    w.uint("id", Some(e.id));
    w.uint("id_count", e.record_id_count);
    w.key("ids");
    w.out.push(b'[');
    for (i, id) in e.record_ids.iter().enumerate() {
        if i > 0 {
            w.out.push(b',');
        }
        let _ = write!(w.out, "{id}");
    }
    w.out.push(b']');
    w.text("ip", Some(&e.client_ip));
    w.text("login", e.login.as_deref());
    w.text("model", e.model.as_deref());
    w.text("outcome", Some(e.outcome.name()));
    w.text("prev_hash", Some(&hex(&e.prev_hash)));
    w.uint("records", e.records_returned);
    w.uint("seq", Some(e.seq));
    w.text("session", e.session.as_deref());
    w.int("time_us", Some(e.time_us));
    w.text("tool", Some(&e.tool));
    w.int("uid", e.uid);
    w.text("values", e.values.as_deref());
    w.out.push(b'}');
    w.out
}

struct Writer {
    out: Vec<u8>,
    first: bool,
}

impl Writer {
    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn text(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.key(key);
            // serde_json escapes as Python's json does: \" \\ \b \f \n \r \t,
            // other controls as \u00xx (lowercase), everything else as is.
            let _ = serde_json::to_writer(&mut self.out, value);
        }
    }

    fn int(&mut self, key: &str, value: Option<i64>) {
        if let Some(value) = value {
            self.key(key);
            let _ = write!(self.out, "{value}");
        }
    }

    fn uint(&mut self, key: &str, value: Option<u64>) {
        if let Some(value) = value {
            self.key(key);
            let _ = write!(self.out, "{value}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The canonical form is the export minus `hash`, `time`, `duration_ms`
    /// and nulls, keys sorted: checked against serde_json's own sorted
    /// rendering of the export line.
    #[test]
    fn canonical_form_is_the_sorted_export_without_derived_fields_and_nulls() {
        let mut e = AuditEntry::new("rest", "10.0.0.1".into(), "alpenglow_search");
        e.id = 42 << 12;
        e.time_us = 42;
        e.seq = 7;
        e.prev_hash = [0xab; 32];
        e.model = Some("res.partner".into());
        e.record_ids = vec![1, -2, 3];
        e.error = Some("quote \" backslash \\ newline \n tab \t bell \u{7} é ✓ \u{2028}".into());
        e.company_id = Some(-1);
        e.duration_us = 1234;
        let exported = e.to_json();
        let mut sorted = std::collections::BTreeMap::new();
        for (key, value) in exported.as_object().unwrap() {
            if !value.is_null() && !["hash", "time", "duration_ms"].contains(&key.as_str()) {
                sorted.insert(key.clone(), value.clone());
            }
        }
        let expected = serde_json::to_vec(&sorted).unwrap();
        assert_eq!(String::from_utf8(canonical(&e)).unwrap(), String::from_utf8(expected).unwrap());
        let hash: Value = exported["hash"].clone();
        assert!(hash.is_null() || hash.is_string());
    }

    #[test]
    fn any_change_changes_the_hash() {
        let mut e = AuditEntry::new("mcp", "::1".into(), "alpenglow_read");
        e.seq = 1;
        let before = hash_of(&e);
        e.record_ids.push(5);
        assert_ne!(hash_of(&e), before);
        e.record_ids.clear();
        assert_eq!(hash_of(&e), before);
        e.prev_hash[31] = 1;
        assert_ne!(hash_of(&e), before);
        assert_eq!(hex(&GENESIS), "0".repeat(64));
    }
}
