//! The ORM methods callable over RPC: their signatures (to bind positional
//! and keyword arguments as Python would, with Odoo's errors for unknown or
//! missing ones), the access check each needs, and their implementations.

use super::OdooVersion;
use super::access::{Env, Op, allowed, check_model, rule_allows, rule_error};
use super::dataset::{Credential, FieldType, ModelDef, Schema, Store};
use super::error::{Kind, OdooError, OdooResult, access, type_error, value_error};
use super::eval::{parse_domain, search};
use super::group::{formatted_read_group, read_group};
use super::records::{Ctx, default_spec, display_name, parse_order, raw, read_rows, render};
use super::unlink::unlink;
use super::write::{check_ids, create, write};
use crate::domain::{Domain, Operator};
use serde_json::{Map, Value, json};

/// Which protocol carries the call: it decides a few error classes and
/// whether `create` with one dict answers an id or a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Json2,
    Rpc,
}

/// One method call on a model, as the protocols decode it.
#[derive(Debug, Clone)]
pub struct Call {
    pub model: String,
    pub method: String,
    /// JSON-2's `ids`; for RPC the ids are the first positional argument.
    pub ids: Option<Value>,
    pub positional: Vec<Value>,
    pub kwargs: Map<String, Value>,
    pub context: Map<String, Value>,
    pub proto: Proto,
}

struct Sig {
    name: &'static str,
    record: bool,
    params: &'static [(&'static str, bool)],
    op: Option<Op>,
}

const SIGS: &[Sig] = &[
    Sig {
        name: "search",
        record: false,
        params: &[("domain", true), ("offset", false), ("limit", false), ("order", false)],
        op: Some(Op::Read),
    },
    Sig {
        name: "search_read",
        record: false,
        params: &[("domain", false), ("fields", false), ("offset", false), ("limit", false), ("order", false)],
        op: Some(Op::Read),
    },
    Sig { name: "search_count", record: false, params: &[("domain", true), ("limit", false)], op: Some(Op::Read) },
    Sig { name: "read", record: true, params: &[("fields", false), ("load", false)], op: Some(Op::Read) },
    Sig { name: "create", record: false, params: &[("vals_list", true)], op: Some(Op::Create) },
    Sig { name: "write", record: true, params: &[("vals", true)], op: Some(Op::Write) },
    Sig { name: "unlink", record: true, params: &[], op: Some(Op::Unlink) },
    Sig { name: "fields_get", record: false, params: &[("allfields", false), ("attributes", false)], op: None },
    Sig {
        name: "name_search",
        record: false,
        params: &[("name", false), ("domain", false), ("operator", false), ("limit", false)],
        op: Some(Op::Read),
    },
    Sig {
        name: "read_group",
        record: false,
        params: &[
            ("domain", true),
            ("fields", true),
            ("groupby", true),
            ("offset", false),
            ("limit", false),
            ("orderby", false),
            ("lazy", false),
        ],
        op: Some(Op::Read),
    },
    Sig {
        name: "formatted_read_group",
        record: false,
        params: &[
            ("domain", false),
            ("groupby", false),
            ("aggregates", false),
            ("having", false),
            ("offset", false),
            ("limit", false),
            ("order", false),
        ],
        op: Some(Op::Read),
    },
    Sig {
        name: "web_search_read",
        record: false,
        params: &[
            ("domain", true),
            ("specification", true),
            ("offset", false),
            ("limit", false),
            ("order", false),
            ("count_limit", false),
        ],
        op: Some(Op::Read),
    },
    Sig { name: "web_read", record: true, params: &[("specification", true)], op: Some(Op::Read) },
    Sig {
        name: "check_access_rights",
        record: false,
        params: &[("operation", true), ("raise_exception", false)],
        op: None,
    },
    Sig { name: "has_access", record: true, params: &[("operation", true)], op: None },
    Sig { name: "context_get", record: false, params: &[], op: None },
    Sig { name: "action_confirm", record: true, params: &[], op: Some(Op::Write) },
    Sig { name: "action_cancel", record: true, params: &[], op: Some(Op::Write) },
];

