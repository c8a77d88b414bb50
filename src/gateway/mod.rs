//! The gateway: the corridor every call on every face walks.
//!
//! `authenticate` turns what the caller presented into a [`Principal`];
//! `run` parses the operation (`ops`), asks the policy (`policy`), calls Odoo
//! as the caller (`upstream`) and shapes the result. Faces call these two and
//! translate [`OpError`] into their own status codes; they decide nothing.

mod auth;
mod error;
mod upstream_slot;

pub use auth::{Authorization, Principal};
pub use error::OpError;
pub use upstream_slot::UpstreamSlot;

use crate::admin::AdminService;
use crate::config::Settings;
use crate::ops::{self, OpName};
use serde_json::Value;
use std::net::IpAddr;
use std::sync::Arc;

/// Which face a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Mcp,
    JsonRpc,
    Rest,
}

impl Face {
    pub fn name(self) -> &'static str {
        match self {
            Face::Mcp => "mcp",
            Face::JsonRpc => "jsonrpc",
            Face::Rest => "rest",
        }
    }
}

/// An MCP client's self-description.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientInfo {
    pub name: String,
    pub version: String,
}

/// What a face knows about one request, transport details already parsed.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub face: Face,
    /// The client address (after trusted-proxy resolution).
    pub client_ip: IpAddr,
    pub authorization: Authorization,
    /// The database the client named (`X-Odoo-Database`, `?db=`), if any.
    pub database: Option<String>,
    /// The MCP session, for legacy-revision clients.
    pub session_id: Option<String>,
    pub client: Option<ClientInfo>,
}

impl RequestContext {
    pub fn new(face: Face, client_ip: IpAddr, authorization: Authorization) -> RequestContext {
        RequestContext { face, client_ip, authorization, database: None, session_id: None, client: None }
    }
}

/// The gateway, shared by every face. Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    admin: AdminService,
    upstream: UpstreamSlot,
    auth: auth::AuthCache,
    schemas: ops::schema::SchemaCache,
}

impl Gateway {
    pub fn new(admin: AdminService, upstream: UpstreamSlot) -> Gateway {
        Gateway {
            inner: Arc::new(Inner { admin, upstream, auth: auth::AuthCache::default(), schemas: Default::default() }),
        }
    }

    pub fn admin(&self) -> &AdminService {
        &self.inner.admin
    }

    /// The current settings; a store failure reads as the safe defaults
    /// (MCP off), never as "everything allowed".
    pub fn settings(&self) -> Settings {
        self.inner.admin.settings().unwrap_or_default()
    }

    /// Who is calling. Refuses with `Disabled` while MCP is off, then with
    /// `Unauthenticated` for a missing, unknown, expired or revoked key.
    pub async fn authenticate(&self, ctx: &RequestContext) -> Result<Principal, OpError> {
        let settings = self.settings();
        if !settings.enable_mcp {
            return Err(OpError::Disabled);
        }
        self.check_database(ctx, &settings)?;
        auth::authenticate(&self.inner.admin, &self.inner.upstream, &self.inner.auth, &settings, ctx).await
    }

    /// Runs one of the nine operations for `principal`. `operation` is the
    /// tool / method name, `params` its JSON arguments.
    pub async fn run(
        &self,
        principal: &Principal,
        _ctx: &RequestContext,
        operation: &str,
        params: &Value,
    ) -> Result<Value, OpError> {
        let name = OpName::parse(operation).ok_or_else(|| OpError::UnknownOperation(operation.to_string()))?;
        let settings = self.settings();
        if !settings.enable_mcp {
            return Err(OpError::Disabled);
        }
        let operation = ops::Operation::parse(name, params)?;
        let resources = self.inner.admin.resources().map_err(|e| OpError::Unavailable(e.to_string()))?;
        let upstream = self.inner.upstream.get(&settings).await?;
        let run = ops::Run {
            principal,
            settings: &settings,
            resources: &resources,
            upstream: upstream.as_ref(),
            schemas: &self.inner.schemas,
        };
        operation.run(&run).await
    }

    /// Authenticate and run in one call.
    pub async fn call(&self, ctx: &RequestContext, operation: &str, params: &Value) -> Result<Value, OpError> {
        let principal = self.authenticate(ctx).await?;
        self.run(&principal, ctx, operation, params).await
    }

    /// A gateway serves one Odoo database; a request naming another is refused.
    fn check_database(&self, ctx: &RequestContext, settings: &Settings) -> Result<(), OpError> {
        match (&ctx.database, settings.odoo.database.as_str()) {
            (Some(asked), configured) if !configured.is_empty() && asked != configured => Err(OpError::NotFound(
                format!("database {asked:?} is not served here; this gateway serves {configured:?}"),
            )),
            _ => Ok(()),
        }
    }
}
