//! Short forms of a request for its audit entry: the model, the ids (or
//! their count), the domain and fields, and, only when allowed, the values.
//!
//! Values of refused requests are never kept: a refusal may be about a field
//! the caller may not touch, so its domain is kept with the leaf values
//! replaced by `?` and create / update values are dropped.

use serde_json::Value;

/// Ids listed in an entry; more are recorded as a count.
pub const MAX_IDS: usize = 20;
const MAX_TEXT: usize = 240;
const MAX_VALUES: usize = 1_000;

/// What an entry says about the request's parameters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub model: Option<String>,
    pub record_ids: Vec<i64>,
    pub record_id_count: Option<u64>,
    pub domain: Option<String>,
    pub fields: Option<String>,
    pub values: Option<String>,
}

/// Cuts `text` to at most `max` characters, marking the cut.
pub fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Summarises `params`. `succeeded`: the call was allowed and carried out;
/// `log_values`: the `audit_log_values` setting.
pub fn of_params(params: &Value, succeeded: bool, log_values: bool) -> Summary {
    let mut s =
        Summary { model: params.get("model").and_then(Value::as_str).map(|m| short(m, 128)), ..Default::default() };
    let ids: Vec<i64> = match params.get("ids") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_i64).collect(),
        Some(v) => v.as_i64().into_iter().collect(),
        None => Vec::new(),
    };
    set_ids(&mut s, ids);
    if let Some(domain) = params.get("domain").filter(|d| !d.is_null()) {
        let shown = if succeeded { domain.clone() } else { redact(domain) };
        s.domain = Some(short(&shown.to_string(), MAX_TEXT));
    }
    let mut fields: Vec<String> = Vec::new();
    for key in ["fields", "field", "groupby", "row_groupby", "col_groupby"] {
        match params.get(key) {
            Some(Value::Array(items)) => fields.extend(items.iter().filter_map(Value::as_str).map(str::to_string)),
            Some(Value::String(f)) => fields.push(f.clone()),
            _ => {}
        }
    }
    if !fields.is_empty() {
        s.fields = Some(short(&fields.join(","), MAX_TEXT));
    }
    if succeeded
        && log_values
        && let Some(values) = params.get("values")
    {
        s.values = Some(short(&values.to_string(), MAX_VALUES));
    }
    s
}

/// Fills the ids a create returned, when the request named none.
pub fn add_result_ids(s: &mut Summary, result: &Value) {
    if s.record_ids.is_empty()
        && s.record_id_count.is_none()
        && let Some(Value::Array(ids)) = result.get("ids")
    {
        set_ids(s, ids.iter().filter_map(Value::as_i64).collect());
    }
}

fn set_ids(s: &mut Summary, ids: Vec<i64>) {
    if ids.len() > MAX_IDS {
        s.record_id_count = Some(ids.len() as u64);
    } else {
        s.record_ids = ids;
    }
}

/// How many records (or models, ids, groups, rows) a result carries.
pub fn records_returned(result: &Value) -> Option<u64> {
    for key in ["records", "models", "ids", "groups", "rows", "series", "points"] {
        if let Some(Value::Array(items)) = result.get(key) {
            return Some(items.len() as u64);
        }
    }
    None
}

/// The domain with every leaf's value replaced by `?`.
fn redact(domain: &Value) -> Value {
    match domain {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| match item {
                    Value::Array(leaf) if leaf.len() == 3 && leaf[0].is_string() => {
                        Value::Array(vec![leaf[0].clone(), leaf[1].clone(), Value::String("?".into())])
                    }
                    Value::Array(_) => redact(item),
                    Value::String(_) => item.clone(),
                    _ => Value::String("?".into()),
                })
                .collect(),
        ),
        Value::String(_) => Value::String("?".into()),
        _ => Value::String("?".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn summarises_and_redacts() {
        let p = json!({"model": "res.partner", "ids": [1, 2], "domain": [["email", "=", "x@y.z"]], "fields": ["name"], "values": {"name": "secret"}});
        let ok = of_params(&p, true, false);
        assert_eq!(ok.model.as_deref(), Some("res.partner"));
        assert_eq!(ok.record_ids, vec![1, 2]);
        assert!(ok.domain.as_deref().unwrap().contains("x@y.z"));
        assert_eq!(ok.fields.as_deref(), Some("name"));
        assert_eq!(ok.values, None);
        assert!(of_params(&p, true, true).values.unwrap().contains("secret"));
        let refused = of_params(&p, false, true);
        assert_eq!(refused.domain.as_deref(), Some(r#"[["email","=","?"]]"#));
        assert_eq!(refused.values, None);
        let many = of_params(&json!({"ids": (0..50).collect::<Vec<i64>>()}), true, false);
        assert_eq!((many.record_ids.len(), many.record_id_count), (0, Some(50)));
        assert_eq!(records_returned(&json!({"records": [1, 2, 3]})), Some(3));
        assert_eq!(short("abcdef", 4), "abc…");
    }
}
