//! Upstream client behaviour beyond single recorded exchanges: timeouts, a
//! dead upstream, TLS failures, keep-alive, the in-flight cap, protocol
//! detection, multi-step authentication, the company context and key hygiene.

use crate::common::upstream_fixture as fixture;

use std::time::{Duration, Instant};

use alpenglow::config::{ApiKey, OdooProtocol};
use alpenglow::upstream::*;
use fixture::{Canned, FakeOdoo};
use serde_json::{Value as Json, json};

const KEY: &str = "0123456789abcdef0123456789abcdef01234567";

fn recorded(path: &str) -> Json {
    let text = std::fs::read_to_string(format!("/work/shared/{path}.json")).expect("recording");
    serde_json::from_str(&text).expect("json")
}

fn answer_of(path: &str) -> Canned {
    let rec = recorded(path);
    Canned::json(rec["response"]["status"].as_u64().unwrap_or(200) as u16, &rec["response"]["body"])
}

fn transport(url: &str, request_timeout: Duration) -> Transport {
    let mut cfg = TransportConfig::new(url);
    cfg.request_timeout = request_timeout;
    cfg.connect_timeout = Duration::from_secs(2);
    Transport::new(&cfg).expect("transport")
}

fn who(companies: Vec<i64>) -> Identity {
    Identity { key: ApiKey::parse(KEY).expect("key"), uid: 2, company_ids: companies }
}

fn body(seen: &fixture::Seen) -> Json {
    serde_json::from_slice(&seen.body).expect("json body")
}

#[tokio::test]
async fn silent_upstream_times_out_on_time() {
    let addr = fixture::silent_server().await;
    let client = Json2Client::new(transport(&format!("http://{addr}"), Duration::from_millis(300)), None);
    let start = Instant::now();
    let err = client.search_count(&who(vec![]), "res.partner", &json!([])).await.expect_err("must time out");
    assert_eq!(err, UpstreamError::Timeout(Duration::from_millis(300)));
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
}

#[tokio::test]
async fn dead_upstream_is_unreachable_quickly() {
    let addr = fixture::closed_port();
    let client =
        RpcClient::new(transport(&format!("http://{addr}"), Duration::from_secs(10)), "db".into(), RpcEncoding::Json);
    let start = Instant::now();
    let err = client.version().await.expect_err("nothing listens");
    assert!(matches!(err, UpstreamError::Unreachable(_)), "{err:?}");
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
}

#[tokio::test]
async fn tls_to_a_plain_http_server_is_a_tls_error() {
    let fake = FakeOdoo::start(vec![]).await;
    let url = format!("https://{}", fake.addr);
    let client = Json2Client::new(transport(&url, Duration::from_secs(5)), None);
    let err = client.version().await.expect_err("no TLS there");
    assert!(matches!(err, UpstreamError::Tls(_)), "{err:?}");
}

#[tokio::test]
async fn bad_settings_are_config_errors() {
    let mut cfg = TransportConfig::new("ftp://example.com");
    assert!(matches!(Transport::new(&cfg), Err(UpstreamError::Config(_))));
    cfg.base_url = "https://example.com".into();
    cfg.ca_file = Some("/nonexistent/ca.pem".into());
    assert!(matches!(Transport::new(&cfg), Err(UpstreamError::Config(_))));
    let up = UpstreamConfig {
        transport: TransportConfig::new("http://127.0.0.1:1"),
        database: None,
        protocol: OdooProtocol::Xmlrpc,
    };
    assert!(matches!(connect(&up).await, Err(UpstreamError::Config(_))));
}

#[tokio::test]
async fn connections_are_kept_alive() {
    let answers = (0..3).map(|_| answer_of("odoo-wire/json2/partner_search_count")).collect();
    let fake = FakeOdoo::start(answers).await;
    let client = Json2Client::new(transport(&fake.url(), Duration::from_secs(5)), Some("wire".into()));
    for _ in 0..3 {
        assert_eq!(client.search_count(&who(vec![]), "res.partner", &json!([])).await, Ok(8));
    }
    assert_eq!(fake.connections(), 1);
}

#[tokio::test]
async fn in_flight_calls_are_capped() {
    let answers = (0..6).map(|_| answer_of("odoo-wire/json2/partner_search_count")).collect();
    let fake = FakeOdoo::start_with_delay(answers, Duration::from_millis(100)).await;
    let mut cfg = TransportConfig::new(fake.url());
    cfg.max_in_flight = 2;
    let client = std::sync::Arc::new(Json2Client::new(Transport::new(&cfg).expect("transport"), None));
    let calls: Vec<_> = (0..6)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.search_count(&who(vec![]), "res.partner", &json!([])).await })
        })
        .collect();
    for c in calls {
        assert_eq!(c.await.expect("join"), Ok(8));
    }
    assert_eq!(fake.max_in_flight(), 2);
}

