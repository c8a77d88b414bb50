//! Each operation's parameter validation, as a table: every malformed call
//! gets one clear error naming the parameter, and nothing reaches Odoo (the
//! sandbox counts every request it receives).

use crate::common::inproc;

use alpenglow::config::{ResourceDraft, Scope};
use alpenglow::gateway::OpError;
use serde_json::json;

#[tokio::test]
async fn malformed_parameters_are_refused_before_odoo() {
    let s = inproc::setup().await;
    s.admin.add_resources(vec![ResourceDraft::new("sale.order", false)]).unwrap();
    s.credential("admin", Scope::Full, None);
    // Authenticate once, so the key's Odoo lookup is cached and not counted below.
    s.call("admin", "alpenglow_list_models", json!({})).await.unwrap();

    let table = [
        ("alpenglow_describe", json!({}), "model is required"),
        ("alpenglow_describe", json!({"model": 5}), "model must be a string"),
        ("alpenglow_search", json!({"model": "res.partner", "limit": -1}), "limit must be a whole number"),
        ("alpenglow_search", json!({"model": "res.partner", "offset": "2"}), "offset must be a whole number"),
        ("alpenglow_search", json!({"model": "res.partner", "fields": "name"}), "fields must be a list of strings"),
        ("alpenglow_search", json!({"model": "res.partner", "domain": [["a", "=="]]}), "has 2 elements"),
        ("alpenglow_search", json!({"model": "res.partner", "order": "name sideways"}), "order"),
        (
            "alpenglow_read",
            json!({"model": "res.partner", "ids": "5"}),
            "ids must be a positive integer id or a list of ids",
        ),
        ("alpenglow_read", json!({"model": "res.partner", "ids": []}), "ids is empty"),
        ("alpenglow_read", json!({"model": "res.partner", "ids": [0]}), "each entry of ids"),
        ("alpenglow_create", json!({"model": "res.partner", "values": 3}), "values must be an object"),
        ("alpenglow_create", json!({"model": "res.partner", "values": []}), "values is an empty list"),
        ("alpenglow_create", json!({"model": "res.partner", "values": [1]}), "each entry of values"),
        (
            "alpenglow_create",
            json!({"model": "res.partner", "values": {}, "dry_run": "yes"}),
            "dry_run must be true or false",
        ),
        ("alpenglow_update", json!({"model": "res.partner", "ids": 1}), "values is required"),
        ("alpenglow_update", json!({"model": "res.partner", "ids": 1, "values": {}}), "values is empty"),
        ("alpenglow_update", json!({"model": "res.partner", "ids": 1, "values": [1]}), "values must be an object"),
        ("alpenglow_delete", json!({"model": "res.partner"}), "ids is required"),
        ("alpenglow_aggregate", json!({"model": "sale.order"}), "operation is required"),
        ("alpenglow_aggregate", json!({"model": "sale.order", "operation": "median"}), "unknown operation \"median\""),
        ("alpenglow_aggregate", json!({"model": "sale.order", "operation": "sum"}), "operation sum needs field"),
        (
            "alpenglow_aggregate",
            json!({"model": "sale.order", "operation": "group_by"}),
            "operation group_by needs groupby",
        ),
        (
            "alpenglow_aggregate",
            json!({"model": "sale.order", "operation": "group_by", "groupby": 5}),
            "groupby must be a string or a list",
        ),
        (
            "alpenglow_aggregate",
            json!({"model": "sale.order", "operation": "group_by", "groupby": "state", "fields": ["amount_total:median"]}),
            "agg one of",
        ),
        (
            "alpenglow_aggregate",
            json!({"model": "sale.order", "operation": "group_by", "groupby": "state", "orderby": "amount_total:sum"}),
            "must name a measure",
        ),
        (
            "alpenglow_aggregate",
            json!({"model": "sale.order", "operation": "top_n", "field": "amount_total", "order": "up"}),
            "order must be asc or desc",
        ),
        (
            "alpenglow_aggregate",
            json!({"model": "sale.order", "operation": "pivot", "row_groupby": "state"}),
            "needs col_groupby",
        ),
        ("alpenglow_aggregate", json!({"model": "sale.order", "operation": "trend"}), "needs date_field"),
        (
            "alpenglow_aggregate",
            json!({"model": "sale.order", "operation": "trend", "date_field": "date_order", "granularity": "hour"}),
            "granularity must be one of",
        ),
        (
            "alpenglow_aggregate",
            json!({"model": "sale.order", "operation": "count", "groupby": "state"}),
            "groupby is not used by operation count",
        ),
        (
            "alpenglow_aggregate",
            json!({"model": "sale.order", "operation": "sum", "field": "amount_total", "limit": 3}),
            "limit is not used by operation sum",
        ),
        ("alpenglow_execute", json!({"model": "res.partner"}), "method is required"),
        ("alpenglow_execute", json!({"model": "res.partner", "method": "name search"}), "is not a method name"),
        (
            "alpenglow_execute",
            json!({"model": "res.partner", "method": "name_search", "args": {}}),
            "args must be a list",
        ),
        (
            "alpenglow_execute",
            json!({"model": "res.partner", "method": "name_search", "kwargs": []}),
            "kwargs must be an object",
        ),
        ("alpenglow_list_models", json!({"model": "x"}), "unknown parameter \"model\"; allowed: none"),
    ];
    let before = s.sandbox.total_requests();
    for (operation, params, expected) in table {
        match s.call("admin", operation, params.clone()).await {
            Err(OpError::Invalid(message)) => assert!(message.contains(expected), "{operation} {params}: {message}"),
            other => panic!("{operation} {params}: expected an invalid-parameter error, got {other:?}"),
        }
    }
    assert_eq!(s.sandbox.total_requests(), before, "a malformed call reached Odoo");
}
