//! Registering a resource: the model, its field lists and its record
//! filter's field paths must exist in Odoo (asked as the gateway's service
//! key); when Odoo cannot be asked, the resource is stored with a warning.

use crate::rig::Rig;
use alpenglow::admin_socket::{AdminApi, AdminContext, Direct};
use alpenglow::config::ApiKey;
use alpenglow::gateway::UpstreamSlot;
use serde_json::{Value, json};

fn api(rig: &Rig, service_key: Option<&str>) -> Direct {
    let upstream = rig.rt.block_on(crate::inproc::client(&rig.s.sandbox));
    let key = service_key.map(|k| ApiKey::parse(k).unwrap());
    let context = AdminContext::new(rig.s.admin.clone(), UpstreamSlot::pinned(upstream), key, "test")
        .with_pinned_odoo(rig.s.sandbox.url(), rig.s.sandbox.database().into());
    Direct::new(context).unwrap()
}

fn add(api: &Direct, model: &str, patch: Value) -> Result<Value, String> {
    api.call("resources.add", json!({"models": [model], "patch": patch})).map_err(|e| e.message)
}

#[test]
fn a_resource_naming_what_odoo_does_not_have_is_refused() {
    let rig = Rig::new();
    let api = api(&rig, Some(&rig.key("admin")));
    let refusals = [
        ("x_nosuch.model", json!({}), "Odoo has no model \"x_nosuch.model\""),
        ("res.currency", json!({"field_policy": "allowlist", "fields": ["name", "nosuch"]}), "has no field \"nosuch\""),
        ("res.currency", json!({"field_policy": "denylist", "fields": ["symbl"]}), "has no field \"symbl\""),
        ("res.currency", json!({"record_filter": "[('activ', '=', True)]"}), "res.currency has no field \"activ\""),
        (
            "res.users",
            json!({"record_filter": "[('partner_id.is_compny', '=', False)]"}),
            "res.partner has no field \"is_compny\"",
        ),
        (
            "res.users",
            json!({"record_filter": "[('partner_id', 'any', [('nosuch', '=', 1)])]"}),
            "res.partner has no field \"nosuch\"",
        ),
    ];
    for (model, patch, needle) in refusals {
        let refused = add(&api, model, patch.clone()).unwrap_err();
        assert!(refused.contains(needle), "{model} {patch}: {refused}");
    }
    assert!(rig.s.admin.resources().unwrap().iter().all(|r| r.model == "res.partner"), "nothing was stored");
    // Names that exist pass, with no warning.
    let added = add(&api, "res.users", json!({"record_filter": "[('partner_id.is_company', '=', False)]"})).unwrap();
    assert_eq!(added[0]["warning"], Value::Null, "{added}");
    // An edit is checked the same way.
    let edit = api
        .call("resources.edit", json!({"resource": "res.users", "patch": {"record_filter": "[('nosuch', '=', 1)]"}}));
    assert!(edit.unwrap_err().message.contains("res.users has no field \"nosuch\""));
}

#[test]
fn without_a_service_key_the_resource_is_stored_with_a_warning() {
    let rig = Rig::new();
    let api = api(&rig, None);
    let added = add(&api, "x_nosuch.model", json!({})).unwrap();
    let warning = added[0]["warning"].as_str().unwrap();
    assert!(
        warning.contains("x_nosuch.model was not checked against Odoo") && warning.contains("service key"),
        "{warning}"
    );
}
