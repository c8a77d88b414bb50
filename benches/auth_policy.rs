//! The cost of the auth + policy path: `cargo bench --bench auth_policy`.
//! Prints one line per measurement (mean per call over a timed loop).

#[path = "../tests/common/inproc.rs"]
mod inproc;

use alpenglow::admin::AdminService;
use alpenglow::config::{ApiKey, CredentialDraft, FieldPolicy, Operations, Resource, ResourceDraft, Scope, Settings};
use alpenglow::gateway::{Authorization, Face, Gateway, RequestContext, UpstreamSlot};
use alpenglow::policy::{self, Action, Caller};
use alpenglow::store::Store;
use std::hint::black_box;
use std::time::Instant;

fn measure(name: &str, iterations: u32, mut f: impl FnMut()) {
    f();
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    let per = start.elapsed() / iterations;
    println!("{name:<58} {:>12?} per call ({iterations} calls)", per);
}

fn resources(n: usize) -> Vec<Resource> {
    let dir = tempfile::tempdir().unwrap();
    let admin = AdminService::new(Store::open(dir.path()).unwrap(), Default::default());
    let drafts = (0..n)
        .map(|i| ResourceDraft {
            model: format!("x.model{i}"),
            company_id: if i % 3 == 0 { Some(1) } else { None },
            read_only: false,
            operations: Operations::ALL,
            field_policy: FieldPolicy::Denylist(vec!["email".into(), "phone".into()]),
            record_filter: "[('active', '=', True)]".into(),
            execute_methods: vec![],
            approvals: Default::default(),
        })
        .collect();
    admin.add_resources(drafts).unwrap();
    admin.resources().unwrap()
}

fn main() {
    let key = ApiKey::parse("427d4acab3316c436c1beeabda4134b91f4d3959").unwrap();
    let hash = key.hash();
    measure("argon2id verify (the cost of a cache miss, local part)", 20, || {
        black_box(key.verify(&hash));
    });

    let all = resources(50);
    let caller = Caller { read_only_scope: false, home_company: Some(1) };
    measure("policy: resource_for + check_action + check_fields (50 resources)", 100_000, || {
        let r = policy::resource_for(&all, caller, "x.model42").unwrap();
        policy::check_action(r, caller, Action::Read).unwrap();
        policy::check_fields(r, ["name", "city", "country_id"], "read").unwrap();
        black_box(policy::scoped_domain(r, &alpenglow::domain::Domain::empty()).unwrap());
    });
    let settings = Settings::default();
    measure("policy: cap_limit", 1_000_000, || {
        black_box(policy::cap_limit(black_box(5000), &settings));
    });

    // A 1 MiB body of distinct ids (the largest a face accepts): parsing and
    // de-duplicating them must be linear, or one request pins a worker.
    let ids: Vec<u64> = (1_000_000..1_150_000).collect();
    let params = serde_json::json!({"model": "res.partner", "ids": ids});
    println!("ids body: {} bytes", params.to_string().len());
    measure("params: alpenglow_read with 150,000 distinct ids (1 MiB body)", 5, || {
        black_box(alpenglow::ops::Operation::parse(alpenglow::ops::OpName::Read, &params).unwrap());
    });

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let sandbox = inproc::start_sandbox().await;
        let dir = tempfile::tempdir().unwrap();
        let admin = AdminService::new(Store::open(dir.path()).unwrap(), Default::default());
        admin.set_setting("enable_mcp", "on").unwrap();
        admin.add_resources(vec![ResourceDraft::new("res.partner", false)]).unwrap();
        // 100 credentials of other users, so the prefix index has to find the right one.
        for i in 0..100u32 {
            admin
                .create_credential(CredentialDraft {
                    label: format!("c{i}"),
                    user_id: 100 + i,
                    login: format!("u{i}"),
                    scope: Scope::Full,
                    expires_on: None,
                    company_id: None,
                    key: ApiKey::parse(&format!("{i:08x}{}", "ab".repeat(16))).unwrap(),
                })
                .unwrap();
        }
        let admin_user = sandbox.user("admin").unwrap();
        admin
            .create_credential(CredentialDraft {
                label: "bench".into(),
                user_id: admin_user.uid as u32,
                login: admin_user.login.clone(),
                scope: Scope::Full,
                expires_on: None,
                company_id: None,
                key: ApiKey::parse(&admin_user.key).unwrap(),
            })
            .unwrap();
        let client = inproc::client(&sandbox).await;
        let ctx = RequestContext::new(
            Face::JsonRpc,
            "127.0.0.1".parse().unwrap(),
            Authorization::Bearer(admin_user.key.clone()),
        );

        let lookup = Instant::now();
        for _ in 0..10 {
            black_box(admin.credential_for_key(&key).unwrap());
        }
        println!(
            "{:<58} {:>12?} per call (10 calls)",
            "credential lookup by prefix + argon2 (101 credentials)",
            lookup.elapsed() / 10
        );

        let misses = 10;
        let start = Instant::now();
        for _ in 0..misses {
            let gateway = Gateway::new(admin.rooms().clone(), UpstreamSlot::pinned(client.clone()));
            black_box(gateway.authenticate(&ctx).await.unwrap());
        }
        println!(
            "{:<58} {:>12?} per call ({misses} calls)",
            "authenticate, cache miss (argon2 + Odoo over loopback)",
            start.elapsed() / misses
        );

        let gateway = Gateway::new(admin.rooms().clone(), UpstreamSlot::pinned(client.clone()));
        gateway.authenticate(&ctx).await.unwrap();
        let hits = 2_000;
        let start = Instant::now();
        for _ in 0..hits {
            black_box(gateway.authenticate(&ctx).await.unwrap());
        }
        println!(
            "{:<58} {:>12?} per call ({hits} calls)",
            "authenticate, cache hit (store re-read of credentials)",
            start.elapsed() / hits
        );
        sandbox.shutdown().await;
    });
}
