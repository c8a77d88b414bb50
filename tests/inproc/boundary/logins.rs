//! Who a key is: `Basic login:key` must name the key's own user, cached or
//! not, as Odoo's `authenticate` requires; and a credential binds a key to
//! a user only when Odoo agrees.

use super::rig::{FACES, Outcome, Rig};
use alpenglow::admin::AdminContext;
use alpenglow::admin::api::CreateCredential;
use alpenglow::admin_socket::AdminClient;
use alpenglow::gateway::UpstreamSlot;
use alpenglow::sandbox::OdooVersion;
use base64::Engine;
use serde_json::json;

fn basic(login: &str, key: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{login}:{key}")))
}

#[test]
fn the_login_of_basic_auth_must_match_the_keys_user_even_once_cached() {
    for version in [OdooVersion::V17, OdooVersion::V19] {
        let rig = Rig::on(version);
        rig.s.admin.set_setting("lockout_max_failures", "1000").unwrap();
        // `sales` has no credential: on 16-18 only Basic names its user.
        let key = rig.key("sales");
        let list = json!({});
        for face in FACES {
            let good = rig.ask_as(&basic("sales", &key), face, "alpenglow_list_models", &list);
            assert!(good.is_ok(), "{version:?} {face:?}: {good:?}");
            for login in ["nosuchuser", "admin", "Sales"] {
                let wrong = rig.ask_as(&basic(login, &key), face, "alpenglow_list_models", &list);
                assert!(matches!(wrong, Outcome::Unauthenticated(_)), "{version:?} {face:?} {login}: {wrong:?}");
            }
        }
        // A key registered in a credential: the same rule.
        let admin_key = rig.key("admin");
        let good = rig.ask_as(&basic("admin", &admin_key), FACES[0], "alpenglow_list_models", &list);
        assert!(good.is_ok(), "{version:?}: {good:?}");
        let wrong = rig.ask_as(&basic("sales", &admin_key), FACES[0], "alpenglow_list_models", &list);
        assert!(matches!(wrong, Outcome::Unauthenticated(_)), "{version:?}: {wrong:?}");
    }
}

#[test]
fn a_credential_is_created_only_for_the_user_odoo_says_owns_the_key() {
    let rig = Rig::new();
    let upstream = rig.rt.block_on(crate::common::inproc::client(&rig.s.sandbox));
    let api =
        AdminClient::in_process(AdminContext::new(rig.s.admin.clone(), UpstreamSlot::pinned(upstream), None, "test"))
            .unwrap();
    let sales = rig.s.sandbox.user("sales").unwrap();
    // `check` is the default of a request that leaves it out.
    let create = |user_id: u32, login: &str, key: &str| {
        let call: CreateCredential =
            serde_json::from_value(json!({"label": "t", "user_id": user_id, "login": login, "key": key})).unwrap();
        assert!(call.check);
        api.call(call)
    };
    // The sales key bound to the admin user: refused, naming whose key it is.
    let refused = create(2, "admin", &sales.key).unwrap_err();
    assert!(refused.message.contains("belongs to Odoo user 6"), "{}", refused.message);
    let refused = create(6, "sales", "0123456789abcdef0123456789abcdef01234567").unwrap_err();
    assert!(refused.message.contains("Odoo does not accept this API key"), "{}", refused.message);
    // Its own user: created.
    let created = create(6, "sales", &sales.key).unwrap();
    assert_eq!(created.user_id, 6);
}
