//! The configuration model: global settings, resources, credentials and the
//! boot configuration, as types with their validation.
//!
//! Everything an admin can type is validated here, once; the admin service
//! stores only values that passed, and the policy reads them as types.

pub mod approval;
pub mod boot;
pub mod catalog;
pub mod credential;
pub mod http_limits;
pub mod key_file;
pub mod never;
pub mod resource;
pub mod settings;

pub use approval::{ApprovalPolicy, ApprovalRule};
pub use credential::{ApiKey, Credential, CredentialDraft, CredentialError, Scope, Usage};
pub use http_limits::HttpLimits;
pub use resource::{FieldPolicy, Operations, Resource, ResourceDraft, ResourceError};
pub use settings::{OdooConnection, OdooProtocol, SettingSpec, SettingValue, Settings};

use crate::store::Record;
use serde::{Deserialize, Serialize};

/// One stored global setting, keyed by its setting key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSetting(pub SettingValue);

impl Record for StoredSetting {
    const TREE: &'static str = "settings";
    const KIND: &'static str = "setting";
    const VERSION: u8 = 1;
}

/// Layout guard: records written by release 1 must decode forever. The bytes
/// in `tests/fixtures/records-v1/` were written by this release; a change to a
/// record's layout must bump its `VERSION` and add an `upgrade`, or this fails.
/// `ALPENGLOW_BLESS=1` rewrites the fixtures (only for a new record type).
#[cfg(test)]
mod layout_tests {
    use super::*;
    use crate::store::record::{decode, encode};
    use time::macros::{date, datetime};

    fn fixture_path(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/records-v1").join(name)
    }

    fn check<T: Record + PartialEq + std::fmt::Debug>(name: &str, value: T) {
        let path = fixture_path(name);
        if std::env::var_os("ALPENGLOW_BLESS").is_some() {
            std::fs::write(&path, encode(&value)).unwrap();
        }
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(decode::<T>(&bytes).unwrap(), value, "{name}");
    }

    #[test]
    fn release_one_records_still_decode() {
        let at = datetime!(2026-11-27 10:00:00 UTC);
        check(
            "resource.bin",
            Resource {
                id: 7,
                model: "res.partner".into(),
                company_id: Some(2),
                read_only: false,
                operations: Operations { read: true, create: true, write: false, delete: false },
                field_policy: FieldPolicy::Denylist(vec!["email".into(), "phone".into()]),
                record_filter: "[('active', '=', True)]".into(),
                execute_methods: vec!["name_search".into()],
                created_at: at,
                updated_at: at,
                approvals: Default::default(),
            },
        );
        check(
            "credential.bin",
            Credential {
                id: 9,
                label: "Claude Desktop - John".into(),
                user_id: 6,
                login: "john".into(),
                scope: Scope::ReadOnly,
                expires_on: Some(date!(2027 - 01 - 31)),
                company_id: None,
                created_at: at,
                revoked_at: Some(at),
                key_prefix: "0123abcd".into(),
                key_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into(),
            },
        );
        check("usage.bin", Usage { last_used: Some(at), last_ip: Some("192.0.2.7".into()), request_count: 42 });
        check("setting_int.bin", StoredSetting(SettingValue::Integer(2000)));
        check("setting_bool.bin", StoredSetting(SettingValue::Bool(true)));
        check("setting_text.bin", StoredSetting(SettingValue::Text("json2".into())));
    }
}
