//! Dotted paths through a model with a record filter: every hop is guarded
//! like the plain dotted form already is, whether the path ends in a
//! comparison or in `any` / `not any`.

use crate::rig::{Rig, results};
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
