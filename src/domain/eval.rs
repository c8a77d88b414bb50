//! Evaluating a domain on one record's values, with three answers: the
//! record matches, it does not, or the domain cannot be decided from these
//! values (a dotted path, `any`, `child_of`, a field not given, an operator
//! or value whose SQL meaning is not reproduced here). The gateway uses it
//! to refuse a write that would move a record out of a record filter
//! before the write happens, and falls back to checking afterwards when the
//! answer is "cannot tell".
//!
//! Values are as Odoo reads them, already normalised by the caller: a
//! many2one as its id or `false`, no x2many (give `None` for those).
//! Semantics follow Odoo's SQL: `false` is NULL, a comparison with NULL is
//! false except for `=` / `!=` / `in` with `false`, and the negative
//! operators (`!=`, `not in`, `not like`, `not ilike`) also match NULL.

use super::{Expr, Leaf, Operator};
use serde_json::Value;

/// Whether the record whose field values `value_of` gives matches `expr`:
/// `Some(true)`, `Some(false)`, or `None` when it cannot be decided.
/// `value_of` returns `None` for a field whose value is not known.
pub fn evaluate(expr: &Expr, value_of: &dyn Fn(&str) -> Option<Value>) -> Option<bool> {
    match expr {
        Expr::True => Some(true),
        Expr::False => Some(false),
        Expr::Not(inner) => evaluate(inner, value_of).map(|b| !b),
        Expr::And(items) => {
            let mut all = Some(true);
            for item in items {
                match evaluate(item, value_of) {
                    Some(false) => return Some(false),
                    Some(true) => {}
                    None => all = None,
                }
            }
            all
        }
        Expr::Or(items) => {
            let mut any = Some(false);
            for item in items {
                match evaluate(item, value_of) {
                    Some(true) => return Some(true),
                    Some(false) => {}
                    None => any = None,
                }
            }
            any
        }
        Expr::Leaf(leaf) => leaf_matches(leaf, value_of),
    }
}

fn is_null(value: &Value) -> bool {
    matches!(value, Value::Null | Value::Bool(false))
}

/// Equality as SQL would see it: numbers by value, NULL equal to `false`.
fn equal(field: &Value, wanted: &Value) -> bool {
    match (field, wanted) {
        (f, w) if is_null(f) || is_null(w) => is_null(f) && is_null(w),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

fn leaf_matches(leaf: &Leaf, value_of: &dyn Fn(&str) -> Option<Value>) -> Option<bool> {
    if leaf.path.contains('.') {
        return None;
    }
    let field = value_of(&leaf.path)?;
    let wanted = &leaf.value;
    match leaf.operator {
        Operator::Eq => eq(&field, wanted),
        Operator::Ne => eq(&field, wanted).map(|b| !b),
        Operator::EqOrUnset if is_null(wanted) => Some(true),
        Operator::EqOrUnset => eq(&field, wanted),
        Operator::In => member(&field, wanted),
        Operator::NotIn => member(&field, wanted).map(|b| !b),
        Operator::Lt | Operator::Le | Operator::Gt | Operator::Ge => compare(&field, wanted, leaf.operator),
        Operator::Like | Operator::Ilike => contains(&field, wanted, leaf.operator == Operator::Ilike),
        Operator::NotLike | Operator::NotIlike if is_null(&field) => Some(true),
        Operator::NotLike | Operator::NotIlike => {
            contains(&field, wanted, leaf.operator == Operator::NotIlike).map(|b| !b)
        }
        Operator::EqLike | Operator::EqIlike => pattern(&field, wanted, leaf.operator == Operator::EqIlike),
        Operator::ChildOf | Operator::ParentOf | Operator::Any | Operator::NotAny => None,
    }
}

fn scalar(value: &Value) -> bool {
    matches!(value, Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_))
}

fn eq(field: &Value, wanted: &Value) -> Option<bool> {
    if let Value::Array(items) = wanted {
        // `=` with a list is Odoo's `in`.
        return member(field, &Value::Array(items.clone()));
    }
    (scalar(field) && scalar(wanted)).then(|| equal(field, wanted))
}

fn member(field: &Value, wanted: &Value) -> Option<bool> {
    let items: Vec<&Value> = match wanted {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    if !scalar(field) || !items.iter().all(|v| scalar(v)) {
        return None;
    }
    Some(items.iter().any(|item| equal(field, item)))
}

fn compare(field: &Value, wanted: &Value, op: Operator) -> Option<bool> {
    use std::cmp::Ordering;
    if is_null(field) || is_null(wanted) {
        return Some(false);
    }
    let order = match (field, wanted) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?)?,
        // Dates and datetimes compare as their ISO text.
        (Value::String(a), Value::String(b)) => a.as_str().cmp(b.as_str()),
        _ => return None,
    };
    Some(match op {
        Operator::Lt => order == Ordering::Less,
        Operator::Le => order != Ordering::Greater,
        Operator::Gt => order == Ordering::Greater,
        _ => order != Ordering::Less,
    })
}

