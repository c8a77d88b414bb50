//! Registering a resource: the model, its field lists and its record
//! filter's field paths must exist in Odoo (asked as the gateway's service
//! key); when Odoo cannot be asked, the resource is stored with a warning.

use super::rig::Rig;
use alpenglow::admin::AdminContext;
use alpenglow::admin::api::{AddResources, EditResource, ResourcePatch, ResourceView};
use alpenglow::admin_socket::AdminClient;
use alpenglow::config::ApiKey;
use alpenglow::gateway::UpstreamSlot;
use serde_json::json;

fn api(rig: &Rig, service_key: Option<&str>) -> AdminClient {
    let upstream = rig.rt.block_on(crate::common::inproc::client(&rig.s.sandbox));
    let key = service_key.map(|k| ApiKey::parse(k).unwrap());
    let context = AdminContext::new(rig.s.admin.clone(), UpstreamSlot::pinned(upstream), key, "test")
        .with_pinned_odoo(rig.s.sandbox.url(), rig.s.sandbox.database().into());
    AdminClient::in_process(context).unwrap()
}

fn add(api: &AdminClient, model: &str, patch: serde_json::Value) -> Result<Vec<ResourceView>, String> {
    let patch: ResourcePatch = serde_json::from_value(patch).unwrap();
    api.call(AddResources { models: vec![model.into()], patch }).map_err(|e| e.message)
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
    assert_eq!(added[0].warning, None, "{added:?}");
    // An edit is checked the same way.
    let patch = ResourcePatch { record_filter: Some("[('nosuch', '=', 1)]".into()), ..Default::default() };
    let edit = api.call(EditResource { resource: "res.users".into(), model: None, patch });
    assert!(edit.unwrap_err().message.contains("res.users has no field \"nosuch\""));
}

#[test]
fn without_a_service_key_the_resource_is_stored_with_a_warning() {
    let rig = Rig::new();
    let api = api(&rig, None);
    let added = add(&api, "x_nosuch.model", json!({})).unwrap();
    let warning = added[0].warning.as_deref().unwrap();
    assert!(
        warning.contains("x_nosuch.model was not checked against Odoo") && warning.contains("service key"),
        "{warning}"
    );
}
