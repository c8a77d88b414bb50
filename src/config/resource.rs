//! Resources: one Odoo model exposed to AI clients, with its permissions.
//!
//! A [`ResourceDraft`] is what an admin asks for; [`ResourceDraft::validate`]
//! is the one place its fields are checked (model and field name syntax,
//! record filter syntax, execute allowlist). A stored [`Resource`] has passed it.

use super::approval::ApprovalPolicy;
use crate::domain::{Domain, is_valid_path};
use crate::store::{Record, RecordError, decode_body};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Which fields of the model an AI client may see and touch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum FieldPolicy {
    #[default]
    All,
    Allowlist(Vec<String>),
    Denylist(Vec<String>),
}

impl FieldPolicy {
    pub fn name(&self) -> &'static str {
        match self {
            FieldPolicy::All => "all",
            FieldPolicy::Allowlist(_) => "allowlist",
            FieldPolicy::Denylist(_) => "denylist",
        }
    }

    pub fn fields(&self) -> &[String] {
        match self {
            FieldPolicy::All => &[],
            FieldPolicy::Allowlist(f) | FieldPolicy::Denylist(f) => f,
        }
    }

    /// Whether a field of this model may be used. `id` is always allowed: a
    /// record without its id is useless and reveals nothing. Credential-like
    /// fields never are, whatever the lists say (see `never`).
    pub fn allows(&self, field: &str) -> bool {
        match self {
            _ if field == "id" => true,
            _ if super::never::is_secret_field(field) => false,
            FieldPolicy::All => true,
            FieldPolicy::Allowlist(list) => list.iter().any(|f| f == field),
            FieldPolicy::Denylist(list) => !list.iter().any(|f| f == field),
        }
    }
}

/// The four operation toggles of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operations {
    pub read: bool,
    pub create: bool,
    pub write: bool,
    pub delete: bool,
}

impl Operations {
    pub const READ_ONLY: Operations = Operations { read: true, create: false, write: false, delete: false };
    pub const ALL: Operations = Operations { read: true, create: true, write: true, delete: true };

    /// Parses `read,create,write,delete` (any subset, or `all` / `none`).
    pub fn parse(text: &str) -> Result<Operations, String> {
        let mut ops = Operations { read: false, create: false, write: false, delete: false };
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.to_ascii_lowercase().as_str() {
                "all" => ops = Operations::ALL,
                "none" => {}
                "read" => ops.read = true,
                "create" => ops.create = true,
                "write" | "update" => ops.write = true,
                "delete" | "unlink" => ops.delete = true,
                other => {
                    return Err(format!(
                        "unknown operation {other:?}; allowed: read, create, write, delete (comma-separated), all, none"
                    ));
                }
            }
        }
        Ok(ops)
    }

    pub fn names(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (on, name) in [(self.read, "read"), (self.create, "create"), (self.write, "write"), (self.delete, "delete")]
        {
            if on {
                out.push(name);
            }
        }
        out
    }
}

/// A resource as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub id: u64,
    pub model: String,
    /// None: available to every company.
    pub company_id: Option<u32>,
    pub read_only: bool,
    pub operations: Operations,
    pub field_policy: FieldPolicy,
    /// The admin's text of the record filter; empty for none. Valid by construction.
    pub record_filter: String,
    pub execute_methods: Vec<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Which writes wait for a person's approval (layout 2).
    pub approvals: ApprovalPolicy,
}

impl Record for Resource {
    const TREE: &'static str = "resources";
    const KIND: &'static str = "resource";
    /// 2: the approval rules.
    const VERSION: u8 = 2;

    fn upgrade(version: u8, body: &[u8]) -> Result<Self, RecordError> {
        match version {
            1 => Ok(decode_body::<ResourceV1>(body)?.into()),
            _ => Err(RecordError::UnknownVersion { found: version, current: Self::VERSION }),
        }
    }
}

/// Layout 1, before approvals: a resource stored then asks for none.
#[derive(Serialize, Deserialize)]
struct ResourceV1 {
    id: u64,
    model: String,
    company_id: Option<u32>,
    read_only: bool,
    operations: Operations,
    field_policy: FieldPolicy,
    record_filter: String,
    execute_methods: Vec<String>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl From<ResourceV1> for Resource {
    fn from(old: ResourceV1) -> Resource {
        Resource {
            id: old.id,
            model: old.model,
            company_id: old.company_id,
            read_only: old.read_only,
            operations: old.operations,
            field_policy: old.field_policy,
            record_filter: old.record_filter,
            execute_methods: old.execute_methods,
            created_at: old.created_at,
            updated_at: old.updated_at,
            approvals: ApprovalPolicy::default(),
        }
    }
}

impl Resource {
    /// Whether a field of this resource's model may be used at all: its
    /// field policy allows it and it is not on the never-exposed list.
    pub fn allows_field(&self, field: &str) -> bool {
        self.field_policy.allows(field) && super::never::model_field_reason(&self.model, field).is_none()
    }

