//! The policy: pure decisions over (caller, resources, request). No I/O, no
//! HTTP, no sled: everything it needs is passed in, so it can be tested
//! exhaustively.
//!
//! What it decides: which resource governs a model for a caller (company
//! isolation), whether an action is allowed (Read-Only, the toggles, the
//! credential's scope, the execute allowlist), which fields may be used
//! (field policy, for reading, filtering, ordering, grouping and writing),
//! and how the record filter and the caps shape a query.

pub mod approval;
pub mod names;
pub mod scopes;

use crate::config::never;
use crate::config::{Resource, Settings};
use crate::domain::Domain;

/// Why a request is refused. `NotFound` is used wherever saying "denied"
/// would reveal that something exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotFound(String),
    Denied(String),
    Invalid(String),
}

/// The caller as the policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// A read-only credential: only list_models, describe, search, read, aggregate.
    pub read_only_scope: bool,
    /// The company whose resources apply; None sees only all-company resources.
    pub home_company: Option<i64>,
}

/// What a caller wants to do with a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    Read,
    Create,
    Write,
    Delete,
    Execute(&'a str),
}

impl Action<'_> {
    fn verb(&self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Write => "update",
            Action::Delete => "delete",
            Action::Execute(_) => "execute methods on",
        }
    }
}

/// The resources this caller may see: its company's and the all-company ones;
/// for a model registered both ways, the company's wins.
pub fn visible_resources(resources: &[Resource], caller: Caller) -> Vec<&Resource> {
    let mut out: Vec<&Resource> = Vec::new();
    for r in resources {
        let mine = match r.company_id {
            None => true,
            Some(c) => caller.home_company == Some(i64::from(c)),
        };
        if !mine {
            continue;
        }
        match out.iter().position(|o| o.model == r.model) {
            Some(i) if out[i].company_id.is_none() && r.company_id.is_some() => out[i] = r,
            Some(_) => {}
            None => out.push(r),
        }
    }
    out.sort_by(|a, b| a.model.cmp(&b.model));
    out
}

/// The resource governing `model` for this caller. A model without one is
/// invisible: the refusal says it is not available, nothing more.
pub fn resource_for<'r>(resources: &'r [Resource], caller: Caller, model: &str) -> Result<&'r Resource, Refusal> {
    if let Some(why) = never::model_reason(model) {
        return Err(Refusal::Denied(format!("model {model:?} is never exposed: {why}")));
    }
    let resource = visible_resources(resources, caller).into_iter().find(|r| r.model == model).ok_or_else(|| {
        Refusal::NotFound(format!(
            "model {model:?} is not available; call alpenglow_list_models to see the models you may use"
        ))
    })?;
    record_filter(resource)?;
    Ok(resource)
}

/// The resource's record filter; a stored one that does not parse refuses
/// (the resource fails closed). The refusal names the resource, never the
/// filter's text.
pub fn record_filter(resource: &Resource) -> Result<Domain, Refusal> {
    resource.record_filter_domain().map_err(|_| {
        Refusal::Denied(format!(
            "{} cannot be used: the record filter of its resource (id {}) does not parse, so it refuses every request until an admin fixes it (alpenglow doctor names it)",
            resource.model, resource.id
        ))
    })
}

/// Whether `action` is allowed on `resource` for `caller`.
pub fn check_action(resource: &Resource, caller: Caller, action: Action<'_>) -> Result<(), Refusal> {
    let model = &resource.model;
    if caller.read_only_scope && action != Action::Read {
        return Err(Refusal::Denied(format!(
            "your credential is read-only: you may not {} {model}; only list_models, describe, search, read and aggregate are allowed",
            action.verb()
        )));
    }
    if action != Action::Read
        && let Some(why) = never::read_only_reason(model)
    {
        return Err(Refusal::Denied(format!("{model} is exposed read-only: {why}")));
    }
    let ops = resource.effective_operations();
    let allowed = match action {
        Action::Read => ops.read,
        Action::Create => ops.create,
        Action::Write => ops.write,
        Action::Delete => ops.delete,
        Action::Execute(method) => {
            if let Some(why) = never::method_reason(method) {
                return Err(Refusal::Denied(format!("method {method:?} can never be called: {why}")));
            }
            if !ops.write {
                return Err(Refusal::Denied(format!(
                    "executing methods on {model} needs write access, which this resource does not grant"
                )));
            }
            if !resource.execute_methods.iter().any(|m| m == method) {
                let allowed = if resource.execute_methods.is_empty() {
                    "none".to_string()
                } else {
                    resource.execute_methods.join(", ")
                };
                return Err(Refusal::Denied(format!(
                    "method {method:?} is not allowed on {model}; allowed methods: {allowed}"
                )));
            }
            true
        }
    };
    if allowed {
        Ok(())
    } else {
        let why = if resource.read_only { " (the resource is read-only)" } else { "" };
        Err(Refusal::Denied(format!("you may not {} {model} records{why}", action.verb())))
    }
}

