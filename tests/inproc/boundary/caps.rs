//! `limit: 0` and groups: Odoo reads a limit of 0 as "no limit" (it adds
//! `LIMIT` only for a true value), so a 0 sent on would fetch the whole
//! table. Every limit the caller gives is capped before Odoo sees it, and
//! group results are capped by Max Records per Request like records.

use super::rig::{Rig, results};
use serde_json::{Value, json};

fn small_rig() -> Rig {
    let rig = Rig::new();
    rig.s.admin.add_resources(vec![alpenglow::config::ResourceDraft::new("sale.order", false)]).unwrap();
    rig.s.admin.set_setting("max_records_per_request", "10").unwrap();
    rig
}

#[test]
fn the_sandbox_reads_limit_0_as_no_limit_like_odoo() {
    let rig = Rig::new();
    let all = rig.truth("res.partner", "search_count", json!([[]]), json!({}));
    let zero = rig.truth("res.partner", "search", json!([[]]), json!({"limit": 0}));
    assert_eq!(zero.as_array().unwrap().len() as u64, all.as_u64().unwrap());
    let names = rig.truth("res.partner", "name_search", json!([""]), json!({"limit": 0}));
    assert_eq!(names.as_array().unwrap().len() as u64, all.as_u64().unwrap());
    let capped = rig.truth("res.partner", "search_count", json!([[]]), json!({"limit": 0}));
    assert_eq!(capped, all);
}

#[test]
fn limit_0_is_capped_like_any_other_limit_on_every_face() {
    let rig = small_rig();
    let partners = rig.truth("res.partner", "search_count", json!([[]]), json!({})).as_u64().unwrap();
    assert!(partners > 10);
    for limit in [0, 20] {
        let params = json!({"model": "res.partner", "fields": ["name"], "limit": limit});
        for result in results(&rig.all("admin", "alpenglow_search", params)) {
            assert_eq!(result["records"].as_array().unwrap().len(), 10, "limit {limit}: {result}");
            assert_eq!((result["capped"].clone(), result["limit"].clone()), (json!(true), json!(10)));
            assert_eq!(result["total"], partners);
        }
    }
    let top = json!({"model": "res.partner", "operation": "top_n", "field": "customer_rank", "limit": 0});
    for result in results(&rig.all("admin", "alpenglow_aggregate", top)) {
        assert!(result["records"].as_array().unwrap().len() <= 10, "{result}");
    }
}

#[test]
fn groups_are_capped_by_max_records_per_request() {
    let rig = small_rig();
    let names = rig.truth("res.partner", "read_group", json!([[], ["name"], ["name"]]), json!({"lazy": false}));
    assert!(names.as_array().unwrap().len() > 10);
    let asks: [(Value, &str); 4] = [
        (json!({"model": "res.partner", "operation": "group_by", "groupby": "name"}), "groups"),
        (json!({"model": "res.partner", "operation": "group_by", "groupby": "name", "limit": 0}), "groups"),
        (
            json!({"model": "res.partner", "operation": "pivot", "row_groupby": "name", "col_groupby": "is_company"}),
            "rows",
        ),
        (
            json!({"model": "sale.order", "operation": "trend", "date_field": "date_order", "granularity": "day"}),
            "periods",
        ),
    ];
    for (params, list) in asks {
        for result in results(&rig.all("admin", "alpenglow_aggregate", params.clone())) {
            let n = result[list].as_array().unwrap().len();
            assert!(n <= 10, "{params}: {n} {list}");
            assert_eq!(result["capped"], true, "{params}: {result}");
            assert!(result["note"].as_str().unwrap().contains("Max Records per Request"));
        }
    }
}