    /// The operations actually allowed: Read-Only overrides the toggles.
    pub fn effective_operations(&self) -> Operations {
        if self.read_only {
            Operations { read: self.operations.read, ..Operations::READ_ONLY }
        } else {
            self.operations
        }
    }

    /// The parsed record filter (the empty domain when there is none). A
    /// stored filter that no longer parses (written by another release, or
    /// by hand) is an error, never "no filter": the resource fails closed.
    pub fn record_filter_domain(&self) -> Result<Domain, ResourceError> {
        Domain::parse_text(&self.record_filter).map_err(|e| {
            ResourceError(format!("the record filter of resource {} ({}) does not parse: {e}", self.id, self.model))
        })
    }

    /// The key that makes a model unique per company.
    pub fn unique_key(&self) -> String {
        unique_key(&self.model, self.company_id)
    }

    pub fn draft(&self) -> ResourceDraft {
        ResourceDraft {
            model: self.model.clone(),
            company_id: self.company_id,
            read_only: self.read_only,
            operations: self.operations,
            field_policy: self.field_policy.clone(),
            record_filter: self.record_filter.clone(),
            execute_methods: self.execute_methods.clone(),
            approvals: self.approvals.clone(),
        }
    }
}

pub fn unique_key(model: &str, company_id: Option<u32>) -> String {
    match company_id {
        Some(c) => format!("{c}/{model}"),
        None => format!("*/{model}"),
    }
}

/// What an admin asks for when adding or editing a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDraft {
    pub model: String,
    pub company_id: Option<u32>,
    pub read_only: bool,
    pub operations: Operations,
    pub field_policy: FieldPolicy,
    pub record_filter: String,
    pub execute_methods: Vec<String>,
    pub approvals: ApprovalPolicy,
}

/// Why a resource draft was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ResourceError(pub String);

/// Odoo model names: lower-case identifiers joined by dots, e.g. `sale.order.line`.
pub fn validate_model_name(model: &str) -> Result<(), ResourceError> {
    let ok = !model.is_empty()
        && model.len() <= 128
        && model.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
    if ok {
        Ok(())
    } else {
        Err(ResourceError(format!(
            "{model:?} is not an Odoo model name; use lower-case words joined by dots, e.g. res.partner or sale.order.line"
        )))
    }
}

impl ResourceDraft {
    /// A draft for `model` with the admin's Default Read-Only applied.
    pub fn new(model: &str, default_read_only: bool) -> ResourceDraft {
        ResourceDraft {
            model: model.to_string(),
            company_id: None,
            read_only: default_read_only,
            operations: Operations::READ_ONLY,
            field_policy: FieldPolicy::All,
            record_filter: String::new(),
            execute_methods: Vec::new(),
            approvals: ApprovalPolicy::default(),
        }
    }

    /// Checks every field; returns the draft normalised (trimmed, de-duplicated).
    pub fn validate(mut self) -> Result<ResourceDraft, ResourceError> {
        self.model = self.model.trim().to_string();
        validate_model_name(&self.model)?;
        if let Some(why) = super::never::model_reason(&self.model) {
            return Err(ResourceError(format!("{} can never be exposed: {why}", self.model)));
        }
        let writes = self.operations.create || self.operations.write || self.operations.delete;
        if let Some(why) = super::never::read_only_reason(&self.model)
            && writes
            && !self.read_only
        {
            return Err(ResourceError(format!(
                "{} can only be exposed read-only: {why}; use --read-only or --ops read",
                self.model
            )));
        }
        if self.company_id == Some(0) {
            return Err(ResourceError("company id 0 does not exist; leave the company blank for all companies".into()));
        }
        if let Some((field, why)) = self.field_policy.fields().iter().find_map(|f| {
            super::never::model_field_reason(&self.model, f)
                .filter(|_| matches!(self.field_policy, FieldPolicy::Allowlist(_)))
                .map(|why| (f.clone(), why))
        }) {
            return Err(ResourceError(format!("field {field:?} of {} can never be exposed: {why}", self.model)));
        }
        self.field_policy = match self.field_policy {
            FieldPolicy::All => FieldPolicy::All,
            FieldPolicy::Allowlist(fields) => FieldPolicy::Allowlist(validate_fields(fields, "allowlist")?),
            FieldPolicy::Denylist(fields) => FieldPolicy::Denylist(validate_fields(fields, "denylist")?),
        };
        self.record_filter = self.record_filter.trim().to_string();
        if !self.record_filter.is_empty() {
            Domain::parse_text(&self.record_filter)
                .map_err(|e| ResourceError(format!("the record filter of {} is invalid: {e}", self.model)))?;
        }
        let mut methods = Vec::new();
        for method in self.execute_methods.iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
            validate_method(method)?;
            if !methods.iter().any(|m| m == method) {
                methods.push(method.to_string());
            }
        }
        self.execute_methods = methods;
        self.approvals = self.approvals.validate().map_err(ResourceError)?;
        Ok(self)
    }
}

