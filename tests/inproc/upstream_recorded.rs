//! Data-driven check of the upstream clients against the real Odoo 19 and 17
//! recordings: for every recorded exchange a client method covers, the client
//! (over real HTTP, against a loopback fake serving the recorded answer) must
//! send the recorded request (path, headers that matter, body) and decode the
//! recorded answer into the right typed result or typed error.

use crate::common::upstream_fixture as fixture;

use std::path::Path;

use alpenglow::config::ApiKey;
use alpenglow::upstream::*;
use alpenglow::wire::xmlrpc::{self, MethodResponse};
use fixture::{Canned, FakeOdoo, Seen};
use serde_json::{Map, Value as Json, json};

const WIRE19: &str = "/work/shared/odoo-wire";
const WIRE17: &str = "/work/shared/odoo-wire-17";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    AuthFailed,
    Access,
    Missing,
    Validation,
    User,
    UnknownModel,
    UnknownMethod,
    UnknownField,
    BadValue,
    BadRequest,
    Server,
    BadResponse,
    /// Any Odoo-side error (a recording whose class is an accident of dispatch).
    AnyOdoo,
}

fn kind_of(e: &UpstreamError) -> Kind {
    match e {
        UpstreamError::AuthenticationFailed(_) => Kind::AuthFailed,
        UpstreamError::AccessError(_) => Kind::Access,
        UpstreamError::MissingRecord(_) => Kind::Missing,
        UpstreamError::Validation(_) => Kind::Validation,
        UpstreamError::UserError(_) => Kind::User,
        UpstreamError::UnknownModel(_) => Kind::UnknownModel,
        UpstreamError::UnknownMethod(_) => Kind::UnknownMethod,
        UpstreamError::UnknownField(_) => Kind::UnknownField,
        UpstreamError::BadValue(_) => Kind::BadValue,
        UpstreamError::BadRequest(_) => Kind::BadRequest,
        UpstreamError::ServerError { .. } => Kind::Server,
        _ => Kind::BadResponse,
    }
}

/// What each error recording must decode to, written from the READMEs.
fn expected_error(name: &str) -> Option<Kind> {
    use Kind::*;
    Some(match name {
        n if n.starts_with("error_access_") || n.starts_with("error_record_rule_") => Access,
        "error_private_method" => Access,
        "error_bad_key" | "error_execute_kw_bad_key" | "error_execute_kw_wrong_uid_for_key" => AuthFailed,
        "authenticate_bad_key" | "authenticate_bad_login" => AuthFailed,
        "error_authenticate_unknown_db" | "error_execute_kw_unknown_db" | "error_unknown_common_method" => Server,
        "error_bad_order" | "error_redirect_warning_unlink_user_partner" | "error_context_lang_not_installed" => User,
        "error_domain_not_a_list"
        | "error_malformed_domain_bad_operator"
        | "error_malformed_domain_short_leaf"
        | "error_wrong_type_ids"
        | "error_wrong_type_limit"
        | "error_invalid_selection_value"
        | "error_execute_kw_too_few_args" => BadValue,
        // 17: name_search's domain parameter is `args` there (TypeError).
        "partner_name_search" => BadValue,
        "error_ids_on_model_method" | "error_unexpected_argument" => BadRequest,
        n if n.starts_with("error_unknown_field_") => UnknownField,
        // 17 has neither has_access nor formatted_read_group.
        "error_unknown_method"
        | "has_access_user"
        | "partner_formatted_read_group"
        | "sale_order_formatted_read_group" => UnknownMethod,
        "error_unknown_model" => UnknownModel,
        "error_unlink_missing_record" | "error_write_missing_record" => Missing,
        "error_validation_partner_without_name" | "error_required_field_missing" => Validation,
        "error_no_database_header" | "error_unknown_database_header" | "error_not_available" => BadResponse,
        "error_unknown_service" | "error_unknown_path" => AnyOdoo,
        _ => return None,
    })
}

/// A real-looking key for a recorded placeholder (ApiKey wants 16+ characters).
fn key_for(placeholder: &str) -> String {
    match placeholder.strip_prefix('<').and_then(|p| p.strip_suffix('>')) {
        Some(inner) => format!("{inner}-{}", "x".repeat(20)),
        None => placeholder.to_owned(),
    }
}

fn unkey(v: &Json, key: &str, placeholder: &str) -> Json {
    serde_json::from_str(&v.to_string().replace(key, placeholder)).expect("json")
}