/// Odoo 16's `web_search_read(domain=None, fields=None, offset=0,
/// limit=None, order=None, count_limit=None)`: `fields` where 17 has a
/// specification, search_read's record shapes.
const WEB_SEARCH_READ_16: Sig = Sig {
    name: "web_search_read",
    record: false,
    params: &[
        ("domain", false),
        ("fields", false),
        ("offset", false),
        ("limit", false),
        ("order", false),
        ("count_limit", false),
    ],
    op: Some(Op::Read),
};

fn signature(version: OdooVersion, model: &str, method: &str) -> Option<&'static Sig> {
    let sig = SIGS.iter().find(|s| s.name == method)?;
    match (version, method) {
        (OdooVersion::V16, "web_search_read") => Some(&WEB_SEARCH_READ_16),
        (OdooVersion::V16 | OdooVersion::V17, "formatted_read_group" | "has_access") => None,
        (_, "context_get") if model != "res.users" => None,
        (_, "action_confirm" | "action_cancel") if model != "sale.order" => None,
        _ => Some(sig),
    }
}

/// The parameter name as the version spells it (17: name_search's `args`).
fn param_name(version: OdooVersion, method: &str, name: &'static str) -> &'static str {
    if version != OdooVersion::V19 && method == "name_search" && name == "domain" { "args" } else { name }
}

/// Binds positional and keyword arguments to the signature's names.
fn bind(call: &Call, sig: &Sig, version: OdooVersion, positional: Vec<Value>) -> OdooResult<Map<String, Value>> {
    let unprocessable = |m: String| match call.proto {
        Proto::Json2 => OdooError::new(Kind::UnprocessableEntity, m),
        Proto::Rpc => type_error(format!("{}() {m}", qualified(sig.name))),
    };
    let names: Vec<&str> = sig.params.iter().map(|(n, _)| param_name(version, sig.name, n)).collect();
    if positional.len() > names.len() {
        return Err(type_error(format!(
            "{}() takes {} positional arguments but {} were given",
            qualified(sig.name),
            names.len() + 1,
            positional.len() + 1
        )));
    }
    let mut bound = Map::new();
    for (name, value) in names.iter().zip(positional) {
        bound.insert((*name).to_string(), value);
    }
    for (key, value) in &call.kwargs {
        if !names.contains(&key.as_str()) {
            return Err(unprocessable(format!("got an unexpected keyword argument '{key}'")));
        }
        if bound.contains_key(key) {
            return Err(unprocessable(format!("got multiple values for argument '{key}'")));
        }
        bound.insert(key.clone(), value.clone());
    }
    for ((_, required), name) in sig.params.iter().zip(&names) {
        if *required && !bound.contains_key(*name) {
            return Err(match call.proto {
                Proto::Json2 => {
                    OdooError::new(Kind::UnprocessableEntity, format!("missing a required argument: '{name}'"))
                }
                Proto::Rpc => {
                    type_error(format!("{}() missing 1 required positional argument: '{name}'", qualified(sig.name)))
                }
            });
        }
    }
    Ok(bound)
}

fn qualified(method: &str) -> String {
    format!("BaseModel.{method}")
}

/// Ids as the ORM accepts them: an int or a list of ints.
fn parse_ids(value: &Value) -> OdooResult<Vec<i64>> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null | Value::Bool(false) => vec![],
        other => vec![other],
    };
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        match item.as_i64() {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => {
                let shown = match item {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                return Err(OdooError::new(
                    Kind::InvalidTextRepresentation,
                    format!(
                        "invalid input syntax for type integer: \"{shown}\"\nLINE 1: ... WHERE \"id\" IN ('{shown}') ...\n                                ^\n"
                    ),
                ));
            }
        }
    }
    Ok(ids)
}

