//! `alpenglow_execute`: a method the admin put on the resource's allowlist,
//! with positional `args` and keyword `kwargs`.
//!
//! The method name is vetted by the policy (allowlist, write access, never a
//! name starting with `_`, never a method that reads, searches or writes by
//! another road: `config::never::METHODS`). Then, by the method's kind:
//! - `name_search` is not sent to Odoo: the gateway serves it as a
//!   policy-checked search (`name_search.rs`);
//! - a record-scoped call (ids as the first argument, or `ids` in kwargs)
//!   runs only when every id is readable under the resource's record filter
//!   and company; otherwise it is refused exactly as a missing id is;
//! - the caller's `context` is cut down to `lang`, `tz` and
//!   `allowed_company_ids` narrowed to the caller's companies; anything
//!   else is dropped, and the result's note says so.

use super::params::Params;
use super::{Run, upstream_error};
use crate::policy::{self, Action};
use crate::vocab::OpError;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone)]
pub struct Execute {
    pub model: String,
    pub method: String,
    pub args: Vec<Value>,
    pub kwargs: Map<String, Value>,
    pub dry_run: bool,
}

/// Context keys that reach Odoo: they change how values are shown, not
/// which records or rights apply.
const SAFE_CONTEXT: [&str; 2] = ["lang", "tz"];

impl Execute {
    pub(super) fn parse(p: &Params<'_>, model: String) -> Result<Execute, OpError> {
        let method = p.require_string("method")?;
        if !method.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(OpError::Invalid(format!("alpenglow_execute: {method:?} is not a method name")));
        }
        Ok(Execute {
            model,
            method,
            args: p.list("args")?.unwrap_or_default(),
            kwargs: p.object("kwargs")?.unwrap_or_default(),
            dry_run: p.flag("dry_run")?,
        })
    }

    pub(super) async fn run(&self, run: &Run<'_>) -> Result<Value, OpError> {
        let resource = run.resource(&self.model)?;
        policy::check_action(resource, run.caller(), Action::Execute(&self.method))?;
        let mut kwargs = self.kwargs.clone();
        let (context, dropped) = safe_context(kwargs.remove("context"), &run.principal.company_ids)?;
        if self.method == crate::config::never::NAME_SEARCH {
            return super::name_search::run(run, resource, &self.args, &kwargs, self.dry_run, dropped).await;
        }
        let mut args = self.args.clone();
        let ids = record_ids(&mut args, &mut kwargs)?;
        if let Some(ids) = &ids {
            // Ids outside the filter (or another company's) read exactly as missing ones.
            super::write::require_visible(run, resource, ids).await?;
        }
        if self.dry_run {
            return Ok(json!({
                "dry_run": true,
                "operation": "execute",
                "result": null,
                "method": self.method,
                "note": "the checks passed (authentication, scope, allowlist, the records it runs on); an arbitrary method's effects cannot be foreseen, so nothing else was checked and nothing was called"
            }));
        }
        let mut who = run.principal.identity();
        if let Some(companies) = context.companies {
            who.company_ids = companies;
        }
        if !context.keys.is_empty() {
            kwargs.insert("context".into(), Value::Object(context.keys));
        }
        let result = run
            .upstream
            .call_method(&who, &self.model, &self.method, ids.as_deref(), args, kwargs)
            .await
            .map_err(upstream_error)?;
        let mut out = json!({"result": result});
        if let Some(note) = dropped_note(&dropped) {
            out["note"] = json!(note);
        }
        Ok(out)
    }
}

/// The context that may reach Odoo.
pub(super) struct SafeContext {
    /// `lang` and `tz`, when given as strings.
    keys: Map<String, Value>,
    /// `allowed_company_ids` narrowed to the caller's companies, if asked.
    companies: Option<Vec<i64>>,
}

/// Splits the caller's `context` into what may reach Odoo and the names of
/// what is dropped. `allowed_company_ids` may only narrow the caller's own
/// companies; asking for none of them drops it.
pub(super) fn safe_context(
    context: Option<Value>,
    own_companies: &[i64],
) -> Result<(SafeContext, Vec<String>), OpError> {
    let mut safe = SafeContext { keys: Map::new(), companies: None };
    let mut dropped = Vec::new();
    let map = match context {
        None | Some(Value::Null) => return Ok((safe, dropped)),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(OpError::Invalid("alpenglow_execute: kwargs.context must be an object".into())),
    };
    for (key, value) in map {
        match key.as_str() {
            k if SAFE_CONTEXT.contains(&k) && value.is_string() => {
                safe.keys.insert(key, value);
            }
            "allowed_company_ids" => {
                let asked: Vec<i64> =
                    value.as_array().map(|a| a.iter().filter_map(Value::as_i64).collect()).unwrap_or_default();
                let narrowed: Vec<i64> = asked.into_iter().filter(|c| own_companies.contains(c)).collect();
                if narrowed.is_empty() {
                    dropped.push(key);
                } else {
                    safe.companies = Some(narrowed);
                }
            }
            _ => dropped.push(key),
        }
    }
    Ok((safe, dropped))
}

