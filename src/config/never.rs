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
    ("base.automation", "automation rules run arbitrary code and actions"),
    ("ir.ui.view", "views hold QWeb templates, which run code when rendered"),
    ("ir.model.fields", "it defines fields, computed ones with code"),
    ("ir.model.data", "external ids map every record of the system"),
    ("ir.default", "defaults change the values of every new record"),
    ("ir.actions.report", "report actions run templates and code"),
    ("mail.template", "mail templates render code and send mail as anyone"),
    ("mail.mail", "outgoing mail holds other people's messages and sends as anyone"),
    ("auth.oauth.provider", "it configures who may log in"),
];

/// Fields of one model that are never exposed (returned, filtered on or
/// written), with the reason: the content of attachments, which the field
/// policy of an attachment resource could otherwise open.
pub const MODEL_FIELDS: &[(&str, &str, &str)] =
    &[("ir.attachment", "datas", "it is a file's content"), ("ir.attachment", "raw", "it is a file's content")];

/// Fields never written (they may still be read): group membership, which
/// is access rights.
const WRITE_FIELDS: &[(&str, &str)] =
    &[("res.users", "groups_id"), ("res.users", "group_ids"), ("res.users", "all_group_ids")];
/// Name prefixes of res.users' virtual group fields (`in_group_5`, `sel_groups_1_2`).
const GROUP_FIELD_PREFIXES: &[&str] = &["in_group_", "sel_groups_"];

/// Models exposed for reading only: writing them changes access rights.
pub const READ_ONLY_MODELS: &[(&str, &str)] = &[("res.groups", "writing groups changes who may do what")];

/// Exact field names that are never exposed.
const FIELDS: &[&str] =
    &["password", "new_password", "api_key", "api_key_ids", "store_fname", "db_datas", "signature_token"];
/// Name fragments that mark a credential-like field.
const FIELD_PREFIXES: &[&str] = &["totp_", "oauth_"];
const FIELD_SUFFIXES: &[&str] = &["_token", "_password", "_api_key", "_apikey"];
const FIELD_CONTAINS: &[&str] = &["secret"];

/// What a caller should use instead of a method that is never executable.
const USE_SEARCH: &str = "use alpenglow_search or alpenglow_read, where the field policy and the record filter apply";
const USE_AGGREGATE: &str = "use alpenglow_aggregate, where the field policy and the record filter apply";
const USE_DESCRIBE: &str = "use alpenglow_describe";
const USE_CREATE: &str = "use alpenglow_create";
const USE_UPDATE: &str = "use alpenglow_update";
const USE_DELETE: &str = "use alpenglow_delete";
const NO_ROAD: &str = "it runs outside any resource's policy and has no safe equivalent";

/// ORM methods that would bypass the policy if callable through execute:
/// reading or searching by another road, writing without the checks of the
/// dedicated operations, or changing whose rights apply. Matched without
/// regard to case. Each names the operation to use instead.
pub const METHODS: &[(&str, &str)] = &[
    // Whose rights apply, and the environment.
    ("sudo", NO_ROAD),
    ("with_user", NO_ROAD),
    ("with_context", NO_ROAD),
    ("with_company", NO_ROAD),
    ("with_env", NO_ROAD),
    ("browse", USE_SEARCH),
    ("exists", USE_SEARCH),
    ("invalidate_cache", NO_ROAD),
    ("invalidate_model", NO_ROAD),
    ("invalidate_recordset", NO_ROAD),
    ("flush", NO_ROAD),
    ("flush_model", NO_ROAD),
    ("flush_recordset", NO_ROAD),
    ("check_access_rights", NO_ROAD),
    ("check_access_rule", NO_ROAD),
    ("check_access", NO_ROAD),
    // Reading and searching by another road.
    ("read", USE_SEARCH),
    ("search", USE_SEARCH),
    ("search_read", USE_SEARCH),
    ("search_fetch", USE_SEARCH),
    ("fetch", USE_SEARCH),
    ("web_read", USE_SEARCH),
    ("web_search_read", USE_SEARCH),
    ("web_name_search", USE_SEARCH),
    ("name_get", USE_SEARCH),
    ("mapped", USE_SEARCH),
    ("filtered", USE_SEARCH),
    ("filtered_domain", USE_SEARCH),
    ("sorted", USE_SEARCH),
    ("grouped", USE_SEARCH),
    ("export_data", USE_SEARCH),
    ("copy_data", USE_SEARCH),
    ("get_metadata", USE_SEARCH),
    ("onchange", USE_SEARCH),
    ("default_get", USE_SEARCH),
    ("search_count", USE_AGGREGATE),
    ("read_group", USE_AGGREGATE),
    ("formatted_read_group", USE_AGGREGATE),
    ("web_read_group", USE_AGGREGATE),
    ("read_progress_bar", USE_AGGREGATE),
    ("search_panel_select_range", USE_AGGREGATE),
    ("search_panel_select_multi_range", USE_AGGREGATE),
    ("fields_get", USE_DESCRIBE),
    ("fields_view_get", USE_DESCRIBE),
    ("get_views", USE_DESCRIBE),
    ("get_view", USE_DESCRIBE),
    ("load_views", USE_DESCRIBE),
    // Writing without the dedicated operations' checks.
    ("create", USE_CREATE),
    ("name_create", USE_CREATE),
    ("copy", USE_CREATE),
    ("load", USE_CREATE),
    ("write", USE_UPDATE),
    ("web_save", USE_UPDATE),
    ("toggle_active", USE_UPDATE),
    ("action_archive", USE_UPDATE),
    ("action_unarchive", USE_UPDATE),
    ("unlink", USE_DELETE),
    // Messages posted as the user, on any record, outside the policy.
    ("message_post", NO_ROAD),
    ("message_post_with_source", NO_ROAD),
    ("message_post_with_view", NO_ROAD),
    ("message_post_with_template", NO_ROAD),
    ("message_notify", NO_ROAD),
    ("message_log", NO_ROAD),
];