/// The recorder wrote placeholders into XML unescaped.
fn unplaceholder(xml: &str) -> String {
    xml.replace("<admin-key>", "&lt;admin-key&gt;").replace("<user-key>", "&lt;user-key&gt;")
}

fn canned(resp: &Json) -> Canned {
    let status = resp["status"].as_u64().unwrap_or(200) as u16;
    let ct = resp["headers"]["Content-Type"].as_str().unwrap_or("text/plain").to_owned();
    let body = match &resp["body"] {
        Json::String(s) => s.clone().into_bytes(),
        other => other.to_string().into_bytes(),
    };
    Canned { status, content_type: ct, body }
}

/// What a recording asks, protocol-neutrally.
enum Call {
    Version,
    Auth {
        db: String,
        login: String,
        placeholder: String,
    },
    Raw {
        service: String,
        method: String,
        args: Vec<Json>,
    },
    Model {
        db: Option<String>,
        placeholder: String,
        uid: i64,
        model: String,
        method: String,
        ids: Option<Vec<i64>>,
        args: Vec<Json>,
        named: Map<String, Json>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Proto {
    Json2,
    JsonRpc,
    XmlRpc,
}

/// Reads the call out of a recorded request; `None` for requests our client
/// never sends (wrong verb, other auth schemes, malformed bodies...).
fn recorded_call(proto: Proto, req: &Json) -> Option<Call> {
    let path = req["path"].as_str()?;
    match proto {
        Proto::Json2 => {
            let rest = path.strip_prefix("/json/2/")?;
            let (model, method) = rest.split_once('/')?;
            let auth = req["headers"]["Authorization"].as_str()?;
            let placeholder = auth.strip_prefix("bearer ")?.to_owned();
            if req["method"] != "POST" || req["headers"]["Content-Type"] != "application/json; charset=utf-8" {
                return None;
            }
            let mut named = req["body"].as_object()?.clone();
            let ids = match named.remove("ids") {
                Some(v) => Some(serde_json::from_value(v).ok()?),
                None => None,
            };
            let db = req["headers"]["X-Odoo-Database"].as_str().map(str::to_owned);
            Some(Call::Model {
                db,
                placeholder,
                uid: 0,
                model: model.into(),
                method: method.into(),
                ids,
                args: vec![],
                named,
            })
        }
        Proto::JsonRpc | Proto::XmlRpc => {
            let (service, method, args) = if proto == Proto::JsonRpc {
                let p = req["body"].get("params")?;
                req["body"].get("jsonrpc")?;
                (p["service"].as_str()?.to_owned(), p["method"].as_str()?.to_owned(), p["args"].as_array()?.clone())
            } else {
                let service = path.strip_prefix("/xmlrpc/2/")?.to_owned();
                let call = xmlrpc::parse_call(&unplaceholder(req["body"].as_str()?)).ok()?;
                (service, call.method, call.params.into_iter().map(|v| v.into_json()).collect())
            };
            match (service.as_str(), method.as_str(), args.as_slice()) {
                ("common", "version", []) => Some(Call::Version),
                ("common", "authenticate", [db, login, key, _]) => Some(Call::Auth {
                    db: db.as_str()?.into(),
                    login: login.as_str()?.into(),
                    placeholder: key.as_str()?.into(),
                }),
                ("object", "execute_kw", [db, uid, key, model, m, a, kw]) => Some(Call::Model {
                    db: Some(db.as_str()?.into()),
                    placeholder: key.as_str()?.into(),
                    uid: uid.as_i64()?,
                    model: model.as_str()?.into(),
                    method: m.as_str()?.into(),
                    ids: None,
                    args: a.as_array()?.clone(),
                    named: kw.as_object()?.clone(),
                }),
                _ => Some(Call::Raw { service, method, args }),
            }
        }
    }
}

/// Runs the call through the typed trait method that covers it (or
/// `call_method`), returning the result as JSON.
async fn run(client: &dyn OdooApi, proto: Proto, call: Call) -> (Result<Json>, String) {
    match call {
        Call::Version => (client.version().await.map(|v| json!(v.major)), "version".into()),
        Call::Auth { login, placeholder, .. } => {
            let key = ApiKey::parse(&key_for(&placeholder)).expect("key");
            (client.whoami(&key, Some(&login)).await.map(Json::from), "whoami".into())
        }
        Call::Raw { .. } => unreachable!("raw calls run on RpcClient"),
        Call::Model { placeholder, uid, model, method, ids, args, named, .. } => {
            let key = ApiKey::parse(&key_for(&placeholder)).expect("key");
            if proto == Proto::Json2 && model == "res.users" && method == "context_get" && named.is_empty() {
                return (client.whoami(&key, None).await.map(|uid| json!({ "uid": uid })), "whoami".into());
            }
            let who = Identity { key, uid, company_ids: vec![] };
            if let Some(r) = typed::dispatch(client, &who, proto, &model, &method, ids.clone(), &args, &named).await {
                return r;
            }
            let r = client.call_method(&who, &model, &method, ids.as_deref(), args, named).await;
            (r, "call_method".into())
        }
    }
}

/// Maps a recorded call onto the typed trait method that covers it; `None`
/// when no typed method sends exactly this (then `call_method` does).
mod typed {
    use super::*;

    type Fields = Option<Vec<String>>;

    fn strings(v: Option<&Json>) -> Option<Fields> {
        match v {
            None => Some(None),
            Some(v) => Some(Some(serde_json::from_value(v.clone()).ok()?)),
        }
    }

    fn num(v: Option<&Json>) -> Option<Option<u64>> {
        match v {
            None => Some(None),
            Some(v) => Some(Some(v.as_u64()?)),
        }
    }

    fn text(v: Option<&Json>) -> Option<Option<String>> {
        match v {
            None => Some(None),
            Some(v) => Some(Some(v.as_str()?.to_owned())),
        }
    }

    fn records(r: Result<Vec<Record>>) -> Result<Json> {
        r.map(|rows| Json::Array(rows.into_iter().map(Json::Object).collect()))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn dispatch(
        client: &dyn OdooApi,
        who: &Identity,
        proto: Proto,
        model: &str,
        method: &str,
        mut ids: Option<Vec<i64>>,
        args: &[Json],
        named: &Map<String, Json>,
    ) -> Option<(Result<Json>, String)> {
        let (needs_ids, names): (bool, &[&str]) = match method {
            "search_read" => (false, &["domain", "fields", "offset", "limit", "order"]),
            "search" => (false, &["domain", "offset", "limit", "order"]),
            "search_count" => (false, &["domain"]),
            "read" => (true, &["fields"]),
            "create" => (false, &["vals_list"]),
            "write" => (true, &["vals"]),
            "unlink" => (true, &[]),
            "fields_get" => (false, &["allfields", "attributes"]),
            "read_group" => (false, &["domain", "fields", "groupby", "offset", "limit", "orderby", "lazy"]),
            "formatted_read_group" => {
                (false, &["domain", "groupby", "aggregates", "having", "offset", "limit", "order"])
            }
            _ => return None,
        };
        let mut args = args.to_vec();
        if proto != Proto::Json2 && needs_ids {
            if args.is_empty() {
                return None;
            }
            ids = Some(serde_json::from_value(args.remove(0)).ok()?);
        }
        if needs_ids != ids.is_some() || args.len() > names.len() {
            return None;
        }
        let mut all: Map<String, Json> = names.iter().map(|n| n.to_string()).zip(args).collect();
        for (k, v) in named {
            if all.contains_key(k) || !names.contains(&k.as_str()) {
                return None;
            }
            all.insert(k.clone(), v.clone());
        }
        let ids = ids.unwrap_or_default();
        let domain = all.get("domain").cloned();
        let r = match method {
            "search_read" | "search" => {
                let q = SearchQuery {
                    domain: domain?,
                    fields: strings(all.get("fields"))?,
                    offset: num(all.get("offset"))?,
                    limit: num(all.get("limit"))?,
                    order: text(all.get("order"))?,
                };
                if method == "search" {
                    client.search(who, model, &q).await.map(|ids| json!(ids))
                } else {
                    records(client.search_read(who, model, &q).await)
                }
            }
            "search_count" => client.search_count(who, model, &domain?).await.map(Json::from),
            "read" => records(client.read(who, model, &ids, strings(all.get("fields"))?.as_deref()).await),
            "create" => {
                let vals: Vec<Record> = match all.get("vals_list")? {
                    Json::Object(one) if proto != Proto::Json2 => vec![one.clone()],
                    // On execute_kw the client sends one record as a dict; a
                    // recorded list of one is left to call_method.
                    Json::Array(list) if proto != Proto::Json2 && list.len() == 1 => return None,
                    list => serde_json::from_value(list.clone()).ok()?,
                };
                client.create(who, model, &vals).await.map(|ids| json!(ids))
            }
            "write" => client.write(who, model, &ids, all.get("vals")?.as_object()?).await.map(Json::from),
            "unlink" => client.unlink(who, model, &ids).await.map(Json::from),
            "fields_get" => {
                let allfields = strings(all.get("allfields"))?;
                let attributes = strings(all.get("attributes"))?;
                client.fields_get(who, model, allfields.as_deref(), attributes.as_deref()).await.map(Json::Object)
            }
            "read_group" => {
                let q = ReadGroupQuery {
                    domain: domain?,
                    fields: strings(all.get("fields"))??,
                    groupby: strings(all.get("groupby"))??,
                    offset: num(all.get("offset"))?,
                    limit: num(all.get("limit"))?,
                    orderby: text(all.get("orderby"))?,
                    lazy: all.get("lazy")?.as_bool()?,
                };
                records(client.read_group(who, model, &q).await)
            }
            _ => {
                let q = FormattedReadGroupQuery {
                    domain: domain?,
                    groupby: strings(all.get("groupby"))??,
                    aggregates: strings(all.get("aggregates"))??,
                    having: all.get("having").cloned(),
                    offset: num(all.get("offset"))?,
                    limit: num(all.get("limit"))?,
                    order: text(all.get("order"))?,
                };
                records(client.formatted_read_group(who, model, &q).await)
            }
        };
        Some((r, method.to_owned()))
    }
}

/// The result a success recording promises, in the client's terms.
fn expected_result(proto: Proto, rec: &Json, used: &str) -> Option<Json> {
    let body = &rec["response"]["body"];
    let result = match proto {
        Proto::Json2 => body.clone(),
        Proto::JsonRpc => body.get("result")?.clone(),
        Proto::XmlRpc => match xmlrpc::parse_response(body.as_str()?).ok()? {
            MethodResponse::Success(v) => v.into_json(),
            MethodResponse::Fault(_) => return None,
        },
    };
    Some(match used {
        "version" => json!(ServerVersion::from_json(&result).ok()?.major),
        "create" if result.is_number() => json!([result]),
        "whoami" if proto == Proto::Json2 => json!({ "uid": result["uid"] }),
        _ => result,
    })
}

fn is_error(proto: Proto, rec: &Json) -> bool {
    let resp = &rec["response"];
    match proto {
        Proto::Json2 => resp["status"] != 200,
        Proto::JsonRpc => {
            resp["body"].get("error").is_some()
                || resp["body"]["result"] == false
                    && rec["name"].as_str().is_some_and(|n| n.starts_with("authenticate_bad"))
        }
        Proto::XmlRpc => {
            resp["body"].as_str().is_some_and(|b| b.contains("<fault>"))
                || rec["name"].as_str().is_some_and(|n| n.starts_with("authenticate_bad"))
        }
    }
}

/// Compares what the client sent with the recorded request.
fn compare_request(proto: Proto, rec: &Json, seen: &Seen, key: &str, placeholder: &str) -> Vec<String> {
    let req = &rec["request"];
    let mut diffs = Vec::new();
    if seen.path != req["path"].as_str().unwrap_or_default() {
        diffs.push(format!("path {} != {}", seen.path, req["path"]));
    }
    let ct = req["headers"]["Content-Type"].as_str().unwrap_or_default();
    if seen.header("content-type") != Some(ct) {
        diffs.push(format!("content-type {:?} != {ct:?}", seen.header("content-type")));
    }
    let body_json = |b: &[u8]| serde_json::from_slice::<Json>(b).unwrap_or(Json::Null);
    match proto {
        Proto::Json2 => {
            let auth = seen.header("authorization").map(|a| a.replace(key, placeholder));
            if auth.as_deref() != req["headers"]["Authorization"].as_str() {
                diffs.push(format!("authorization {auth:?}"));
            }
            if seen.header("x-odoo-database") != req["headers"]["X-Odoo-Database"].as_str() {
                diffs.push(format!("database header {:?}", seen.header("x-odoo-database")));
            }
            let sent = unkey(&body_json(&seen.body), key, placeholder);
            if sent != req["body"] {
                diffs.push(format!("body {sent} != {}", req["body"]));
            }
        }
        Proto::JsonRpc => {
            let sent = unkey(&body_json(&seen.body), key, placeholder);
            for field in ["jsonrpc", "method", "params"] {
                if sent[field] != req["body"][field] {
                    diffs.push(format!("{field} {} != {}", sent[field], req["body"][field]));
                }
            }
        }
        Proto::XmlRpc => {
            let parse = |text: &str| {
                xmlrpc::parse_call(text)
                    .map(|c| (c.method, Json::Array(c.params.into_iter().map(|v| v.into_json()).collect())))
            };
            let sent = parse(&String::from_utf8_lossy(&seen.body)).map(|(m, p)| (m, unkey(&p, key, placeholder)));
            let want = parse(&unplaceholder(req["body"].as_str().unwrap_or_default()));
            if sent != want {
                diffs.push(format!("xml call {sent:?} != {want:?}"));
            }
        }
    }
    diffs
}

async fn check_dir(dir: &str, proto: Proto) -> (usize, Vec<String>) {
    let mut covered = 0;
    let mut failures = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir).expect("recordings dir").flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let rec: Json = serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let name = Path::new(&path).file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        let Some(call) = recorded_call(proto, &rec["request"]) else {
            eprintln!("not a client request, skipped: {dir}/{name}");
            continue;
        };
        let fake = FakeOdoo::start(vec![canned(&rec["response"])]).await;
        let transport = Transport::new(&TransportConfig::new(fake.url())).expect("transport");
        let (placeholder, db) = match &call {
            Call::Auth { placeholder, db, .. } => (placeholder.clone(), Some(db.clone())),
            Call::Model { placeholder, db, .. } => (placeholder.clone(), db.clone()),
            _ => (String::new(), Some("wire".to_owned())),
        };
        let key = key_for(&placeholder);
        let encoding = if proto == Proto::XmlRpc { RpcEncoding::Xml } else { RpcEncoding::Json };
        let (outcome, used) = match call {
            Call::Raw { service, method, args } => {
                let rpc = RpcClient::new(transport, db.unwrap_or_default(), encoding);
                (rpc.call(&service, &method, args).await, "raw".to_owned())
            }
            call => {
                let client: Box<dyn OdooApi> = match proto {
                    Proto::Json2 => Box::new(Json2Client::new(transport, db)),
                    _ => Box::new(RpcClient::new(transport, db.unwrap_or_default(), encoding)),
                };
                run(client.as_ref(), proto, call).await
            }
        };
        covered += 1;
        let seen = fake.seen();
        let mut fail = |msg: String| failures.push(format!("{dir}/{name} [{used}]: {msg}"));
        match seen.as_slice() {
            [one] => compare_request(proto, &rec, one, &key, &placeholder).into_iter().for_each(&mut fail),
            other => fail(format!("{} requests sent", other.len())),
        }
        match (is_error(proto, &rec), outcome) {
            (true, Ok(v)) => fail(format!("expected an error, got {v}")),
            (true, Err(e)) => {
                assert!(!e.to_string().contains(&key) || key.is_empty(), "key leaked in {name}");
                match expected_error(&name) {
                    None => fail(format!("no expectation for error {e:?}")),
                    Some(Kind::AnyOdoo) if !e.is_transport() => {}
                    Some(k) if k == kind_of(&e) => {}
                    Some(k) => fail(format!("expected {k:?}, got {e:?}")),
                }
            }
            (false, Err(e)) => fail(format!("unexpected error {e:?}")),
            (false, Ok(v)) => match expected_result(proto, &rec, &used) {
                Some(want) if want == v => {}
                want => fail(format!("result {v} != {want:?}")),
            },
        }
    }
    (covered, failures)
}

async fn check(dir: &str, proto: Proto, min_covered: usize) {
    let (covered, failures) = check_dir(dir, proto).await;
    eprintln!("{dir}: {covered} recordings covered");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(covered >= min_covered, "only {covered} recordings covered in {dir}");
}

#[tokio::test]
async fn json2_odoo19() {
    check(&format!("{WIRE19}/json2"), Proto::Json2, 60).await;
}

#[tokio::test]
async fn json2_odoo17_not_available() {
    check(&format!("{WIRE17}/json2"), Proto::Json2, 1).await;
}

#[tokio::test]
async fn jsonrpc_odoo19() {
    check(&format!("{WIRE19}/jsonrpc"), Proto::JsonRpc, 65).await;
}

#[tokio::test]
async fn jsonrpc_odoo17() {
    check(&format!("{WIRE17}/jsonrpc"), Proto::JsonRpc, 65).await;
}

#[tokio::test]
async fn xmlrpc_odoo19() {
    check(&format!("{WIRE19}/xmlrpc"), Proto::XmlRpc, 60).await;
}

#[tokio::test]
async fn xmlrpc_odoo17() {
    check(&format!("{WIRE17}/xmlrpc"), Proto::XmlRpc, 60).await;
}
