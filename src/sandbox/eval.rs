//! Domain evaluation over the in-memory records, with Odoo's semantics:
//! every operator, dotted paths through many2one and x2many fields, NULL
//! handling (`!=`, `not in`, `not ilike` include empty values), `active`
//! filtering and the company record rules. Parsing is the crate's shared
//! [`crate::domain`] parser; this module adds Odoo's own error messages.

use super::OdooVersion;
use super::access::rule_allows;
use super::dataset::{Field, FieldType, ModelDef};
use super::error::{Kind, OdooError, OdooResult, leaf_repr, py_repr, value_error};
use super::records::{Ctx, OrderTerm, display_name, raw, related_ids, sort_ids};
use crate::domain::{Domain, Expr, Operator};
use serde_json::Value;
use std::collections::BTreeSet;

/// Parses a domain from a request, raising what Odoo raises for bad input,
/// and checks that every field path exists on `def`.
pub fn parse_domain(ctx: Ctx, def: &ModelDef, value: &Value) -> OdooResult<Domain> {
    let version = ctx.env.version;
    let items = match value {
        Value::Null | Value::Bool(false) => return Ok(Domain::empty()),
        Value::Array(items) => items,
        other => {
            return Err(match version {
                OdooVersion::V19 => OdooError::new(
                    Kind::TypeError,
                    format!("Domain() invalid argument type for domain: {}", py_repr(other)),
                ),
                OdooVersion::V16 | OdooVersion::V17 => OdooError::new(
                    Kind::AssertionError,
                    "Domains to normalize must have a 'domain' form: a list or tuple of domain components",
                ),
            });
        }
    };
    for item in items {
        if let Value::Array(parts) = item {
            if parts.len() != 3 {
                return Err(value_error(match version {
                    OdooVersion::V19 => format!("Domain() invalid item in domain: {}", py_repr(item)),
                    OdooVersion::V16 | OdooVersion::V17 => {
                        format!("not enough values to unpack (expected 3, got {})", parts.len())
                    }
                }));
            }
            let op_ok = parts[1]
                .as_str()
                .and_then(Operator::parse)
                .is_some_and(|op| version.has_any_operator() || !matches!(op, Operator::Any | Operator::NotAny));
            if !op_ok {
                return Err(value_error(match version {
                    OdooVersion::V19 => format!("Invalid operator in condition {}", leaf_repr(parts)),
                    OdooVersion::V16 | OdooVersion::V17 => format!("Invalid leaf {}", leaf_repr(parts)),
                }));
            }
        }
    }
    let domain = Domain::from_json(value).map_err(|e| value_error(e.0))?;
    check_fields(ctx, def, &domain)?;
    Ok(domain)
}

fn check_fields(ctx: Ctx, def: &ModelDef, domain: &Domain) -> OdooResult<()> {
    for leaf in domain.leaves() {
        let mut current = def;
        let parts: Vec<&str> = leaf.path_parts().collect();
        for (i, part) in parts.iter().enumerate() {
            let field = current.field(part);
            let last = i + 1 == parts.len();
            let Some(field) = field.filter(|f| last || f.ftype.is_relational()) else {
                let leaf_text = leaf_repr(&[
                    Value::from(leaf.path.clone()),
                    Value::from(leaf.operator.as_str()),
                    leaf.value.clone(),
                ]);
                let word = if ctx.env.version == OdooVersion::V19 { "condition" } else { "leaf" };
                return Err(value_error(format!("Invalid field {}.{} in {word} {leaf_text}", current.name, part)));
            };
            if field.ftype.is_relational() {
                let Some(comodel) = field.relation.as_deref().and_then(|m| ctx.def(m)) else { break };
                if last {
                    if let Some(sub) = leaf.sub_domain() {
                        check_fields(ctx, comodel, &sub)?;
                    }
                } else {
                    current = comodel;
                }
            }
        }
    }
    Ok(())
}

/// Whether the domain names `active` itself (then Odoo adds no active filter).
fn mentions_active(domain: &Domain) -> bool {
    domain.leaves().any(|l| l.path == "active")
}

/// Odoo's `_search`: ids matching the domain, visible to the user, active
/// unless the context or the domain says otherwise, ordered.
pub fn search(ctx: Ctx, def: &ModelDef, domain: &Domain, order: &[OrderTerm]) -> Vec<i64> {
    let expr = domain.to_expr();
    let active_filter = ctx.env.active_test && def.has("active") && !mentions_active(domain);
    let ids: Vec<i64> = ctx
        .store
        .table(&def.name)
        .into_iter()
        .flatten()
        .filter(|(_, rec)| !active_filter || rec.get("active").and_then(Value::as_bool).unwrap_or(true))
        .filter(|(_, rec)| rule_allows(ctx.env, ctx.store, def, rec))
        .filter(|(id, _)| matches(ctx, def, **id, &expr))
        .map(|(id, _)| *id)
        .collect();
    sort_ids(ctx, def, ids, order)
}

