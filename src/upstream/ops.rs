//! Protocol-neutral model calls ([`Op`]) and the readers of their results.
//!
//! An `Op` lists a method's arguments by name in signature order and says how
//! many lead positionally on `execute_kw`: JSON-2 sends them all by name (plus
//! `ids`), JSON-RPC / XML-RPC send `[ids, leading...]` and the rest as kwargs,
//! which is how Odoo's own clients (and the recorded exchanges) call.

use serde_json::{Map, Value as Json};

use super::Record;
use super::error::{Result, UpstreamError};
use super::types::{FormattedReadGroupQuery, Identity, ReadGroupQuery, SearchPage, SearchQuery};

/// One model method call.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    pub model: String,
    pub method: String,
    /// Record ids for methods on records (`read`, `write`, ...); `None` for
    /// `@api.model` methods.
    pub ids: Option<Vec<i64>>,
    /// Arguments in signature order. An empty name is a positional argument
    /// whose parameter name is unknown (from `call_method`).
    pub params: Vec<(String, Json)>,
    /// How many leading `params` go positionally on `execute_kw`.
    pub positional: usize,
}

impl Op {
    fn new(model: &str, method: &str, ids: Option<&[i64]>) -> Self {
        Op {
            model: model.into(),
            method: method.into(),
            ids: ids.map(<[i64]>::to_vec),
            params: Vec::new(),
            positional: 0,
        }
    }

