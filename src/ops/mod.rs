//! The nine operations: each parsed and validated once from JSON parameters
//! (`parse`), then run through the policy against Odoo (`run`). Faces call
//! [`Operation::parse`] and [`Operation::run`] through the gateway; they never
//! re-validate.
//!
//! Files: `params.rs` (typed parameter reading), `tools.rs` (the tool
//! definitions), `schema.rs` (cached `fields_get`), `read.rs` (list_models,
//! describe, search, read), `write.rs` (create, update, delete),
//! `relations.rs` (values that reach into other models), `vet.rs` (field
//! paths in domains, orders and group-bys), `aggregate.rs`, `execute.rs` and
//! `name_search.rs`.

mod aggregate;
mod approval;
mod execute;
mod name_search;
mod names;
mod params;
mod read;
mod relations;
pub mod schema;
mod tools;
mod undo;
mod vet;
mod write;

pub use crate::vocab::OpName;
pub use approval::sorted as sorted_json;
pub use tools::{ToolSpec, parameter_names, tool_specs};

use crate::config::{Resource, Settings};
use crate::domain::Domain;
use crate::policy::{self, Caller, Refusal};
use crate::upstream::{OdooApi, UpstreamError};
use crate::vocab::{OpError, Principal};
use params::Params;
use serde_json::Value;

/// A parsed, validated operation.
#[derive(Debug, Clone)]
pub enum Operation {
    ListModels,
    Describe { model: String },
    Search(read::Search),
    Read { model: String, ids: Vec<i64>, fields: Option<Vec<String>> },
    Create { model: String, values: Vec<serde_json::Map<String, Value>>, dry_run: bool },
    Update { model: String, ids: Vec<i64>, values: serde_json::Map<String, Value>, dry_run: bool },
    Delete { model: String, ids: Vec<i64>, dry_run: bool },
    Aggregate(aggregate::Aggregate),
    Execute(execute::Execute),
}

/// Everything an operation runs with.
pub struct Run<'a> {
    pub principal: &'a Principal,
    pub settings: &'a Settings,
    pub resources: &'a [Resource],
    pub upstream: &'a dyn OdooApi,
    pub schemas: &'a schema::SchemaCache,
    /// Details for the audit entry only.
    pub audit: &'a AuditNote,
}

/// What an operation tells the audit log but not the caller: a refusal
/// says "outside the records you may see", the entry also names the
/// admin's record filter.
#[derive(Default)]
pub struct AuditNote(std::sync::Mutex<Vec<String>>);

impl AuditNote {
    pub fn add(&self, detail: String) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(detail);
    }

    pub fn take(&self) -> Option<String> {
        let details = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        (!details.is_empty()).then(|| details.join("; "))
    }
}

impl Operation {
    /// Whether the call may change data in Odoo: what Writes per Minute
    /// counts. A dry run writes nothing, so it is not counted.
    pub fn writes(&self) -> bool {
        match self {
            Operation::Create { dry_run, .. }
            | Operation::Update { dry_run, .. }
            | Operation::Delete { dry_run, .. } => !dry_run,
            Operation::Execute(execute) => !execute.dry_run,
            _ => false,
        }
    }

    pub fn parse(name: OpName, raw: &Value) -> Result<Operation, OpError> {
        let p = Params::new(name.as_str(), raw, parameter_names(name.as_str()))?;
        let model = || params::model_name(name.as_str(), &p);
        Ok(match name {
            OpName::ListModels => Operation::ListModels,
            OpName::Describe => Operation::Describe { model: model()? },
            OpName::Search => Operation::Search(read::Search::parse(&p, model()?)?),
            OpName::Read => Operation::Read { model: model()?, ids: p.ids("ids")?, fields: p.string_list("fields")? },
            OpName::Create => {
                Operation::Create { model: model()?, values: p.values_list("values")?, dry_run: p.flag("dry_run")? }
            }
            OpName::Update => {
                let values = p.object("values")?.ok_or_else(|| {
                    OpError::Invalid("alpenglow_update: values is required (an object of the fields to change)".into())
                })?;
                if values.is_empty() {
                    return Err(OpError::Invalid("alpenglow_update: values is empty; name at least one field".into()));
                }
                Operation::Update { model: model()?, ids: p.ids("ids")?, values, dry_run: p.flag("dry_run")? }
            }
            OpName::Delete => Operation::Delete { model: model()?, ids: p.ids("ids")?, dry_run: p.flag("dry_run")? },
            OpName::Aggregate => Operation::Aggregate(aggregate::Aggregate::parse(&p, model()?)?),
            OpName::Execute => Operation::Execute(execute::Execute::parse(&p, model()?)?),
        })
    }

