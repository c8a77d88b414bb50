//! The JSON-2 client (Odoo 19+): `POST /json/2/<model>/<method>` with named
//! arguments, `Authorization: bearer <key>` and `X-Odoo-Database`.
//!
//! JSON-2 only takes arguments by name. A `call_method` with positional
//! arguments (whose parameter names we do not know) goes over JSON-RPC's
//! `execute_kw` instead, which 19 still serves, when the database is known.

use async_trait::async_trait;
use hyper::header::{AUTHORIZATION, HeaderName, HeaderValue};
use serde_json::Value as Json;

use super::error::{self, Result, UpstreamError};
use super::rpc::{RpcClient, RpcEncoding};
use super::transport::{HttpReply, Transport};
use super::types::{Identity, Protocol, ServerVersion};
use super::{OdooApi, Op};
use crate::config::ApiKey;
use crate::wire::json2::{ErrorBody, path};

const CONTENT_TYPE: &str = "application/json; charset=utf-8";

#[derive(Debug, Clone)]
pub struct Json2Client {
    transport: Transport,
    database: Option<String>,
    fallback: Option<RpcClient>,
}

impl Json2Client {
    /// `database` becomes `X-Odoo-Database`; without it Odoo must serve one database only.
    pub fn new(transport: Transport, database: Option<String>) -> Self {
        let fallback = database.clone().map(|db| RpcClient::new(transport.clone(), db, RpcEncoding::Json));
        Json2Client { transport, database, fallback }
    }

    /// POSTs one call with `key` and decodes the bare result or the error.
    async fn post(
        &self,
        key: &ApiKey,
        model: &str,
        method: &str,
        body: &serde_json::Map<String, Json>,
    ) -> Result<Json> {
        let mut auth = HeaderValue::from_str(&format!("bearer {}", key.expose())).map_err(|_| {
            UpstreamError::AuthenticationFailed("the API key has characters a header cannot carry".into())
        })?;
        auth.set_sensitive(true);
        let mut headers = vec![(AUTHORIZATION, auth)];
        if let Some(db) = &self.database {
            let value = HeaderValue::from_str(db)
                .map_err(|_| UpstreamError::Config("database name not valid in a header".into()))?;
            headers.push((HeaderName::from_static("x-odoo-database"), value));
        }
        let bytes = serde_json::to_vec(body).map_err(|e| UpstreamError::Config(e.to_string()))?;
        let reply = self.transport.post(&path(model, method), CONTENT_TYPE, headers, bytes).await;
        reply.and_then(decode).map_err(|e| e.redact(key.expose()))
    }
}

/// A 200 JSON body is the result; anything else is an error.
fn decode(reply: HttpReply) -> Result<Json> {
    if reply.status == 200 && reply.is_json() {
        return serde_json::from_slice(&reply.body)
            .map_err(|e| UpstreamError::BadResponse(format!("JSON-2 result is not JSON: {e}")));
    }
    let body = if reply.is_json() { serde_json::from_slice::<ErrorBody>(&reply.body).ok() } else { None };
    if reply.status == 200 {
        return Err(UpstreamError::BadResponse(format!("HTTP 200 with content type {:?}", reply.content_type)));
    }
    Err(error::from_json2(reply.status, body.as_ref()))
}

/// `GET /web/version` (Odoo 19+; 16-18 answer a 404 page).
pub async fn web_version(transport: &Transport) -> Result<ServerVersion> {
    let reply = transport.get("/web/version").await?;
    if reply.status != 200 || !reply.is_json() {
        return Err(UpstreamError::BadResponse(format!("no /web/version (HTTP {})", reply.status)));
    }
    let v: Json = serde_json::from_slice(&reply.body)
        .map_err(|e| UpstreamError::BadResponse(format!("/web/version is not JSON: {e}")))?;
    ServerVersion::from_json(&v)
}

#[async_trait]
impl OdooApi for Json2Client {
    fn protocol(&self) -> Protocol {
        Protocol::Json2
    }

    fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    async fn version(&self) -> Result<ServerVersion> {
        web_version(&self.transport).await
    }

    async fn database_exists(&self) -> Result<Option<bool>> {
        match &self.database {
            Some(name) => super::rpc::database_exists(&self.transport, name).await.map(Some),
            None => Ok(None),
        }
    }

    /// JSON-2 is Odoo 19 or later, which has `any`: no need to ask.
    async fn has_any_operator(&self) -> Result<bool> {
        Ok(true)
    }

    /// JSON-2 is Odoo 19 or later: `web_search_read` takes a specification.
    async fn web_search_read_takes_specification(&self) -> Result<bool> {
        Ok(true)
    }

    /// `res.users/context_get` with the key alone: its `uid` is the key's user.
    async fn whoami(&self, key: &ApiKey, _login: Option<&str>) -> Result<i64> {
        let ctx = self.post(key, "res.users", "context_get", &serde_json::Map::new()).await?;
        ctx.get("uid")
            .and_then(Json::as_i64)
            .ok_or_else(|| UpstreamError::BadResponse("context_get without uid".into()))
    }

    async fn execute(&self, who: &Identity, op: Op) -> Result<Json> {
        if op.has_unnamed() {
            return match &self.fallback {
                Some(rpc) => rpc.execute(who, op).await,
                None => Err(UpstreamError::BadRequest(
                    "JSON-2 takes named arguments only: pass them as kwargs (or configure the database name)".into(),
                )),
            };
        }
        self.post(&who.key, &op.model, &op.method, &op.json2_body(who)).await
    }
}
