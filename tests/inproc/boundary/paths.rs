//! Dotted paths through a model with a record filter: every hop is guarded
//! like the plain dotted form already is, whether the path ends in a
//! comparison or in `any` / `not any`.

use super::rig::{Rig, results};
use alpenglow::config::ResourceDraft;
use serde_json::{Value, json};

/// Lines readable; orders limited to drafts; users readable.
fn lines_rig() -> Rig {
    let rig = Rig::new();
    rig.s
        .admin
        .add_resources(vec![
            ResourceDraft::new("sale.order.line", false),
            ResourceDraft {
                record_filter: "[('state', '=', 'draft')]".into(),
                ..ResourceDraft::new("sale.order", false)
            },
            ResourceDraft::new("res.users", false),
        ])
        .unwrap();
    rig
}

fn line_ids(result: &Value) -> Vec<i64> {
    result["records"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

#[test]
fn any_on_a_dotted_path_does_not_see_through_a_hidden_hop() {
    let rig = lines_rig();
    // Odoo's truth: lines of orders of user 2, and those of draft orders among them.
    let everyone = rig.truth_ids("sale.order.line", json!([["order_id.user_id", "=", 2]]));
    let drafts =
        rig.truth_ids("sale.order.line", json!([["order_id.user_id", "=", 2], ["order_id.state", "=", "draft"]]));
    assert!(everyone.len() > drafts.len() && !drafts.is_empty());
    let others =
        rig.truth_ids("sale.order.line", json!([["order_id.user_id", "!=", 2], ["order_id.state", "=", "draft"]]));

    let cases = [
        (json!([["order_id.user_id", "any", [["id", "=", 2]]]]), &drafts),
        (json!([["order_id.user_id", "any", [["login", "=", "admin"]]]]), &drafts),
        (json!([["order_id.user_id", "not any", [["id", "=", 2]]]]), &others),
        // The plain dotted form, guarded already: the same answer.
        (json!([["order_id.user_id", "=", 2]]), &drafts),
    ];
    for (domain, expected) in cases {
        let params =
            json!({"model": "sale.order.line", "domain": domain, "fields": ["id"], "limit": 500, "order": "id"});
        for result in results(&rig.all("admin", "alpenglow_search", params)) {
            let mut want = expected.clone();
            want.sort();
            assert_eq!(line_ids(&result), want, "{domain}: lines of hidden orders matched");
        }
    }
}

/// Orders readable; partners limited to companies, email denied; countries readable.
fn orders_rig() -> Rig {
    let rig = Rig::new();
    rig.s.edit_resource("res.partner", |d| {
        d.record_filter = "[('is_company', '=', True)]".into();
        d.field_policy = alpenglow::config::FieldPolicy::Denylist(vec!["email".into()]);
    });
    rig.s
        .admin
        .add_resources(vec![ResourceDraft::new("sale.order", false), ResourceDraft::new("res.country", false)])
        .unwrap();
    rig
}

#[test]
fn every_hop_of_a_group_by_or_order_path_passes_the_policy() {
    let rig = orders_rig();
    let calls = || {
        ["read_group", "formatted_read_group", "search_read", "web_search_read"]
            .iter()
            .map(|m| rig.calls("sale.order", m))
            .sum::<u64>()
    };
    let before = calls();
    let refusals = [
        // A denied field one hop away.
        (
            "alpenglow_aggregate",
            json!({"model": "sale.order", "operation": "group_by", "groupby": "partner_id.email"}),
            "not accessible",
        ),
        (
            "alpenglow_aggregate",
            json!({"model": "sale.order", "operation": "pivot", "row_groupby": "partner_id.email", "col_groupby": "state"}),
            "not accessible",
        ),
        ("alpenglow_search", json!({"model": "sale.order", "order": "partner_id.email"}), "not accessible"),
        // A hop through a model with a record filter: the grouping or order would count or sort hidden partners.
        (
            "alpenglow_aggregate",
            json!({"model": "sale.order", "operation": "group_by", "groupby": ["state", "partner_id.country_id"]}),
            "whose records you may not all see",
        ),
        (
            "alpenglow_search",
            json!({"model": "sale.order", "order": "partner_id.name desc"}),
            "whose records you may not all see",
        ),
        // Ordering by the relation itself sorts by its hidden records' names.
        ("alpenglow_search", json!({"model": "sale.order", "order": "partner_id, id"}), "sorts by the names"),
    ];
    for (tool, params, needle) in refusals {
        super::rig::refused_everywhere(&rig.all("admin", tool, params), "denied", needle);
    }
    assert_eq!(calls(), before, "a refused grouping or order reached Odoo");
    // Through a readable model without a filter, dotted paths still work.
    rig.s.edit_resource("res.partner", |d| d.record_filter = String::new());
    let ok = json!({"model": "sale.order", "order": "partner_id.name desc, id", "fields": ["id"], "limit": 3});
    for result in results(&rig.all("admin", "alpenglow_search", ok)) {
        assert_eq!(result["records"].as_array().unwrap().len(), 3);
    }
}