/// `name_search` is not passed to Odoo: the gateway serves it as a
/// policy-checked search (see `ops::name_search`).
pub const NAME_SEARCH: &str = "name_search";

/// Why a model is never exposed, if it is.
pub fn model_reason(model: &str) -> Option<&'static str> {
    MODELS.iter().find(|(m, _)| *m == model).map(|(_, why)| *why)
}

/// Why a model may only be read, if so.
pub fn read_only_reason(model: &str) -> Option<&'static str> {
    READ_ONLY_MODELS.iter().find(|(m, _)| *m == model).map(|(_, why)| *why)
}

/// Why a field of `model` is never exposed, if it is (beyond the
/// credential-like names of [`is_secret_field`]).
pub fn model_field_reason(model: &str, field: &str) -> Option<&'static str> {
    MODEL_FIELDS.iter().find(|(m, f, _)| *m == model && *f == field).map(|(_, _, why)| *why)
}

/// Why a field of `model` may never be written, if so.
pub fn write_reason(model: &str, field: &str) -> Option<&'static str> {
    let group_field = WRITE_FIELDS.iter().any(|(m, f)| *m == model && *f == field)
        || (model == "res.users" && GROUP_FIELD_PREFIXES.iter().any(|p| field.starts_with(p)));
    group_field.then_some("group membership is access rights; change it in Odoo")
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

/// Why a method can never be executed, if so: the reason and what to use
/// instead.
pub fn method_reason(method: &str) -> Option<String> {
    if method.starts_with('_') {
        return Some("methods starting with '_' are private in Odoo and never callable".into());
    }
    METHODS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(method))
        .map(|(_, instead)| format!("it would bypass the resource's policy; {instead}"))
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
    fn attachment_content_and_group_membership() {
        assert!(model_field_reason("ir.attachment", "datas").is_some());
        assert!(model_field_reason("ir.attachment", "raw").is_some());
        assert!(model_field_reason("res.partner", "raw").is_none());
        for field in ["groups_id", "group_ids", "in_group_5", "sel_groups_1_2"] {
            assert!(write_reason("res.users", field).is_some(), "{field}");
        }
        assert!(write_reason("res.users", "name").is_none());
        assert!(write_reason("res.partner", "groups_id").is_none());
        for model in ["base.automation", "ir.ui.view", "mail.template", "auth.oauth.provider"] {
            assert!(model_reason(model).is_some(), "{model}");
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
        // Any case, and the message names the operation to use instead.
        assert!(method_reason("Search_Read").unwrap().contains("alpenglow_search"));
        assert!(method_reason("WRITE").unwrap().contains("alpenglow_update"));
        assert!(method_reason("read_group").unwrap().contains("alpenglow_aggregate"));
        assert!(method_reason("message_post").unwrap().contains("no safe equivalent"));
        assert!(method_reason("action_confirm").is_none());
    }
}
