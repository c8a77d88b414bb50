//! Grouping: `read_group` (Odoo 17, and 19's deprecated one) and
//! `formatted_read_group` (19), with date granularities and their labels,
//! aggregates (`sum`, `avg`, `min`, `max`, `count`, `count_distinct`,
//! `array_agg`, `bool_and`, `bool_or`), group order, offset and limit.

use super::dataset::{FieldType, ModelDef};
use super::error::{OdooResult, py_repr, value_error};
use super::records::{Ctx, display_name, raw};
use super::write::round2;
use crate::domain::Domain;
use serde_json::{Map, Value, json};
use std::cmp::Ordering;
use time::{Date, Month};

/// One `groupby` entry: `partner_id` or `date_order:month`.
#[derive(Debug, Clone)]
struct GroupBy {
    spec: String,
    field: String,
    ftype: FieldType,
    granularity: Option<String>,
}

fn parse_groupby(def: &ModelDef, spec: &str) -> OdooResult<GroupBy> {
    let (name, gran) = match spec.split_once(':') {
        Some((n, g)) => (n, Some(g.to_string())),
        None => (spec, None),
    };
    let field =
        def.field(name).ok_or_else(|| value_error(format!("Invalid field '{name}' on model '{}'", def.name)))?;
    let is_date = matches!(field.ftype, FieldType::Date | FieldType::Datetime);
    let granularity = match (is_date, gran) {
        (true, None) => Some("month".to_string()),
        (true, Some(g)) if ["day", "week", "month", "quarter", "year"].contains(&g.as_str()) => Some(g),
        (_, Some(g)) => {
            return Err(value_error(format!("Invalid granularity {} for field '{name}'", py_repr(&json!(g)))));
        }
        (false, None) => None,
    };
    Ok(GroupBy { spec: spec.to_string(), field: name.to_string(), ftype: field.ftype, granularity })
}

