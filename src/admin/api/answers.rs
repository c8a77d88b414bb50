//! The typed answers. Field order is the wire's (and `--json`'s) order;
//! every struct reads a missing field as its default.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `ping`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pong {
    pub alpenglow: String,
    pub mode: String,
}

/// `status`: the Home screen's numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Status {
    /// `alpenglow serve`, `alpenglow demo`, or `direct` (a store opened by the CLI).
    pub mode: String,
    pub uptime_seconds: u64,
    pub mcp_enabled: bool,
    pub rate_limiting: bool,
    pub audit_logging: bool,
    /// Why the store cannot write (a full disk, a failed write), if it
    /// cannot; None when it writes.
    pub store_problem: Option<String>,
    pub resources: usize,
    /// Calls held for a decision (state pending); None from a daemon
    /// without the approvals queue, or when it cannot be read.
    pub approvals_waiting: Option<usize>,
    pub credentials_active: usize,
    pub credential_requests_total: u64,
    /// Where MCP clients connect, once the daemon listens.
    pub gateway: Option<GatewayUrls>,
    pub odoo: OdooStatus,
    /// None when the audit log or the sessions cannot be read.
    pub traffic: Option<Traffic>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewayUrls {
    /// What clients are told (the public URL behind a proxy).
    pub url: String,
    pub mcp_url: String,
    /// The address the listener is bound to (`127.0.0.1:8765`); empty from
    /// a daemon that does not say.
    pub listen: String,
    /// Whether the listener itself serves TLS.
    pub tls: bool,
}

/// `odoo.status`: never an error; `message` says why it is not connected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OdooStatus {
    pub configured: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// Whether the gateway has its own Odoo key for model, field and user lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_key: Option<bool>,
    pub connected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Whether Odoo has the configured database (`db.db_exist`); None when
    /// no database is named or the protocol cannot tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_exists: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Traffic of the last minute and hour, from the audit log and the sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Traffic {
    pub requests_per_minute: usize,
    pub errors_last_hour: usize,
    pub rate_limited_last_hour: usize,
    pub active_sessions: usize,
}

/// `settings.show`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsShown {
    pub settings: Vec<SettingEntry>,
    pub warnings: Vec<String>,
}

/// One setting: its effective value, default, range and source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingEntry {
    pub key: String,
    pub label: String,
    pub value: Scalar,
    pub default: Scalar,
    /// The allowed values, for people: `a whole number from 10 to 10,000`.
    pub allowed: String,
    /// `default`, `config file` or `stored`.
    pub source: String,
}

/// A setting's value as JSON has it: a switch, a number or text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Integer(i64),
    Text(String),
}

impl Default for Scalar {
    fn default() -> Self {
        Scalar::Text(String::new())
    }
}

/// As people type it: `on` / `off`, digits, text.
impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Bool(b) => f.write_str(if *b { "on" } else { "off" }),
            Scalar::Integer(i) => write!(f, "{i}"),
            Scalar::Text(t) => f.write_str(t),
        }
    }
}

/// `settings.set`: the value as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingSaved {
    pub key: String,
    pub value: Scalar,
}

/// A resource, as the CLI and the dashboard show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResourceView {
    pub id: u64,
    pub model: String,
    /// None: all companies.
    pub company_id: Option<u32>,
    pub read_only: bool,
    pub can_read: bool,
    pub can_create: bool,
    pub can_write: bool,
    pub can_delete: bool,
    /// What the toggles allow once Read-Only is applied.
    pub effective_operations: Vec<String>,
    /// `all`, `allowlist` or `denylist`.
    pub field_policy: String,
    pub fields: Vec<String>,
    pub record_filter: String,
    /// Why the stored filter does not parse: the resource then refuses
    /// every request (it fails closed) until the filter is fixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_filter_error: Option<String>,
    pub execute_methods: Vec<String>,
    /// Which writes wait for approval.
    pub approvals: ApprovalRulesView,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// Set when the resource was stored without being checked against Odoo
    /// (configured but not answering, or no service key): says why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// A resource's approval rules: `none`, `confirm` or `admin` for each write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApprovalRulesView {
    pub create: String,
    pub write: String,
    pub delete: String,
    pub execute: String,
    /// Only updates of more than this many records wait.
    pub write_over: Option<u32>,
    /// Only these methods wait (empty: every method).
    pub execute_methods: Vec<String>,
    /// One line, e.g. `write>5=confirm delete=admin`, or `none`.
    pub summary: String,
}

