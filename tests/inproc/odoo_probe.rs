//! One probe of Odoo's state for `/healthz` and the admin status (the
//! dashboard's Home asks every two seconds): wired as `serve` and `demo`
//! wire it, many asks reach the sandbox as one probe, answered from the
//! cache while it is fresh.

use crate::common::inproc::{client, start_sandbox};
use alpenglow::admin::api::GetStatus;
use alpenglow::admin::{AdminContext, AdminService};
use alpenglow::admin_socket::AdminClient;
use alpenglow::gateway::{Gateway, UpstreamSlot};
use alpenglow::store::Store;
use alpenglow::upstream::probe::FRESH_FOR;

#[test]
fn the_dashboard_and_healthz_share_one_probe_of_odoo() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sandbox = runtime.block_on(start_sandbox());
    let odoo = runtime.block_on(client(&sandbox));
    let dir = tempfile::tempdir().unwrap();
    let admin = AdminService::new(Store::open(dir.path()).unwrap(), Default::default());
    let upstream = UpstreamSlot::pinned(odoo.clone());
    let admin_upstream = UpstreamSlot::pinned(odoo).sharing_probe(upstream.probe());
    let gateway = Gateway::new(admin.rooms().clone(), upstream);
    let context = AdminContext::new(admin, admin_upstream, None, "test")
        .with_pinned_odoo(sandbox.url(), sandbox.database().to_string());
    let api = AdminClient::in_process(context).unwrap();

    let before = sandbox.total_requests();
    for _ in 0..10 {
        let status = api.call(GetStatus {}).unwrap();
        assert!(status.odoo.connected, "{status:?}");
        assert_eq!(
            (status.odoo.version.as_deref(), status.odoo.database_exists),
            (Some("19.0+e-20251227"), Some(true))
        );
        let health = runtime.block_on(gateway.odoo_health());
        assert_eq!((&health["reachable"], &health["database"]), (&true.into(), &"exists".into()), "{health}");
    }
    // One probe: the version and the database, asked once for twenty answers.
    assert_eq!(sandbox.total_requests() - before, 2, "Odoo asked once within {FRESH_FOR:?}");

    // Odoo goes away: within FRESH_FOR the last probe still answers, at once.
    runtime.block_on(sandbox.shutdown());
    let status = api.call(GetStatus {}).unwrap();
    assert!(status.odoo.connected, "the cached probe: {status:?}");
    let health = runtime.block_on(gateway.odoo_health());
    assert!(health["checked_seconds_ago"].as_u64().unwrap() < FRESH_FOR.as_secs(), "{health}");
}
