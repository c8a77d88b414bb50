//! The nine operations: each parsed and validated once from JSON parameters
//! (`parse`), then run through the policy against Odoo (`run`). Faces call
//! [`Operation::parse`] and [`Operation::run`] through the gateway; they never
//! re-validate.
//!
//! Files: `params.rs` (typed parameter reading), `tools.rs` (the tool
//! definitions), `schema.rs` (cached `fields_get`), `read.rs` (list_models,
//! describe, search, read), `write.rs` (create, update, delete),
//! `aggregate.rs`, `execute.rs`.

mod aggregate;
mod execute;
mod params;
mod read;
mod relations;
pub mod schema;
mod tools;
mod write;

pub use crate::vocab::OpName;
pub use tools::{ToolSpec, parameter_names, tool_specs};

use crate::config::{Resource, Settings};
use crate::domain::Domain;
use crate::policy::{self, Caller, Refusal};
use crate::upstream::{OdooApi, SearchQuery, UpstreamError};
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
        let names = parameter_names(name.as_str());
        let allowed: Vec<&str> = names.iter().map(String::as_str).collect();
        let p = Params::new(name.as_str(), raw, &allowed)?;
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
    pub fn caller(&self) -> Caller {
        Caller { read_only_scope: self.principal.read_only_scope(), home_company: self.principal.home_company }
    }

    pub fn resource(&self, model: &str) -> Result<&Resource, OpError> {
        Ok(policy::resource_for(self.resources, self.caller(), model)?)
    }

    pub async fn schema(&self, model: &str) -> Result<std::sync::Arc<schema::Schema>, OpError> {
        self.schemas.get(self.upstream, &self.principal.identity(), model).await
    }

    /// Checks a field path used to filter, order or group (`partner_id.country_id.code`):
    /// each hop must exist, be allowed by its model's field policy, and every
    /// related model on the way must be a resource the caller may read.
    pub async fn check_path(&self, resource: &Resource, path: &str, purpose: &str) -> Result<(), OpError> {
        let mut current = resource.clone();
        let parts: Vec<&str> = path.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let name = policy::base_field(part);
            policy::check_fields(&current, [name], purpose)?;
            if name == "id" && i + 1 == parts.len() {
                return Ok(());
            }
            let schema = self.schema(&current.model).await?;
            let field = schema.require(name)?;
            if i + 1 == parts.len() {
                return Ok(());
            }
            let Some(related) = &field.relation else {
                return Err(OpError::Invalid(format!(
                    "{path:?}: {name} of {} is not a relation, so it has no field {:?}",
                    current.model,
                    parts[i + 1]
                )));
            };
            let next = policy::resource_for(self.resources, self.caller(), related).map_err(|_| {
                OpError::Denied(format!(
                    "{path:?} goes through {related}, which is not available to you; filter on {name} by id instead"
                ))
            })?;
            policy::check_action(next, self.caller(), policy::Action::Read)?;
            current = next.clone();
        }
        Ok(())
    }

    /// Vets a caller's domain: every field path must pass the policy (hop by
    /// hop), `child_of` / `parent_of` may only name records the caller can
    /// read, and a dotted path through a model with a record filter is
    /// rewritten into nested `any` so that it cannot probe hidden records.
    /// Returns the domain to send (before the resource's own filter is added).
    pub async fn vet_domain(&self, resource: &Resource, domain: &Domain) -> Result<Domain, OpError> {
        let mut terms = Vec::with_capacity(domain.terms().len());
        for term in domain.terms() {
            let crate::domain::Term::Leaf(leaf) = term else {
                terms.push(term.to_json());
                continue;
            };
            self.check_path(resource, &leaf.path, "filter on").await?;
            let target = self.path_target(resource, &leaf.path).await?;
            if let Some(sub) = leaf.sub_domain() {
                let related = self.resource(&target)?.clone();
                let vetted = Box::pin(self.vet_domain(&related, &sub)).await?;
                let scoped = policy::scoped_domain(&related, &vetted);
                terms.push(serde_json::json!([leaf.path, leaf.operator.as_str(), scoped.to_json()]));
                continue;
            }
            if matches!(leaf.operator, crate::domain::Operator::ChildOf | crate::domain::Operator::ParentOf) {
                let ids = relations_ids(&leaf.value).ok_or_else(|| {
                    OpError::Invalid(format!("{} needs record ids of {target}, e.g. [5, 7]", leaf.operator.as_str()))
                })?;
                let related = self.resource(&target)?.clone();
                relations::require_readable(self, &related, &ids, &leaf.path).await?;
            }
            terms.push(self.guard_dotted(resource, leaf).await?);
        }
        Domain::from_json(&Value::Array(terms)).map_err(|e| OpError::Invalid(e.0))
    }

    /// The model a path's last relational hop points to (the resource's own
    /// model for plain fields and `id`).
    async fn path_target(&self, resource: &Resource, path: &str) -> Result<String, OpError> {
        let mut model = resource.model.clone();
        for part in path.split('.') {
            if part == "id" {
                break;
            }
            let schema = self.schema(&model).await?;
            match schema.require(part)?.relation.clone() {
                Some(related) => model = related,
                None => break,
            }
        }
        Ok(model)
    }

    /// `a.b.c op v` where a hop's model has a record filter becomes
    /// `a any [b any [c op v, filter(b)], filter(a)]`. Odoo 16 has no `any`:
    /// there each level is searched first, innermost out, as the caller, and
    /// the term becomes `a in [ids]` (same records; the id lists are what
    /// the caller may see anyway).
    async fn guard_dotted(&self, resource: &Resource, leaf: &crate::domain::Leaf) -> Result<Value, OpError> {
        let plain = serde_json::json!([leaf.path, leaf.operator.as_str(), leaf.value]);
        let parts: Vec<&str> = leaf.path.split('.').collect();
        if parts.len() < 2 {
            return Ok(plain);
        }
        // The model reached after each hop.
        let mut hops: Vec<Resource> = Vec::new();
        let mut model = resource.model.clone();
        for part in &parts[..parts.len() - 1] {
            let related = self.schema(&model).await?.require(part)?.relation.clone().unwrap_or_default();
            hops.push(self.resource(&related)?.clone());
            model = related;
        }
        if hops.iter().all(|r| r.record_filter.is_empty()) {
            return Ok(plain);
        }
        let last = parts[parts.len() - 1];
        let mut inner = Domain::from_json(&serde_json::json!([[last, leaf.operator.as_str(), leaf.value]]))
            .map_err(|e| OpError::Invalid(e.0))?;
        let has_any = self.upstream.has_any_operator().await.map_err(upstream_error)?;
        for (i, hop) in hops.iter().enumerate().rev() {
            let scoped = policy::scoped_domain(hop, &inner);
            let wrapped = if has_any {
                serde_json::json!([[parts[i], "any", scoped.to_json()]])
            } else {
                let query = SearchQuery { domain: scoped.to_json(), ..Default::default() };
                let ids = self
                    .upstream
                    .search(&self.principal.identity(), &hop.model, &query)
                    .await
                    .map_err(upstream_error)?;
                serde_json::json!([[parts[i], "in", ids]])
            };
            inner = Domain::from_json(&wrapped).map_err(|e| OpError::Invalid(e.0))?;
        }
        Ok(inner.to_json()[0].clone())
    }

    /// The domain sent to Odoo: the caller's AND the record filter.
    pub fn scoped(&self, resource: &Resource, domain: &Domain) -> Value {
        policy::scoped_domain(resource, domain).to_json()
    }

    /// The ids among `ids` that exist and pass the record filter, as the caller
    /// sees them. Archived records count: reading one by id works in Odoo.
    pub async fn visible_ids(&self, resource: &Resource, ids: &[i64]) -> Result<Vec<i64>, OpError> {
        let schema = self.schema(&resource.model).await?;
        let mut by_id = serde_json::json!([["id", "in", ids]]);
        if schema.field("active").is_some_and(|f| f.kind == "boolean") {
            // Naming `active` in the domain turns off Odoo's implicit active filter.
            by_id.as_array_mut().expect("a list").push(serde_json::json!(["active", "in", [true, false]]));
        }
        let by_id = Domain::from_json(&by_id).expect("valid domain");
        let query = crate::upstream::SearchQuery { domain: self.scoped(resource, &by_id), ..Default::default() };
        let found =
            self.upstream.search(&self.principal.identity(), &resource.model, &query).await.map_err(upstream_error)?;
        Ok(ids.iter().copied().filter(|id| found.contains(id)).collect())
    }
}

/// Record ids in a `child_of` / `parent_of` value.
fn relations_ids(value: &Value) -> Option<Vec<i64>> {
    match value {
        Value::Array(items) if !items.is_empty() => items.iter().map(|v| v.as_i64().filter(|id| *id > 0)).collect(),
        other => other.as_i64().filter(|id| *id > 0).map(|id| vec![id]),
    }
}
