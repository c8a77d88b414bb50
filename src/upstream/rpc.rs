//! The JSON-RPC and XML-RPC clients (Odoo 16-19): `common.authenticate` /
//! `common.version` and `object.execute_kw(db, uid, key, model, method, args,
//! kwargs)`, over `/jsonrpc` or `/xmlrpc/2/<service>`.
//!
//! Both encodings carry the same calls, so one client holds the call logic
//! and only the envelope differs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use serde_json::{Value as Json, json};

use super::error::{self, Result, UpstreamError};
use super::transport::{HttpReply, Transport};
use super::types::{Identity, Protocol, ServerVersion};
use super::{OdooApi, Op};
use crate::config::ApiKey;
use crate::wire::jsonrpc::{CallParams, Outcome, Request, Response};
use crate::wire::xmlrpc::{self, MethodCall, MethodResponse, Value};

/// Which envelope carries the calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpcEncoding {
    /// `POST /jsonrpc`.
    Json,
    /// `POST /xmlrpc/2/<service>`.
    Xml,
}

#[derive(Debug, Clone)]
pub struct RpcClient {
    transport: Transport,
    database: String,
    encoding: RpcEncoding,
    next_id: Arc<AtomicU64>,
    version_once: Arc<tokio::sync::OnceCell<ServerVersion>>,
}

impl RpcClient {
    pub fn new(transport: Transport, database: String, encoding: RpcEncoding) -> Self {
        RpcClient {
            transport,
            database,
            encoding,
            next_id: Arc::new(AtomicU64::new(1)),
            version_once: Default::default(),
        }
    }

    /// One raw service call (`common`, `object`, `db`). Errors are not
    /// redacted here: callers that pass a key redact it.
    pub async fn call(&self, service: &str, method: &str, args: Vec<Json>) -> Result<Json> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        service_call(&self.transport, self.encoding, service, method, args, id).await
    }
}

/// Sends `service.method(*args)` in the given encoding and decodes the answer.
pub(crate) async fn service_call(
    transport: &Transport,
    encoding: RpcEncoding,
    service: &str,
    method: &str,
    args: Vec<Json>,
    id: u64,
) -> Result<Json> {
    match encoding {
        RpcEncoding::Json => {
            let req = Request::call(CallParams { service: service.into(), method: method.into(), args }, id);
            let body = serde_json::to_vec(&req).map_err(|e| UpstreamError::Config(e.to_string()))?;
            let reply = transport.post("/jsonrpc", "application/json", Vec::new(), body).await?;
            decode_json(reply)
        }
        RpcEncoding::Xml => {
            let call = MethodCall { method: method.into(), params: args.iter().map(Value::from_json).collect() };
            let body = xmlrpc::encode_call(&call).into_bytes();
            let reply = transport.post(&format!("/xmlrpc/2/{service}"), "text/xml", Vec::new(), body).await?;
            decode_xml(reply)
        }
    }
}

fn decode_json(reply: HttpReply) -> Result<Json> {
    if !reply.is_json() {
        return Err(UpstreamError::BadResponse(format!("HTTP {} from /jsonrpc is not JSON", reply.status)));
    }
    let v: Json = serde_json::from_slice(&reply.body)
        .map_err(|e| UpstreamError::BadResponse(format!("/jsonrpc answer is not JSON: {e}")))?;
    match Response::from_json(v).map_err(UpstreamError::BadResponse)?.outcome {
        Outcome::Result(r) => Ok(r),
        Outcome::Error(e) => Err(error::from_jsonrpc(e.code, &e.message, e.data.as_ref())),
    }
}

fn decode_xml(reply: HttpReply) -> Result<Json> {
    if reply.status != 200 {
        return Err(UpstreamError::BadResponse(format!("HTTP {} from /xmlrpc", reply.status)));
    }
    let text = std::str::from_utf8(&reply.body)
        .map_err(|_| UpstreamError::BadResponse("XML-RPC answer is not UTF-8".into()))?;
    match xmlrpc::parse_response(text).map_err(|e| UpstreamError::BadResponse(e.to_string()))? {
        MethodResponse::Success(v) => Ok(v.into_json()),
        MethodResponse::Fault(f) => Err(error::from_fault(&f)),
    }
}

/// `common.version()`; needs no database or key.
pub async fn common_version(transport: &Transport, encoding: RpcEncoding) -> Result<ServerVersion> {
    let v = service_call(transport, encoding, "common", "version", Vec::new(), 0).await?;
    ServerVersion::from_json(&v)
}

/// `db.db_exist(name)` over JSON-RPC: whether Odoo can connect to that
/// database. Keyless, on every version 16-19.
pub async fn database_exists(transport: &Transport, name: &str) -> Result<bool> {
    let v = service_call(transport, RpcEncoding::Json, "db", "db_exist", vec![Json::from(name)], 0).await?;
    v.as_bool().ok_or_else(|| UpstreamError::BadResponse(format!("db.db_exist answered {v}, not a boolean")))
}

#[async_trait]
impl OdooApi for RpcClient {
    fn database(&self) -> Option<&str> {
        Some(&self.database)
    }

    fn protocol(&self) -> Protocol {
        match self.encoding {
            RpcEncoding::Json => Protocol::JsonRpc,
            RpcEncoding::Xml => Protocol::XmlRpc,
        }
    }

    async fn version(&self) -> Result<ServerVersion> {
        common_version(&self.transport, self.encoding).await
    }

    async fn database_exists(&self) -> Result<Option<bool>> {
        database_exists(&self.transport, &self.database).await.map(Some)
    }

    /// Asked once per client: a server's version does not change under it
    /// (an upgrade restarts Odoo, and a settings change makes a new client).
    async fn has_any_operator(&self) -> Result<bool> {
        let version = self.version_once.get_or_try_init(|| self.version()).await?;
        Ok(version.has_any_operator())
    }

    /// Asked once per client, as above.
    async fn web_search_read_takes_specification(&self) -> Result<bool> {
        let version = self.version_once.get_or_try_init(|| self.version()).await?;
        Ok(version.major >= 17)
    }

    /// `common.authenticate(db, login, key, {})`: the uid, or `false` for a
    /// wrong login or key.
    async fn whoami(&self, key: &ApiKey, login: Option<&str>) -> Result<i64> {
        let login = login.ok_or(UpstreamError::LoginRequired(match self.encoding {
            RpcEncoding::Json => "JSON-RPC",
            RpcEncoding::Xml => "XML-RPC",
        }))?;
        let args = vec![json!(self.database), json!(login), json!(key.expose()), json!({})];
        let v = self.call("common", "authenticate", args).await.map_err(|e| e.redact(key.expose()))?;
        match v {
            Json::Number(n) => n.as_i64().ok_or_else(|| UpstreamError::BadResponse("uid is not an integer".into())),
            Json::Bool(false) => Err(UpstreamError::AuthenticationFailed("wrong login or API key".into())),
            _ => Err(UpstreamError::BadResponse("authenticate answered neither a uid nor false".into())),
        }
    }

    async fn execute(&self, who: &Identity, op: Op) -> Result<Json> {
        let (args, kwargs) = op.execute_kw_args(who);
        let call_args = vec![
            json!(self.database),
            json!(who.uid),
            json!(who.key.expose()),
            json!(op.model),
            json!(op.method),
            Json::Array(args),
            Json::Object(kwargs),
        ];
        self.call("object", "execute_kw", call_args).await.map_err(|e| e.redact(who.key.expose()))
    }
}