fn int_arg(bound: &Map<String, Value>, name: &str, kind: &str) -> OdooResult<Option<i64>> {
    match bound.get(name) {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(None),
        Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
        Some(other) => {
            let shown = other.as_str().map(str::to_string).unwrap_or_else(|| other.to_string());
            Err(OdooError::new(
                Kind::InvalidTextRepresentation,
                format!(
                    "invalid input syntax for type {kind}: \"{shown}\"\nLINE 1: ... {} '{shown}'\n              ^\n",
                    name.to_uppercase()
                ),
            ))
        }
    }
}

/// A `limit` argument as Odoo reads it: absent, false or 0 is no limit
/// (Odoo adds `LIMIT` only for a true value: `if self.limit`).
fn limit_arg(bound: &Map<String, Value>) -> OdooResult<Option<usize>> {
    Ok(int_arg(bound, "limit", "bigint")?.filter(|l| *l != 0).map(|l| l.max(0) as usize))
}

fn str_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

/// Runs one call for the user of `cred`. The caller holds the store lock.
pub fn execute(
    schema: &Schema,
    store: &mut Store,
    cred: &Credential,
    version: OdooVersion,
    call: Call,
) -> OdooResult<Value> {
    let Some(def) = schema.model(&call.model) else {
        return Err(match call.proto {
            Proto::Json2 => OdooError::new(Kind::NotFound, format!("the model '{}' does not exist", call.model)),
            Proto::Rpc => OdooError::new(Kind::UserError, format!("Object {} doesn't exist", call.model)),
        });
    };
    if call.method.starts_with('_') {
        // 17 names the bare method (odoo-wire-17 error_private_method).
        let shown = match version {
            OdooVersion::V19 => format!("'{}.{}'", call.model, call.method),
            OdooVersion::V16 | OdooVersion::V17 => call.method.clone(),
        };
        return Err(access(format!("Private methods (such as {shown}) cannot be called remotely.")));
    }
    let Some(sig) = signature(version, &call.model, &call.method) else {
        return Err(match (call.proto, version) {
            (Proto::Json2, _) => {
                OdooError::new(Kind::NotFound, format!("The method '{}.{}' does not exist", call.model, call.method))
            }
            (Proto::Rpc, OdooVersion::V19) => OdooError::new(
                Kind::AttributeError,
                format!("The method '{}.{}' does not exist", call.model, call.method),
            ),
            (Proto::Rpc, OdooVersion::V16 | OdooVersion::V17) => OdooError::new(
                Kind::AttributeError,
                format!("The method '{}' does not exist on the model '{}'", call.method, call.model),
            ),
        });
    };
    let mut positional = call.positional.clone();
    let ids = if sig.record {
        match &call.ids {
            Some(ids) => parse_ids(ids)?,
            None if !positional.is_empty() => parse_ids(&positional.remove(0))?,
            None => vec![],
        }
    } else {
        if call.ids.is_some() {
            return Err(OdooError::new(
                Kind::UnprocessableEntity,
                format!("cannot call {}.{} with ids", call.model, call.method),
            ));
        }
        vec![]
    };
    let bound = bind(&call, sig, version, positional)?;
    let env = Env::new(cred, store, call.context.clone(), version)?;
    if let Some(op) = sig.op {
        check_model(&env, def, op)?;
    }
    match sig.name {
        "action_confirm" => super::actions::confirm(schema, store, &env, def, &ids),
        "action_cancel" => super::actions::cancel(schema, store, &env, def, &ids, &call.context),
        _ => run(schema, store, &env, def, sig.name, &ids, &bound, call.proto),
    }
}

