//! Record filters fail closed: a stored filter that no longer parses (an
//! older or newer release's, a hand-edited store) is never "no filter"; the
//! resource refuses every request, on every face, and nothing reaches Odoo.

use super::rig::{Rig, refused_everywhere};
use alpenglow::config::{Operations, Resource};
use serde_json::json;

const PARTNER_METHODS: [&str; 9] =
    ["search_read", "web_search_read", "search", "search_count", "read", "create", "write", "unlink", "read_group"];

#[test]
fn a_stored_filter_that_no_longer_parses_refuses_every_request() {
    let rig = Rig::new();
    rig.s.admin.add_resources(vec![alpenglow::config::ResourceDraft::new("sale.order", false)]).unwrap();
    let table = rig.s.admin.store().table::<Resource>().unwrap();
    let mut partner = rig.s.admin.find_resource("res.partner").unwrap();
    partner.operations = Operations::ALL;
    partner.execute_methods = vec!["name_search".into()];
    partner.record_filter = "[('is_company', '=', True)".into();
    table.insert(&partner.id, &partner).unwrap();
    let calls = || PARTNER_METHODS.iter().map(|m| rig.calls("res.partner", m)).sum::<u64>();
    let before = calls();

    let asks = [
        ("alpenglow_describe", json!({"model": "res.partner"})),
        ("alpenglow_search", json!({"model": "res.partner", "fields": ["name"]})),
        ("alpenglow_read", json!({"model": "res.partner", "ids": [107]})),
        ("alpenglow_create", json!({"model": "res.partner", "values": {"name": "X"}})),
        ("alpenglow_update", json!({"model": "res.partner", "ids": [107], "values": {"name": "X"}})),
        ("alpenglow_delete", json!({"model": "res.partner", "ids": [107]})),
        ("alpenglow_aggregate", json!({"model": "res.partner", "operation": "count"})),
        ("alpenglow_execute", json!({"model": "res.partner", "method": "name_search", "args": ["Soren"]})),
        // Through a relation, too: the partners' filter guards a dotted path.
        ("alpenglow_search", json!({"model": "sale.order", "domain": [["partner_id.name", "=", "Soren Schmidt"]]})),
    ];
    for (tool, params) in asks {
        let answers = rig.all("admin", tool, params.clone());
        refused_everywhere(&answers, "denied", "its resource (id");
        refused_everywhere(&answers, "denied", "does not parse");
        for (face, answer) in &answers {
            assert!(!answer.text().contains("is_company"), "{face:?} quotes the admin's filter: {answer:?}");
        }
    }
    assert_eq!(calls(), before, "a request on a resource with a broken filter reached Odoo");
    // The admin's list flags it.
    let view = alpenglow::admin::views::resource(&partner);
    assert!(view.record_filter_error.as_deref().unwrap().contains("does not parse"), "{view:?}");
}
