//! Global settings: the table of every setting with its default and range,
//! the parsing of admin input, and the typed snapshot the rest of the code reads.
//!
//! The table ([`SPECS`]) is the single source: the CLI, the TUI and the docs
//! list settings from it, and input is validated only here.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    Bool,
    Integer { min: i64, max: i64 },
    Choice(&'static [&'static str]),
    Text(TextRule),
}

/// Which texts a text setting accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRule {
    /// An `http://` or `https://` URL, or empty for "not configured".
    HttpUrl,
    /// An Odoo database name, or empty.
    DatabaseName,
    /// An absolute file path, or empty.
    AbsolutePath,
    /// Host names (or IP addresses), separated by commas or spaces; empty for none.
    HostList,
}

/// One setting: key, label, kind, default, help.
#[derive(Debug, Clone, Copy)]
pub struct SettingSpec {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: SettingKind,
    /// The default, in the same text form an admin types.
    pub default: &'static str,
    pub help: &'static str,
}

/// A stored setting value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SettingValue {
    Bool(bool),
    Integer(i64),
    Text(String),
}

impl std::fmt::Display for SettingValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingValue::Bool(b) => write!(f, "{}", if *b { "on" } else { "off" }),
            SettingValue::Integer(i) => write!(f, "{i}"),
            SettingValue::Text(t) => write!(f, "{t}"),
        }
    }
}

impl SettingValue {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            SettingValue::Bool(b) => (*b).into(),
            SettingValue::Integer(i) => (*i).into(),
            SettingValue::Text(t) => t.clone().into(),
        }
    }
}

const PER_MINUTE_MAX: i64 = 100_000;