#[allow(clippy::too_many_arguments)]
fn run(
    schema: &Schema,
    store: &mut Store,
    env: &Env,
    def: &ModelDef,
    method: &str,
    ids: &[i64],
    bound: &Map<String, Value>,
    proto: Proto,
) -> OdooResult<Value> {
    let version = env.version;
    let ctx = Ctx { schema, store, env };
    let domain_of =
        |key: &str| -> OdooResult<Domain> { parse_domain(ctx, def, bound.get(key).unwrap_or(&Value::Null)) };
    let order_of = |key: &str| -> OdooResult<Vec<super::records::OrderTerm>> {
        match bound.get(key).and_then(Value::as_str) {
            Some(spec) if !spec.trim().is_empty() => parse_order(def, spec, version),
            _ => Ok(default_spec(def)),
        }
    };
    let page = |all: Vec<i64>, offset: Option<i64>, limit: Option<usize>| -> Vec<i64> {
        all.into_iter().skip(offset.unwrap_or(0).max(0) as usize).take(limit.unwrap_or(usize::MAX)).collect()
    };
    match method {
        "search" | "search_read" => {
            let domain = domain_of("domain")?;
            let order = order_of("order")?;
            let offset = int_arg(bound, "offset", "bigint")?;
            let limit = limit_arg(bound)?;
            let found = page(search(ctx, def, &domain, &order), offset, limit);
            if method == "search" {
                return Ok(json!(found));
            }
            Ok(Value::Array(read_rows(ctx, def, &found, &str_list(bound.get("fields")))?))
        }
        "search_count" => {
            let domain = domain_of("domain")?;
            let limit = limit_arg(bound)?;
            let n = search(ctx, def, &domain, &[]).len();
            Ok(json!(limit.map_or(n, |l| n.min(l))))
        }
        "read" => {
            let fields = str_list(bound.get("fields"));
            read_rows(ctx, def, &[], &fields)?;
            for id in ids {
                if let Some(rec) = store.get(&def.name, *id)
                    && !rule_allows(env, store, def, rec)
                {
                    return Err(rule_error(env, def, "read"));
                }
            }
            let mut rows = read_rows(ctx, def, ids, &fields)?;
            // Odoo shows a many2one as (id, display_name) only for
            // load='_classic_read' (the default); any other load, None
            // included, gives the bare id.
            let classic = match bound.get("load") {
                None => true,
                Some(load) => load.as_str() == Some("_classic_read"),
            };
            if !classic {
                for row in rows.iter_mut().filter_map(Value::as_object_mut) {
                    for (name, value) in row.iter_mut() {
                        if def.field(name).is_some_and(|f| f.ftype == FieldType::Many2one)
                            && let Some(id) = value.as_array().and_then(|pair| pair.first()).cloned()
                        {
                            *value = id;
                        }
                    }
                }
            }
            Ok(Value::Array(rows))
        }
        "create" => {
            let raw_vals = bound.get("vals_list").cloned().unwrap_or(Value::Null);
            let single = raw_vals.is_object();
            let list: Vec<Map<String, Value>> = match raw_vals {
                Value::Object(one) => vec![one],
                Value::Array(items) => items
                    .into_iter()
                    .map(|v| {
                        v.as_object().cloned().ok_or_else(|| value_error("create() expects a dict or a list of dicts"))
                    })
                    .collect::<OdooResult<_>>()?,
                _ => return Err(value_error("create() expects a dict or a list of dicts")),
            };
            let new = create(schema, store, env, def, list)?;
            Ok(if single && proto == Proto::Rpc { json!(new[0]) } else { json!(new) })
        }
        "write" => {
            let vals = bound
                .get("vals")
                .and_then(Value::as_object)
                .cloned()
                .ok_or_else(|| value_error("write() expects a dict of values"))?;
            write(schema, store, env, def, ids, &vals)?;
            Ok(json!(true))
        }
        "unlink" => {
            unlink(schema, store, env, def, ids)?;
            Ok(json!(true))
        }
        "fields_get" => Ok(fields_get(def, bound)),
        "name_search" => {
            let name = bound.get("name").and_then(Value::as_str).unwrap_or("").to_string();
            let domain_key = if version != OdooVersion::V19 { "args" } else { "domain" };
            let domain = domain_of(domain_key)?;
            let op = bound.get("operator").and_then(Value::as_str).and_then(Operator::parse).unwrap_or(Operator::Ilike);
            // Odoo's default is 100; an explicit 0 or false is no limit.
            let limit = if bound.contains_key("limit") { limit_arg(bound)? } else { Some(100) };
            let order = default_spec(def);
            let mut out = Vec::new();
            for id in search(ctx, def, &domain, &order) {
                let shown = display_name(ctx, &def.name, id);
                let leaf = crate::domain::Expr::Leaf(crate::domain::Leaf {
                    path: "display_name".into(),
                    operator: op,
                    value: json!(name),
                });
                if name.is_empty() || super::eval::matches(ctx, def, id, &leaf) {
                    out.push(json!([id, shown]));
                }
                if limit.is_some_and(|l| out.len() >= l) {
                    break;
                }
            }
            Ok(Value::Array(out))
        }
        "read_group" => {
            let domain = domain_of("domain")?;
            let found = search(ctx, def, &domain, &[]);
            let offset = int_arg(bound, "offset", "bigint")?.unwrap_or(0).max(0) as usize;
            let limit = limit_arg(bound)?;
            let lazy = bound.get("lazy").and_then(Value::as_bool).unwrap_or(true);
            let orderby = bound.get("orderby").and_then(Value::as_str);
            read_group(
                ctx,
                def,
                &domain,
                &found,
                &str_list(bound.get("fields")),
                &str_list(bound.get("groupby")),
                offset,
                limit,
                orderby,
                lazy,
            )
        }
        "formatted_read_group" => {
            let domain = domain_of("domain")?;
            let found = search(ctx, def, &domain, &[]);
            let offset = int_arg(bound, "offset", "bigint")?.unwrap_or(0).max(0) as usize;
            let limit = limit_arg(bound)?;
            let having = bound.get("having").cloned().unwrap_or(Value::Null);
            let order = bound.get("order").and_then(Value::as_str);
            formatted_read_group(
                ctx,
                def,
                &found,
                &str_list(bound.get("groupby")),
                &str_list(bound.get("aggregates")),
                &having,
                offset,
                limit,
                order,
            )
        }
        "web_search_read" => {
            let domain = domain_of("domain")?;
            let order = order_of("order")?;
            let all = search(ctx, def, &domain, &order);
            let matching = all.len();
            let offset = int_arg(bound, "offset", "bigint")?;
            let limit = limit_arg(bound)?;
            let found = page(all, offset, limit);
            let records = if version == OdooVersion::V16 {
                read_rows(ctx, def, &found, &str_list(bound.get("fields")))?
            } else {
                let spec = bound.get("specification").and_then(Value::as_object).cloned().unwrap_or_default();
                found.iter().map(|id| web_row(ctx, def, *id, &spec)).collect::<OdooResult<Vec<_>>>()?
            };
            let count_limit = int_arg(bound, "count_limit", "bigint")?.filter(|l| *l != 0).map(|l| l.max(0) as usize);
            let length = web_search_length(version, records.len(), offset, limit, count_limit, matching);
            Ok(json!({"length": length, "records": records}))
        }
        "web_read" => {
            let spec = bound.get("specification").and_then(Value::as_object).cloned().unwrap_or_default();
            check_ids(store, env, def, ids)?;
            Ok(Value::Array(ids.iter().map(|id| web_row(ctx, def, *id, &spec)).collect::<OdooResult<Vec<_>>>()?))
        }
        "check_access_rights" => {
            let op = bound
                .get("operation")
                .and_then(Value::as_str)
                .and_then(Op::parse)
                .ok_or_else(|| value_error("Invalid access mode"))?;
            let raise = bound.get("raise_exception").map(|v| v.as_bool().unwrap_or(true)).unwrap_or(true);
            match check_model(env, def, op) {
                Ok(()) => Ok(json!(true)),
                Err(e) if raise => Err(e),
                Err(_) => Ok(json!(false)),
            }
        }
        "has_access" => {
            let op = bound
                .get("operation")
                .and_then(Value::as_str)
                .and_then(Op::parse)
                .ok_or_else(|| value_error("Invalid access mode"))?;
            let visible =
                ids.iter().all(|id| store.get(&def.name, *id).is_some_and(|r| rule_allows(env, store, def, r)));
            Ok(json!(allowed(env.role, &def.name, op) && visible))
        }
        "context_get" => Ok(json!({"lang": "en_US", "tz": "Europe/Brussels", "uid": env.uid})),
        _ => Err(OdooError::new(Kind::AttributeError, format!("The method '{}.{method}' does not exist", def.name))),
    }
}

