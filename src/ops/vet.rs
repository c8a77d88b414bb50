//! Vetting what a caller names in a domain, an order or a group-by: every
//! field path hop by hop against the field policy and the related models'
//! resources, and the rewriting that keeps a path through a model with a
//! record filter from probing its hidden records.

use super::names::Related;
use super::{Run, relations, upstream_error};
use crate::config::Resource;
use crate::domain::{Domain, Operator};
use crate::policy::{self, Refusal};
use crate::upstream::SearchQuery;
use crate::vocab::OpError;
use serde_json::{Value, json};

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

    /// Checks a path to order or group by: each hop as [`Run::check_path`],
    /// and no hop through a model with a record filter, since neither an
    /// order nor a grouping can be scoped by it (grouping orders by their
    /// partner's country counts hidden partners' countries). Ordering by a
    /// relation sorts by the related records' names, so those must be
    /// names the caller may see in full: a readable model without a filter
    /// whose name fields are allowed. A grouping by a relation shows only
    /// ids and the names the caller may see (`ops::names`).
    pub async fn check_sort_path(&self, resource: &Resource, path: &str, purpose: &str) -> Result<(), OpError> {
        self.check_path(resource, path, purpose).await?;
        let parts: Vec<&str> = path.split('.').collect();
        let mut model = resource.model.clone();
        for (i, part) in parts.iter().enumerate() {
            let schema = self.schema(&model).await?;
            let Some(related) = schema.field(part).and_then(|f| f.relation.clone()) else { break };
            let last = i + 1 == parts.len();
            if last && purpose != "order by" {
                break;
            }
            let hidden = match self.related(&related) {
                Related::Readable(r) => !r.record_filter.is_empty(),
                _ => true,
            };
            if hidden {
                return Err(OpError::Denied(if last {
                    format!(
                        "ordering by {path:?} sorts by the names of {related} records, some of which you may not see; order by another field"
                    )
                } else {
                    format!(
                        "{path:?} goes through {related}, whose records you may not all see (a record filter), so you may not {purpose} it; {purpose} a field of {} instead",
                        resource.model
                    )
                }));
            }
            if last {
                let names = policy::names::name_fields(&related);
                let owner = self.resource(&related)?;
                let related_schema = self.schema(&related).await?;
                let present = names.iter().copied().filter(|f| related_schema.field(f).is_some());
                policy::check_fields(owner, present, "order by")?;
            }
            model = related;
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
            if let Some(last) = leaf.path.rsplit('.').next()
                && policy::names::composed_name_fields(&target).contains(&last)
            {
                self.check_name_search(&target, last).await?;
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
            if matches!(leaf.operator, Operator::ChildOf | Operator::ParentOf) {
                let ids = relations_ids(&leaf.value).ok_or_else(|| {
                    OpError::Invalid(format!("{} needs record ids of {target}, e.g. [5, 7]", leaf.operator.as_str()))
                })?;
                let related = self.resource(&target)?.clone();
                relations::require_readable(self, &related, &ids, &leaf.path).await?;
                terms.push(self.guard_path(resource, &leaf.path, leaf.operator.as_str(), leaf.value.clone()).await?);
                continue;
            }
            let (operator, value) = match self.path_relation(resource, &leaf.path).await? {
                Some(related) => self.relational_term(&leaf.path, &related, leaf.operator, &leaf.value).await?,
                None => (leaf.operator.as_str().to_string(), leaf.value.clone()),
            };
            terms.push(self.guard_path(resource, &leaf.path, &operator, value).await?);
        }
        Domain::from_json(&Value::Array(terms)).map_err(|e| OpError::Invalid(e.0))
    }

    /// A comparison on a relation, made to respect the related model's
    /// record filter as Odoo respects its record rules: ids of hidden
    /// records match nothing (as missing ids do), and a name is searched
    /// only among the records the caller may see (Odoo would search the
    /// related model by name as the user, outside the filter). Returns the
    /// operator and value to send.
    async fn relational_term(
        &self,
        path: &str,
        related: &str,
        operator: Operator,
        value: &Value,
    ) -> Result<(String, Value), OpError> {
        let unchanged = Ok((operator.as_str().to_string(), value.clone()));
        let ids: Option<Vec<i64>> = match value {
            Value::Number(n) => n.as_i64().map(|id| vec![id]),
            Value::Array(items) if items.iter().all(Value::is_i64) => {
                Some(items.iter().filter_map(Value::as_i64).collect())
            }
            _ => None,
        };
        if let Some(ids) = ids {
            if !matches!(operator, Operator::Eq | Operator::Ne | Operator::In | Operator::NotIn) {
                return unchanged;
            }
            let kept: Vec<i64> = match self.related(related) {
                Related::Readable(r) if !r.record_filter.is_empty() => self.visible_ids(r, &ids).await?,
                Related::Closed => Vec::new(),
                _ => return unchanged,
            };
            if kept.len() == ids.len() {
                return unchanged;
            }
            let listed = if matches!(operator, Operator::Eq | Operator::In) { "in" } else { "not in" };
            return Ok((listed.to_string(), json!(kept)));
        }
        let by_name = match value {
            Value::String(name) => name,
            Value::Array(items) if items.iter().any(Value::is_string) => {
                return Err(OpError::Invalid(format!(
                    "{path}: compare it with record ids of {related} (a list of names is not supported); find the ids with alpenglow_search"
                )));
            }
            _ => return unchanged,
        };
        // A name compared to a relation is a name search on the related model.
        let resource = match self.related(related) {
            Related::Readable(r) => r,
            _ => {
                return Err(OpError::Denied(format!(
                    "{path} compares {related} records by name, which you may not read; filter on {path} by record id instead"
                )));
            }
        };
        let field = self.name_search_field(related).await?;
        // Odoo's own name search, within its rules, is what it would run.
        if field == "display_name" && resource.record_filter.is_empty() {
            return unchanged;
        }
        let negative = matches!(operator, Operator::Ne | Operator::NotLike | Operator::NotIlike | Operator::NotIn);
        let positive = match operator {
            Operator::Ne | Operator::NotIn => Operator::Eq,
            Operator::NotLike => Operator::Like,
            Operator::NotIlike => Operator::Ilike,
            other => other,
        };
        let named =
            Domain::from_json(&json!([[field, positive.as_str(), by_name]])).map_err(|e| OpError::Invalid(e.0))?;
        let sub = policy::scoped_domain(resource, &named)?;
        if self.upstream.has_any_operator().await.map_err(upstream_error)? {
            return Ok((if negative { "not any" } else { "any" }.to_string(), sub.to_json()));
        }
        // Odoo 16 has no `any`: the matching ids, searched as the caller.
        let query = SearchQuery { domain: sub.to_json(), ..Default::default() };
        let ids = self.upstream.search(&self.principal.identity(), related, &query).await.map_err(upstream_error)?;
        Ok((if negative { "not in" } else { "in" }.to_string(), json!(ids)))
    }

    /// Why searching `model` by its composed name (`display_name`, a
    /// partner's `complete_name`) would be an oracle, if it would: Odoo's
    /// name search also looks at other fields (a partner's email, reference,
    /// tax id), each of which must be one the caller may filter on, and a
    /// composed name embeds related records' names (a contact's company),
    /// which a record filter on their model may hide.
    pub async fn name_search_risk(&self, model: &str) -> Result<Option<String>, OpError> {
        let owner = self.resource(model)?;
        let schema = self.schema(model).await?;
        let searched = policy::names::name_search_fields(model).iter().copied().filter(|f| schema.field(f).is_some());
        if let Err(Refusal::Denied(why) | Refusal::NotFound(why) | Refusal::Invalid(why)) =
            policy::check_fields(owner, searched, "filter on")
        {
            return Ok(Some(format!("it also searches fields you may not filter on ({why})")));
        }
        for name in policy::names::name_fields(model) {
            let Some(related) = schema.field(name).filter(|f| f.kind == "many2one").and_then(|f| f.relation.clone())
            else {
                continue;
            };
            let hidden = match self.related(&related) {
                Related::Readable(r) => !r.record_filter.is_empty(),
                _ => true,
            };
            if hidden {
                return Ok(Some(format!("it embeds the name of {name}, which may be a record you cannot see")));
            }
        }
        Ok(None)
    }

    /// A domain term on a composed name is allowed only when searching it
    /// is not an oracle ([`Run::name_search_risk`]).
    async fn check_name_search(&self, model: &str, field: &str) -> Result<(), OpError> {
        match self.name_search_risk(model).await? {
            None => Ok(()),
            Some(why) => Err(OpError::Denied(format!(
                "a search by {field} of {model} is not allowed here: {why}; filter on name instead"
            ))),
        }
    }

    /// The field a name given by the caller is searched on in `model`:
    /// `display_name` (as Odoo's name search does) on Odoo 17+ when that is
    /// safe, otherwise `name`.
    pub async fn name_search_field(&self, model: &str) -> Result<&'static str, OpError> {
        let has_display_search = self.upstream.has_any_operator().await.map_err(upstream_error)?;
        if has_display_search && self.name_search_risk(model).await?.is_none() {
            return Ok("display_name");
        }
        let owner = self.resource(model)?;
        let schema = self.schema(model).await?;
        if schema.field("name").is_some() && policy::check_fields(owner, ["name"], "filter on").is_ok() {
            return Ok("name");
        }
        Err(OpError::Denied(format!(
            "{model} cannot be searched by name here: its name search would look at fields or records you may not see; filter on its fields or ids instead"
        )))
    }

    /// The model a path's last field relates to, if that field is a relation.
    pub(super) async fn path_relation(&self, resource: &Resource, path: &str) -> Result<Option<String>, OpError> {
        let mut model = resource.model.clone();
        let parts: Vec<&str> = path.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let schema = self.schema(&model).await?;
            let Some(related) = schema.field(part).and_then(|f| f.relation.clone()) else { return Ok(None) };
            if i + 1 == parts.len() {
                return Ok(Some(related));
            }
            model = related;
        }
        Ok(None)
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