    fn arg(mut self, name: &str, value: impl Into<Json>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    fn opt<T: Into<Json>>(self, name: &str, value: Option<T>) -> Self {
        match value {
            Some(v) => self.arg(name, v),
            None => self,
        }
    }

    fn positional(mut self, n: usize) -> Self {
        self.positional = n;
        self
    }

    /// Whether some argument has no name (JSON-2 cannot send it).
    pub fn has_unnamed(&self) -> bool {
        self.params.iter().any(|(n, _)| n.is_empty())
    }

    /// The JSON-2 body: `ids`, named arguments, `context`.
    pub fn json2_body(&self, who: &Identity) -> Map<String, Json> {
        let mut body = Map::new();
        if let Some(ids) = &self.ids {
            body.insert("ids".into(), Json::from(ids.clone()));
        }
        for (name, value) in &self.params {
            body.insert(name.clone(), value.clone());
        }
        merge_context(&mut body, who);
        body
    }

    /// `execute_kw`'s `args` and `kwargs`.
    pub fn execute_kw_args(&self, who: &Identity) -> (Vec<Json>, Map<String, Json>) {
        let mut args = Vec::new();
        if let Some(ids) = &self.ids {
            args.push(Json::from(ids.clone()));
        }
        let mut kwargs = Map::new();
        for (i, (name, value)) in self.params.iter().enumerate() {
            if i < self.positional || name.is_empty() {
                args.push(value.clone());
            } else {
                kwargs.insert(name.clone(), value.clone());
            }
        }
        merge_context(&mut kwargs, who);
        (args, kwargs)
    }
}

/// Sets `context.allowed_company_ids` from the identity, over anything the
/// caller put there: a caller must not widen its own companies.
fn merge_context(kwargs: &mut Map<String, Json>, who: &Identity) {
    if who.company_ids.is_empty() {
        return;
    }
    let ctx = kwargs.entry("context").or_insert_with(|| Json::Object(Map::new()));
    if !ctx.is_object() {
        *ctx = Json::Object(Map::new());
    }
    if let Json::Object(map) = ctx {
        map.insert("allowed_company_ids".into(), Json::from(who.company_ids.clone()));
    }
}

fn strings(v: &[String]) -> Json {
    Json::from(v.to_vec())
}

pub fn fields_get(model: &str, allfields: Option<&[String]>, attributes: Option<&[String]>) -> Op {
    Op::new(model, "fields_get", None)
        .opt("allfields", allfields.map(strings))
        .opt("attributes", attributes.map(strings))
}

pub fn search_read(model: &str, q: &SearchQuery) -> Op {
    Op::new(model, "search_read", None)
        .arg("domain", q.domain.clone())
        .opt("fields", q.fields.as_deref().map(strings))
        .opt("offset", q.offset)
        .opt("limit", q.limit)
        .opt("order", q.order.clone())
        .positional(1)
}

pub fn search(model: &str, q: &SearchQuery) -> Op {
    Op::new(model, "search", None)
        .arg("domain", q.domain.clone())
        .opt("offset", q.offset)
        .opt("limit", q.limit)
        .opt("order", q.order.clone())
        .positional(1)
}

pub fn search_count(model: &str, domain: &Json) -> Op {
    Op::new(model, "search_count", None).arg("domain", domain.clone()).positional(1)
}

/// `search_count(domain, limit=...)` (16+): counting stops at `limit`.
pub fn search_count_at_most(model: &str, domain: &Json, limit: u64) -> Op {
    Op::new(model, "search_count", None).arg("domain", domain.clone()).arg("limit", limit).positional(1)
}

/// `web_search_read`: a page of records and how many match, in one call.
/// Odoo 17+ take a `specification` (each field `{}`, a many2one asked with
/// `{"fields": {"display_name": {}}}` so it comes back named, as
/// `{id, display_name}`); 16 takes `fields` and answers search_read's shapes.
/// Odoo counts only when the page is full, and then at most `count_limit`.
pub fn web_search_read(model: &str, q: &SearchQuery, many2one: &[String], specification: bool, count_limit: u64) -> Op {
    let op = Op::new(model, "web_search_read", None).arg("domain", q.domain.clone());
    let op = if specification {
        let spec: Map<String, Json> = q
            .fields
            .iter()
            .flatten()
            .map(|f| {
                let sub = if many2one.contains(f) {
                    serde_json::json!({"fields": {"display_name": {}}})
                } else {
                    Json::Object(Map::new())
                };
                (f.clone(), sub)
            })
            .collect();
        op.arg("specification", Json::Object(spec))
    } else {
        op.opt("fields", q.fields.as_deref().map(strings))
    };
    op.opt("offset", q.offset).opt("limit", q.limit).opt("order", q.order.clone()).arg("count_limit", count_limit)
}

/// Reads `web_search_read`'s `{length, records}`, a many2one given as
/// `{id, display_name}` (17+) turned into search_read's `[id, name]`.
pub fn search_page(v: Json, many2one: &[String]) -> Result<SearchPage> {
    let mut page = object(v)?;
    let length = page.get("length").and_then(Json::as_u64).ok_or_else(|| shape("web_search_read", "a length"))?;
    let mut records = records(page.remove("records").unwrap_or(Json::Null))?;
    for record in &mut records {
        for field in many2one {
            if let Some(Json::Object(named)) = record.get(field) {
                let pair = Json::Array(vec![
                    named.get("id").cloned().unwrap_or(Json::Bool(false)),
                    named.get("display_name").cloned().unwrap_or(Json::Bool(false)),
                ]);
                record.insert(field.clone(), pair);
            }
        }
    }
    Ok(SearchPage { records, length })
}

pub fn read(model: &str, ids: &[i64], fields: Option<&[String]>) -> Op {
    Op::new(model, "read", Some(ids)).opt("fields", fields.map(strings)).positional(1)
}

/// `single`: send the one values dict itself (execute_kw's classic form).
pub fn create(model: &str, vals_list: &[Record], single: bool) -> Op {
    let vals = match vals_list {
        [one] if single => Json::Object(one.clone()),
        _ => Json::Array(vals_list.iter().cloned().map(Json::Object).collect()),
    };
    Op::new(model, "create", None).arg("vals_list", vals).positional(1)
}

pub fn write(model: &str, ids: &[i64], vals: &Record) -> Op {
    Op::new(model, "write", Some(ids)).arg("vals", Json::Object(vals.clone())).positional(1)
}

pub fn unlink(model: &str, ids: &[i64]) -> Op {
    Op::new(model, "unlink", Some(ids))
}

pub fn read_group(model: &str, q: &ReadGroupQuery) -> Op {
    Op::new(model, "read_group", None)
        .arg("domain", q.domain.clone())
        .arg("fields", strings(&q.fields))
        .arg("groupby", strings(&q.groupby))
        .opt("offset", q.offset)
        .opt("limit", q.limit)
        .opt("orderby", q.orderby.clone())
        .arg("lazy", q.lazy)
        .positional(3)
}

pub fn formatted_read_group(model: &str, q: &FormattedReadGroupQuery) -> Op {
    Op::new(model, "formatted_read_group", None)
        .arg("domain", q.domain.clone())
        .arg("groupby", strings(&q.groupby))
        .arg("aggregates", strings(&q.aggregates))
        .opt("having", q.having.clone())
        .opt("offset", q.offset)
        .opt("limit", q.limit)
        .opt("order", q.order.clone())
}

/// A named method with execute_kw semantics (positional names unknown).
pub fn call(model: &str, method: &str, ids: Option<&[i64]>, args: Vec<Json>, kwargs: Record) -> Op {
    let positional = args.len();
    let mut op = Op::new(model, method, ids);
    op.params = args.into_iter().map(|a| (String::new(), a)).chain(kwargs).collect();
    op.positional = positional;
    op
}

pub(crate) fn shape(what: &str, expected: &str) -> UpstreamError {
    UpstreamError::BadResponse(format!("{what}: expected {expected}"))
}

/// A list of record objects.
pub fn records(v: Json) -> Result<Vec<Record>> {
    let Json::Array(items) = v else { return Err(shape("records", "a list")) };
    items
        .into_iter()
        .map(|i| match i {
            Json::Object(m) => Ok(m),
            _ => Err(shape("records", "a list of objects")),
        })
        .collect()
}

pub fn ids(v: Json) -> Result<Vec<i64>> {
    let Json::Array(items) = v else { return Err(shape("ids", "a list")) };
    items.iter().map(|i| i.as_i64().ok_or_else(|| shape("ids", "integers"))).collect()
}

pub fn object(v: Json) -> Result<Record> {
    match v {
        Json::Object(m) => Ok(m),
        _ => Err(shape("result", "an object")),
    }
}

pub fn boolean(what: &str, v: Json) -> Result<bool> {
    v.as_bool().ok_or_else(|| shape(what, "true or false"))
}

/// An id field: an int, or a many2one `[id, name]`; `false` is none.
pub fn get_id(r: &Record, field: &str) -> Option<i64> {
    match r.get(field)? {
        Json::Number(n) => n.as_i64(),
        Json::Array(pair) => pair.first()?.as_i64(),
        _ => None,
    }
}

pub fn get_ids(r: &Record, field: &str) -> Vec<i64> {
    r.get(field).and_then(Json::as_array).map(|a| a.iter().filter_map(Json::as_i64).collect()).unwrap_or_default()
}

/// A string field; Odoo's `false` (unset) is `None`.
pub fn get_str(r: &Record, field: &str) -> Option<String> {
    r.get(field).and_then(Json::as_str).map(str::to_owned)
}

/// The display name of a many2one `[id, name]`.
pub fn get_m2o_name(r: &Record, field: &str) -> Option<String> {
    r.get(field)?.as_array()?.get(1)?.as_str().map(str::to_owned)
}