#[tokio::test]
async fn auto_picks_json2_on_19_and_jsonrpc_on_17() {
    let fake = FakeOdoo::start(vec![answer_of("odoo-wire/web/version")]).await;
    let mut cfg = UpstreamConfig {
        transport: TransportConfig::new(fake.url()),
        database: Some("wire".into()),
        protocol: OdooProtocol::Auto,
    };
    assert_eq!(connect(&cfg).await.expect("connect").protocol(), Protocol::Json2);
    assert_eq!(fake.seen()[0].path, "/web/version");

    let v17 = recorded("odoo-wire-17/web/version");
    let page = Canned {
        status: 404,
        content_type: "text/html; charset=utf-8".into(),
        body: v17["response"]["body"].as_str().unwrap_or("").into(),
    };
    let fake = FakeOdoo::start(vec![page, answer_of("odoo-wire-17/jsonrpc/version")]).await;
    cfg.transport = TransportConfig::new(fake.url());
    let client = connect(&cfg).await.expect("connect");
    assert_eq!(client.protocol(), Protocol::JsonRpc);
    let seen = fake.seen();
    assert_eq!(seen[1].path, "/jsonrpc");
    assert_eq!(body(&seen[1])["params"], json!({"service": "common", "method": "version", "args": []}));
}

#[tokio::test]
async fn authenticate_over_json2_needs_only_the_key() {
    let fake = FakeOdoo::start(vec![
        answer_of("odoo-wire/json2/whoami_context_get_user"),
        answer_of("odoo-wire/json2/users_read_self_user"),
    ])
    .await;
    let client = Json2Client::new(transport(&fake.url(), Duration::from_secs(5)), Some("wire".into()));
    let user = client.authenticate(&ApiKey::parse(KEY).expect("key"), None).await.expect("user");
    assert_eq!((user.uid, user.login.as_str(), user.name.as_str()), (5, "demo", "Marc Demo"));
    assert_eq!(user.company_id, Some(1));
    assert!(!user.company_ids.is_empty());
    let seen = fake.seen();
    assert_eq!(seen[0].path, "/json/2/res.users/context_get");
    assert_eq!(seen[0].header("authorization"), Some(format!("bearer {KEY}").as_str()));
    assert_eq!(seen[1].path, "/json/2/res.users/read");
    assert_eq!(body(&seen[1]), recorded("odoo-wire/json2/users_read_self_user")["request"]["body"]);
}

#[tokio::test]
async fn authenticate_over_rpc_needs_a_login() {
    let fake = FakeOdoo::start(vec![
        answer_of("odoo-wire-17/jsonrpc/authenticate_user"),
        answer_of("odoo-wire-17/jsonrpc/users_read_self_user"),
        answer_of("odoo-wire-17/jsonrpc/authenticate_bad_key"),
    ])
    .await;
    let client = RpcClient::new(transport(&fake.url(), Duration::from_secs(5)), "wire17".into(), RpcEncoding::Json);
    let key = ApiKey::parse(KEY).expect("key");
    assert_eq!(client.authenticate(&key, None).await, Err(UpstreamError::LoginRequired("JSON-RPC")));
    let user = client.authenticate(&key, Some("demo")).await.expect("user");
    assert_eq!((user.uid, user.login.as_str()), (6, "demo"));
    let err = client.authenticate(&key, Some("demo")).await.expect_err("bad key");
    assert!(matches!(err, UpstreamError::AuthenticationFailed(_)));
    assert_eq!(fake.seen().len(), 3, "no request without a login");
}

#[tokio::test]
async fn companies_and_models_decode() {
    let fake = FakeOdoo::start(vec![
        answer_of("odoo-wire/json2/company_search_read"),
        answer_of("odoo-wire/json2/ir_model_search_read"),
    ])
    .await;
    let client = Json2Client::new(transport(&fake.url(), Duration::from_secs(5)), Some("wire".into()));
    let companies = client.list_companies(&who(vec![])).await.expect("companies");
    assert_eq!(companies.len(), 2);
    assert!(companies.iter().any(|c| c.name == "My US Company" && c.currency.as_deref() == Some("USD")));
    let models = client.list_models(&who(vec![]), Some("res.partner")).await.expect("models");
    assert!(models.iter().any(|m| m.model == "res.partner" && m.name == "Contact"));
    let seen = fake.seen();
    assert_eq!(body(&seen[0]), recorded("odoo-wire/json2/company_search_read")["request"]["body"]);
    assert_eq!(body(&seen[1]), recorded("odoo-wire/json2/ir_model_search_read")["request"]["body"]);
}