/// Whether record `id` of `def` satisfies `expr`.
pub fn matches(ctx: Ctx, def: &ModelDef, id: i64, expr: &Expr) -> bool {
    match expr {
        Expr::True => true,
        Expr::False => false,
        Expr::And(items) => items.iter().all(|e| matches(ctx, def, id, e)),
        Expr::Or(items) => items.iter().any(|e| matches(ctx, def, id, e)),
        Expr::Not(inner) => !matches(ctx, def, id, inner),
        Expr::Leaf(leaf) => {
            let parts: Vec<&str> = leaf.path_parts().collect();
            eval_path(ctx, def, id, &parts, leaf.operator, &leaf.value)
        }
    }
}

fn is_negative(op: Operator) -> bool {
    matches!(op, Operator::Ne | Operator::NotIn | Operator::NotLike | Operator::NotIlike)
}

fn positive(op: Operator) -> Operator {
    match op {
        Operator::Ne => Operator::Eq,
        Operator::NotIn => Operator::In,
        Operator::NotLike => Operator::Like,
        Operator::NotIlike => Operator::Ilike,
        Operator::NotAny => Operator::Any,
        other => other,
    }
}

fn eval_path(ctx: Ctx, def: &ModelDef, id: i64, parts: &[&str], op: Operator, value: &Value) -> bool {
    let Some(rec) = ctx.record(&def.name, id) else { return false };
    let name = parts[0];
    if parts.len() > 1 {
        // A dotted path: many2one keeps the operator inside ("any"); x2many
        // turns a negative operator into "not any" of the positive one.
        let Some(field) = def.field(name) else { return false };
        let Some(comodel) = field.relation.as_deref().and_then(|m| ctx.def(m)) else { return false };
        let ids = related_ids(ctx, &def.name, rec, name);
        if field.ftype.is_x2many() && is_negative(op) {
            return !ids.iter().any(|rid| eval_path(ctx, comodel, *rid, &parts[1..], positive(op), value));
        }
        return ids.iter().any(|rid| eval_path(ctx, comodel, *rid, &parts[1..], op, value));
    }
    if name == "id" {
        return eval_relational(ctx, &def.name, &[id], op, value);
    }
    let Some(field) = def.field(name) else { return false };
    if field.ftype.is_relational() {
        let comodel = field.relation.clone().unwrap_or_default();
        let ids = related_ids(ctx, &def.name, rec, name);
        return eval_relational(ctx, &comodel, &ids, op, value);
    }
    eval_scalar(field, &raw(ctx, &def.name, rec, name), op, value)
}

/// Ids named by a leaf value: ints, lists of ints, or names (name search).
fn value_ids(ctx: Ctx, model: &str, value: &Value) -> Vec<i64> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut ids = Vec::new();
    for item in items {
        match item {
            Value::Number(n) => ids.extend(n.as_i64()),
            Value::String(s) => {
                let needle = s.to_lowercase();
                for rid in ctx.store.table(model).into_iter().flatten().map(|(k, _)| *k) {
                    if display_name(ctx, model, rid).to_lowercase().contains(&needle) {
                        ids.push(rid);
                    }
                }
            }
            _ => {}
        }
    }
    ids
}

/// The ids under (child_of) or above (parent_of) `roots`, roots included.
fn hierarchy(ctx: Ctx, model: &str, roots: &[i64], down: bool) -> BTreeSet<i64> {
    let mut out: BTreeSet<i64> = roots.iter().copied().collect();
    let Some(parent) = ctx.def(model).and_then(|d| d.parent_field) else { return out };
    let parent_of = |rid: i64| ctx.record(model, rid).and_then(|r| r.get(parent)).and_then(Value::as_i64);
    loop {
        let before = out.len();
        if down {
            for (rid, _) in ctx.store.table(model).into_iter().flatten() {
                if parent_of(*rid).is_some_and(|p| out.contains(&p)) {
                    out.insert(*rid);
                }
            }
        } else {
            let parents: Vec<i64> = out.iter().filter_map(|rid| parent_of(*rid)).collect();
            out.extend(parents);
        }
        if out.len() == before {
            return out;
        }
    }
}