/// Every global setting, in the order the admin screens show them.
pub const SPECS: &[SettingSpec] = &[
    SettingSpec {
        key: "enable_mcp",
        label: "Enable MCP Access",
        kind: SettingKind::Bool,
        default: "off",
        help: "Master switch: while off, every request on every face is refused.",
    },
    SettingSpec {
        key: "default_read_only",
        label: "Default Read-Only",
        kind: SettingKind::Bool,
        default: "off",
        help: "New resources start in read-only mode.",
    },
    SettingSpec {
        key: "max_records_per_request",
        label: "Max Records per Request",
        kind: SettingKind::Integer { min: 10, max: 10_000 },
        default: "500",
        help: "Caps the records in a single response and the ids a request may name.",
    },
    SettingSpec {
        key: "max_search_limit",
        label: "Max Search Limit",
        kind: SettingKind::Integer { min: 100, max: 50_000 },
        default: "1000",
        help: "Caps the limit parameter of searches.",
    },
    SettingSpec {
        key: "max_output_chars",
        label: "Max Output (characters)",
        kind: SettingKind::Integer { min: 1_000, max: 10_000_000 },
        default: "100000",
        help: "Largest result, in characters of JSON, so an AI client can take it whole. Past it, records (groups, rows, list items) are cut at a boundary and the result says so (truncated, next_offset or remaining_ids for search and read, note).",
    },
    SettingSpec {
        key: "rate_limiting",
        label: "Rate Limiting",
        kind: SettingKind::Bool,
        default: "on",
        help: "Enforce the per-minute limits below.",
    },
    SettingSpec {
        key: "requests_per_minute",
        label: "Requests per Minute",
        kind: SettingKind::Integer { min: 1, max: PER_MINUTE_MAX },
        default: "300",
        help: "General limit per credential (per Odoo user without one, per IP before authentication).",
    },
    SettingSpec {
        key: "aggregation_per_minute",
        label: "Aggregation per Minute",
        kind: SettingKind::Integer { min: 1, max: PER_MINUTE_MAX },
        default: "60",
        help: "Additional limit on aggregate queries.",
    },
    SettingSpec {
        key: "writes_per_minute",
        label: "Writes per Minute",
        kind: SettingKind::Integer { min: 1, max: PER_MINUTE_MAX },
        default: "60",
        help: "Additional limit on create, update, delete and execute calls (dry runs write nothing and are not counted).",
    },
    SettingSpec {
        key: "lockout_max_failures",
        label: "Lockout after Failed Keys",
        kind: SettingKind::Integer { min: 1, max: 1_000 },
        default: "10",
        help: "Failed API keys (unknown, wrong, expired or revoked) from one client IP within the lockout window that lock that IP out. Applies whether Rate Limiting is on or off.",
    },
    SettingSpec {
        key: "lockout_window_minutes",
        label: "Lockout Window (minutes)",
        kind: SettingKind::Integer { min: 1, max: 1_440 },
        default: "5",
        help: "How far back failed keys from one client IP are counted.",
    },
    SettingSpec {
        key: "lockout_cooldown_seconds",
        label: "Lockout Cool-down (s)",
        kind: SettingKind::Integer { min: 1, max: 86_400 },
        default: "300",
        help: "How long a locked-out client IP is refused (HTTP 429), even with a good key; counted from the failure that locked it. Then its count starts again from zero.",
    },
    SettingSpec {
        key: "audit_logging",
        label: "Audit Logging",
        kind: SettingKind::Bool,
        default: "on",
        help: "Write one audit entry per request.",
    },
    SettingSpec {
        key: "audit_log_values",
        label: "Audit Log Values",
        kind: SettingKind::Bool,
        default: "off",
        help: "Also keep create / update values in clear in the audit entries of calls that succeeded (off: only the model, ids and fields).",
    },
    SettingSpec {
        key: "log_retention_days",
        label: "Log Retention (days)",
        kind: SettingKind::Integer { min: 1, max: 3_650 },
        default: "30",
        help: "Audit entries older than this are deleted by the daily cleanup.",
    },
    SettingSpec {
        key: "audit_checkpoint_minutes",
        label: "Audit Checkpoint (min)",
        kind: SettingKind::Integer { min: 1, max: 1_440 },
        default: "10",
        help: "How often the audit log's hash chain gets a signed checkpoint (also written at shutdown and before the cleanup deletes entries).",
    },
    SettingSpec {
        key: "require_credential",
        label: "Require Credential",
        kind: SettingKind::Bool,
        default: "off",
        help: "Refuse API keys that authenticate in Odoo but have no Alpenglow credential. While off, such keys proceed without scope restrictions or usage tracking.",
    },
    SettingSpec {
        key: "session_timeout_minutes",
        label: "Session Timeout (minutes)",
        kind: SettingKind::Integer { min: 1, max: 10_080 },
        default: "30",
        help: "Sessions with no activity for this long are marked inactive by the hourly cleanup.",
    },
    SettingSpec {
        key: "approval_expiry_minutes",
        label: "Approval Expiry (minutes)",
        kind: SettingKind::Integer { min: 1, max: 1_440 },
        default: "15",
        help: "How long a write waiting for approval may be approved, and once approved, run; after that it expires and must be asked again.",
    },
    SettingSpec {
        key: "odoo_url",
        label: "Odoo URL",
        kind: SettingKind::Text(TextRule::HttpUrl),
        default: "",
        help: "Base URL of the Odoo server, e.g. https://erp.example.com (empty: use the config file's).",
    },
    SettingSpec {
        key: "odoo_database",
        label: "Odoo Database",
        kind: SettingKind::Text(TextRule::DatabaseName),
        default: "",
        help: "Database name on the Odoo server (empty: the server's only database).",
    },
    SettingSpec {
        key: "odoo_protocol",
        label: "Odoo Protocol",
        kind: SettingKind::Choice(&["auto", "json2", "jsonrpc", "xmlrpc"]),
        default: "auto",
        help: "auto: JSON-2 on Odoo 19+, JSON-RPC on 16-18.",
    },
    SettingSpec {
        key: "odoo_connect_timeout_seconds",
        label: "Odoo Connect Timeout (s)",
        kind: SettingKind::Integer { min: 1, max: 300 },
        default: "10",
        help: "How long to wait for a connection to Odoo.",
    },
    SettingSpec {
        key: "odoo_request_timeout_seconds",
        label: "Odoo Request Timeout (s)",
        kind: SettingKind::Integer { min: 1, max: 3_600 },
        default: "60",
        help: "How long to wait for Odoo to answer one call.",
    },
    SettingSpec {
        key: "odoo_ca_file",
        label: "Odoo CA File",
        kind: SettingKind::Text(TextRule::AbsolutePath),
        default: "",
        help: "PEM file of a private CA to trust for Odoo's TLS certificate (empty: system roots).",
    },
    SettingSpec {
        key: "oauth_enabled",
        label: "OAuth for Remote Connectors",
        kind: SettingKind::Bool,
        default: "off",
        help: "Serve an OAuth 2.1 authorization server so claude.ai, ChatGPT, VS Code and Cursor can connect with a URL; each person signs in with their own Odoo API key. Needs public_url to be https:// (loopback addresses excepted, for tests). API keys keep working.",
    },
    SettingSpec {
        key: "oauth_client_hosts",
        label: "OAuth Client Metadata Hosts",
        kind: SettingKind::Text(TextRule::HostList),
        default: DEFAULT_OAUTH_CLIENT_HOSTS,
        help: "Hosts whose client metadata documents (an https:// client_id) Alpenglow may fetch; a host also covers its subdomains. Clients from other hosts must register (DCR). Empty: fetch none.",
    },
    SettingSpec {
        key: "oauth_signup_scope",
        label: "OAuth Sign-up Scope",
        kind: SettingKind::Choice(&["read-only", "full"]),
        default: "read-only",
        help: "Scope of the credential made for a person who signs in over OAuth and has none yet.",
    },
    SettingSpec {
        key: "oauth_signup_company",
        label: "OAuth Sign-up Company",
        kind: SettingKind::Integer { min: 0, max: 2_147_483_647 },
        default: "0",
        help: "Company id of the credential made at an OAuth sign-up (0: all the person's companies).",
    },
    SettingSpec {
        key: "oauth_signup_expiry_days",
        label: "OAuth Sign-up Expiry (days)",
        kind: SettingKind::Integer { min: 0, max: 3_650 },
        default: "0",
        help: "The credential made at an OAuth sign-up expires this many days later (0: never).",
    },
    SettingSpec {
        key: "oauth_signup_approval",
        label: "OAuth Sign-up Needs Approval",
        kind: SettingKind::Bool,
        default: "on",
        help: "A person without a credential who signs in over OAuth waits until an admin approves (alpenglow oauth approve ID); then they connect again. Off: a credential is made at once with the sign-up defaults above.",
    },
];

