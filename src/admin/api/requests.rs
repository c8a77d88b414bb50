//! The operations and their arguments. Each struct is one operation's
//! `args`; [`Request`] names them on the wire. Optional arguments may be left
//! out; unknown ones are ignored.

use super::Call;
use super::answers::*;
use super::approvals::*;
use serde::{Deserialize, Deserializer, Serialize};

/// Every admin operation, as the wire carries it: `{"op": name, "args": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", content = "args")]
pub enum Request {
    #[serde(rename = "ping")]
    Ping(Ping),
    #[serde(rename = "status")]
    GetStatus(GetStatus),
    #[serde(rename = "settings.show")]
    ShowSettings(ShowSettings),
    #[serde(rename = "settings.set")]
    SetSetting(SetSetting),
    #[serde(rename = "resources.list")]
    ListResources(ListResources),
    #[serde(rename = "resources.get")]
    GetResource(GetResource),
    #[serde(rename = "resources.add")]
    AddResources(AddResources),
    #[serde(rename = "resources.edit")]
    EditResource(EditResource),
    #[serde(rename = "resources.remove")]
    RemoveResource(RemoveResource),
    #[serde(rename = "credentials.list")]
    ListCredentials(ListCredentials),
    #[serde(rename = "credentials.create")]
    CreateCredential(CreateCredential),
    #[serde(rename = "credentials.revoke")]
    RevokeCredential(RevokeCredential),
    #[serde(rename = "odoo.status")]
    GetOdooStatus(GetOdooStatus),
    #[serde(rename = "odoo.models")]
    ListOdooModels(ListOdooModels),
    #[serde(rename = "odoo.fields")]
    ListOdooFields(ListOdooFields),
    #[serde(rename = "odoo.users")]
    ListOdooUsers(ListOdooUsers),
    #[serde(rename = "odoo.check_key")]
    CheckKey(CheckKey),
    #[serde(rename = "audit.query")]
    QueryAudit(QueryAudit),
    #[serde(rename = "audit.status")]
    GetAuditStatus(GetAuditStatus),
    #[serde(rename = "audit.verify")]
    VerifyAudit(VerifyAudit),
    #[serde(rename = "sessions.list")]
    ListSessions(ListSessions),
    #[serde(rename = "sessions.end")]
    EndSession(EndSession),
    #[serde(rename = "jobs.run")]
    RunJob(RunJob),
    #[serde(rename = "backup.config")]
    BackupConfig(BackupConfig),
    #[serde(rename = "backup.audit_page")]
    BackupAuditPage(BackupAuditPage),
    #[serde(rename = "oauth.clients")]
    ListOAuthClients(ListOAuthClients),
    #[serde(rename = "oauth.grants")]
    ListGrants(ListGrants),
    #[serde(rename = "oauth.revoke")]
    RevokeGrant(RevokeGrant),
    #[serde(rename = "oauth.signups")]
    ListSignups(ListSignups),
    #[serde(rename = "oauth.approve")]
    ApproveSignup(ApproveSignup),
    #[serde(rename = "oauth.refuse")]
    RefuseSignup(RefuseSignup),
    #[serde(rename = "approvals.list")]
    ListApprovals(ListApprovals),
    #[serde(rename = "approvals.get")]
    GetApproval(GetApproval),
    #[serde(rename = "approvals.approve")]
    ApproveApproval(ApproveApproval),
    #[serde(rename = "approvals.deny")]
    DenyApproval(DenyApproval),
}

macro_rules! calls {
    ($($call:ident => $answer:ty),* $(,)?) => {$(
        impl Call for $call {
            type Answer = $answer;
        }

        impl From<$call> for Request {
            fn from(call: $call) -> Request {
                Request::$call(call)
            }
        }
    )*};
}

calls! {
    Ping => Pong,
    GetStatus => Status,
    ShowSettings => SettingsShown,
    SetSetting => SettingSaved,
    ListResources => Vec<ResourceView>,
    GetResource => ResourceView,
    AddResources => Vec<ResourceView>,
    EditResource => ResourceView,
    RemoveResource => ResourceView,
    ListCredentials => Vec<CredentialView>,
    CreateCredential => CredentialView,
    RevokeCredential => CredentialView,
    GetOdooStatus => OdooStatus,
    ListOdooModels => Vec<OdooModel>,
    ListOdooFields => Vec<OdooField>,
    ListOdooUsers => Vec<OdooUserView>,
    CheckKey => KeyOwner,
    QueryAudit => AuditPage,
    GetAuditStatus => AuditStatus,
    VerifyAudit => AuditVerification,
    ListSessions => Vec<SessionView>,
    EndSession => SessionView,
    RunJob => JobReportView,
    BackupConfig => BackupSnapshot,
    BackupAuditPage => BackupPage,
    ListOAuthClients => Vec<OAuthClientView>,
    ListGrants => Vec<GrantView>,
    RevokeGrant => GrantView,
    ListSignups => Vec<SignupView>,
    ListApprovals => Vec<ApprovalView>,
    GetApproval => ApprovalView,
    ApproveApproval => ApprovalView,
    DenyApproval => ApprovalView,
    ApproveSignup => SignupView,
    RefuseSignup => SignupView,
}

/// Is the daemon there, and which one: `alpenglow serve`, `alpenglow demo`, `direct`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {}

/// The Home screen's numbers: what is configured, Odoo's state, the traffic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetStatus {}

/// Every setting, with the warnings an admin should see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowSettings {}

/// Validates and stores one setting; nothing is stored if it is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetSetting {
    pub key: String,
    /// As an admin types it: `2000`, `on`, a URL.
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListResources {}

