//! The OAuth authorization server over real HTTP on loopback, against the
//! gateway and a sandbox in this process: discovery, the refusals the MCP
//! authorization spec and OAuth 2.1 ask for (PKCE, code reuse, redirect
//! URIs, the resource, audiences, expired, revoked and reused tokens,
//! metadata documents), the step-up 403, the consent form's CSRF check and
//! the login lockout, sign-ups and the admin's revocations. Every attack
//! checks the sandbox's ground truth where data is at stake.

use crate::common::oauth::{self as flow, OAuthSetup, Options, REDIRECT, VERIFIER};
use alpenglow::admin::api::{ApproveSignup, ListSignups, RevokeCredential, RevokeGrant};
use alpenglow::oauth::records::{Grant, IssuedToken};
use alpenglow::store::CompositeKey;
use serde_json::{Value, json};

const ALL: &[&str] = &["odoo.read", "odoo.write", "odoo.execute"];

async fn setup() -> OAuthSetup {
    flow::start(Options::default()).await
}

fn challenge(response: &crate::common::http::HttpResponse) -> String {
    response.header("www-authenticate").unwrap_or_default().to_string()
}

#[tokio::test]
async fn discovery_documents_and_the_401_challenge() {
    let s = setup().await;
    for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/alpenglow/mcp"] {
        let prm = flow::get(s.addr, path, &[]).await;
        assert_eq!(prm.status, 200, "{path}");
        assert_eq!(prm.json()["resource"], json!(s.resource()));
        assert_eq!(prm.json()["authorization_servers"], json!([s.base]));
    }
    let alias = flow::get(s.addr, "/.well-known/oauth-protected-resource/mcp", &[]).await.json();
    assert_eq!(alias["resource"], json!(format!("{}/mcp", s.base)));
    let asm = flow::get(s.addr, "/.well-known/oauth-authorization-server", &[]).await.json();
    assert_eq!(asm["issuer"], json!(s.base));
    assert_eq!(asm["code_challenge_methods_supported"], json!(["S256"]));

    // Every 401 of the MCP endpoint names the metadata and the scopes.
    let missing = flow::call(s.addr, "", "alpenglow_search", json!({"model": "res.partner"})).await;
    assert_eq!(missing.status, 401);
    let metadata = format!(r#"resource_metadata="{}/.well-known/oauth-protected-resource/alpenglow/mcp""#, s.base);
    assert!(challenge(&missing).contains(&metadata), "{}", challenge(&missing));
    assert!(challenge(&missing).contains(r#"scope="odoo.read odoo.write odoo.execute""#));
    assert!(!challenge(&missing).contains("invalid_token"), "no token was sent");
    let wrong = flow::tool_call(
        s.addr,
        "agw_at_nonsense-nonsense-nonsense-nonsense",
        "alpenglow_search",
        json!({"model": "res.partner"}),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert!(challenge(&wrong).contains(r#"error="invalid_token""#) && challenge(&wrong).contains(&metadata));

    // Off: no metadata, no OAuth endpoints, the plain API-key challenge.
    s.admin.set_setting("oauth_enabled", "off").unwrap();
    assert_eq!(flow::get(s.addr, "/.well-known/oauth-authorization-server", &[]).await.status, 404);
    let plain = flow::call(s.addr, "", "alpenglow_search", json!({"model": "res.partner"})).await;
    assert_eq!(challenge(&plain), r#"Bearer realm="alpenglow""#);
}

#[tokio::test]
async fn api_keys_keep_working_beside_oauth() {
    let s = setup().await;
    let (uid, _, key) = s.user("sales");
    let before = s.sandbox.calls_as(uid);
    let answer = flow::call(s.addr, &key, "alpenglow_search", json!({"model": "res.partner", "limit": 1})).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(answer.json()["result"]["records"].is_array(), "{}", answer.text());
    assert!(s.sandbox.calls_as(uid) > before);
}

#[tokio::test]
async fn the_whole_flow_acts_as_the_person_who_signed_in() {
    let s = setup().await;
    let (sales_uid, _, _) = s.user("sales");
    let (admin_uid, _, _) = s.user("admin");
    let (_, access, _) = flow::tokens_for(&s, "sales", ALL).await;
    let (as_sales, as_admin) = (s.sandbox.calls_as(sales_uid), s.sandbox.calls_as(admin_uid));
    let answer =
        flow::tool_call(s.addr, &access, "alpenglow_search", json!({"model": "res.partner", "limit": 2})).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["result"]["isError"], false, "{}", answer.text());
    assert!(s.sandbox.calls_as(sales_uid) > as_sales, "the sandbox saw the signed-in user");
    assert_eq!(s.sandbox.calls_as(admin_uid), as_admin);
    // The grant is bound to the sales user's own credential.
    let grants = alpenglow::oauth::Grants::new(s.admin.store().clone()).list(None).unwrap();
    assert_eq!(grants.len(), 1);
    let credential = s.admin.credential(grants[0].credential_id).unwrap();
    assert_eq!(i64::from(credential.user_id), sales_uid);
}

#[tokio::test]
async fn a_missing_or_wrong_pkce_verifier_is_refused() {
    let s = setup().await;
    let client_id = flow::register(s.addr, REDIRECT).await;
    let code = flow::code_for(&s, &client_id, "sales", ALL).await;
    let missing = flow::post_form(
        s.addr,
        "/alpenglow/oauth/token",
        &[("grant_type", "authorization_code"), ("code", &code), ("client_id", &client_id), ("redirect_uri", REDIRECT)],
        &[],
    )
    .await;
    assert_eq!(
        (missing.status, missing.json()["error"].clone()),
        (400, json!("invalid_request")),
        "{}",
        missing.text()
    );
    let wrong = flow::exchange(s.addr, &client_id, &code, "x".repeat(43).as_str(), &s.resource()).await;
    assert_eq!((wrong.status, wrong.json()["error"].clone()), (400, json!("invalid_grant")), "{}", wrong.text());
    assert!(wrong.json()["error_description"].as_str().unwrap().contains("code_verifier"));
    // The right verifier from another redirect URI than the authorization's.
    let elsewhere = flow::post_form(
        s.addr,
        "/alpenglow/oauth/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", &client_id),
            ("redirect_uri", "http://127.0.0.1:9/other"),
            ("code_verifier", VERIFIER),
        ],
        &[],
    )
    .await;
    assert_eq!(elsewhere.json()["error"], "invalid_grant", "{}", elsewhere.text());
    assert!(elsewhere.text().contains("redirect_uri"), "{}", elsewhere.text());
    // The right verifier still works: a failed attempt does not spend the code.
    let right = flow::exchange(s.addr, &client_id, &code, VERIFIER, &s.resource()).await;
    assert_eq!(right.status, 200, "{}", right.text());
    assert_eq!(right.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn a_reused_code_is_refused_and_revokes_what_it_gave() {
    let s = setup().await;
    let client_id = flow::register(s.addr, REDIRECT).await;
    let code = flow::code_for(&s, &client_id, "sales", ALL).await;
    let first = flow::exchange(s.addr, &client_id, &code, VERIFIER, &s.resource()).await;
    assert_eq!(first.status, 200);
    let access = first.json()["access_token"].as_str().unwrap().to_string();
    let args = json!({"model": "res.partner", "limit": 1});
    assert_eq!(flow::tool_call(s.addr, &access, "alpenglow_search", args.clone()).await.status, 200);
    let again = flow::exchange(s.addr, &client_id, &code, VERIFIER, &s.resource()).await;
    assert_eq!((again.status, again.json()["error"].clone()), (400, json!("invalid_grant")));
    assert_eq!(flow::tool_call(s.addr, &access, "alpenglow_search", args).await.status, 401);
}

#[tokio::test]
async fn an_unregistered_redirect_uri_is_shown_never_redirected() {
    let s = setup().await;
    let client_id = flow::register(s.addr, REDIRECT).await;
    let mut params = flow::authorize_params(&client_id, &s.resource(), "odoo.read");
    params.retain(|(k, _)| k != "redirect_uri");
    params.push(("redirect_uri".into(), "https://evil.example/steal".into()));
    let page = flow::consent_page(s.addr, &params).await;
    assert_eq!(page.status, 400);
    assert_eq!(page.location, None, "never sent to an unregistered URI");
    assert!(page.body.contains("is not registered"), "{}", page.body);
    // A prefix or a longer path of the registered one is not it either.
    params.retain(|(k, _)| k != "redirect_uri");
    params.push(("redirect_uri".into(), format!("{REDIRECT}/x")));
    assert_eq!(flow::consent_page(s.addr, &params).await.status, 400);
    // Nor can the form change it after the page was shown.
    let good = flow::consent_page(s.addr, &flow::authorize_params(&client_id, &s.resource(), "odoo.read")).await;
    let mut tampered = good.clone();
    for (k, v) in tampered.fields.iter_mut() {
        if k == "redirect_uri" {
            *v = "https://evil.example/steal".into();
        }
    }
    let (_, login, key) = s.user("sales");
    let posted = flow::submit(s.addr, &tampered, &login, &key, &["odoo.read"], "approve").await;
    assert_eq!(posted.status, 400);
    assert_eq!(posted.header("location"), None);
}

#[tokio::test]
async fn the_resource_is_required_and_must_be_this_servers_mcp_url() {
    let s = setup().await;
    let client_id = flow::register(s.addr, REDIRECT).await;
    let mut params = flow::authorize_params(&client_id, &s.resource(), "odoo.read");
    params.retain(|(k, _)| k != "resource");
    let missing = flow::consent_page(s.addr, &params).await;
    assert_eq!(missing.status, 303);
    let back = flow::redirect_params(missing.location.as_deref().unwrap());
    assert_eq!(flow::param(&back, "error"), Some("invalid_target"));
    assert_eq!(flow::param(&back, "state"), Some("st-123"));
    assert_eq!(flow::param(&back, "iss"), Some(s.base.as_str()));
    for wrong in ["https://other.example/alpenglow/mcp", &format!("{}/alpenglow/api", s.base), &s.base] {
        let page = flow::consent_page(s.addr, &flow::authorize_params(&client_id, wrong, "odoo.read")).await;
        let back = flow::redirect_params(page.location.as_deref().unwrap_or_default());
        assert_eq!(flow::param(&back, "error"), Some("invalid_target"), "{wrong}");
    }
    // The alias is the same resource.
    let alias =
        flow::consent_page(s.addr, &flow::authorize_params(&client_id, &format!("{}/mcp", s.base), "odoo.read")).await;
    assert_eq!(alias.status, 200, "{}", alias.body);
}

#[tokio::test]
async fn a_token_for_another_audience_gets_401() {
    let s = setup().await;
    let (_, access, _) = flow::tokens_for(&s, "sales", ALL).await;
    let writes_before = s.sandbox.total_calls();
    // Another server over the same store, at another public URL.
    let other = s.another_server("http://localhost:1").await;
    let there = flow::tool_call(other, &access, "alpenglow_search", json!({"model": "res.partner"})).await;
    assert_eq!(there.status, 401, "{}", there.text());
    assert!(there.text().contains("issued for"), "{}", there.text());
    // The REST API is not the token's audience either.
    let auth = format!("Bearer {access}");
    let rest = crate::common::http::request_from(
        "127.0.0.1".parse().unwrap(),
        s.addr,
        "GET",
        "/alpenglow/api/models",
        &[("Authorization", auth.as_str())],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(rest.status, 401, "{}", rest.text());
    assert_eq!(s.sandbox.total_calls(), writes_before, "nothing reached Odoo");
}

#[tokio::test]
async fn expired_and_revoked_tokens_get_401() {
    let s = setup().await;
    let args = json!({"model": "res.partner", "limit": 1});
    let (_, access, _) = flow::tokens_for(&s, "sales", ALL).await;
    assert_eq!(flow::tool_call(s.addr, &access, "alpenglow_search", args.clone()).await.status, 200);
    // Expired: the stored expiry moved an instant into the past.
    let tokens = s.admin.store().table::<IssuedToken>().unwrap();
    tokens.update(&CompositeKey(alpenglow::oauth::secrets::digest(&access)), |t| t.expires_at -= 3601).unwrap();
    let expired = flow::tool_call(s.addr, &access, "alpenglow_search", args.clone()).await;
    assert_eq!(expired.status, 401);
    assert!(expired.text().contains("expired"), "{}", expired.text());

    // Revoked by the client (RFC 7009): the refresh token takes its grant.
    let (client_id, access, refresh) = flow::tokens_for(&s, "sales", ALL).await;
    let revoked =
        flow::post_form(s.addr, "/alpenglow/oauth/revoke", &[("token", &refresh), ("client_id", &client_id)], &[])
            .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    assert_eq!(flow::tool_call(s.addr, &access, "alpenglow_search", args.clone()).await.status, 401);
    assert_eq!(flow::refresh(s.addr, &client_id, &refresh).await.json()["error"], "invalid_grant");
    let grants = alpenglow::oauth::Grants::new(s.admin.store().clone()).list(None).unwrap();
    assert!(grants.iter().all(|g: &Grant| g.sealed_key.is_none() || g.is_active()), "a revoked grant keeps no key");

    // Revoked by an admin.
    let (_, access, _) = flow::tokens_for(&s, "sales", ALL).await;
    let grant = alpenglow::oauth::Grants::new(s.admin.store().clone()).list(None).unwrap()[0].clone();
    let revoked = s.admin_call(RevokeGrant { id: grant.id }).unwrap();
    assert_eq!(revoked.status, "revoked");
    assert!(!revoked.key_kept);
    let again = s.admin_call(RevokeGrant { id: grant.id }).unwrap_err();
    assert!(again.message.contains("already revoked"), "{again:?}");
    // The admin trail says what the grant was before and after.
    let trail = s.audit().into_iter().filter(|e| e["tool"] == "oauth.revoke").find(|e| !e["changes"].is_null());
    let trail = trail.unwrap_or_else(|| panic!("no admin oauth.revoke entry in {:#?}", s.audit()));
    let changes: Value = serde_json::from_str(trail["changes"].as_str().unwrap()).unwrap();
    assert_eq!(changes["target"], format!("grant {}", grant.id));
    assert_eq!(
        (&changes["old"]["status"], &changes["new"]["status"]),
        (&json!("active"), &json!("revoked")),
        "{changes}"
    );
    assert_eq!(flow::tool_call(s.addr, &access, "alpenglow_search", args).await.status, 401);
    // An unknown token is answered 200 and changes nothing.
    let unknown = flow::post_form(s.addr, "/alpenglow/oauth/revoke", &[("token", "agw_rt_nothing")], &[]).await;
    assert_eq!(unknown.status, 200);
}

#[tokio::test]
async fn a_refresh_rotates_and_a_reused_refresh_token_revokes_the_family() {
    let s = setup().await;
    let args = json!({"model": "res.partner", "limit": 1});
    let (client_id, _, first) = flow::tokens_for(&s, "sales", ALL).await;
    let rotated = flow::refresh(s.addr, &client_id, &first).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let (access, second) = (
        rotated.json()["access_token"].as_str().unwrap().to_string(),
        rotated.json()["refresh_token"].as_str().unwrap().to_string(),
    );
    assert_ne!(first, second);
    assert_eq!(flow::tool_call(s.addr, &access, "alpenglow_search", args.clone()).await.status, 200);
    // The replaced refresh token comes back: someone has a copy.
    let reused = flow::refresh(s.addr, &client_id, &first).await;
    assert_eq!(reused.json()["error"], "invalid_grant");
    assert_eq!(flow::refresh(s.addr, &client_id, &second).await.json()["error"], "invalid_grant");
    assert_eq!(flow::tool_call(s.addr, &access, "alpenglow_search", args).await.status, 401);
    // Another client cannot use it.
    let (_, _, third) = flow::tokens_for(&s, "sales", ALL).await;
    assert_eq!(flow::refresh(s.addr, "agw_client_other", &third).await.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn metadata_documents_only_from_allowed_hosts_and_only_naming_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let host = flow::MetadataHost::start(dir.path()).await;
    let s = flow::start(Options { fetch_ca: Some(host.ca_file.clone()), ..Options::default() }).await;
    let good = host.url("/oauth/client.json");
    host.put("/oauth/client.json", &json!({"client_id": good, "client_name": "Loopback Assistant", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}));
    let liar = host.url("/oauth/liar.json");
    host.put("/oauth/liar.json", &json!({"client_id": "https://claude.ai/oauth/client.json", "client_name": "Claude", "redirect_uris": [REDIRECT]}));

    // The loopback host is not on the default list: nothing is fetched.
    let page = flow::consent_page(s.addr, &flow::authorize_params(&good, &s.resource(), "odoo.read")).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("not fetched from 127.0.0.1"), "{}", page.body);
    assert_eq!(host.hits(), 0, "a host off the list is never contacted");

    s.admin.set_setting("oauth_client_hosts", "127.0.0.1").unwrap();
    let page = flow::consent_page(s.addr, &flow::authorize_params(&liar, &s.resource(), "odoo.read")).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("names another client_id"), "{}", page.body);
    assert_eq!(page.location, None);

    let page = flow::consent_page(s.addr, &flow::authorize_params(&good, &s.resource(), "odoo.read")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Loopback Assistant"));
    // Cached: a second page does not fetch again.
    let hits = host.hits();
    flow::consent_page(s.addr, &flow::authorize_params(&good, &s.resource(), "odoo.read")).await;
    assert_eq!(host.hits(), hits);
    // A redirect URI the document does not list.
    let mut params = flow::authorize_params(&good, &s.resource(), "odoo.read");
    params.retain(|(k, _)| k != "redirect_uri");
    params.push(("redirect_uri".into(), "http://127.0.0.1:10/elsewhere".into()));
    assert_eq!(flow::consent_page(s.addr, &params).await.status, 400);
    // And the flow completes with the document's client.
    let code = flow::code_for(&s, &good, "sales", &["odoo.read"]).await;
    assert_eq!(flow::exchange(s.addr, &good, &code, VERIFIER, &s.resource()).await.status, 200);
}

#[tokio::test]
async fn a_write_with_a_read_only_grant_is_a_step_up_403() {
    let s = setup().await;
    let (_, access, _) = flow::tokens_for(&s, "sales", &["odoo.read"]).await;
    let creates = s.sandbox.calls("res.partner", "create");
    let write = flow::tool_call(
        s.addr,
        &access,
        "alpenglow_create",
        json!({"model": "res.partner", "values": {"name": "Step up"}}),
    )
    .await;
    assert_eq!(write.status, 403, "{}", write.text());
    let header = challenge(&write);
    assert!(header.starts_with(r#"Bearer error="insufficient_scope", scope="odoo.write""#), "{header}");
    assert!(
        header
            .contains(&format!(r#"resource_metadata="{}/.well-known/oauth-protected-resource/alpenglow/mcp""#, s.base)),
        "{header}"
    );
    // The direct JSON-RPC face on the same endpoint says the same.
    let direct =
        flow::call(s.addr, &access, "alpenglow_create", json!({"model": "res.partner", "values": {"name": "Step up"}}))
            .await;
    assert_eq!(direct.status, 403);
    assert!(challenge(&direct).contains("insufficient_scope"));
    assert_eq!(s.sandbox.calls("res.partner", "create"), creates, "nothing was written");
    // Reading is what it was granted.
    let read = flow::tool_call(s.addr, &access, "alpenglow_search", json!({"model": "res.partner", "limit": 1})).await;
    assert_eq!(read.status, 200);
    // Execute needs its own scope.
    let execute = flow::tool_call(
        s.addr,
        &access,
        "alpenglow_execute",
        json!({"model": "res.partner", "method": "name_search", "args": ["a"]}),
    )
    .await;
    assert_eq!(execute.status, 403);
    assert!(challenge(&execute).contains(r#"scope="odoo.execute""#));
}

#[tokio::test]
async fn a_read_only_credential_is_refused_by_its_scope_not_by_a_step_up() {
    let s = setup().await;
    let (_, access, _) = flow::tokens_for(&s, "viewer", ALL).await;
    let creates = s.sandbox.calls("res.partner", "create");
    let write =
        flow::tool_call(s.addr, &access, "alpenglow_create", json!({"model": "res.partner", "values": {"name": "No"}}))
            .await;
    assert_eq!(write.status, 200, "{}", write.text());
    assert_eq!(write.json()["result"]["isError"], true, "{}", write.text());
    assert_eq!(s.sandbox.calls("res.partner", "create"), creates);
}

#[tokio::test]
async fn the_consent_form_needs_its_csrf_token_and_the_persons_own_key() {
    let s = setup().await;
    s.admin.set_setting("lockout_max_failures", "3").unwrap();
    let client_id = flow::register(s.addr, REDIRECT).await;
    let page = flow::consent_page(s.addr, &flow::authorize_params(&client_id, &s.resource(), "odoo.read")).await;
    assert!(page.cookie.is_some());
    let (_, login, key) = s.user("sales");
    // Posted from elsewhere: no cookie, or another browser's.
    let mut foreign = page.clone();
    foreign.cookie = None;
    assert_eq!(flow::submit(s.addr, &foreign, &login, &key, &["odoo.read"], "approve").await.status, 403);
    foreign.cookie = Some("agw_oauth=someone-else".into());
    assert_eq!(flow::submit(s.addr, &foreign, &login, &key, &["odoo.read"], "approve").await.status, 403);
    // A form whose request was changed (more scope) after it was shown.
    let mut widened = page.clone();
    for (k, v) in widened.fields.iter_mut() {
        if k == "scope" {
            *v = "odoo.read odoo.write".into();
        }
    }
    assert_eq!(flow::submit(s.addr, &widened, &login, &key, &["odoo.write"], "approve").await.status, 403);
    // Someone else's key under this login; then wrong keys until the lockout.
    let (_, _, viewer_key) = s.user("viewer");
    let other = flow::submit(s.addr, &page, &login, &viewer_key, &["odoo.read"], "approve").await;
    assert_eq!(other.status, 401, "{}", other.text());
    assert!(other.text().contains("another Odoo login"));
    assert!(!other.text().contains(&viewer_key), "the key is never written back");
    let bad = format!("{:040x}", 0xbad_u64);
    assert_eq!(flow::submit(s.addr, &page, &login, &bad, &["odoo.read"], "approve").await.status, 401);
    assert_eq!(flow::submit(s.addr, &page, &login, &bad, &["odoo.read"], "approve").await.status, 401);
    let locked = flow::submit(s.addr, &page, &login, &key, &["odoo.read"], "approve").await;
    assert_eq!(locked.status, 429, "{}", locked.text());
    assert!(locked.header("retry-after").is_some());
    assert!(alpenglow::oauth::Grants::new(s.admin.store().clone()).list(None).unwrap().is_empty());
}

#[tokio::test]
async fn deny_goes_back_to_the_client_with_state_and_iss() {
    let s = setup().await;
    let client_id = flow::register(s.addr, REDIRECT).await;
    let page = flow::consent_page(s.addr, &flow::authorize_params(&client_id, &s.resource(), "odoo.read")).await;
    let denied = flow::submit(s.addr, &page, "", "", &[], "deny").await;
    assert_eq!(denied.status, 303);
    let back = flow::redirect_params(denied.header("location").unwrap());
    assert_eq!(flow::param(&back, "error"), Some("access_denied"));
    assert_eq!(flow::param(&back, "state"), Some("st-123"));
    assert_eq!(flow::param(&back, "iss"), Some(s.base.as_str()));
    assert!(denied.header("location").unwrap().starts_with(REDIRECT));
}

#[tokio::test]
async fn a_person_without_a_credential_waits_for_an_admin_then_signs_up() {
    let s = setup().await;
    let (admin_uid, login, key) = s.user("admin");
    let client_id = flow::register(s.addr, REDIRECT).await;
    let params = flow::authorize_params(&client_id, &s.resource(), "odoo.read odoo.write");
    let page = flow::consent_page(s.addr, &params).await;
    let waiting = flow::submit(s.addr, &page, &login, &key, &["odoo.read", "odoo.write"], "approve").await;
    assert_eq!(waiting.status, 200);
    assert!(waiting.text().contains("Waiting for an administrator"), "{}", waiting.text());
    assert!(s.admin.credentials().unwrap().iter().all(|(c, _)| i64::from(c.user_id) != admin_uid));
    let signups = s.admin_call(ListSignups {}).unwrap();
    let id = signups[0].id;
    assert_eq!(signups[0].status, "pending");
    assert_eq!(s.admin_call(ApproveSignup { id }).unwrap().status, "approved");
    let trail = s.audit().into_iter().find(|e| e["tool"] == "oauth.approve").expect("an oauth.approve entry");
    let changes: Value = serde_json::from_str(trail["changes"].as_str().unwrap()).unwrap();
    assert_eq!(
        (&changes["old"]["status"], &changes["new"]["status"]),
        (&json!("pending"), &json!("approved")),
        "{changes}"
    );

    let page = flow::consent_page(s.addr, &params).await;
    let approved = flow::submit(s.addr, &page, &login, &key, &["odoo.read", "odoo.write"], "approve").await;
    assert_eq!(approved.status, 303, "{}", approved.text());
    let made: Vec<_> =
        s.admin.credentials().unwrap().into_iter().filter(|(c, _)| i64::from(c.user_id) == admin_uid).collect();
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].0.scope, alpenglow::config::Scope::ReadOnly, "the sign-up default");
    assert!(made[0].0.label.contains("OAuth"));
}

#[tokio::test]
async fn revoking_the_credential_ends_its_grants_and_erases_their_keys() {
    let s = setup().await;
    let (_, access, _) = flow::tokens_for(&s, "sales", ALL).await;
    let grant = alpenglow::oauth::Grants::new(s.admin.store().clone()).list(None).unwrap()[0].clone();
    assert!(grant.sealed_key.is_some());
    // Through the admin API, as the CLI and the dashboard revoke.
    s.admin_call(RevokeCredential { id: grant.credential_id }).unwrap();
    let after = alpenglow::oauth::Grants::new(s.admin.store().clone()).get(grant.id).unwrap().unwrap();
    assert!(after.sealed_key.is_none() && !after.is_active());
    let answer = flow::tool_call(s.addr, &access, "alpenglow_search", json!({"model": "res.partner"})).await;
    assert_eq!(answer.status, 401);
}

#[tokio::test]
async fn registration_is_capped_per_address_and_checks_redirect_uris() {
    let s = setup().await;
    let post = |body: Value| {
        let addr = s.addr;
        async move {
            crate::common::http::request_from(
                "127.0.0.1".parse().unwrap(),
                addr,
                "POST",
                "/alpenglow/oauth/register",
                &[("Content-Type", "application/json")],
                body.to_string().as_bytes(),
            )
            .await
            .unwrap()
        }
    };
    let bad = post(json!({"redirect_uris": ["javascript:alert(1)"]})).await;
    assert_eq!((bad.status, bad.json()["error"].clone()), (400, json!("invalid_redirect_uri")));
    for _ in 0..alpenglow::oauth::clients::REGISTRATIONS_PER_HOUR {
        assert_eq!(post(json!({"redirect_uris": [REDIRECT]})).await.status, 201);
    }
    let capped = post(json!({"redirect_uris": [REDIRECT]})).await;
    assert_eq!(capped.status, 429, "{}", capped.text());
}

#[tokio::test]
async fn every_oauth_step_is_audited_without_a_secret() {
    let s = setup().await;
    let (client_id, access, refresh) = flow::tokens_for(&s, "sales", ALL).await;
    flow::refresh(s.addr, &client_id, &refresh).await;
    let (_, _, key) = s.user("sales");
    let entries = s.audit();
    let tools: Vec<&str> = entries.iter().map(|e| e["tool"].as_str().unwrap()).collect();
    for wanted in ["oauth.register", "oauth.authorize", "oauth.token", "oauth.refresh"] {
        assert!(tools.contains(&wanted), "{wanted} in {tools:?}");
    }
    let text = serde_json::to_string(&entries).unwrap();
    for secret in [&access, &refresh, &key] {
        assert!(!text.contains(secret.as_str()), "a secret in the audit log");
    }
}

#[tokio::test]
async fn a_credential_that_expired_ends_its_grants_on_the_next_call() {
    let s = setup().await;
    let (_, access, _) = flow::tokens_for(&s, "sales", ALL).await;
    let args = json!({"model": "res.partner", "limit": 1});
    assert_eq!(flow::tool_call(s.addr, &access, "alpenglow_search", args.clone()).await.status, 200);
    // The credential's last day passes (no admin action: nothing else notices).
    let grant = alpenglow::oauth::Grants::new(s.admin.store().clone()).list(None).unwrap()[0].clone();
    let yesterday = alpenglow::admin::AdminService::today() - time::Duration::days(1);
    let credentials = s.admin.store().table::<alpenglow::config::Credential>().unwrap();
    credentials.update(&grant.credential_id, |c| c.expires_on = Some(yesterday)).unwrap();
    let calls = s.sandbox.total_calls();
    let refused = flow::tool_call(s.addr, &access, "alpenglow_search", args).await;
    assert_eq!(refused.status, 401, "{}", refused.text());
    assert!(refused.text().contains("expired"), "{}", refused.text());
    assert_eq!(s.sandbox.total_calls(), calls, "nothing reached Odoo");
    let after = alpenglow::oauth::Grants::new(s.admin.store().clone()).get(grant.id).unwrap().unwrap();
    assert!(!after.is_active() && after.sealed_key.is_none(), "the grant and its key went with it");
}

#[tokio::test]
async fn a_spent_token_is_no_failed_login_but_a_guessed_one_is() {
    let s = setup().await;
    s.admin.set_setting("lockout_max_failures", "2").unwrap();
    let args = json!({"model": "res.partner", "limit": 1});
    let (client_id, access, refresh) = flow::tokens_for(&s, "sales", ALL).await;
    flow::post_form(s.addr, "/alpenglow/oauth/revoke", &[("token", &refresh), ("client_id", &client_id)], &[]).await;
    // A revoked (or expired) token of ours, again and again: refused, never locked out.
    for _ in 0..4 {
        assert_eq!(flow::tool_call(s.addr, &access, "alpenglow_search", args.clone()).await.status, 401);
    }
    let (_, fresh, _) = flow::tokens_for(&s, "sales", ALL).await;
    assert_eq!(flow::tool_call(s.addr, &fresh, "alpenglow_search", args.clone()).await.status, 200);
    // Guessed tokens are failed logins like wrong keys.
    for i in 0..2 {
        let guess = format!("agw_at_{:043}", i);
        assert_eq!(flow::tool_call(s.addr, &guess, "alpenglow_search", args.clone()).await.status, 401);
    }
    assert_eq!(
        flow::tool_call(s.addr, &fresh, "alpenglow_search", args).await.status,
        429,
        "the address is locked out"
    );
}

#[tokio::test]
async fn the_dashboard_shows_a_real_grant_and_revoking_it_there_ends_its_token() {
    use alpenglow::tui::app::{App, Job, Reply, ScreenId};
    use ratatui::crossterm::event::{KeyCode, KeyEvent};
    let press = |app: &mut App, keys: &str| keys.chars().for_each(|c| app.on_key(KeyEvent::from(KeyCode::Char(c))));
    let s = setup().await;
    let (_, access, _) = flow::tokens_for(&s, "sales", ALL).await;
    let args = json!({"model": "res.partner", "limit": 1});
    assert_eq!(flow::tool_call(s.addr, &access, "alpenglow_search", args.clone()).await.status, 200);
    // The dashboard over the admin API in this process, as `alpenglow tui` over the socket.
    let admin = s.admin.clone();
    let screen = tokio::task::spawn_blocking(move || {
        let context = alpenglow::admin::AdminContext::new(admin, Default::default(), None, "test");
        let api = alpenglow::admin_socket::AdminClient::in_process(context).unwrap();
        let mut app = App::new();
        let fetch = |app: &mut App| {
            for request in app.take_requests() {
                let Job::Admin(call) = request.job else { panic!("{request:?}") };
                app.on_reply(Reply { tag: request.tag, result: api.send(call) });
            }
        };
        app.start();
        fetch(&mut app);
        app.go(ScreenId::Home);
        press(&mut app, "o");
        fetch(&mut app);
        let shown = crate::tui_render::render(&app);
        press(&mut app, "dy");
        fetch(&mut app); // the revocation
        fetch(&mut app); // the list asked again
        (shown, app.message.clone().unwrap_or_default(), crate::tui_render::render(&app))
    })
    .await
    .unwrap();
    let (before, said, after) = screen;
    assert!(before.contains("active") && before.contains("rwx"), "{before}");
    assert!(said.contains("revoked grant"), "{said}");
    assert!(after.contains("No grants"), "{after}");
    assert_eq!(flow::tool_call(s.addr, &access, "alpenglow_search", args).await.status, 401);
    let grant = &alpenglow::oauth::Grants::new(s.admin.store().clone()).list(None).unwrap()[0];
    assert!(!grant.is_active() && grant.sealed_key.is_none());
}

#[tokio::test]
async fn metadata_documents_are_fetched_within_size_and_time_caps() {
    let dir = tempfile::tempdir().unwrap();
    let host = flow::MetadataHost::start(dir.path()).await;
    let timeout = std::time::Duration::from_millis(400);
    let s =
        flow::start(Options { fetch_ca: Some(host.ca_file.clone()), fetch_timeout: Some(timeout), odoo: None }).await;
    s.admin.set_setting("oauth_client_hosts", "127.0.0.1").unwrap();
    let document = |url: &str, name: &str| json!({"client_id": url, "client_name": name, "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"});
    // Over 64 KiB: refused, whatever it says.
    let big = host.url("/big.json");
    host.put("/big.json", &document(&big, &"x".repeat(80 * 1024)));
    let page = flow::consent_page(s.addr, &flow::authorize_params(&big, &s.resource(), "odoo.read")).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("could not be fetched"), "{}", page.body);
    // Slower than the fetch timeout: refused, and the page answers soon after it.
    let slow = host.url("/slow.json");
    host.put_slow("/slow.json", &document(&slow, "Slow"), std::time::Duration::from_secs(3));
    let started = std::time::Instant::now();
    let page = flow::consent_page(s.addr, &flow::authorize_params(&slow, &s.resource(), "odoo.read")).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    // A document within both caps is used.
    let fine = host.url("/fine.json");
    host.put("/fine.json", &document(&fine, "Fine Assistant"));
    let page = flow::consent_page(s.addr, &flow::authorize_params(&fine, &s.resource(), "odoo.read")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Fine Assistant"));
}

#[tokio::test]
async fn on_odoo_17_the_consent_page_asks_odoo_with_the_login_and_the_key() {
    let s = flow::start(Options { odoo: Some(alpenglow::sandbox::OdooVersion::V17), ..Options::default() }).await;
    let (uid, login, key) = s.user("sales");
    let (_, viewer_login, _) = s.user("viewer");
    let client_id = flow::register(s.addr, REDIRECT).await;
    let page = flow::consent_page(s.addr, &flow::authorize_params(&client_id, &s.resource(), "odoo.read")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    // Odoo 17 cannot tell whose a key is without the login (common.authenticate).
    let no_login = flow::submit(s.addr, &page, "", &key, &["odoo.read"], "approve").await;
    assert_eq!(no_login.status, 401, "{}", no_login.text());
    assert!(no_login.text().contains("needs your login too"), "{}", no_login.text());
    // Someone else's login with this key: Odoo refuses it.
    let wrong = flow::submit(s.addr, &page, &viewer_login, &key, &["odoo.read"], "approve").await;
    assert_eq!(wrong.status, 401, "{}", wrong.text());
    assert!(alpenglow::oauth::Grants::new(s.admin.store().clone()).list(None).unwrap().is_empty());
    // The person's own login and key: a grant, and calls as that user.
    let approved = flow::submit(s.addr, &page, &login, &key, &["odoo.read"], "approve").await;
    assert_eq!(approved.status, 303, "{}", approved.text());
    let code = flow::param(&flow::redirect_params(approved.header("location").unwrap()), "code").unwrap().to_string();
    let tokens = flow::exchange(s.addr, &client_id, &code, VERIFIER, &s.resource()).await;
    assert_eq!(tokens.status, 200, "{}", tokens.text());
    let access = tokens.json()["access_token"].as_str().unwrap().to_string();
    let before = s.sandbox.calls_as(uid);
    let answer =
        flow::tool_call(s.addr, &access, "alpenglow_search", json!({"model": "res.partner", "limit": 1})).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["result"]["isError"], false, "{}", answer.text());
    assert!(s.sandbox.calls_as(uid) > before, "the sandbox saw the signed-in user");
}

#[tokio::test]
async fn pkce_must_be_s256_never_plain_or_absent() {
    let s = setup().await;
    let client_id = flow::register(s.addr, REDIRECT).await;
    let with = |method: Option<&str>| {
        let mut params = flow::authorize_params(&client_id, &s.resource(), "odoo.read");
        params.retain(|(k, _)| k != "code_challenge_method");
        if let Some(method) = method {
            params.push(("code_challenge_method".into(), method.into()));
        }
        params
    };
    for method in [Some("plain"), None] {
        let page = flow::consent_page(s.addr, &with(method)).await;
        assert_ne!(page.status, 200, "{method:?}: no consent form without S256");
        let location = page.location.clone().unwrap_or_default();
        let back = flow::redirect_params(&location);
        assert_eq!(flow::param(&back, "error"), Some("invalid_request"), "{method:?}: {location} {}", page.body);
    }
    assert_eq!(flow::consent_page(s.addr, &with(Some("S256"))).await.status, 200);
}