/// `like` / `ilike`: the value anywhere in the field. A value with SQL
/// wildcards (`%`, `_`) is left undecided.
fn contains(field: &Value, wanted: &Value, fold: bool) -> Option<bool> {
    let Value::String(needle) = wanted else { return None };
    if needle.contains(['%', '_', '\\']) {
        return None;
    }
    match field {
        f if is_null(f) => Some(false),
        Value::String(text) if fold => Some(text.to_lowercase().contains(&needle.to_lowercase())),
        Value::String(text) => Some(text.contains(needle.as_str())),
        _ => None,
    }
}

/// `=like` / `=ilike`: SQL `LIKE` with `%` and `_` as wildcards.
fn pattern(field: &Value, wanted: &Value, fold: bool) -> Option<bool> {
    let Value::String(pattern) = wanted else { return None };
    if pattern.contains('\\') {
        return None;
    }
    match field {
        f if is_null(f) => Some(false),
        Value::String(text) => {
            let (text, pattern) =
                if fold { (text.to_lowercase(), pattern.to_lowercase()) } else { (text.clone(), pattern.clone()) };
            let text: Vec<char> = text.chars().collect();
            let pattern: Vec<char> = pattern.chars().collect();
            Some(like(&text, &pattern))
        }
        _ => None,
    }
}

fn like(text: &[char], pattern: &[char]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some(('%', rest)) => (0..=text.len()).any(|skip| like(&text[skip..], rest)),
        Some(('_', rest)) => !text.is_empty() && like(&text[1..], rest),
        Some((c, rest)) => text.first() == Some(c) && like(&text[1..], rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Domain;
    use serde_json::json;

    fn check(domain: &str, record: Value) -> Option<bool> {
        let expr = Domain::parse_text(domain).unwrap().to_expr();
        let record = record.as_object().unwrap().clone();
        evaluate(&expr, &|f: &str| record.get(f).cloned())
    }

    #[test]
    fn comparisons_follow_odoo_sql() {
        let r = json!({"is_company": true, "rank": 3, "name": "Azure Interior", "email": false, "country_id": 21,
            "date": "2025-03-01"});
        let cases = [
            ("[('is_company', '=', True)]", Some(true)),
            ("[('is_company', '!=', True)]", Some(false)),
            ("[('rank', '>', 2)]", Some(true)),
            ("[('rank', '<=', 2.5)]", Some(false)),
            ("[('rank', '=', 3.0)]", Some(true)),
            ("[('email', '=', False)]", Some(true)),
            ("[('email', '!=', False)]", Some(false)),
            ("[('email', '>', 'a')]", Some(false)),
            ("[('email', 'not ilike', 'x')]", Some(true)),
            ("[('email', 'ilike', 'x')]", Some(false)),
            ("[('name', 'ilike', 'azure')]", Some(true)),
            ("[('name', 'like', 'azure')]", Some(false)),
            ("[('name', '=ilike', 'azure%')]", Some(true)),
            ("[('name', '=like', 'A_ure%')]", Some(true)),
            ("[('name', '=like', 'Azure')]", Some(false)),
            ("[('country_id', 'in', [21, 22])]", Some(true)),
            ("[('country_id', 'not in', [21])]", Some(false)),
            ("[('country_id', '=?', False)]", Some(true)),
            ("[('date', '>=', '2025-01-01')]", Some(true)),
            ("['|', ('rank', '>', 10), ('is_company', '=', True)]", Some(true)),
            ("['!', ('is_company', '=', True)]", Some(false)),
        ];
        for (domain, expected) in cases {
            assert_eq!(check(domain, r.clone()), expected, "{domain}");
        }
    }

    #[test]
    fn what_cannot_be_decided_says_so_unless_the_rest_decides() {
        let r = json!({"is_company": false, "name": "x"});
        for domain in [
            "[('missing', '=', 1)]",
            "[('parent_id.is_company', '=', True)]",
            "[('id', 'child_of', [1])]",
            "[('name', 'ilike', 'a%b')]",
            "[('is_company', '=', False), ('missing', '=', 1)]",
        ] {
            assert_eq!(check(domain, r.clone()), None, "{domain}");
        }
        // false AND unknown is false; true OR unknown is true.
        assert_eq!(check("[('is_company', '=', True), ('missing', '=', 1)]", r.clone()), Some(false));
        assert_eq!(check("['|', ('is_company', '=', False), ('missing', '=', 1)]", r), Some(true));
    }
}