fn validate_fields(fields: Vec<String>, list: &str) -> Result<Vec<String>, ResourceError> {
    let mut out: Vec<String> = Vec::new();
    for field in fields.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
        if !is_valid_path(field) || field.contains('.') {
            return Err(ResourceError(format!(
                "{field:?} in the field {list} is not a field name; use names such as email or partner_id"
            )));
        }
        if list == "allowlist" && super::never::is_secret_field(field) {
            return Err(ResourceError(format!(
                "field {field:?} can never be exposed: it looks like a credential (passwords, keys, tokens, secrets)"
            )));
        }
        if !out.iter().any(|f| f == field) {
            out.push(field.to_string());
        }
    }
    if out.is_empty() {
        return Err(ResourceError(format!("a field {list} needs at least one field name")));
    }
    Ok(out)
}

fn validate_method(method: &str) -> Result<(), ResourceError> {
    if !method.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ResourceError(format!("{method:?} is not a method name")));
    }
    if let Some(why) = super::never::method_reason(method) {
        return Err(ResourceError(format!("method {method:?} cannot be allowed: {why}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names() {
        for ok in ["res.partner", "sale.order.line", "x_custom.model_2"] {
            validate_model_name(ok).unwrap();
        }
        for bad in ["", "Res.Partner", "res..partner", "res.partner.", "res partner", "res.partner;drop"] {
            assert!(validate_model_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn draft_validation_normalises_and_refuses() {
        let mut d = ResourceDraft::new(" res.partner ", false);
        d.field_policy = FieldPolicy::Denylist(vec!["email".into(), " email".into(), "phone".into()]);
        d.record_filter = " [('active', '=', True)] ".into();
        d.execute_methods = vec!["name_search".into(), "name_search".into()];
        let v = d.validate().unwrap();
        assert_eq!(v.model, "res.partner");
        assert_eq!(v.field_policy, FieldPolicy::Denylist(vec!["email".into(), "phone".into()]));
        assert_eq!(v.record_filter, "[('active', '=', True)]");
        assert_eq!(v.execute_methods, vec!["name_search"]);

        let bad = |f: fn(&mut ResourceDraft)| {
            let mut d = ResourceDraft::new("res.partner", false);
            f(&mut d);
            d.validate().unwrap_err().0
        };
        assert!(bad(|d| d.record_filter = "[('active', '=')]".into()).contains("record filter of res.partner"));
        assert!(bad(|d| d.execute_methods = vec!["_read_group".into()]).contains("private"));
        assert!(bad(|d| d.execute_methods = vec!["sudo".into()]).contains("bypass"));
        assert!(bad(|d| d.field_policy = FieldPolicy::Allowlist(vec![])).contains("at least one"));
        assert!(
            bad(|d| d.field_policy = FieldPolicy::Allowlist(vec!["partner_id.email".into()]))
                .contains("not a field name")
        );
        assert!(bad(|d| d.company_id = Some(0)).contains("company id 0"));
    }

    #[test]
    fn read_only_overrides_toggles() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let r = Resource {
            id: 1,
            model: "res.partner".into(),
            company_id: None,
            read_only: true,
            operations: Operations::ALL,
            field_policy: FieldPolicy::All,
            record_filter: String::new(),
            execute_methods: vec![],
            created_at: now,
            updated_at: now,
            approvals: ApprovalPolicy::default(),
        };
        assert_eq!(r.effective_operations(), Operations::READ_ONLY);
        assert_eq!(Resource { read_only: false, ..r.clone() }.effective_operations(), Operations::ALL);
        // A stored filter that does not parse is an error, not "no filter".
        let broken = Resource { record_filter: "[('active', '=')]".into(), ..r };
        let e = broken.record_filter_domain().unwrap_err().0;
        assert!(e.contains("resource 1 (res.partner) does not parse"), "{e}");
    }

    #[test]
    fn field_policy_allows() {
        let allow = FieldPolicy::Allowlist(vec!["name".into()]);
        assert!(allow.allows("name") && allow.allows("id") && !allow.allows("email"));
        let deny = FieldPolicy::Denylist(vec!["email".into()]);
        assert!(!deny.allows("email") && deny.allows("name"));
    }

    #[test]
    fn operations_parse() {
        assert_eq!(
            Operations::parse("read,write").unwrap(),
            Operations { read: true, create: false, write: true, delete: false }
        );
        assert_eq!(Operations::parse("all").unwrap(), Operations::ALL);
        assert!(Operations::parse("read,fly").unwrap_err().contains("unknown operation \"fly\""));
    }
}