/// The assistants' own hosts: where claude.ai, ChatGPT, VS Code and Cursor
/// publish their client metadata documents.
pub const DEFAULT_OAUTH_CLIENT_HOSTS: &str =
    "claude.ai, claude.com, anthropic.com, chatgpt.com, openai.com, vscode.dev, github.com, cursor.com, cursor.sh";

/// Why an admin's setting input was refused. The message names the setting
/// and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingError(pub String);

pub fn spec(key: &str) -> Result<&'static SettingSpec, SettingError> {
    SPECS.iter().find(|s| s.key == key).ok_or_else(|| {
        let known: Vec<&str> = SPECS.iter().map(|s| s.key).collect();
        SettingError(format!("unknown setting {key:?}; known settings: {}", known.join(", ")))
    })
}

/// Groups digits in thousands for messages: 10000 -> "10,000".
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

impl SettingSpec {
    /// What the setting accepts, for messages and the admin screens.
    pub fn range_text(&self) -> String {
        match self.kind {
            SettingKind::Bool => "on or off".into(),
            SettingKind::Integer { min, max } => format!("a whole number from {} to {}", grouped(min), grouped(max)),
            SettingKind::Choice(options) => format!("one of {}", options.join(", ")),
            SettingKind::Text(TextRule::HttpUrl) => "an http:// or https:// URL, or empty".into(),
            SettingKind::Text(TextRule::DatabaseName) => {
                "a database name (letters, digits, '_', '-', '.'), or empty".into()
            }
            SettingKind::Text(TextRule::AbsolutePath) => "an absolute file path, or empty".into(),
            SettingKind::Text(TextRule::HostList) => {
                "host names separated by commas (e.g. claude.ai, chatgpt.com), or empty".into()
            }
        }
    }

