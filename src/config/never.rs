//! What is never exposed, whatever an admin configures: the one list.
//!
//! Security and system models (their records grant or reveal access), fields
//! that hold credentials (never returned, written or filtered on), and methods
//! that would let a caller escape the resource's policy if an admin put them
//! on an execute allowlist. The admin service refuses them with the reason
//! given here; the policy enforces them again on every request, so a record
//! stored by an older release cannot open them either.

/// Models no resource may expose, with the reason shown to the admin.
pub const MODELS: &[(&str, &str)] = &[
    ("res.users.apikeys", "it holds users' API keys"),
    ("res.users.apikeys.description", "it creates API keys"),
    ("res.users.identitycheck", "it re-authenticates users"),
    ("auth_totp.device", "it holds two-factor secrets"),
    ("ir.config_parameter", "it holds system secrets (database secret, OAuth keys)"),
    ("ir.rule", "it defines record rules (access control)"),
    ("ir.model.access", "it defines access rights"),
    ("ir.cron", "scheduled actions run arbitrary code as their user"),
    ("ir.actions.server", "server actions run arbitrary code"),
    ("ir.module.module", "installing or removing modules changes the whole system"),
    ("ir.mail_server", "it holds mail server credentials"),
    ("fetchmail.server", "it holds mail server credentials"),
    ("ir.logging", "server logs can reveal secrets"),
    ("base.module.upgrade", "it upgrades modules"),
    ("res.users.settings", "it holds users' private settings"),
];

/// Models exposed for reading only: writing them changes access rights.
pub const READ_ONLY_MODELS: &[(&str, &str)] = &[("res.groups", "writing groups changes who may do what")];

/// Exact field names that are never exposed.
const FIELDS: &[&str] =
    &["password", "new_password", "api_key", "api_key_ids", "store_fname", "db_datas", "signature_token"];
/// Name fragments that mark a credential-like field.
const FIELD_PREFIXES: &[&str] = &["totp_", "oauth_"];
const FIELD_SUFFIXES: &[&str] = &["_token", "_password", "_api_key", "_apikey"];
const FIELD_CONTAINS: &[&str] = &["secret"];

/// ORM methods that would bypass the policy if callable through execute.
pub const METHODS: &[&str] = &[
    "sudo",
    "with_user",
    "with_context",
    "with_company",
    "with_env",
    "browse",
    "create",
    "write",
    "unlink",
    "read",
    "search",
    "search_read",
    "search_count",
    "search_fetch",
    "read_group",
    "formatted_read_group",
    "web_read",
    "web_search_read",
    "web_save",
    "copy",
    "copy_data",
    "export_data",
    "load",
    "fields_get",
    "check_access_rights",
    "invalidate_cache",
    "flush",
    "exists",
    "name_create",
    "toggle_active",
    "action_archive",
    "action_unarchive",
];

/// Why a model is never exposed, if it is.
pub fn model_reason(model: &str) -> Option<&'static str> {
    MODELS.iter().find(|(m, _)| *m == model).map(|(_, why)| *why)
}

/// Why a model may only be read, if so.
pub fn read_only_reason(model: &str) -> Option<&'static str> {
    READ_ONLY_MODELS.iter().find(|(m, _)| *m == model).map(|(_, why)| *why)
}

/// Whether a field name looks like it holds a credential.
pub fn is_secret_field(field: &str) -> bool {
    let name = field.to_ascii_lowercase();
    FIELDS.contains(&name.as_str())
        || FIELD_PREFIXES.iter().any(|p| name.starts_with(p))
        || FIELD_SUFFIXES.iter().any(|s| name.ends_with(s))
        || FIELD_CONTAINS.iter().any(|c| name.contains(c))
        || name == "token"
}

/// Why a method can never be executed, if so.
pub fn method_reason(method: &str) -> Option<&'static str> {
    if method.starts_with('_') {
        Some("methods starting with '_' are private in Odoo and never callable")
    } else if METHODS.contains(&method) {
        Some("it would bypass the resource's policy (use the dedicated operations instead)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_fields() {
        for f in [
            "password",
            "api_key",
            "access_token",
            "signup_token",
            "client_secret",
            "totp_secret",
            "oauth_uid",
            "OAUTH_ACCESS_TOKEN",
            "smtp_password",
            "store_fname",
        ] {
            assert!(is_secret_field(f), "{f}");
        }
        for f in ["name", "email", "tokens_count_x", "partner_id", "secretary"] {
            assert_eq!(is_secret_field(f), f.contains("secret"), "{f}");
        }
    }

    #[test]
    fn models_and_methods() {
        assert!(model_reason("ir.config_parameter").is_some());
        assert!(model_reason("res.partner").is_none());
        assert!(read_only_reason("res.groups").is_some());
        assert!(method_reason("_read_group").is_some());
        assert!(method_reason("sudo").is_some());
        assert!(method_reason("name_search").is_none());
    }
}