    /// For a caller with an OAuth access token: whether its grant's scopes
    /// allow this operation (`policy::scopes`); the credential's own scope
    /// still applies in `run`. Refused with the scope to ask for (step-up).
    pub fn check_token_scopes(&self, principal: &Principal) -> Result<(), OpError> {
        let Some(granted) = principal.token_scopes() else { return Ok(()) };
        crate::policy::scopes::check(granted, self.name(), principal.read_only_scope())
            .map_err(|missing| OpError::InsufficientScope { scope: missing.as_str() })
    }

    pub fn name(&self) -> OpName {
        match self {
            Operation::ListModels => OpName::ListModels,
            Operation::Describe { .. } => OpName::Describe,
            Operation::Search(_) => OpName::Search,
            Operation::Read { .. } => OpName::Read,
            Operation::Create { .. } => OpName::Create,
            Operation::Update { .. } => OpName::Update,
            Operation::Delete { .. } => OpName::Delete,
            Operation::Aggregate(_) => OpName::Aggregate,
            Operation::Execute(_) => OpName::Execute,
        }
    }

    pub async fn run(&self, run: &Run<'_>) -> Result<Value, OpError> {
        match self {
            Operation::ListModels => read::list_models(run).await,
            Operation::Describe { model } => read::describe(run, model).await,
            Operation::Search(search) => search.run(run).await,
            Operation::Read { model, ids, fields } => read::read(run, model, ids, fields.as_deref()).await,
            Operation::Create { model, values, dry_run } => write::create(run, model, values, *dry_run).await,
            Operation::Update { model, ids, values, dry_run } => write::update(run, model, ids, values, *dry_run).await,
            Operation::Delete { model, ids, dry_run } => write::delete(run, model, ids, *dry_run).await,
            // Search and read cut their records themselves (with an offset to
            // continue); the other results are bounded here.
            Operation::Aggregate(aggregate) => {
                Ok(read::bound_result(aggregate.run(run).await?, run.settings.max_output_chars as usize))
            }
            Operation::Execute(execute) => {
                Ok(read::bound_result(execute.run(run).await?, run.settings.max_output_chars as usize))
            }
        }
    }
}

impl From<Refusal> for OpError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::NotFound(m) => OpError::NotFound(m),
            Refusal::Denied(m) => OpError::Denied(m),
            Refusal::Invalid(m) => OpError::Invalid(m),
        }
    }
}

/// Odoo's refusals keep Odoo's message; transport failures say Odoo is unavailable.
pub(crate) fn upstream_error(e: UpstreamError) -> OpError {
    match e {
        UpstreamError::AuthenticationFailed(_) | UpstreamError::LoginRequired(_) => {
            OpError::Unauthenticated("invalid or expired API key".into())
        }
        UpstreamError::AccessError(m) => OpError::Denied(format!("Odoo refused access: {m}")),
        UpstreamError::MissingRecord(m) => OpError::NotFound(format!("Odoo: {m}")),
        UpstreamError::Validation(m)
        | UpstreamError::UserError(m)
        | UpstreamError::UnknownField(m)
        | UpstreamError::BadValue(m)
        | UpstreamError::BadRequest(m) => OpError::OdooRefused(m),
        UpstreamError::UnknownModel(m) | UpstreamError::UnknownMethod(m) => OpError::NotFound(format!("Odoo: {m}")),
        e if e.is_transport() => OpError::Unavailable(format!("Odoo is unavailable: {e}")),
        other => OpError::Upstream(other.to_string()),
    }
}