/// The first segment of a field path (`partner_id.name` -> `partner_id`),
/// and an optional `:granularity` or `:agg` suffix removed.
pub fn base_field(spec: &str) -> &str {
    let without_suffix = spec.split(':').next().unwrap_or(spec);
    without_suffix.split('.').next().unwrap_or(without_suffix).trim()
}

/// Refuses the first field that the resource's field policy denies.
/// `purpose` says where it was used ("return", "filter on", "group by", ...).
pub fn check_fields<'f>(
    resource: &Resource,
    fields: impl IntoIterator<Item = &'f str>,
    purpose: &str,
) -> Result<(), Refusal> {
    for field in fields {
        let name = base_field(field);
        if never::is_secret_field(name) {
            return Err(Refusal::Denied(format!(
                "field {name:?} is never exposed: it looks like a credential (passwords, keys, tokens, secrets)"
            )));
        }
        if let Some(why) = never::model_field_reason(&resource.model, name) {
            return Err(Refusal::Denied(format!("field {name:?} of {} is never exposed: {why}", resource.model)));
        }
        if purpose == "write"
            && let Some(why) = never::write_reason(&resource.model, name)
        {
            return Err(Refusal::Denied(format!("field {name:?} of {} is never written: {why}", resource.model)));
        }
        if !resource.field_policy.allows(name) {
            return Err(Refusal::Denied(format!(
                "field {name:?} of {} is not accessible: you may not {purpose} it",
                resource.model
            )));
        }
    }
    Ok(())
}

/// The fields returned when a caller names none: every field of the model the
/// policy allows, in the model's order.
pub fn default_fields<'f>(resource: &Resource, model_fields: impl IntoIterator<Item = &'f str>) -> Vec<String> {
    model_fields.into_iter().filter(|f| resource.allows_field(f)).map(str::to_string).collect()
}

/// The fields named in an `order` clause (`name desc, id`), validated for shape.
pub fn order_fields(order: &str) -> Result<Vec<String>, Refusal> {
    let mut out = Vec::new();
    for part in order.split(',') {
        let words: Vec<&str> = part.split_whitespace().collect();
        let valid_direction =
            |w: &str| matches!(w.to_ascii_lowercase().as_str(), "asc" | "desc" | "nulls" | "first" | "last");
        match words.as_slice() {
            [field, rest @ ..] if crate::domain::is_valid_path(field) && rest.iter().all(|w| valid_direction(w)) => {
                out.push(field.to_string())
            }
            _ => {
                return Err(Refusal::Invalid(format!(
                    "order {order:?} is not valid: use field names with optional asc/desc, e.g. \"name asc, id desc\""
                )));
            }
        }
    }
    Ok(out)
}

/// The caller's domain AND the resource's record filter.
pub fn scoped_domain(resource: &Resource, requested: &Domain) -> Result<Domain, Refusal> {
    Ok(requested.and(&record_filter(resource)?))
}

/// A search limit after the caps: `(limit, capped)`. Odoo reads a limit of
/// 0 as "no limit", so 0 gets the cap too: Odoo is never sent 0.
pub fn cap_limit(requested: u64, settings: &Settings) -> (u64, bool) {
    let cap = u64::from(settings.max_search_limit.min(settings.max_records_per_request));
    if requested == 0 || requested > cap { (cap, true) } else { (requested, false) }
}

/// The most groups (group_by, pivot, trend) one answer may hold: Max Records
/// per Request, as for records.
pub fn group_cap(settings: &Settings) -> usize {
    settings.max_records_per_request as usize
}

/// Refuses a request naming more ids than Max Records per Request.
pub fn check_id_count(ids: &[i64], settings: &Settings) -> Result<(), Refusal> {
    let cap = settings.max_records_per_request as usize;
    if ids.len() > cap {
        return Err(Refusal::Invalid(format!(
            "{} ids given; at most {cap} per request (Max Records per Request)",
            ids.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
