//! The gateway: the corridor every call on every face walks.
//!
//! `authenticate` turns what the caller presented into a [`Principal`];
//! `run` parses the operation (`ops`), asks the policy (`policy`), calls Odoo
//! as the caller (`upstream`) and shapes the result. Faces call these two and
//! translate [`OpError`] into their own status codes; they decide nothing.
//!
//! Around them (`traffic.rs`): the per-IP rate budget before authentication,
//! the caller's budgets after it, the session, and one audit entry for every
//! outcome, written durably before the answer goes back to the face.

mod approval;
mod auth;
mod health;
mod oauth;
mod traffic;

pub use crate::upstream::UpstreamSlot;
pub use crate::vocab::{Grant, Limit, OpError, Principal};
pub use approval::{Elicitation, HeldSlot};
pub use auth::Authorization;
pub use traffic::SessionRefusal;

use crate::config::Settings;
use crate::ops::{self, OpName};
use crate::rooms::Rooms;
use crate::sessions::Session;
use crate::store::StoreError;
use serde_json::Value;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

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
    /// The MCP protocol revision the client speaks, if known.
    pub protocol: Option<String>,
    /// Filled by the gateway: the rate budget that applied, for the
    /// `RateLimit-*` headers.
    pub rate: crate::limits::RateSlot,
    /// Filled by the gateway: the answer is a call held for approval.
    pub held: HeldSlot,
    /// Set by the MCP face for a client that can be asked to confirm
    /// (2026-07-28 with form elicitation), with its answer on a retry.
    pub elicitation: Option<Elicitation>,
}

impl RequestContext {
    pub fn new(face: Face, client_ip: IpAddr, authorization: Authorization) -> RequestContext {
        RequestContext {
            face,
            client_ip,
            authorization,
            database: None,
            session_id: None,
            client: None,
            protocol: None,
            rate: Default::default(),
            held: Default::default(),
            elicitation: None,
        }
    }
}

/// The gateway, shared by every face. Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    /// The store's configuration, rate windows, audit log and sessions,
    /// shared with the admin service and the timers.
    rooms: Rooms,
    upstream: UpstreamSlot,
    auth: auth::AuthCache,
    schemas: ops::schema::SchemaCache,
    /// The OAuth authorization server, when this gateway serves one.
    oauth: Option<crate::oauth::OAuth>,
    /// Signs the request state of a confirmation asked in a stateless
    /// exchange; without it such clients get the pending flow.
    approval_key: Option<Arc<crate::approvals::state::StateKey>>,
}

impl Gateway {
    pub fn new(rooms: Rooms, upstream: UpstreamSlot) -> Gateway {
        Gateway::build(rooms, upstream, None)
    }

    /// A gateway that also accepts the access tokens of `oauth` (and serves
    /// its endpoints through the faces).
    pub fn with_oauth(rooms: Rooms, upstream: UpstreamSlot, oauth: crate::oauth::OAuth) -> Gateway {
        Gateway::build(rooms, upstream, Some(oauth))
    }

    fn build(rooms: Rooms, upstream: UpstreamSlot, oauth: Option<crate::oauth::OAuth>) -> Gateway {
        Gateway {
            inner: Arc::new(Inner {
                rooms,
                upstream,
                auth: auth::AuthCache::default(),
                schemas: Default::default(),
                oauth,
                approval_key: None,
            }),
        }
    }