fn parse_date(text: &str) -> Option<Date> {
    let y = text.get(0..4)?.parse().ok()?;
    let m: u8 = text.get(5..7)?.parse().ok()?;
    let d = text.get(8..10)?.parse().ok()?;
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

fn add_months(date: Date, months: i32) -> Date {
    let total = date.year() * 12 + (date.month() as i32 - 1) + months;
    let month = Month::try_from((total.rem_euclid(12) + 1) as u8).unwrap_or(Month::January);
    Date::from_calendar_date(total.div_euclid(12), month, 1).unwrap_or(date)
}

/// The period of a date: its start, its end (exclusive) and Odoo's label.
fn period(date: Date, granularity: &str) -> (Date, Date, String) {
    let first_of_month = date.replace_day(1).unwrap_or(date);
    match granularity {
        "day" => (
            date,
            date.next_day().unwrap_or(date),
            format!("{:02} {} {}", date.day(), &month_name(date.month())[..3], date.year()),
        ),
        "week" => {
            let start = date - time::Duration::days(date.weekday().number_days_from_monday() as i64);
            let (iso_year, week, _) = date.to_iso_week_date();
            (start, start + time::Duration::days(7), format!("W{week} {iso_year}"))
        }
        "quarter" => {
            let q = (date.month() as u8 - 1) / 3;
            let start = Date::from_calendar_date(date.year(), Month::try_from(q * 3 + 1).unwrap_or(Month::January), 1)
                .unwrap_or(date);
            (start, add_months(start, 3), format!("Q{} {}", q + 1, date.year()))
        }
        "year" => {
            let start = Date::from_calendar_date(date.year(), Month::January, 1).unwrap_or(date);
            (start, add_months(start, 12), date.year().to_string())
        }
        _ => (first_of_month, add_months(first_of_month, 1), format!("{} {}", month_name(date.month()), date.year())),
    }
}

fn month_name(month: Month) -> String {
    format!("{month}")
}

fn date_text(date: Date, ftype: FieldType) -> String {
    let d = format!("{:04}-{:02}-{:02}", date.year(), date.month() as u8, date.day());
    if ftype == FieldType::Datetime { format!("{d} 00:00:00") } else { d }
}

/// One group key: the raw value (for equality and the domain) and how it is shown.
#[derive(Debug, Clone, PartialEq)]
struct Key {
    raw: Value,
    /// For dates: (start, end) as field values, and the label.
    range: Option<(String, String, String)>,
}

fn keys_of(ctx: Ctx, def: &ModelDef, id: i64, gb: &GroupBy) -> Vec<Key> {
    let Some(rec) = ctx.record(&def.name, id) else { return vec![] };
    let value = raw(ctx, &def.name, rec, &gb.field);
    if let (Some(gran), Some(text)) = (&gb.granularity, value.as_str())
        && let Some(date) = parse_date(text)
    {
        let (start, end, label) = period(date, gran);
        let start_text = date_text(start, gb.ftype);
        return vec![Key {
            raw: json!(start_text.clone()),
            range: Some((start_text, date_text(end, gb.ftype), label)),
        }];
    }
    match value {
        Value::Array(ids) if ids.is_empty() => vec![Key { raw: Value::Bool(false), range: None }],
        Value::Array(ids) => ids.into_iter().map(|v| Key { raw: v, range: None }).collect(),
        Value::Null => vec![Key { raw: Value::Bool(false), range: None }],
        other => vec![Key { raw: other, range: None }],
    }
}

impl Key {
    /// The group's value: many2one `[id, name]`, date label, or the raw value.
    fn shown(&self, ctx: Ctx, def: &ModelDef, gb: &GroupBy, formatted: bool) -> Value {
        if let Some((start, _, label)) = &self.range {
            return if formatted { json!([start, label]) } else { json!(label) };
        }
        let relation = def.field(&gb.field).and_then(|f| f.relation.clone());
        match (&self.raw, relation) {
            (Value::Number(n), Some(comodel)) => {
                let id = n.as_i64().unwrap_or(0);
                json!([id, display_name(ctx, &comodel, id)])
            }
            (other, _) => other.clone(),
        }
    }

    fn domain(&self, gb: &GroupBy) -> Vec<Value> {
        match &self.range {
            Some((start, end, _)) => vec![json!("&"), json!([gb.field, ">=", start]), json!([gb.field, "<", end])],
            None => vec![json!([gb.field, "=", self.raw])],
        }
    }

    fn sort_text(&self, ctx: Ctx, def: &ModelDef, gb: &GroupBy) -> Option<String> {
        match (&self.raw, def.field(&gb.field).and_then(|f| f.relation.clone())) {
            (Value::Bool(false) | Value::Null, _) if gb.ftype != FieldType::Boolean => None,
            (Value::Number(n), Some(comodel)) => {
                Some(display_name(ctx, &comodel, n.as_i64().unwrap_or(0)).to_lowercase())
            }
            (Value::Number(n), None) => Some(format!("{:020.6}", n.as_f64().unwrap_or(0.0) + 1e12)),
            (Value::String(s), _) => Some(s.to_lowercase()),
            (other, _) => Some(other.to_string()),
        }
    }
}

/// One requested aggregate: result key, field, function.
#[derive(Debug, Clone)]
struct Aggregate {
    key: String,
    field: String,
    func: String,
}

const FUNCS: [&str; 9] = ["sum", "avg", "min", "max", "count", "count_distinct", "array_agg", "bool_and", "bool_or"];

fn parse_aggregate(def: &ModelDef, spec: &str, read_group_style: bool) -> OdooResult<Option<Aggregate>> {
    if spec == "__count" {
        return Ok(None);
    }
    let (alias, rest) = match spec.split_once(':') {
        Some((a, r)) => (a.to_string(), Some(r.to_string())),
        None => (spec.to_string(), None),
    };
    let (field, func) = match rest {
        // read_group's "alias:func(field)" form.
        Some(r) if r.ends_with(')') && r.contains('(') => {
            let (func, inner) = r.trim_end_matches(')').split_once('(').unwrap_or((&r, ""));
            (inner.to_string(), Some(func.to_string()))
        }
        Some(func) => (alias.clone(), Some(func)),
        None => (alias.clone(), None),
    };
    let fdef =
        def.field(&field).ok_or_else(|| value_error(format!("Invalid field '{field}' on model '{}'", def.name)))?;
    let func = match func.or_else(|| fdef.aggregator.clone()) {
        Some(f) => f,
        None if read_group_style => return Ok(None),
        None => return Err(value_error(format!("Invalid aggregate {}", py_repr(&json!(spec))))),
    };
    if !FUNCS.contains(&func.as_str()) {
        return Err(value_error(format!("Invalid aggregation function {}.", py_repr(&json!(func)))));
    }
    let key = if read_group_style { alias } else { spec.to_string() };
    Ok(Some(Aggregate { key, field, func }))
}

fn aggregate(ctx: Ctx, def: &ModelDef, ids: &[i64], agg: &Aggregate) -> Value {
    let values: Vec<Value> = ids
        .iter()
        .filter_map(|id| ctx.record(&def.name, *id))
        .map(|rec| raw(ctx, &def.name, rec, &agg.field))
        .collect();
    let ftype = def.field(&agg.field).map(|f| f.ftype);
    let nums: Vec<f64> = values.iter().filter_map(Value::as_f64).collect();
    let number = |v: f64| -> Value {
        match ftype {
            Some(FieldType::Integer) if v.fract() == 0.0 => json!(v as i64),
            Some(FieldType::Monetary) => json!(round2(v)),
            _ => json!((v * 1e6).round() / 1e6),
        }
    };
    let present: Vec<&Value> = values
        .iter()
        .filter(|v| !matches!(v, Value::Null | Value::Bool(false)) || ftype == Some(FieldType::Boolean))
        .collect();
    match agg.func.as_str() {
        "sum" => number(nums.iter().sum()),
        "avg" if nums.is_empty() => Value::Bool(false),
        "avg" => {
            json!(nums.iter().sum::<f64>() / nums.len() as f64)
        }
        "min" | "max" if nums.len() == present.len() && !nums.is_empty() => {
            let pick = if agg.func == "min" {
                nums.iter().copied().fold(f64::INFINITY, f64::min)
            } else {
                nums.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            };
            number(pick)
        }
        "min" | "max" => {
            let mut texts: Vec<String> = present.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
            texts.sort();
            let pick = if agg.func == "min" { texts.first() } else { texts.last() };
            pick.map(|s| json!(s)).unwrap_or(Value::Bool(false))
        }
        "count" => json!(present.len()),
        "count_distinct" => {
            let mut seen: Vec<&Value> = Vec::new();
            for v in &present {
                if !seen.contains(v) {
                    seen.push(v);
                }
            }
            json!(seen.len())
        }
        "array_agg" => Value::Array(values),
        "bool_and" => json!(values.iter().all(|v| v.as_bool().unwrap_or(false))),
        _ => json!(values.iter().any(|v| v.as_bool().unwrap_or(false))),
    }
}

/// Groups ids by a list of groupbys, in order of first appearance.
fn build_groups(ctx: Ctx, def: &ModelDef, ids: &[i64], gbs: &[GroupBy]) -> Vec<(Vec<Key>, Vec<i64>)> {
    let mut groups: Vec<(Vec<Key>, Vec<i64>)> = Vec::new();
    for id in ids {
        let mut combos: Vec<Vec<Key>> = vec![vec![]];
        for gb in gbs {
            let keys = keys_of(ctx, def, *id, gb);
            combos = combos
                .into_iter()
                .flat_map(|c| keys.iter().map(move |k| [c.clone(), vec![k.clone()]].concat()))
                .collect();
        }
        for combo in combos {
            match groups.iter_mut().find(|(k, _)| *k == combo) {
                Some((_, members)) => members.push(*id),
                None => groups.push((combo, vec![*id])),
            }
        }
    }
    groups
}

/// Sort terms for groups: `(key, desc)` where key is a groupby spec, an aggregate key or `__count`.
fn parse_group_order(spec: Option<&str>) -> Vec<(String, bool)> {
    spec.unwrap_or("")
        .split(',')
        .filter_map(|part| {
            let mut words = part.split_whitespace();
            let key = words.next()?.to_string();
            let desc = words.next().is_some_and(|w| w.eq_ignore_ascii_case("desc"));
            Some((key, desc))
        })
        .collect()
}

fn cmp_values(a: &Value, b: &Value) -> Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// What both grouping methods share: the groups, sorted, sliced.
struct Grouped {
    gbs: Vec<GroupBy>,
    aggs: Vec<Aggregate>,
    rows: Vec<GroupRow>,
}

/// A group: its keys (one per groupby), its member ids, its aggregate values.
type GroupRow = (Vec<Key>, Vec<i64>, Map<String, Value>);

#[allow(clippy::too_many_arguments)]
fn group(
    ctx: Ctx,
    def: &ModelDef,
    ids: &[i64],
    groupby: &[String],
    aggregates: &[String],
    read_group_style: bool,
    order: Option<&str>,
    offset: usize,
    limit: Option<usize>,
) -> OdooResult<Grouped> {
    let gbs: Vec<GroupBy> = groupby.iter().map(|g| parse_groupby(def, g)).collect::<OdooResult<_>>()?;
    let mut aggs = Vec::new();
    for spec in aggregates {
        if read_group_style && gbs.iter().any(|g| g.field == spec.split(':').next().unwrap_or("")) {
            continue;
        }
        aggs.extend(parse_aggregate(def, spec, read_group_style)?);
    }
    let mut rows: Vec<GroupRow> = build_groups(ctx, def, ids, &gbs)
        .into_iter()
        .map(|(keys, members)| {
            let mut values = Map::new();
            values.insert("__count".into(), json!(members.len()));
            for agg in &aggs {
                values.insert(agg.key.clone(), aggregate(ctx, def, &members, agg));
            }
            (keys, members, values)
        })
        .collect();
    let mut terms = parse_group_order(order);
    if terms.is_empty() {
        terms = gbs.iter().map(|g| (g.spec.clone(), false)).collect();
    }
    rows.sort_by(|a, b| {
        for (key, desc) in &terms {
            let ord = if let Some(i) = gbs.iter().position(|g| &g.spec == key || &g.field == key) {
                match (a.0[i].sort_text(ctx, def, &gbs[i]), b.0[i].sort_text(ctx, def, &gbs[i])) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Greater,
                    (Some(_), None) => Ordering::Less,
                    (Some(x), Some(y)) => x.cmp(&y),
                }
            } else {
                let lookup = |row: &Map<String, Value>| {
                    row.get(key)
                        .or_else(|| row.get(key.split(':').next().unwrap_or("")))
                        .cloned()
                        .unwrap_or(Value::Null)
                };
                cmp_values(&lookup(&a.2), &lookup(&b.2))
            };
            let ord = if *desc { ord.reverse() } else { ord };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    });
    let rows = rows.into_iter().skip(offset).take(limit.unwrap_or(usize::MAX)).collect();
    Ok(Grouped { gbs, aggs, rows })
}

fn and_domains(parts: Vec<Vec<Value>>) -> Value {
    let parts: Vec<Vec<Value>> = parts.into_iter().filter(|p| !p.is_empty()).collect();
    let mut out = Vec::new();
    for _ in 1..parts.len() {
        out.push(json!("&"));
    }
    for p in parts {
        out.extend(p);
    }
    Value::Array(out)
}

/// `read_group`: one row per group with `<field>_count` (lazy) or `__count`,
/// aggregates under their alias, and `__domain`.
#[allow(clippy::too_many_arguments)]
pub fn read_group(
    ctx: Ctx,
    def: &ModelDef,
    domain: &Domain,
    ids: &[i64],
    fields: &[String],
    groupby: &[String],
    offset: usize,
    limit: Option<usize>,
    orderby: Option<&str>,
    lazy: bool,
) -> OdooResult<Value> {
    let used: Vec<String> = if lazy { groupby.iter().take(1).cloned().collect() } else { groupby.to_vec() };
    let grouped = group(ctx, def, ids, &used, fields, true, orderby, offset, limit)?;
    let user_domain = domain.to_json().as_array().cloned().unwrap_or_default();
    let mut out = Vec::new();
    for (keys, _, values) in grouped.rows {
        let mut row = Map::new();
        let mut conds = Vec::new();
        for (key, gb) in keys.iter().zip(&grouped.gbs) {
            row.insert(gb.spec.clone(), key.shown(ctx, def, gb, false));
            if let Some((start, end, _)) = &key.range {
                row.insert("__range".into(), json!({gb.spec.clone(): {"from": start, "to": end}}));
            }
            conds.push(key.domain(gb));
        }
        let count = values.get("__count").cloned().unwrap_or(json!(0));
        match (lazy, grouped.gbs.first()) {
            (true, Some(gb)) => {
                row.insert(format!("{}_count", gb.field), count);
            }
            _ => {
                row.insert("__count".into(), count);
            }
        }
        for agg in &grouped.aggs {
            row.insert(agg.key.clone(), values.get(&agg.key).cloned().unwrap_or(Value::Bool(false)));
        }
        let mut all = vec![user_domain.clone()];
        all.extend(conds);
        row.insert("__domain".into(), and_domains(all));
        if lazy && groupby.len() > 1 {
            row.insert("__context".into(), json!({"group_by": groupby[1..].to_vec()}));
        }
        out.push(Value::Object(row));
    }
    Ok(Value::Array(out))
}

/// `formatted_read_group` (Odoo 19): group values, `__extra_domain`, and
/// each aggregate under its spec (`__count`, `amount_total:sum`).
#[allow(clippy::too_many_arguments)]
pub fn formatted_read_group(
    ctx: Ctx,
    def: &ModelDef,
    ids: &[i64],
    groupby: &[String],
    aggregates: &[String],
    having: &Value,
    offset: usize,
    limit: Option<usize>,
    order: Option<&str>,
) -> OdooResult<Value> {
    let grouped = group(ctx, def, ids, groupby, aggregates, false, order, 0, None)?;
    let having = match having {
        Value::Array(items) if !items.is_empty() => {
            Some(Domain::from_json(having).map_err(|e| value_error(e.0))?.to_expr())
        }
        _ => None,
    };
    let mut out = Vec::new();
    for (keys, _, values) in grouped.rows {
        if let Some(expr) = &having
            && !having_matches(&values, expr)
        {
            continue;
        }
        let mut row = Map::new();
        let mut conds = Vec::new();
        for (key, gb) in keys.iter().zip(&grouped.gbs) {
            row.insert(gb.spec.clone(), key.shown(ctx, def, gb, true));
            conds.push(key.domain(gb));
        }
        row.insert("__extra_domain".into(), and_domains(conds));
        for spec in aggregates {
            let value = values.get(spec).cloned().unwrap_or(Value::Bool(false));
            row.insert(spec.clone(), value);
        }
        out.push(Value::Object(row));
    }
    Ok(Value::Array(out.into_iter().skip(offset).take(limit.unwrap_or(usize::MAX)).collect()))
}

/// Evaluates a `having` domain over one group's aggregate values.
fn having_matches(values: &Map<String, Value>, expr: &crate::domain::Expr) -> bool {
    use crate::domain::{Expr, Operator};
    match expr {
        Expr::True => true,
        Expr::False => false,
        Expr::And(items) => items.iter().all(|e| having_matches(values, e)),
        Expr::Or(items) => items.iter().any(|e| having_matches(values, e)),
        Expr::Not(inner) => !having_matches(values, inner),
        Expr::Leaf(leaf) => {
            let have = values.get(&leaf.path).cloned().unwrap_or(Value::Null);
            let ord = cmp_values(&have, &leaf.value);
            match leaf.operator {
                Operator::Eq => ord == Ordering::Equal,
                Operator::Ne => ord != Ordering::Equal,
                Operator::Lt => ord == Ordering::Less,
                Operator::Le => ord != Ordering::Greater,
                Operator::Gt => ord == Ordering::Greater,
                Operator::Ge => ord != Ordering::Less,
                _ => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_periods_and_labels() {
        let d = parse_date("2026-10-14 09:30:00").unwrap();
        assert_eq!(period(d, "month").2, "October 2026");
        assert_eq!(period(d, "quarter").2, "Q4 2026");
        assert_eq!(period(d, "year").2, "2026");
        assert_eq!(period(d, "day").2, "14 Oct 2026");
        assert_eq!(period(d, "week").2, "W42 2026");
        assert_eq!(date_text(period(d, "month").1, FieldType::Datetime), "2026-11-01 00:00:00");
        let dec = parse_date("2025-12-05").unwrap();
        assert_eq!(date_text(period(dec, "month").1, FieldType::Date), "2026-01-01");
    }
}
