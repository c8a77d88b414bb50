//! What an OAuth access token costs per request: `cargo bench --bench oauth`.
//!
//! In one process, over a real store in a temp directory and the sandbox on
//! loopback: the gateway's `authenticate` for a request carrying the
//! sales user's API key (a verified key: the cache answers) and for one
//! carrying an access token of that user's grant (the token's hash and its
//! grant read from the store, the Odoo key unsealed, the credential read,
//! the Odoo identity from the same cache); then `OAuth::resolve` alone, the
//! vault's seal and open, and a whole code exchange at the token endpoint
//! (two tokens hashed and stored, one flush).
//!
//! `ALPENGLOW_BENCH_ITERATIONS` sets the iterations per figure (default 20,000).

#[path = "../tests/common/inproc.rs"]
mod inproc;

use alpenglow::admin::AdminService;
use alpenglow::config::{ApiKey, CredentialDraft, Scope};
use alpenglow::gateway::{Authorization, Face, Gateway, RequestContext, UpstreamSlot};
use alpenglow::oauth::{AuthorizeRequest, ClientInfo, FetchOptions, OAuth, OAuthOptions, Person};
use alpenglow::store::Store;
use alpenglow::vocab::ScopeSet;
use std::net::IpAddr;
use std::time::{Duration, Instant};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://127.0.0.1:9/callback";

fn iterations() -> u32 {
    std::env::var("ALPENGLOW_BENCH_ITERATIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(20_000)
}

fn report(name: &str, total: Duration, n: u32) {
    let per = total / n;
    println!("{name:<58} {:>9.2} µs/op  ({n} ops)", per.as_secs_f64() * 1e6);
}

async fn time_async<F, Fut>(name: &str, n: u32, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..100 {
        f().await;
    }
    let started = Instant::now();
    for _ in 0..n {
        f().await;
    }
    report(name, started.elapsed(), n);
}

/// A code for the sales user, as the consent page's approval makes it.
async fn new_code(oauth: &OAuth, person: &Person, base: &str) -> String {
    let client = ClientInfo {
        client_id: "agw_client_bench".into(),
        name: "bench".into(),
        host: "this computer".into(),
        redirect_uris: vec![REDIRECT.into()],
        verified: false,
    };
    let request = AuthorizeRequest {
        client_id: client.client_id.clone(),
        redirect_uri: REDIRECT.into(),
        state: None,
        code_challenge: CHALLENGE.into(),
        scopes: ScopeSet::all(),
        resource: format!("{base}/alpenglow/mcp"),
    };
    let ip: IpAddr = "127.0.0.1".parse().unwrap();
    let location = oauth.approve(&request, &client, person, ScopeSet::all(), ip).await.expect("approved");
    let query = location.split_once('?').unwrap().1;
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "code").unwrap().1.into_owned()
}

fn exchange_form(code: &str, base: &str) -> Vec<(String, String)> {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", "agw_client_bench"),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("resource", &format!("{base}/alpenglow/mcp")),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().worker_threads(2).build().unwrap();
    runtime.block_on(async {
        let sandbox = inproc::start_sandbox().await;
        let dir = tempfile::tempdir().unwrap();
        let admin = AdminService::new(Store::open(&dir.path().join("data")).unwrap(), Default::default());
        admin.set_setting("enable_mcp", "on").unwrap();
        admin.set_setting("oauth_enabled", "on").unwrap();
        // Budgets out of the way: this measures authentication, not limits.
        admin.set_setting("rate_limiting", "off").unwrap();
        let user = sandbox.user("sales").unwrap();
        let key = ApiKey::parse(&user.key).unwrap();
        admin
            .create_credential(CredentialDraft {
                label: "bench".into(),
                user_id: user.uid as u32,
                login: user.login.clone(),
                scope: Scope::Full,
                expires_on: None,
                company_id: None,
                key: key.clone(),
            })
            .unwrap();
        let base = "http://127.0.0.1:1";
        let oauth = OAuth::new(
            admin.rooms().clone(),
            OAuthOptions {
                public_url: Some(base.into()),
                key_file: dir.path().join("oauth.key"),
                fetch: FetchOptions::default(),
            },
        );
        let gateway = Gateway::with_oauth(
            admin.rooms().clone(),
            UpstreamSlot::pinned(inproc::client(&sandbox).await),
            oauth.clone(),
        );
        let person = Person {
            uid: user.uid,
            login: user.login.clone(),
            name: "Sally".into(),
            company_ids: vec![1, 2],
            key: key.clone(),
        };
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let code = new_code(&oauth, &person, base).await;
        let tokens = oauth.token(&exchange_form(&code, base), ip).await.unwrap();
        let access = tokens["access_token"].as_str().unwrap().to_string();

        let n = iterations();
        println!("OAuth per-request costs, {n} iterations each (2 worker threads):");
        let key_ctx = RequestContext::new(Face::Mcp, ip, Authorization::Bearer(user.key.clone()));
        time_async("gateway authenticate, API key (verified, cached)", n, || async {
            gateway.authenticate(&key_ctx).await.unwrap();
        })
        .await;
        let token_ctx = RequestContext::new(Face::Mcp, ip, Authorization::Bearer(access.clone()));
        time_async("gateway authenticate, OAuth access token", n, || async {
            let principal = gateway.authenticate(&token_ctx).await.unwrap();
            assert!(principal.token_scopes().is_some());
        })
        .await;
        time_async("OAuth::resolve alone (2 store reads, unseal)", n, || async {
            oauth.resolve(&access).ok().unwrap();
        })
        .await;
        let vault = oauth.vault();
        let sealed = vault.seal(key.expose(), b"7").unwrap();
        time_async("vault seal (ChaCha20-Poly1305, 40-byte key)", n, || async {
            vault.seal(key.expose(), b"7").unwrap();
        })
        .await;
        time_async("vault open", n, || async {
            vault.open(&sealed, b"7").unwrap();
        })
        .await;
        // The token endpoint writes and flushes, and each code's approval
        // runs argon2 once: fewer iterations.
        let exchanges = 200;
        let mut codes = Vec::new();
        for _ in 0..exchanges + 100 {
            codes.push(new_code(&oauth, &person, base).await);
        }
        let mut codes = codes.into_iter();
        time_async("token endpoint: code exchange (grant read, 2 tokens stored, flush)", exchanges, || {
            let form = exchange_form(&codes.next().unwrap(), base);
            let oauth = oauth.clone();
            async move {
                oauth.token(&form, ip).await.unwrap();
            }
        })
        .await;
        sandbox.shutdown().await;
    });
}