    /// Parses admin input into a value of this setting, or says what is allowed.
    pub fn parse(&self, input: &str) -> Result<SettingValue, SettingError> {
        let refuse = || SettingError(format!("{} must be {}; got {input:?}", self.key, self.range_text()));
        let trimmed = input.trim();
        match self.kind {
            SettingKind::Bool => match trimmed.to_ascii_lowercase().as_str() {
                "on" | "true" | "yes" | "1" => Ok(SettingValue::Bool(true)),
                "off" | "false" | "no" | "0" => Ok(SettingValue::Bool(false)),
                _ => Err(refuse()),
            },
            SettingKind::Integer { min, max } => match trimmed.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(SettingValue::Integer(n)),
                _ => Err(refuse()),
            },
            SettingKind::Choice(options) => {
                let lowered = trimmed.to_ascii_lowercase();
                options.iter().find(|o| **o == lowered).map(|o| SettingValue::Text(o.to_string())).ok_or_else(refuse)
            }
            SettingKind::Text(TextRule::HostList) => match host_list(trimmed) {
                Some(hosts) => Ok(SettingValue::Text(hosts.join(", "))),
                None => Err(refuse()),
            },
            SettingKind::Text(rule) => {
                if trimmed.is_empty() || text_ok(rule, trimmed) {
                    Ok(SettingValue::Text(trimmed.to_string()))
                } else {
                    Err(refuse())
                }
            }
        }
    }

    pub fn default_value(&self) -> SettingValue {
        self.parse(self.default).expect("defaults are valid (tested)")
    }
}

/// Why `text` is not an `http://` or `https://` URL with a host, if it is
/// not (`odoo_url`, and the boot config's `public_url`).
pub(crate) fn http_url_problem(text: &str) -> Option<&'static str> {
    let Some((scheme, rest)) = text.split_once("://") else { return Some("has no scheme") };
    if scheme != "http" && scheme != "https" {
        return Some("is not http or https");
    }
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Some("has no plain host");
    }
    None
}

/// A host list, lower-cased and de-duplicated in order; None when an entry
/// is not a host name or IP address (no scheme, port, path or wildcard).
pub fn host_list(text: &str) -> Option<Vec<String>> {
    let mut hosts: Vec<String> = Vec::new();
    for entry in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|e| !e.is_empty()) {
        let host = entry.trim_end_matches('.').to_ascii_lowercase();
        let is_ip = host.parse::<std::net::IpAddr>().is_ok();
        let is_name = host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !is_ip && !is_name {
            return None;
        }
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    Some(hosts)
}

/// Why a public base URL cannot be an OAuth issuer, if it cannot: OAuth
/// needs `https://` (plain `http://` only on a loopback address, for tests)
/// and an origin without a path, where the well-known documents live.
pub fn oauth_base_problem(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.trim_end_matches('/');
    if authority.contains('/') {
        return Some(format!(
            "public_url {url} has a path; OAuth needs Alpenglow at the root of its own name (e.g. https://alpenglow.example.com), where /.well-known/ documents are found"
        ));
    }
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(host, port)| if port.chars().all(|c| c.is_ascii_digit()) { host } else { authority });
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match scheme {
        "https" => None,
        "http" if loopback => None,
        _ => Some(format!(
            "OAuth needs an https:// public_url (assistants refuse plain http); {url} is not. Put Alpenglow behind an HTTPS name and set public_url in the config file"
        )),
    }
}