pub(super) fn dropped_note(dropped: &[String]) -> Option<String> {
    (!dropped.is_empty()).then(|| {
        format!(
            "context keys dropped: {} (only lang, tz and allowed_company_ids within your companies reach Odoo)",
            dropped.join(", ")
        )
    })
}

/// One record id as the ORM would take it: a positive integer, an integral
/// float, or a string of digits (Odoo passes ids to SQL, which casts it).
fn id_like(value: &Value) -> Option<Result<i64, ()>> {
    match value {
        Value::Number(n) => Some(match (n.as_i64(), n.as_f64()) {
            (Some(id), _) if id > 0 => Ok(id),
            (None, Some(f)) if f.fract() == 0.0 && f >= 1.0 && f <= i64::MAX as f64 => Ok(f as i64),
            _ => Err(()),
        }),
        Value::String(s) if !s.trim().is_empty() && s.trim().chars().all(|c| c.is_ascii_digit() || c == '-') => {
            Some(s.trim().parse::<i64>().ok().filter(|id| *id > 0).ok_or(()))
        }
        _ => None,
    }
}

/// The records a call runs on, taken out of `args` / `kwargs`: `ids` in
/// kwargs, or a first argument that looks like ids (an id, or a list with
/// any id in it). Whether a method is record-scoped cannot be read from
/// Odoo, so anything that Odoo could take as ids is treated as ids.
fn record_ids(args: &mut Vec<Value>, kwargs: &mut Map<String, Value>) -> Result<Option<Vec<i64>>, OpError> {
    let bad = |what: &str| {
        OpError::Invalid(format!(
            "alpenglow_execute: {what} looks like record ids, so every entry must be a positive integer id"
        ))
    };
    let parse = |value: &Value, what: &str| -> Result<Option<Vec<i64>>, OpError> {
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        if !items.iter().any(|v| id_like(v).is_some()) {
            return Ok(None);
        }
        let mut ids = Vec::with_capacity(items.len());
        let mut seen = std::collections::HashSet::with_capacity(items.len());
        for item in items {
            match id_like(item) {
                Some(Ok(id)) => {
                    if seen.insert(id) {
                        ids.push(id)
                    }
                }
                _ => return Err(bad(what)),
            }
        }
        Ok(Some(ids))
    };
    let mut ids: Option<Vec<i64>> = None;
    if let Some(value) = kwargs.remove("ids") {
        ids = Some(parse(&value, "kwargs.ids")?.unwrap_or_default());
    }
    if let Some(first) = args.first()
        && let Some(found) = parse(first, "the first argument")?
    {
        if ids.is_some() {
            return Err(OpError::Invalid(
                "alpenglow_execute: give the records either as the first argument or as kwargs.ids, not both".into(),
            ));
        }
        args.remove(0);
        ids = Some(found);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(args: Value, kwargs: Value) -> Result<Option<Vec<i64>>, OpError> {
        let mut args: Vec<Value> = serde_json::from_value(args).unwrap();
        let mut kwargs: Map<String, Value> = serde_json::from_value(kwargs).unwrap();
        record_ids(&mut args, &mut kwargs)
    }

    #[test]
    fn anything_odoo_could_take_as_ids_is_checked_as_ids() {
        assert_eq!(ids(json!([[5, 7]]), json!({})).unwrap(), Some(vec![5, 7]));
        assert_eq!(ids(json!([5]), json!({})).unwrap(), Some(vec![5]));
        assert_eq!(ids(json!([["5", 7.0]]), json!({})).unwrap(), Some(vec![5, 7]));
        assert_eq!(ids(json!([]), json!({"ids": [3]})).unwrap(), Some(vec![3]));
        assert_eq!(ids(json!(["Azure", "", "ilike"]), json!({})).unwrap(), None);
        assert_eq!(ids(json!([{"a": 1}]), json!({})).unwrap(), None);
        for bad in [json!([[5, "x"]]), json!([[5, 0]]), json!([-3]), json!([[2.5]])] {
            assert!(ids(bad.clone(), json!({})).is_err(), "{bad}");
        }
        assert!(ids(json!([[5]]), json!({"ids": [6]})).is_err());
    }

    #[test]
    fn only_lang_tz_and_own_companies_reach_odoo() {
        let context = json!({"lang": "fr_FR", "tz": "Europe/Paris", "active_test": false,
            "allowed_company_ids": [2, 3], "uid": 1, "bin_size": false});
        let (safe, dropped) = safe_context(Some(context), &[1, 2]).unwrap();
        assert_eq!(Value::Object(safe.keys), json!({"lang": "fr_FR", "tz": "Europe/Paris"}));
        assert_eq!(safe.companies, Some(vec![2]));
        assert_eq!(dropped, ["active_test", "uid", "bin_size"]);
        let (safe, dropped) = safe_context(Some(json!({"allowed_company_ids": [9]})), &[1]).unwrap();
        assert_eq!(safe.companies, None);
        assert_eq!(dropped, ["allowed_company_ids"]);
        assert!(safe_context(Some(json!("x")), &[1]).is_err());
    }
}
