//! Vetting what a caller names in a domain, an order or a group-by: every
//! field path hop by hop against the field policy and the related models'
//! resources, and the rewriting that keeps a path through a model with a
//! record filter from probing its hidden records.

use super::{Run, relations, upstream_error};
use crate::config::Resource;
use crate::domain::Domain;
use crate::gateway::OpError;
use crate::policy::{self, Refusal};
use crate::upstream::SearchQuery;
use serde_json::Value;

impl Run<'_> {
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
            let next = policy::resource_for(self.resources, self.caller(), related).map_err(|e| match e {
                Refusal::NotFound(_) => OpError::Denied(format!(
                    "{path:?} goes through {related}, which is not available to you; filter on {name} by id instead"
                )),
                other => other.into(),
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
            if leaf.path.rsplit('.').next() == Some("display_name") {
                self.check_name_search(&target).await?;
            }
            if let Some(sub) = leaf.sub_domain() {
                // The sub-domain is scoped by its own model's filter, and the
                // hops before it like any dotted path: `order_id.user_id any
                // [...]` must not see through a hidden order.
                let related = self.resource(&target)?.clone();
                let vetted = Box::pin(self.vet_domain(&related, &sub)).await?;
                let scoped = policy::scoped_domain(&related, &vetted)?;
                terms.push(self.guard_path(resource, &leaf.path, leaf.operator.as_str(), scoped.to_json()).await?);
                continue;
            }
            if matches!(leaf.operator, crate::domain::Operator::ChildOf | crate::domain::Operator::ParentOf) {
                let ids = relations_ids(&leaf.value).ok_or_else(|| {
                    OpError::Invalid(format!("{} needs record ids of {target}, e.g. [5, 7]", leaf.operator.as_str()))
                })?;
                let related = self.resource(&target)?.clone();
                relations::require_readable(self, &related, &ids, &leaf.path).await?;
            }
            terms.push(self.guard_path(resource, &leaf.path, leaf.operator.as_str(), leaf.value.clone()).await?);
        }
        Domain::from_json(&Value::Array(terms)).map_err(|e| OpError::Invalid(e.0))
    }

    /// Searching `display_name` searches every field Odoo's name search looks
    /// at (a partner's email, reference and tax id too): each must be one the
    /// caller may filter on, or the search is an oracle on a denied field.
    pub async fn check_name_search(&self, model: &str) -> Result<(), OpError> {
        let owner = self.resource(model)?;
        let schema = self.schema(model).await?;
        let searched = policy::names::name_search_fields(model).iter().copied().filter(|f| schema.field(f).is_some());
        policy::check_fields(owner, searched, "filter on").map_err(|e| {
            let why = match e {
                Refusal::Denied(m) | Refusal::NotFound(m) | Refusal::Invalid(m) => m,
            };
            OpError::Denied(format!(
                "a search by display_name of {model} also searches fields you may not filter on ({why}); filter on name instead"
            ))
        })
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
    /// `any` / `not any` on a dotted path is guarded the same way, its
    /// sub-domain already scoped by the last model's filter.
    async fn guard_path(
        &self,
        resource: &Resource,
        path: &str,
        operator: &str,
        value: Value,
    ) -> Result<Value, OpError> {
        let plain = serde_json::json!([path, operator, value]);
        let parts: Vec<&str> = path.split('.').collect();
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
        let mut inner =
            Domain::from_json(&serde_json::json!([[last, operator, value]])).map_err(|e| OpError::Invalid(e.0))?;
        let has_any = self.upstream.has_any_operator().await.map_err(upstream_error)?;
        for (i, hop) in hops.iter().enumerate().rev() {
            let scoped = policy::scoped_domain(hop, &inner)?;
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
}

/// Record ids in a `child_of` / `parent_of` value.
fn relations_ids(value: &Value) -> Option<Vec<i64>> {
    match value {
        Value::Array(items) if !items.is_empty() => items.iter().map(|v| v.as_i64().filter(|id| *id > 0)).collect(),
        other => other.as_i64().filter(|id| *id > 0).map(|id| vec![id]),
    }
}