/// One resource, by id or by model name (when only one company has it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetResource {
    pub resource: String,
}

/// One resource per model, all with the same permissions, all or nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddResources {
    #[serde(default)]
    pub models: Vec<String>,
    /// Applied on top of the defaults (read only, all fields, the Default
    /// Read-Only setting).
    #[serde(default)]
    pub patch: ResourcePatch,
}

/// Changes a resource; what the patch leaves out keeps its value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditResource {
    /// Id, or model name when only one company has it.
    pub resource: String,
    /// Moves the resource to another model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default)]
    pub patch: ResourcePatch,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveResource {
    /// Id, or model name when only one company has it.
    pub resource: String,
}

/// A resource's permissions, each one optional: a missing one keeps the
/// current (or default) value. Validation of the result is the draft's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourcePatch {
    /// Absent keeps the company; `null` means all companies.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub company_id: Option<Option<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// The operation toggles: `read,write`, `all`, `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops: Option<String>,
    /// `all`, `allowlist` or `denylist`, with `fields` for the last two.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    /// An Odoo domain in Python-literal form; `""` clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execute_methods: Option<Vec<String>>,
    /// Approval rules (`none`, `confirm`, `admin`) for create, write, delete, execute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_create: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_write: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_delete: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_execute: Option<String>,
    /// Only updates of more than this many records wait; 0: every update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_write_over: Option<u32>,
    /// Only these methods wait; empty: every method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_methods: Option<Vec<String>>,
}

fn yes() -> bool {
    true
}

/// A field that is present, even as `null`: `Some(None)`. Absent is the
/// field's default, `None`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCredentials {}

/// Creates a credential for an Odoo user's API key (kept only as a hash).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateCredential {
    pub label: String,
    pub user_id: u32,
    pub login: String,
    /// `full` (the default) or `read-only`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The last day it is accepted, `YYYY-MM-DD`.
    #[serde(default)]
    pub expires: Option<String>,
    #[serde(default)]
    pub company_id: Option<u32>,
    pub key: SecretText,
    /// A reachable Odoo must accept the key as this user first (the
    /// default; `false` only for a key made for an Odoo not yet reachable).
    #[serde(default = "yes")]
    pub check: bool,
}

/// Text that must not be shown: an API key on its way to being hashed or
/// checked. Its `Debug` is redacted; it serializes as the plain string,
/// since the admin socket (mode 0600) is how it reaches the daemon.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(<redacted>)")
    }
}

/// Revokes a credential, permanently.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeCredential {
    pub id: u64,
}

/// Configured, connected, version and protocol; never an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetOdooStatus {}

/// Odoo's installed models, as the gateway's service key sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListOdooModels {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
}

/// A model's fields, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListOdooFields {
    pub model: String,
}

/// Odoo's internal users.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListOdooUsers {}

/// Whom Odoo says an API key belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckKey {
    pub key: SecretText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
}

/// A page of the audit log. Times are RFC 3339, a date (`2026-05-01`) or an
/// age (`15m`, `2h`, `7d`); empty filters are no filters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryAudit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "whole_number")]
    pub credential: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `search` or `alpenglow_search`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Entries per page, 1 to 10,000.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "whole_number")]
    pub limit: Option<u64>,
    /// Continue after this entry id (the previous page's `next_cursor`).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "whole_number")]
    pub cursor: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<AuditOrder>,
    /// Also count the entries the filters match ([`AuditPage::count`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub count: bool,
}

/// The hash chain's head, the latest signed checkpoint, the last verification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetAuditStatus {}

/// Recomputes the hash chain and checks every checkpoint's signature.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyAudit {
    /// Where to start: a stored checkpoint's sequence number, or a
    /// checkpoint note's text; absent: the latest prune checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// Which end of the audit log a page starts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditOrder {
    #[default]
    Newest,
    Oldest,
}

/// A whole number, also written as text (`"42"`, as a form field holds it).
fn whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(u64),
        Text(String),
    }
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumberOrText::Number(n)) => Ok(Some(n)),
        Some(NumberOrText::Text(t)) => {
            t.trim().parse().map(Some).map_err(|_| serde::de::Error::custom(format!("{t:?} is not a whole number")))
        }
    }
}

/// Sessions, most recently active first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSessions {
    /// Also idle, ended and closed ones.
    #[serde(default)]
    pub all: bool,
}

/// Ends a session: its next request is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndSession {
    pub id: String,
}

/// Runs one of the timers' jobs now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunJob {
    /// `audit-cleanup`, `session-cleanup` or `rate-limit-cleanup`.
    pub name: String,
}

/// The configuration trees, read with no change in progress, and the last
/// audit id (with `with_audit`), which fixes what the audit pages return.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupConfig {
    #[serde(default)]
    pub with_audit: bool,
}

/// One page of an audit tree, up to the id `backup.config` fixed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupAuditPage {
    pub tree: String,
    pub until: u64,
    /// The previous page's `after`; from the start when absent.
    #[serde(default)]
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// The clients registered by Dynamic Client Registration, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListOAuthClients {}

/// OAuth grants (a client acting as a person), newest first: the live ones,
/// or all with `all`; only one credential's with `credential`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListGrants {
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "whole_number")]
    pub credential: Option<u64>,
    #[serde(default)]
    pub all: bool,
}

/// Revokes a grant: its tokens stop working and the Odoo key it kept is erased.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeGrant {
    pub id: u64,
}

/// Sign-up requests of people without a credential, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSignups {}

/// Approves a pending sign-up: the person's next sign-in makes their credential.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApproveSignup {
    pub id: u64,
}

/// Refuses a pending sign-up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefuseSignup {
    pub id: u64,
}