impl Default for ApprovalRulesView {
    fn default() -> Self {
        let none = || "none".to_string();
        ApprovalRulesView {
            create: none(),
            write: none(),
            delete: none(),
            execute: none(),
            write_over: None,
            execute_methods: Vec::new(),
            summary: none(),
        }
    }
}

/// A credential with its usage; never its key or hash.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CredentialView {
    pub id: u64,
    pub label: String,
    pub user_id: u32,
    pub login: String,
    /// `full` or `read-only`.
    pub scope: String,
    pub expires_on: Option<String>,
    pub company_id: Option<u32>,
    /// `active`, `expired` or `revoked`.
    pub status: String,
    pub created_at: Option<String>,
    pub revoked_at: Option<String>,
    /// The key's first characters, to tell keys apart.
    pub key_prefix: String,
    pub last_used: Option<String>,
    pub last_ip: Option<String>,
    pub request_count: u64,
}

/// `odoo.models`: one installed model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OdooModel {
    pub model: String,
    pub name: String,
}

/// `odoo.fields`: one field of a model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OdooField {
    pub name: String,
    /// The label.
    pub string: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub required: bool,
    /// The related model, for relational fields.
    pub relation: Option<String>,
}

/// `odoo.users`: one internal user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OdooUserView {
    pub id: u32,
    pub login: String,
    pub name: String,
}

/// `odoo.check_key`: the key's owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KeyOwner {
    pub uid: i64,
    pub login: String,
    pub name: String,
}

/// `audit.query`: entries in the order asked, and where the next page starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditPage {
    pub entries: Vec<AuditRecord>,
    pub next_cursor: Option<u64>,
    /// With `count`: how many entries the filters match, and where this page
    /// starts among them (a daemon of the release before leaves it out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<AuditCount>,
}

/// The whole filtered log, by number: the page shows entries `before + 1`
/// to `before + entries` of `total`. Not `exact` when a filtered count
/// stopped early (50,000 entries read): `total` is then a lower bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditCount {
    pub total: u64,
    pub before: u64,
    pub exact: bool,
}

/// One audit entry: the JSON object the audit log exports (`audit export`
/// writes it as a line; the dashboard's detail pane shows it as it came),
/// read once into [`AuditFields`] for the columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Map<String, Value>", into = "Map<String, Value>")]
pub struct AuditRecord {
    json: Map<String, Value>,
    fields: AuditFields,
}

impl AuditRecord {
    /// The typed fields.
    pub fn fields(&self) -> &AuditFields {
        &self.fields
    }

    /// The entry as exported.
    pub fn json(&self) -> &Map<String, Value> {
        &self.json
    }
}

impl From<Map<String, Value>> for AuditRecord {
    fn from(json: Map<String, Value>) -> Self {
        // Fields of a type this release does not expect read as their default.
        let fields = serde_json::from_value(Value::Object(json.clone())).unwrap_or_default();
        AuditRecord { json, fields }
    }
}

impl From<AuditRecord> for Map<String, Value> {
    fn from(record: AuditRecord) -> Self {
        record.json
    }
}