    /// The key that signs confirmation request states (a file outside the
    /// store). Called while building, before the gateway is shared.
    pub fn with_approval_key(mut self, key: crate::approvals::state::StateKey) -> Gateway {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.approval_key = Some(Arc::new(key));
        }
        self
    }

    fn rooms(&self) -> &Rooms {
        &self.inner.rooms
    }

    /// The current settings: a snapshot decoded and validated once per
    /// change of the stored settings, not per request. A store failure reads
    /// as the safe defaults (MCP off), never as "everything allowed".
    pub fn settings(&self) -> Arc<Settings> {
        self.rooms().catalog().settings_snapshot().unwrap_or_default()
    }

    /// The current settings, or why the store cannot give them (`/healthz`).
    pub fn stored_settings(&self) -> Result<Settings, StoreError> {
        self.rooms().catalog().settings()
    }

    /// How many sessions are active (`/metrics`); None when the store cannot say.
    pub fn active_sessions(&self) -> Option<usize> {
        self.rooms().sessions().list(false).ok().map(|s| s.len())
    }

    /// The audit chain's head and the sequence of its latest checkpoint
    /// (`/metrics`); None when the store cannot be read.
    pub fn audit_chain(&self) -> Option<(u64, Option<u64>)> {
        let audit = self.rooms().audit();
        let (seq, _) = audit.chain_head().ok()?;
        Some((seq, audit.latest_checkpoint().ok()?.map(|c| c.seq)))
    }

    /// Why the store cannot write just now (full disk, failed write), if it
    /// cannot: audited operations are refused meanwhile (`/healthz`).
    pub fn store_cannot_write(&self) -> Option<String> {
        self.rooms().store().cannot_write_reason()
    }

    /// Writes to disk what the store holds in memory (at shutdown).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.rooms().store().flush()
    }

    /// Who is calling. Refuses with `Disabled` while MCP is off, with
    /// `RateLimited` when the client IP is locked out or over its budget, then with
    /// `Unauthenticated` for a missing, unknown, expired or revoked key. A
    /// refusal is audited (as tool `authenticate`); success is not, the
    /// operation that follows is.
    pub async fn authenticate(&self, ctx: &RequestContext) -> Result<Principal, OpError> {
        let started = Instant::now();
        let result = self.authenticate_limited(ctx).await;
        if let Err(error) = &result {
            let trace = traffic::Trace::new(started);
            let _ = traffic::audit(self, ctx, None, "authenticate", &Value::Null, Err(error), trace).await;
        }
        result
    }

    /// Authentication behind the per-IP budget. An attempt with a key not
    /// verified recently is charged to the IP (exactly, before the work);
    /// a successful one is given back, the caller's own budget applying from
    /// here. So only failed logins use up an IP's budget, and a known key is
    /// never held up by its IP.
    ///
    /// Before both, the login lockout: a client IP with too many failed keys
    /// is refused whatever it sends, a known key included; each refused key
    /// counts towards it.
    async fn authenticate_limited(&self, ctx: &RequestContext) -> Result<Principal, OpError> {
        let settings = self.settings();
        if !settings.enable_mcp {
            return Err(OpError::Disabled);
        }
        self.check_database(ctx, &settings)?;
        let mut known = self.inner.auth.knows(&ctx.authorization);
        // Concurrent first requests with one key: one verifies, the others
        // wait and find it known (neither pending nor charged to the IP).
        let _flight = if known {
            None
        } else {
            let flight = self.inner.auth.single_flight(&ctx.authorization).await;
            known = self.inner.auth.knows(&ctx.authorization);
            if known { None } else { flight }
        };
        let attempt = traffic::admit_login(self, &settings, ctx, known).await?;
        let ticket = if known { None } else { traffic::charge_ip(self, &settings, ctx)? };
        let result = auth::authenticate(
            self.rooms().catalog(),
            &self.inner.upstream,
            &self.inner.auth,
            &settings,
            ctx,
            self.inner.oauth.as_ref(),
        )
        .await;
        match &result {
            Ok(principal) => {
                if let Some(attempt) = attempt {
                    attempt.succeeded();
                }
                traffic::refund_ip(self, &settings, ctx, principal, ticket.as_ref());
            }
            // An access token this server issued, now expired or revoked, is
            // no guess: clients meet that every hour, often from one shared
            // cloud address, and must not lock it out.
            Err(OpError::Unauthenticated(_)) if self.is_spent_oauth_token(ctx) => {}
            Err(OpError::Unauthenticated(_)) => traffic::login_failed(&settings, attempt),
            // Odoo down, a company mismatch: nothing said about the key.
            Err(_) => {}
        }
        result
    }

    /// Whether the request carries an access token this server issued (now
    /// expired or revoked): not counted as a failed key.
    fn is_spent_oauth_token(&self, ctx: &RequestContext) -> bool {
        match (&ctx.authorization, self.inner.oauth.as_ref()) {
            (Authorization::Bearer(token), Some(oauth)) => {
                crate::oauth::is_access_token(token) && oauth.was_issued(token)
            }
            _ => false,
        }
    }

    /// Runs one of the nine operations for `principal`. `operation` is the
    /// tool / method name, `params` its JSON arguments.
    /// Audited, whatever the outcome.
    pub async fn run(
        &self,
        principal: &Principal,
        ctx: &RequestContext,
        operation: &str,
        params: &Value,
    ) -> Result<Value, OpError> {
        self.run_traced(principal, ctx, operation, params, traffic::Trace::new(Instant::now())).await
    }

    async fn run_traced(
        &self,
        principal: &Principal,
        ctx: &RequestContext,
        operation: &str,
        params: &Value,
        mut trace: traffic::Trace,
    ) -> Result<Value, OpError> {
        let result = if operation == crate::vocab::APPROVAL_STATUS_TOOL {
            approval::status(self, principal, ctx, params, &mut trace).await
        } else {
            self.run_limited(principal, ctx, operation, params, &mut trace, None).await
        };
        let audited = traffic::audit(self, ctx, Some(principal), operation, params, result.as_ref(), trace).await;
        match (result, audited) {
            (Ok(value), Err(why)) => Err(traffic::withheld(operation, &value, &why)),
            (result, _) => result,
        }
    }

    /// The operation behind the caller's budgets and session. A write the
    /// resource's approval rules hold is stored for approval, not run;
    /// `approved` is the approval an approved call runs under.
    async fn run_limited(
        &self,
        principal: &Principal,
        ctx: &RequestContext,
        operation: &str,
        params: &Value,
        trace: &mut traffic::Trace,
        approved: Option<&crate::approvals::Approval>,
    ) -> Result<Value, OpError> {
        let name = OpName::parse(operation).ok_or_else(|| OpError::UnknownOperation(operation.to_string()))?;
        let settings = self.settings();
        if !settings.enable_mcp {
            return Err(OpError::Disabled);
        }
        let general = traffic::charge_principal(self, &settings, ctx, principal)?;
        trace.session = traffic::touch_session(self, ctx, principal)?;
        let operation = ops::Operation::parse(name, params)?;
        operation.check_token_scopes(principal)?;
        let extra = if name == OpName::Aggregate {
            Some(traffic::Extra::Aggregate)
        } else if operation.writes() {
            Some(traffic::Extra::Write)
        } else {
            None
        };
        if let Some(extra) = extra {
            traffic::charge_extra(self, &settings, ctx, principal, extra, general.as_ref())?;
        }
        if let Some(why) = principal.offline() {
            return Err(OpError::Unavailable(format!(
                "{why}; your key was recognised from its stored credential, but no operation can run until Odoo answers"
            )));
        }
        // An operation that could not be audited is not sent to Odoo.
        if settings.audit_logging
            && let Some(why) = self.rooms().store().cannot_write_reason()
        {
            return Err(traffic::unauditable(name.as_str(), &why));
        }
        let catalog = self.rooms().catalog();
        // Cached schemas and labels are fetched again after a resources change.
        self.inner.schemas.sync(catalog.resources_generation());
        let resources = catalog.resources_snapshot().map_err(|e| OpError::Unavailable(e.to_string()))?;
        let upstream = self.inner.upstream.get(&settings).await?;
        let audit = ops::AuditNote::default();
        let run = ops::Run {
            principal,
            settings: &settings,
            resources: &resources,
            upstream: upstream.as_ref(),
            schemas: &self.inner.schemas,
            audit: &audit,
        };
        let result = match approved {
            Some(approval) => approval::run_approved(self, approval, &operation, &run).await,
            None => match operation.approval_needed(&run) {
                Ok(Some(rule)) => {
                    let held = approval::Held { settings: &settings, operation: &operation, rule, params };
                    approval::hold_or_ask(self, principal, ctx, held, &run, trace).await
                }
                Ok(None) => operation.run(&run).await,
                Err(refused) => Err(refused),
            },
        };
        trace.detail = audit.take();
        result
    }

    /// Charges one request to the caller's Requests per Minute, for what is
    /// not an operation but still costs the server (a batch's `tools/list`).
    pub fn charge(&self, principal: &Principal, ctx: &RequestContext) -> Result<(), OpError> {
        traffic::charge_principal(self, &self.settings(), ctx, principal).map(|_| ())
    }

    /// Opens an MCP session for the caller (a legacy revision's
    /// `initialize`; `ctx` carries the client and revision). Charged to the
    /// caller's budget like a call.
    pub fn open_session(&self, principal: &Principal, ctx: &RequestContext) -> Result<Session, OpError> {
        traffic::open_session(self, ctx, principal)
    }

    /// One request in the caller's MCP session `id`: counted, or refused
    /// (unknown, another caller's, ended by an admin, closed).
    pub fn resume_session(&self, principal: &Principal, id: &str) -> Result<Session, SessionRefusal> {
        traffic::resume_session(self, principal, id)
    }

    /// The caller ends its own MCP session; false when it has no such live
    /// session.
    pub fn close_session(&self, principal: &Principal, id: &str) -> Result<bool, SessionRefusal> {
        traffic::close_session(self, principal, id)
    }

    /// Authenticate and run in one call; one audit entry either way.
    pub async fn call(&self, ctx: &RequestContext, operation: &str, params: &Value) -> Result<Value, OpError> {
        let trace = traffic::Trace::new(Instant::now());
        match self.authenticate_limited(ctx).await {
            Ok(principal) => self.run_traced(&principal, ctx, operation, params, trace).await,
            Err(error) => {
                let _ = traffic::audit(self, ctx, None, operation, params, Err(&error), trace).await;
                Err(error)
            }
        }
    }

    /// A request the face could not turn into an operation (a bad REST route
    /// or body): authenticated, charged and audited like any call, then
    /// refused with `error` (or with the refusal met on the way). `tool`
    /// names what was asked, e.g. `GET /alpenglow/api/models/x`.
    pub async fn call_refused(&self, ctx: &RequestContext, tool: &str, error: OpError) -> OpError {
        let trace = traffic::Trace::new(Instant::now());
        let principal = match self.authenticate_limited(ctx).await {
            Ok(principal) => principal,
            Err(refused) => {
                let _ = traffic::audit(self, ctx, None, tool, &Value::Null, Err(&refused), trace).await;
                return refused;
            }
        };
        let settings = self.settings();
        let error = match traffic::charge_principal(self, &settings, ctx, &principal) {
            Ok(_) => error,
            Err(limited) => limited,
        };
        let _ = traffic::audit(self, ctx, Some(&principal), tool, &Value::Null, Err(&error), trace).await;
        error
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