impl Run<'_> {
    /// Notes, for the audit entry only, the record filter of `resource`
    /// behind a refusal.
    pub fn note_filter(&self, resource: &Resource) {
        self.audit
            .add(format!("record filter of {} (resource {}): {}", resource.model, resource.id, resource.record_filter));
    }

    pub fn caller(&self) -> Caller {
        Caller { read_only_scope: self.principal.read_only_scope(), home_company: self.principal.home_company }
    }

    pub fn resource(&self, model: &str) -> Result<&Resource, OpError> {
        policy::resource_for(self.resources, self.caller(), model)
            .inspect_err(|_| {
                // A broken filter: the entry keeps its text and the parse error.
                if let Some(broken) =
                    self.resources.iter().find(|r| r.model == model && r.record_filter_domain().is_err())
                {
                    self.note_filter(broken);
                }
            })
            .map_err(Into::into)
    }

    pub async fn schema(&self, model: &str) -> Result<std::sync::Arc<schema::Schema>, OpError> {
        self.schemas.get(self.upstream, &self.principal.identity(), model).await
    }

    /// The domain sent to Odoo: the caller's AND the record filter.
    pub fn scoped(&self, resource: &Resource, domain: &Domain) -> Result<Value, OpError> {
        Ok(policy::scoped_domain(resource, domain)?.to_json())
    }

    /// The domain of the records among `ids` that pass the record filter,
    /// archived ones included: reading one by id works in Odoo.
    async fn by_ids(&self, resource: &Resource, ids: &[i64]) -> Result<Value, OpError> {
        let schema = self.schema(&resource.model).await?;
        let mut by_id = serde_json::json!([["id", "in", ids]]);
        if schema.field("active").is_some_and(|f| f.kind == "boolean") {
            // Naming `active` in the domain turns off Odoo's implicit active filter.
            by_id.as_array_mut().expect("a list").push(serde_json::json!(["active", "in", [true, false]]));
        }
        let by_id = Domain::from_json(&by_id).expect("valid domain");
        self.scoped(resource, &by_id)
    }

    /// The ids among `ids` that exist and pass the record filter, as the caller
    /// sees them. Archived records count: reading one by id works in Odoo.
    pub async fn visible_ids(&self, resource: &Resource, ids: &[i64]) -> Result<Vec<i64>, OpError> {
        let query = crate::upstream::SearchQuery { domain: self.by_ids(resource, ids).await?, ..Default::default() };
        let found =
            self.upstream.search(&self.principal.identity(), &resource.model, &query).await.map_err(upstream_error)?;
        Ok(ids.iter().copied().filter(|id| found.contains(id)).collect())
    }

    /// `fields` of the records among `ids` that exist and pass the record
    /// filter, in the order of `ids`: one `search_read` on the ids AND the
    /// filter, where a check then a `read` would take two calls. What Odoo's
    /// own record rules hide is absent, as from the check.
    pub async fn visible_rows(
        &self,
        resource: &Resource,
        ids: &[i64],
        fields: &[String],
    ) -> Result<Vec<crate::upstream::Record>, OpError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let query = crate::upstream::SearchQuery {
            domain: self.by_ids(resource, ids).await?,
            fields: Some(fields.to_vec()),
            ..Default::default()
        };
        let rows = self
            .upstream
            .search_read(&self.principal.identity(), &resource.model, &query)
            .await
            .map_err(upstream_error)?;
        let mut by_id: std::collections::HashMap<i64, crate::upstream::Record> =
            rows.into_iter().filter_map(|r| Some((r.get("id")?.as_i64()?, r))).collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }
}