/// The fields of an audit entry (see `audit::AuditEntry`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFields {
    pub id: u64,
    /// RFC 3339, UTC.
    pub time: String,
    /// `mcp`, `jsonrpc` or `rest`.
    pub face: String,
    pub credential_id: Option<u64>,
    /// The credential's label.
    pub credential: Option<String>,
    pub uid: Option<i64>,
    pub login: Option<String>,
    pub company_id: Option<i64>,
    pub ip: String,
    pub session: Option<String>,
    pub tool: String,
    pub model: Option<String>,
    pub ids: Vec<i64>,
    /// How many ids, when there were too many to list.
    pub id_count: Option<u64>,
    pub domain: Option<String>,
    pub fields: Option<String>,
    pub values: Option<String>,
    pub outcome: String,
    pub error: Option<String>,
    pub records: Option<u64>,
    pub duration_ms: f64,
    /// Admin actions: who.
    pub actor: Option<String>,
    /// Admin actions: `{"target", "old", "new"}` as JSON text.
    pub changes: Option<String>,
    /// The entry's place in the hash chain (null before the chain).
    pub seq: Option<u64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// `audit.status`: where the hash chain stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditStatus {
    /// The last entry's place in the chain (0: empty).
    pub seq: u64,
    /// Its hash, hex.
    pub hash: String,
    pub checkpoint: Option<CheckpointView>,
    /// The last verification the daemon (or this process) ran.
    pub last_verification: Option<AuditVerification>,
    /// The verifier key (public), as `audit-signing.pub` holds it.
    pub verifier_key: Option<String>,
    /// Whether checkpoints can be signed.
    pub signing: bool,
}

/// A signed checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckpointView {
    pub seq: u64,
    pub time: String,
    /// `periodic`, `shutdown` or `prune`.
    pub kind: String,
    /// The signed note (C2SP checkpoint).
    pub note: String,
}

/// `audit.verify` answers the audit log's own result.
pub use crate::audit::Verification as AuditVerification;

/// One AI client session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionView {
    pub id: String,
    /// `mcp` or `stream`.
    pub kind: String,
    pub face: String,
    pub started_at: String,
    pub last_activity: String,
    pub client: ClientView,
    /// The MCP protocol revision, if any.
    pub protocol: Option<String>,
    pub ip: String,
    pub credential_id: Option<u64>,
    /// The credential's label.
    pub credential: Option<String>,
    pub uid: Option<i64>,
    pub requests: u64,
    /// `active`, `idle`, `ended` or `closed`.
    pub state: String,
    pub active: bool,
    pub ended_at: Option<String>,
}

/// The client program a session named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientView {
    pub name: String,
    pub version: String,
}

/// `jobs.run`: what the job did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobReportView {
    pub job: String,
    pub affected: u64,
    /// One line for people.
    pub summary: String,
    pub elapsed_ms: f64,
}

/// `backup.config` and `backup.audit_page` answer the backup's own types:
/// raw store pairs in base64, as the backup file holds them.
pub use crate::backup::{Page as BackupPage, RawPair, Snapshot as BackupSnapshot};

/// `oauth.clients`: one client registered by Dynamic Client Registration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OAuthClientView {
    pub client_id: String,
    /// As the client named itself (not verified).
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub registered_at: Option<String>,
    pub registered_ip: String,
}

/// One OAuth grant: a client acting as a person through a credential;
/// never a token or the key it keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GrantView {
    pub id: u64,
    /// The client's name and where it lives.
    pub client: String,
    pub client_id: String,
    pub client_host: String,
    pub credential_id: u64,
    pub uid: i64,
    pub login: String,
    /// Space-separated: `odoo.read odoo.write odoo.execute`.
    pub scopes: String,
    pub created_at: Option<String>,
    pub last_used: Option<String>,
    /// `active` or `revoked`.
    pub status: String,
    pub revoked_at: Option<String>,
    pub revoked_why: Option<String>,
    /// Whether the person's sealed Odoo key is still kept (never once revoked).
    pub key_kept: bool,
}

/// One sign-up request of a person without a credential.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignupView {
    pub id: u64,
    pub uid: i64,
    pub login: String,
    pub name: String,
    pub client: String,
    pub requested_at: Option<String>,
    /// `pending`, `approved`, `refused` or `done`.
    pub status: String,
    pub decided_at: Option<String>,
    /// The credential made for it, once done.
    pub credential_id: Option<u64>,
}