#[tokio::test]
async fn allowed_companies_ride_in_the_context_and_cannot_be_widened() {
    let ok = || Canned::json(200, &json!(true));
    let rpc_ok = || Canned::json(200, &json!({"jsonrpc": "2.0", "id": 1, "result": true}));
    let fake = FakeOdoo::start(vec![ok(), ok(), rpc_ok()]).await;
    let t = transport(&fake.url(), Duration::from_secs(5));
    let json2 = Json2Client::new(t.clone(), Some("wire".into()));
    let rpc = RpcClient::new(t, "wire".into(), RpcEncoding::Json);
    let who = who(vec![1, 3]);
    let vals: Json = json!({"name": "x"});
    json2.write(&who, "res.partner", &[7], vals.as_object().expect("obj")).await.expect("write");
    let caller_ctx = json!({"context": {"allowed_company_ids": [99], "lang": "en_US"}});
    let kwargs = caller_ctx.as_object().cloned().expect("obj");
    json2.call_method(&who, "res.partner", "name_search", None, vec![], kwargs.clone()).await.expect("call");
    rpc.call_method(&who, "res.partner", "name_search", None, vec![json!("deco")], kwargs).await.expect("call");
    let seen = fake.seen();
    assert_eq!(body(&seen[0]), json!({"ids": [7], "vals": {"name": "x"}, "context": {"allowed_company_ids": [1, 3]}}));
    assert_eq!(body(&seen[1])["context"], json!({"allowed_company_ids": [1, 3], "lang": "en_US"}));
    let args = &body(&seen[2])["params"]["args"];
    assert_eq!(args[5], json!(["deco"]));
    assert_eq!(args[6], json!({"context": {"allowed_company_ids": [1, 3], "lang": "en_US"}}));
}

#[tokio::test]
async fn json2_sends_positional_calls_over_jsonrpc() {
    let fake = FakeOdoo::start(vec![answer_of("odoo-wire/jsonrpc/partner_name_search")]).await;
    let t = transport(&fake.url(), Duration::from_secs(5));
    let client = Json2Client::new(t.clone(), Some("wire".into()));
    let kwargs = json!({"limit": 5}).as_object().cloned().expect("obj");
    let r =
        client.call_method(&who(vec![]), "res.partner", "name_search", None, vec![json!("deco")], kwargs.clone()).await;
    assert!(r.expect("result").is_array());
    assert_eq!(fake.seen()[0].path, "/jsonrpc");
    let no_db = Json2Client::new(t, None);
    let err = no_db.call_method(&who(vec![]), "res.partner", "name_search", None, vec![json!("deco")], kwargs).await;
    assert!(matches!(err, Err(UpstreamError::BadRequest(_))));
}

#[tokio::test]
async fn the_key_never_appears_in_errors() {
    let echo = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": 200, "message": "Odoo Server Error",
        "data": {"name": "builtins.ValueError", "message": format!("bad value {KEY}"), "arguments": [], "context": {},
                 "debug": format!("Traceback ... {KEY}")}}});
    let fake = FakeOdoo::start(vec![Canned::json(200, &echo)]).await;
    let client = RpcClient::new(transport(&fake.url(), Duration::from_secs(5)), "wire".into(), RpcEncoding::Json);
    let err = client.search_count(&who(vec![]), "res.partner", &json!([])).await.expect_err("error");
    assert_eq!(err, UpstreamError::BadValue("bad value <redacted>".into()));
    assert!(!format!("{err} {err:?}").contains(KEY));
}

#[tokio::test]
async fn xml_rpc_faults_with_traceback_keep_only_the_message() {
    let rec = recorded("odoo-wire/xmlrpc/error_unknown_field_in_read");
    let fake = FakeOdoo::start(vec![Canned::xml(rec["response"]["body"].as_str().expect("xml"))]).await;
    let client = RpcClient::new(transport(&fake.url(), Duration::from_secs(5)), "wire".into(), RpcEncoding::Xml);
    let err =
        client.read(&who(vec![]), "res.partner", &[15], Some(&["no_such_field".into()])).await.expect_err("fault");
    assert_eq!(err, UpstreamError::UnknownField("Invalid field 'no_such_field' on 'res.partner'".into()));
}