fn text_ok(rule: TextRule, text: &str) -> bool {
    match rule {
        TextRule::HttpUrl => http_url_problem(text).is_none(),
        TextRule::DatabaseName => {
            text.len() <= 63 && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        }
        TextRule::AbsolutePath => text.starts_with('/') && !text.contains('\0'),
        TextRule::HostList => host_list(text).is_some(),
    }
}

/// Which Odoo external API to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OdooProtocol {
    Auto,
    Json2,
    Jsonrpc,
    Xmlrpc,
}

impl OdooProtocol {
    pub fn parse(text: &str) -> Option<OdooProtocol> {
        match text {
            "auto" => Some(OdooProtocol::Auto),
            "json2" => Some(OdooProtocol::Json2),
            "jsonrpc" => Some(OdooProtocol::Jsonrpc),
            "xmlrpc" => Some(OdooProtocol::Xmlrpc),
            _ => None,
        }
    }
}

/// How to reach Odoo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdooConnection {
    /// Empty when not configured yet.
    pub url: String,
    pub database: String,
    pub protocol: OdooProtocol,
    pub connect_timeout_seconds: u32,
    pub request_timeout_seconds: u32,
    pub ca_file: String,
}

/// The OAuth settings: the switch, the client metadata hosts and the
/// defaults of a credential made at an OAuth sign-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthSettings {
    pub enabled: bool,
    pub client_hosts: Vec<String>,
    /// True: sign-ups get a read-only credential.
    pub signup_read_only: bool,
    /// None: all the person's companies.
    pub signup_company: Option<u32>,
    /// None: never expires.
    pub signup_expiry_days: Option<u32>,
    pub signup_approval: bool,
}

/// The effective settings, typed. Built only by [`Settings::from_values`] so
/// every field has passed its spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub enable_mcp: bool,
    pub default_read_only: bool,
    pub max_records_per_request: u32,
    pub max_search_limit: u32,
    pub max_output_chars: u32,
    pub rate_limiting: bool,
    pub requests_per_minute: u32,
    pub aggregation_per_minute: u32,
    pub writes_per_minute: u32,
    pub lockout_max_failures: u32,
    pub lockout_window_minutes: u32,
    pub lockout_cooldown_seconds: u32,
    pub audit_logging: bool,
    pub audit_log_values: bool,
    pub log_retention_days: u32,
    pub audit_checkpoint_minutes: u32,
    pub require_credential: bool,
    pub session_timeout_minutes: u32,
    pub approval_expiry_minutes: u32,
    pub odoo: OdooConnection,
    pub oauth: OAuthSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::from_values(&BTreeMap::new())
    }
}