/// `web_search_read`'s `length`, as Odoo's `_format_web_search_read_results`
/// (17+) and 16's `web_search_read` compute it: 0 for an empty page (even
/// past the end), the records up to here when the page is not full, else a
/// `search_count` stopped at `count_limit`; 17+ skip that count once the
/// records up to here reach `count_limit`, which then is a lower bound.
/// (Odoo's `force_search_count` context key is not modelled.)
fn web_search_length(
    version: OdooVersion,
    returned: usize,
    offset: Option<i64>,
    limit: Option<usize>,
    count_limit: Option<usize>,
    matching: usize,
) -> usize {
    if returned == 0 {
        return 0;
    }
    let current = returned + offset.unwrap_or(0).max(0) as usize;
    let limit_reached = limit == Some(returned);
    let count_limit_reached = version != OdooVersion::V16 && count_limit.is_some_and(|c| c <= current);
    if limit.is_some() && limit_reached && !count_limit_reached {
        count_limit.map_or(matching, |c| matching.min(c))
    } else {
        current
    }
}

/// `fields_get`: every served field (or those of `allfields`), with all
/// attributes or only those of `attributes`.
fn fields_get(def: &ModelDef, bound: &Map<String, Value>) -> Value {
    let only = str_list(bound.get("allfields"));
    let attributes = str_list(bound.get("attributes"));
    let mut out = Map::new();
    for (name, field) in &def.fields {
        if !only.is_empty() && !only.contains(name) {
            continue;
        }
        let attrs: Map<String, Value> = if attributes.is_empty() {
            field.attrs.clone()
        } else {
            field.attrs.iter().filter(|(k, _)| attributes.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        out.insert(name.clone(), Value::Object(attrs));
    }
    Value::Object(out)
}

/// One record as `web_search_read` / `web_read` render a specification.
fn web_row(ctx: Ctx, def: &ModelDef, id: i64, spec: &Map<String, Value>) -> OdooResult<Value> {
    let Some(rec) = ctx.record(&def.name, id) else { return Ok(Value::Bool(false)) };
    let mut row = Map::new();
    row.insert("id".into(), json!(id));
    for (name, sub) in spec {
        let Some(field) = def.field(name) else {
            return Err(super::records::invalid_field(ctx.env.version, &def.name, name));
        };
        let nested = sub.get("fields").and_then(Value::as_object);
        let comodel = field.relation.as_deref().and_then(|m| ctx.def(m));
        let value = match (field.ftype, nested, comodel) {
            (FieldType::Many2one, Some(fields), Some(codef)) => match raw(ctx, &def.name, rec, name).as_i64() {
                Some(rid) => web_row(ctx, codef, rid, fields)?,
                None => Value::Bool(false),
            },
            (FieldType::Many2one, None, _) => raw(ctx, &def.name, rec, name),
            (t, Some(fields), Some(codef)) if t.is_x2many() => {
                let rids = super::records::related_ids(ctx, &def.name, rec, name);
                Value::Array(rids.iter().map(|rid| web_row(ctx, codef, *rid, fields)).collect::<OdooResult<Vec<_>>>()?)
            }
            _ => render(ctx, def, rec, name),
        };
        row.insert(name.clone(), value);
    }
    Ok(Value::Object(row))
}