fn eval_relational(ctx: Ctx, comodel: &str, ids: &[i64], op: Operator, value: &Value) -> bool {
    let names = || ids.iter().map(|rid| display_name(ctx, comodel, *rid)).collect::<Vec<_>>();
    match op {
        Operator::EqOrUnset if is_false(value) => true,
        Operator::EqOrUnset => eval_relational(ctx, comodel, ids, Operator::Eq, value),
        Operator::ChildOf | Operator::ParentOf => {
            let roots = value_ids(ctx, comodel, value);
            let set = hierarchy(ctx, comodel, &roots, op == Operator::ChildOf);
            ids.iter().any(|rid| set.contains(rid))
        }
        Operator::Any | Operator::NotAny => {
            let Ok(sub) = Domain::from_json(value) else { return false };
            let Some(codef) = ctx.def(comodel) else { return false };
            let expr = sub.to_expr();
            let found = ids.iter().any(|rid| matches(ctx, codef, *rid, &expr));
            found == (op == Operator::Any)
        }
        _ if is_negative(op) => !eval_relational(ctx, comodel, ids, positive(op), value),
        Operator::Eq | Operator::In => {
            let items: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            items.iter().any(|item| match item {
                Value::Bool(false) | Value::Null => ids.is_empty(),
                Value::Number(n) => n.as_i64().is_some_and(|want| ids.contains(&want)),
                Value::String(s) => names().iter().any(|n| n == s),
                _ => false,
            })
        }
        Operator::Like | Operator::Ilike | Operator::EqLike | Operator::EqIlike => {
            names().iter().any(|n| like(n, value, op))
        }
        Operator::Lt | Operator::Le | Operator::Gt | Operator::Ge => {
            let Some(want) = value.as_f64() else { return false };
            ids.iter().any(|rid| compare_num(*rid as f64, want, op))
        }
        _ => false,
    }
}

fn is_false(value: &Value) -> bool {
    matches!(value, Value::Null | Value::Bool(false))
}

fn compare_num(a: f64, b: f64, op: Operator) -> bool {
    match op {
        Operator::Lt => a < b,
        Operator::Le => a <= b,
        Operator::Gt => a > b,
        Operator::Ge => a >= b,
        _ => a == b,
    }
}

/// SQL LIKE: `%` any run, `_` one character, `\` escapes.
fn sql_like(text: &[char], pattern: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('%', rest)) => (0..=text.len()).any(|i| sql_like(&text[i..], rest)),
        Some(('_', rest)) => !text.is_empty() && sql_like(&text[1..], rest),
        Some(('\\', rest)) if !rest.is_empty() => text.first() == Some(&rest[0]) && sql_like(&text[1..], &rest[1..]),
        Some((c, rest)) => text.first() == Some(c) && sql_like(&text[1..], rest),
    }
}

fn like(text: &str, value: &Value, op: Operator) -> bool {
    let needle = match value {
        Value::String(s) => s.clone(),
        Value::Null | Value::Bool(false) => String::new(),
        other => other.to_string(),
    };
    let pattern = match op {
        Operator::Like | Operator::Ilike => format!("%{needle}%"),
        _ => needle,
    };
    let insensitive = matches!(op, Operator::Ilike | Operator::EqIlike);
    let (t, p) = if insensitive { (text.to_lowercase(), pattern.to_lowercase()) } else { (text.to_string(), pattern) };
    let t: Vec<char> = t.chars().collect();
    let p: Vec<char> = p.chars().collect();
    sql_like(&t, &p)
}

/// Compares two scalar values of one field type; None when incomparable.
fn cmp_scalar(field: &Field, have: &Value, want: &Value, op: Operator) -> Option<std::cmp::Ordering> {
    match (have, want) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => {
            let mut b = b.clone();
            // A date given for a datetime field covers the whole day.
            if field.ftype == FieldType::Datetime && b.len() == 10 {
                b.push_str(if matches!(op, Operator::Gt | Operator::Le) { " 23:59:59" } else { " 00:00:00" });
            }
            Some(a.as_str().cmp(b.as_str()))
        }
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn eval_scalar(field: &Field, have: &Value, op: Operator, want: &Value) -> bool {
    let boolean = field.ftype == FieldType::Boolean;
    let have = if boolean { Value::Bool(have.as_bool().unwrap_or(false)) } else { have.clone() };
    let have_null = !boolean && is_false(&have);
    let equals = |want: &Value| -> bool {
        if boolean {
            return have.as_bool() == Some(want.as_bool().unwrap_or(false) || want.as_i64().is_some_and(|n| n != 0));
        }
        if is_false(want) {
            return have_null;
        }
        !have_null && cmp_scalar(field, &have, want, Operator::Eq) == Some(std::cmp::Ordering::Equal)
    };
    match op {
        Operator::EqOrUnset if is_false(want) => true,
        Operator::Eq | Operator::EqOrUnset => equals(want),
        Operator::In => want.as_array().is_some_and(|items| items.iter().any(equals)),
        _ if is_negative(op) => !eval_scalar(field, &have, positive(op), want),
        Operator::Lt | Operator::Le | Operator::Gt | Operator::Ge => {
            if have_null || is_false(want) {
                return false;
            }
            cmp_scalar(field, &have, want, op).is_some_and(|ord| match op {
                Operator::Lt => ord.is_lt(),
                Operator::Le => ord.is_le(),
                Operator::Gt => ord.is_gt(),
                _ => ord.is_ge(),
            })
        }
        Operator::Like | Operator::Ilike | Operator::EqLike | Operator::EqIlike => {
            if have_null {
                return false;
            }
            let text = match &have {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            like(&text, want, op)
        }
        // child_of / parent_of / any on a scalar field are rejected by Odoo;
        // here they simply match nothing.
        _ => false,
    }
}