impl Settings {
    /// Builds the snapshot from effective values; missing keys take their default.
    pub fn from_values(values: &BTreeMap<String, SettingValue>) -> Settings {
        let value = |key: &str| -> SettingValue {
            let spec = spec(key).expect("known key");
            values.get(key).cloned().unwrap_or_else(|| spec.default_value())
        };
        let flag = |key: &str| matches!(value(key), SettingValue::Bool(true));
        let number = |key: &str| match value(key) {
            SettingValue::Integer(n) => u32::try_from(n).unwrap_or(u32::MAX),
            _ => 0,
        };
        let text = |key: &str| match value(key) {
            SettingValue::Text(t) => t,
            other => other.to_string(),
        };
        Settings {
            enable_mcp: flag("enable_mcp"),
            default_read_only: flag("default_read_only"),
            max_records_per_request: number("max_records_per_request"),
            max_search_limit: number("max_search_limit"),
            max_output_chars: number("max_output_chars"),
            rate_limiting: flag("rate_limiting"),
            requests_per_minute: number("requests_per_minute"),
            aggregation_per_minute: number("aggregation_per_minute"),
            writes_per_minute: number("writes_per_minute"),
            lockout_max_failures: number("lockout_max_failures"),
            lockout_window_minutes: number("lockout_window_minutes"),
            lockout_cooldown_seconds: number("lockout_cooldown_seconds"),
            audit_logging: flag("audit_logging"),
            audit_log_values: flag("audit_log_values"),
            log_retention_days: number("log_retention_days"),
            audit_checkpoint_minutes: number("audit_checkpoint_minutes"),
            require_credential: flag("require_credential"),
            session_timeout_minutes: number("session_timeout_minutes"),
            approval_expiry_minutes: number("approval_expiry_minutes"),
            odoo: OdooConnection {
                url: text("odoo_url"),
                database: text("odoo_database"),
                protocol: OdooProtocol::parse(&text("odoo_protocol")).unwrap_or(OdooProtocol::Auto),
                connect_timeout_seconds: number("odoo_connect_timeout_seconds"),
                request_timeout_seconds: number("odoo_request_timeout_seconds"),
                ca_file: text("odoo_ca_file"),
            },
            oauth: OAuthSettings {
                enabled: flag("oauth_enabled"),
                client_hosts: host_list(&text("oauth_client_hosts")).unwrap_or_default(),
                signup_read_only: text("oauth_signup_scope") != "full",
                signup_company: Some(number("oauth_signup_company")).filter(|c| *c > 0),
                signup_expiry_days: Some(number("oauth_signup_expiry_days")).filter(|d| *d > 0),
                signup_approval: flag("oauth_signup_approval"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_valid_and_matches_the_spec_page() {
        for spec in SPECS {
            spec.default_value();
        }
        let s = Settings::default();
        assert!(!s.enable_mcp);
        assert!(!s.default_read_only);
        assert_eq!(s.max_records_per_request, 500);
        assert_eq!(s.max_search_limit, 1000);
        assert_eq!(s.max_output_chars, 100_000);
        assert!(s.rate_limiting);
        assert_eq!(s.requests_per_minute, 300);
        assert_eq!(s.aggregation_per_minute, 60);
        assert_eq!(s.writes_per_minute, 60);
        assert_eq!((s.lockout_max_failures, s.lockout_window_minutes, s.lockout_cooldown_seconds), (10, 5, 300));
        assert!(s.audit_logging);
        assert!(!s.audit_log_values);
        assert_eq!(s.log_retention_days, 30);
        assert!(!s.require_credential);
        assert_eq!(s.session_timeout_minutes, 30);
        assert_eq!(s.approval_expiry_minutes, 15);
        assert_eq!(s.odoo.protocol, OdooProtocol::Auto);
        assert_eq!(s.odoo.url, "");
    }

    #[test]
    fn ranges_are_enforced_at_both_ends() {
        let table: &[(&str, i64, i64)] = &[
            ("max_records_per_request", 10, 10_000),
            ("max_search_limit", 100, 50_000),
            ("max_output_chars", 1_000, 10_000_000),
            ("requests_per_minute", 1, 100_000),
            ("aggregation_per_minute", 1, 100_000),
            ("writes_per_minute", 1, 100_000),
            ("lockout_max_failures", 1, 1_000),
            ("lockout_window_minutes", 1, 1_440),
            ("lockout_cooldown_seconds", 1, 86_400),
            ("log_retention_days", 1, 3_650),
            ("session_timeout_minutes", 1, 10_080),
            ("odoo_connect_timeout_seconds", 1, 300),
            ("odoo_request_timeout_seconds", 1, 3_600),
        ];
        for (key, min, max) in table {
            let spec = spec(key).unwrap();
            assert_eq!(spec.parse(&min.to_string()), Ok(SettingValue::Integer(*min)));
            assert_eq!(spec.parse(&max.to_string()), Ok(SettingValue::Integer(*max)));
            for bad in [min - 1, max + 1] {
                let e = spec.parse(&bad.to_string()).unwrap_err().0;
                assert!(e.starts_with(key), "{e}");
                assert!(e.contains(&grouped(*min)) && e.contains(&grouped(*max)), "{e}");
            }
        }
        let e = spec("max_records_per_request").unwrap().parse("5").unwrap_err().0;
        assert_eq!(e, "max_records_per_request must be a whole number from 10 to 10,000; got \"5\"");
    }

    #[test]
    fn the_lockout_cleanup_horizon_covers_the_longest_window_and_cooldown() {
        let max = |key| match spec(key).unwrap().kind {
            SettingKind::Integer { max, .. } => max as u64,
            _ => unreachable!(),
        };
        assert!(max("lockout_window_minutes") * 60_000 <= crate::limits::lockout::HORIZON_MS);
        assert!(max("lockout_cooldown_seconds") * 1000 <= crate::limits::lockout::HORIZON_MS);
    }

    #[test]
    fn malformed_values_are_refused() {
        for (key, bad) in [
            ("enable_mcp", "maybe"),
            ("max_search_limit", "1e3"),
            ("max_search_limit", "ten"),
            ("max_search_limit", ""),
            ("odoo_protocol", "soap"),
            ("odoo_url", "ftp://x"),
            ("odoo_url", "http://"),
            ("odoo_database", "a b"),
            ("odoo_ca_file", "relative.pem"),
        ] {
            assert!(spec(key).unwrap().parse(bad).is_err(), "{key}={bad}");
        }
        assert!(spec("nope").unwrap_err().0.contains("known settings: enable_mcp"));
    }

    #[test]
    fn oauth_settings_and_their_rules() {
        let s = Settings::default();
        assert!(!s.oauth.enabled, "OAuth is off by default");
        assert!(s.oauth.client_hosts.contains(&"claude.ai".to_string()));
        assert!(s.oauth.client_hosts.contains(&"chatgpt.com".to_string()));
        assert!(s.oauth.signup_read_only && s.oauth.signup_approval);
        assert_eq!((s.oauth.signup_company, s.oauth.signup_expiry_days), (None, None));
        let hosts = spec("oauth_client_hosts").unwrap();
        assert_eq!(
            hosts.parse("Claude.ai,  127.0.0.1 claude.ai"),
            Ok(SettingValue::Text("claude.ai, 127.0.0.1".into()))
        );
        assert_eq!(hosts.parse(""), Ok(SettingValue::Text(String::new())));
        for bad in ["https://claude.ai", "claude.ai:443", "*.claude.ai", "claude.ai/x", "-bad.example"] {
            assert!(hosts.parse(bad).is_err(), "{bad}");
        }
        assert_eq!(oauth_base_problem("https://alpenglow.example.com"), None);
        assert_eq!(oauth_base_problem("http://127.0.0.1:8765"), None);
        assert_eq!(oauth_base_problem("http://[::1]:8765"), None);
        assert_eq!(oauth_base_problem("http://localhost:8765"), None);
        assert!(oauth_base_problem("http://alpenglow.example.com").unwrap().contains("https"));
        assert!(oauth_base_problem("http://10.0.0.5:8765").is_some());
        assert!(oauth_base_problem("https://example.com/alpenglow").unwrap().contains("path"));
    }

    #[test]
    fn booleans_and_choices_accept_common_spellings() {
        let s = spec("enable_mcp").unwrap();
        for yes in ["on", "true", "YES", "1"] {
            assert_eq!(s.parse(yes), Ok(SettingValue::Bool(true)));
        }
        assert_eq!(spec("odoo_protocol").unwrap().parse("JSON2"), Ok(SettingValue::Text("json2".into())));
    }
}
