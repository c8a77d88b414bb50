//! `name_search` through `alpenglow_execute`, served by the gateway: never
//! Odoo's own `name_search`, which would search outside the record filter,
//! ignore the caps and take an unvetted domain (a domain on a denied field
//! is a yes/no oracle). Here it is a search like `alpenglow_search`: the
//! caller's domain vetted, the record filter AND-ed in, the company applied
//! by Odoo, the limit capped, and the answer shaped as Odoo's,
//! `[[id, display_name], ...]`.
//!
//! The name is searched on `display_name` (Odoo 17+) when that is no oracle
//! (every field Odoo's name search looks at is allowed, a partner's email,
//! reference and tax id too, and the names it embeds are of records the
//! caller sees), otherwise on `name` alone. The names returned must be
//! readable too (`ops::names`).

use super::execute::dropped_note;
use super::{Run, upstream_error};
use crate::config::Resource;
use crate::domain::{Domain, Operator};
use crate::policy::{self, Action, names};
use crate::upstream::SearchQuery;
use crate::vocab::OpError;
use serde_json::{Map, Value, json};

/// Odoo's default.
const DEFAULT_LIMIT: u64 = 100;
/// The parameters in Odoo's order (`domain` is `args` before Odoo 17).
const PARAMS: [&str; 4] = ["name", "domain", "operator", "limit"];

fn invalid(message: String) -> OpError {
    OpError::Invalid(format!("alpenglow_execute name_search: {message}"))
}

/// The arguments bound to their names, as Python would bind them.
fn bind(args: &[Value], kwargs: &Map<String, Value>) -> Result<Map<String, Value>, OpError> {
    if args.len() > PARAMS.len() {
        return Err(invalid(format!("takes at most {} arguments: {}", PARAMS.len(), PARAMS.join(", "))));
    }
    let mut bound: Map<String, Value> = PARAMS.iter().map(|p| p.to_string()).zip(args.iter().cloned()).collect();
    for (key, value) in kwargs {
        let name = if key == "args" { "domain" } else { key.as_str() };
        if !PARAMS.contains(&name) {
            return Err(invalid(format!("unknown argument {key:?}; allowed: name, domain (or args), operator, limit")));
        }
        if bound.insert(name.to_string(), value.clone()).is_some() {
            return Err(invalid(format!("{name} is given twice")));
        }
    }
    Ok(bound)
}

pub(super) async fn run(
    run: &Run<'_>,
    resource: &Resource,
    args: &[Value],
    kwargs: &Map<String, Value>,
    dry_run: bool,
    dropped_context: Vec<String>,
) -> Result<Value, OpError> {
    policy::check_action(resource, run.caller(), Action::Read)?;
    let bound = bind(args, kwargs)?;
    let present = |k: &str| bound.get(k).filter(|v| !v.is_null() && **v != Value::Bool(false));
    let name = match present("name") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(invalid(format!("name must be a string, got {other}"))),
    };
    let operator = match present("operator") {
        None => Operator::Ilike,
        Some(Value::String(s)) => Operator::parse(s)
            .filter(|op| {
                matches!(
                    op,
                    Operator::Eq
                        | Operator::Ne
                        | Operator::Like
                        | Operator::Ilike
                        | Operator::NotLike
                        | Operator::NotIlike
                        | Operator::EqLike
                        | Operator::EqIlike
                )
            })
            .ok_or_else(|| {
                invalid(format!("operator {s:?} is not one of ilike, like, =ilike, =like, not ilike, not like, =, !="))
            })?,
        Some(other) => return Err(invalid(format!("operator must be a string, got {other}"))),
    };
    let requested = match present("limit") {
        None => DEFAULT_LIMIT,
        // Odoo reads 0 as no limit: `cap_limit` gives it the cap.
        Some(v) => v.as_u64().ok_or_else(|| invalid(format!("limit must be a whole number ≥ 0, got {v}")))?,
    };
    let domain = match present("domain") {
        None => Domain::empty(),
        Some(v) => Domain::from_json(v).map_err(|e| invalid(format!("domain: {e}")))?,
    };

    let schema = run.schema(&resource.model).await?;
    let shown: Vec<&str> = std::iter::once("display_name")
        .chain(names::name_fields(&resource.model).iter().copied().filter(|f| schema.field(f).is_some()))
        .collect();
    policy::check_fields(resource, shown.iter().copied(), "read").map_err(|_| {
        OpError::Denied(format!(
            "name_search on {} returns display names, which are made of fields you may not read ({})",
            resource.model,
            shown.join(", ")
        ))
    })?;
    let field = run.name_search_field(&resource.model).await?;
    let vetted = run.vet_domain(resource, &domain).await?;
    let by_name = if name.is_empty() {
        Domain::empty()
    } else {
        Domain::from_json(&json!([[field, operator.as_str(), name]])).map_err(|e| invalid(e.0))?
    };
    let (limit, capped) = policy::cap_limit(requested, run.settings);
    if dry_run {
        return Ok(json!({
            "dry_run": true,
            "operation": "execute",
            "result": null,
            "method": "name_search",
            "note": format!("the checks passed; the gateway would search {} by {field} within the records you may see, at most {limit}", resource.model)
        }));
    }
    let query = SearchQuery {
        domain: run.scoped(resource, &vetted.and(&by_name))?,
        fields: Some(vec!["display_name".into()]),
        limit: Some(limit),
        ..Default::default()
    };
    let rows =
        run.upstream.search_read(&run.principal.identity(), &resource.model, &query).await.map_err(upstream_error)?;
    let mut records: Vec<Value> = rows.into_iter().map(Value::Object).collect();
    // A name may embed a record the caller cannot see (a contact's company).
    run.redact_relations(resource, &mut records).await?;
    let pairs: Vec<Value> = records
        .iter()
        .filter_map(|r| Some(json!([r.get("id")?.as_i64()?, r.get("display_name").cloned().unwrap_or(Value::Null)])))
        .collect();
    let mut out = json!({"result": pairs});
    let mut notes = Vec::new();
    if capped {
        out["capped"] = json!(true);
        notes.push(format!("limit capped to {limit} by the server"));
    }
    notes.extend(dropped_note(&dropped_context));
    if !notes.is_empty() {
        out["note"] = json!(notes.join("; "));
    }
    Ok(out)
}
