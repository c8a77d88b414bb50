//! One request in, one typed answer out: every operation of the admin API
//! over the admin service. The daemon's socket and the CLI's in-process
//! client both call [`dispatch`], so the two cannot drift apart.

use super::api::{self as api, ApiError, ApiResult, Request};
use super::{AdminService, approvals, odoo, views};
use crate::config::credential::parse_date;
use crate::config::{ApiKey, CredentialDraft, ResourceDraft, Scope};
use crate::upstream::UpstreamSlot;
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

/// What the handler works on: the admin service, and how to reach Odoo.
#[derive(Clone)]
pub struct AdminContext {
    pub(super) admin: AdminService,
    pub(super) odoo: Arc<odoo::OdooAccess>,
    started: Instant,
    /// `alpenglow serve`, `alpenglow demo`, or `direct` for the CLI's own store.
    mode: &'static str,
    /// Where MCP clients connect to the daemon, once it listens.
    gateway: Option<api::GatewayUrls>,
}

impl AdminContext {
    /// `upstream` reaches Odoo as the settings say (or pinned, for the demo);
    /// `service_key` is the gateway's own Odoo key for model, field and user lists.
    pub fn new(
        admin: AdminService,
        upstream: UpstreamSlot,
        service_key: Option<ApiKey>,
        mode: &'static str,
    ) -> AdminContext {
        AdminContext {
            admin,
            odoo: Arc::new(odoo::OdooAccess::new(upstream, service_key)),
            started: Instant::now(),
            mode,
            gateway: None,
        }
    }

    /// The base URL the daemon's listener serves and its MCP endpoint,
    /// reported by `status` so the dashboard can show clients where to
    /// connect; and the address it is bound to, with or without TLS, which
    /// `doctor` checks.
    pub fn with_gateway(
        mut self,
        url: String,
        mcp_url: String,
        listen: std::net::SocketAddr,
        tls: bool,
    ) -> AdminContext {
        self.gateway = Some(api::GatewayUrls { url, mcp_url, listen: listen.to_string(), tls });
        self
    }

    pub fn admin(&self) -> &AdminService {
        &self.admin
    }
}

/// Runs one operation; the answer is the operation's typed answer as JSON.
/// Reached only through `trail::dispatch`, which audits the changes.
pub(super) async fn handle(ctx: &AdminContext, request: Request) -> ApiResult<Value> {
    use api::encode;
    let admin = &ctx.admin;
    let today = AdminService::today();
    match request {
        Request::Ping(_) => {
            encode::<api::Ping>(Ok(api::Pong { alpenglow: env!("CARGO_PKG_VERSION").into(), mode: ctx.mode.into() }))
        }
        Request::GetStatus(_) => encode::<api::GetStatus>(status(ctx).await),
        Request::ShowSettings(_) => encode::<api::ShowSettings>(settings_show(admin)),
        Request::SetSetting(call) => encode::<api::SetSetting>(
            admin
                .set_setting(&call.key, &call.value)
                .map(|stored| api::SettingSaved { key: call.key, value: views::scalar(&stored) })
                .map_err(ApiError::from),
        ),
        Request::ListResources(_) => encode::<api::ListResources>(
            admin.resources().map(|all| all.iter().map(views::resource).collect()).map_err(ApiError::from),
        ),
        Request::GetResource(call) => encode::<api::GetResource>(
            admin.find_resource(&call.resource).map(|r| views::resource(&r)).map_err(ApiError::from),
        ),
        Request::AddResources(call) => encode::<api::AddResources>(add_resources(ctx, call).await),
        Request::EditResource(call) => encode::<api::EditResource>(edit_resource(ctx, call).await),
        Request::RemoveResource(call) => encode::<api::RemoveResource>(
            admin
                .find_resource(&call.resource)
                .and_then(|current| admin.remove_resource(current.id))
                .map(|r| views::resource(&r))
                .map_err(ApiError::from),
        ),
        Request::ListCredentials(_) => encode::<api::ListCredentials>(
            admin
                .credentials()
                .map(|all| all.iter().map(|(c, u)| views::credential(c, u, today)).collect())
                .map_err(ApiError::from),
        ),
        Request::CreateCredential(call) => encode::<api::CreateCredential>(create_credential(ctx, call).await),
        Request::RevokeCredential(call) => encode::<api::RevokeCredential>(
            admin
                .revoke_credential(call.id)
                .map(|revoked| views::credential(&revoked, &Default::default(), today))
                .map_err(ApiError::from),
        ),
        Request::GetOdooStatus(_) => encode::<api::GetOdooStatus>(Ok(odoo::status(ctx).await)),
        Request::ListOdooModels(call) => encode::<api::ListOdooModels>(odoo::models(ctx, call.filter.as_deref()).await),
        Request::ListOdooFields(call) => encode::<api::ListOdooFields>(odoo::fields(ctx, &call.model).await),
        Request::ListOdooUsers(_) => encode::<api::ListOdooUsers>(odoo::users(ctx).await),
        Request::CheckKey(call) => {
            let key = match ApiKey::parse(&call.key.0) {
                Ok(key) => key,
                Err(e) => return Err(ApiError::invalid(e.0)),
            };
            encode::<api::CheckKey>(odoo::check_key(ctx, &key, call.login.as_deref()).await)
        }
        Request::QueryAudit(call) => encode::<api::QueryAudit>(query_audit(admin, call).await),
        Request::GetAuditStatus(_) => encode::<api::GetAuditStatus>(audit_status(admin)),
        Request::VerifyAudit(call) => encode::<api::VerifyAudit>(verify_audit(admin, call).await),
        Request::ListSessions(call) => encode::<api::ListSessions>(
            admin.sessions_list(call.all).map(|list| list.iter().map(views::session).collect()).map_err(ApiError::from),
        ),
        Request::EndSession(call) => {
            encode::<api::EndSession>(admin.end_session(&call.id).map(|s| views::session(&s)).map_err(ApiError::from))
        }
        Request::RunJob(call) => {
            encode::<api::RunJob>(admin.run_job(&call.name).map(|r| views::job_report(&r)).map_err(ApiError::from))
        }
        Request::ListOAuthClients(_) => encode::<api::ListOAuthClients>(admin.oauth_clients().map_err(ApiError::from)),
        Request::ListGrants(call) => {
            encode::<api::ListGrants>(admin.oauth_grants(call.credential, call.all).map_err(ApiError::from))
        }
        Request::RevokeGrant(call) => {
            encode::<api::RevokeGrant>(admin.revoke_grant(call.id).await.map_err(ApiError::from))
        }
        Request::ListSignups(_) => encode::<api::ListSignups>(admin.oauth_signups().map_err(ApiError::from)),
        Request::ApproveSignup(call) => {
            encode::<api::ApproveSignup>(admin.decide_signup(call.id, true).await.map_err(ApiError::from))
        }
        Request::RefuseSignup(call) => {
            encode::<api::RefuseSignup>(admin.decide_signup(call.id, false).await.map_err(ApiError::from))
        }
        Request::ListApprovals(call) => encode::<api::ListApprovals>(
            admin.approvals_list(call.all).map(|all| all.iter().map(approvals::view).collect()).map_err(ApiError::from),
        ),
        Request::GetApproval(call) => {
            encode::<api::GetApproval>(admin.approval(call.id).map(|a| approvals::view(&a)).map_err(ApiError::from))
        }
        Request::ApproveApproval(call) => encode::<api::ApproveApproval>(
            admin
                .decide_approval(call.id, true, &call.actor, call.reason.as_deref())
                .map(|a| approvals::view(&a))
                .map_err(ApiError::from),
        ),
        Request::DenyApproval(call) => encode::<api::DenyApproval>(
            admin
                .decide_approval(call.id, false, &call.actor, call.reason.as_deref())
                .map(|a| approvals::view(&a))
                .map_err(ApiError::from),
        ),
        Request::BackupConfig(call) => {
            let catalog = ctx.admin.catalog().clone();
            let with_audit = call.with_audit;
            encode::<api::BackupConfig>(
                backup_off_workers(move || crate::backup::config_snapshot(&catalog, with_audit)).await,
            )
        }
        Request::BackupAuditPage(call) => {
            let limit = call.limit.unwrap_or(crate::backup::PAGE as u64);
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            let store = ctx.admin.store().clone();
            encode::<api::BackupAuditPage>(
                backup_off_workers(move || {
                    crate::backup::audit_page(&store, &call.tree, call.after.as_deref(), call.until, limit)
                })
                .await,
            )
        }
    }
}

/// The chain's head, the latest checkpoint, the last verification.
fn audit_status(admin: &AdminService) -> ApiResult<api::AuditStatus> {
    let audit = admin.rooms().audit();
    let (seq, hash) = audit.chain_head().map_err(|e| ApiError::failed(e.to_string()))?;
    let checkpoint = audit.latest_checkpoint().map_err(|e| ApiError::failed(e.to_string()))?;
    Ok(api::AuditStatus {
        seq,
        hash: crate::audit::hex(&hash),
        checkpoint: checkpoint.map(|c| api::CheckpointView {
            seq: c.seq,
            time: c.time(),
            kind: c.kind.name().into(),
            note: c.note,
        }),
        last_verification: audit.last_verification(),
        verifier_key: audit.verifier().map(|v| v.to_string()),
        signing: audit.signer().is_some(),
    })
}

/// `audit.verify`: from a stored checkpoint's sequence, a checkpoint note,
/// or (none) the latest prune checkpoint; walks every entry, off the workers.
async fn verify_audit(admin: &AdminService, call: api::VerifyAudit) -> ApiResult<api::AuditVerification> {
    use crate::audit::Start;
    let audit = admin.rooms().audit().clone();
    let verifier = audit.verifier();
    let start = match call.from.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => Start::Default,
        Some(text) if text.bytes().all(|b| b.is_ascii_digit()) => {
            Start::Seq(text.parse().map_err(|_| ApiError::invalid(format!("--from {text}: not a sequence number")))?)
        }
        Some(text) if text.contains('\n') => Start::Note(format!("{text}\n")),
        Some(text) => {
            return Err(ApiError::invalid(format!(
                "--from {text:?}: give a checkpoint's sequence number, or a file holding a checkpoint note"
            )));
        }
    };
    match tokio::task::spawn_blocking(move || audit.verify(verifier.as_ref(), start)).await {
        Ok(Ok(verification)) => Ok(verification),
        Ok(Err(e)) => Err(ApiError::invalid(e)),
        Err(e) => Err(ApiError::failed(format!("the verification stopped: {e}"))),
    }
}

/// Runs a backup read on the blocking pool: it walks sled trees.
async fn backup_off_workers<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, crate::backup::BackupError> + Send + 'static,
) -> ApiResult<T> {
    match tokio::task::spawn_blocking(read).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(crate::backup::BackupError::Invalid(m))) => Err(ApiError::invalid(m)),
        Ok(Err(crate::backup::BackupError::Failed(m))) => Err(ApiError::failed(m)),
        Err(e) => Err(ApiError::failed(format!("the backup stopped: {e}"))),
    }
}

/// `settings show`: every setting, and the warnings an admin should see.
fn settings_show(admin: &AdminService) -> ApiResult<api::SettingsShown> {
    let view = admin.settings_view()?;
    let settings = admin.settings()?;
    let mut warnings = Vec::new();
    if !settings.require_credential {
        warnings.push(
            "require_credential is off: API keys with no credential proceed without scope restrictions or usage tracking",
        );
    }
    if !settings.enable_mcp {
        warnings.push("enable_mcp is off: every request is refused until it is turned on");
    }
    Ok(api::SettingsShown {
        settings: view.iter().map(views::setting).collect(),
        warnings: warnings.into_iter().map(String::from).collect(),
    })
}

async fn add_resources(ctx: &AdminContext, call: api::AddResources) -> ApiResult<Vec<api::ResourceView>> {
    let admin = &ctx.admin;
    let default_read_only = admin.settings()?.default_read_only;
    let mut drafts = Vec::with_capacity(call.models.len());
    let mut warnings = Vec::with_capacity(call.models.len());
    for model in &call.models {
        let mut draft = ResourceDraft::new(model, default_read_only);
        call.patch.apply(&mut draft)?;
        warnings.push(checked_against_odoo(ctx, &draft).await?);
        drafts.push(draft);
    }
    let added = admin.add_resources(drafts)?;
    Ok(added.iter().zip(warnings).map(|(r, warning)| api::ResourceView { warning, ..views::resource(r) }).collect())
}

async fn edit_resource(ctx: &AdminContext, call: api::EditResource) -> ApiResult<api::ResourceView> {
    let current = ctx.admin.find_resource(&call.resource)?;
    let mut draft = current.draft();
    if let Some(model) = call.model {
        draft.model = model;
    }
    call.patch.apply(&mut draft)?;
    let warning = checked_against_odoo(ctx, &draft).await?;
    Ok(api::ResourceView { warning, ..views::resource(&ctx.admin.edit_resource(current.id, draft)?) })
}

/// A resource draft checked for syntax, then against Odoo's models and
/// fields (`odoo::check_resource`); the warning when Odoo could not be asked.
async fn checked_against_odoo(ctx: &AdminContext, draft: &ResourceDraft) -> ApiResult<Option<String>> {
    let valid = draft.clone().validate().map_err(|e| ApiError::invalid(e.0))?;
    odoo::check_resource(ctx, &valid).await
}

/// Creates a credential. The key is parsed first, then scope and expiry, in
/// the order the CLI always reported them. A reachable Odoo must accept the
/// key as the named user first (unless `check` is false), so a key bound to
/// the wrong user is refused here rather than failing every later call as
/// an "invalid or expired API key".
async fn create_credential(ctx: &AdminContext, call: api::CreateCredential) -> ApiResult<api::CredentialView> {
    let key = ApiKey::parse(&call.key.0).map_err(|e| ApiError::invalid(e.0))?;
    let scope = Scope::parse(call.scope.as_deref().unwrap_or("full")).map_err(|e| ApiError::invalid(e.0))?;
    let expires_on = call.expires.as_deref().map(parse_date).transpose().map_err(|e| ApiError::invalid(e.0))?;
    if call.check {
        odoo::verify_owner(ctx, &key, call.user_id, &call.login).await?;
    }
    let draft = CredentialDraft {
        label: call.label,
        user_id: call.user_id,
        login: call.login,
        scope,
        expires_on,
        company_id: call.company_id,
        key,
    };
    // argon2 takes tens of milliseconds: keep it off the async workers.
    let admin = ctx.admin.clone();
    let created = tokio::task::spawn_blocking(move || admin.create_credential(draft))
        .await
        .map_err(|e| ApiError::failed(format!("credential creation stopped: {e}")))??;
    Ok(views::credential(&created, &Default::default(), AdminService::today()))
}

/// `audit.query`: a page, and with `count` the whole filtered log's size
/// (a filtered count may read many entries: off the async workers).
async fn query_audit(admin: &AdminService, call: api::QueryAudit) -> ApiResult<api::AuditPage> {
    let query = super::traffic::audit_query(&call)?;
    let admin = admin.clone();
    tokio::task::spawn_blocking(move || {
        let mut page = views::audit_page(&admin.audit_query(&query)?);
        if call.count {
            let n = admin.audit().count(&query).map_err(super::AdminError::from)?;
            page.count = Some(api::AuditCount { total: n.total, before: n.before, exact: n.exact });
        }
        Ok(page)
    })
    .await
    .map_err(|e| ApiError::failed(format!("the audit query stopped: {e}")))?
}

/// The Home screen's numbers: what is configured, and Odoo's state.
async fn status(ctx: &AdminContext) -> ApiResult<api::Status> {
    let admin = &ctx.admin;
    let settings = admin.settings()?;
    let today = AdminService::today();
    let credentials = admin.credentials()?;
    let active = credentials.iter().filter(|(c, _)| c.is_active(today)).count();
    let requests: u64 = credentials.iter().map(|(_, u)| u.request_count).sum();
    // A daemon knows from its own writes; a store opened here is probed.
    let store = admin.store();
    let store_problem = store
        .cannot_write_reason()
        .or_else(|| (ctx.mode == "direct").then(|| store.probe_write().err().map(|e| e.to_string())).flatten());
    Ok(api::Status {
        mode: ctx.mode.into(),
        uptime_seconds: ctx.started.elapsed().as_secs(),
        mcp_enabled: settings.enable_mcp,
        rate_limiting: settings.rate_limiting,
        audit_logging: settings.audit_logging,
        store_problem,
        resources: admin.resources()?.len(),
        approvals_waiting: admin.approvals_waiting().ok(),
        credentials_active: active,
        credential_requests_total: requests,
        gateway: ctx.gateway.clone(),
        odoo: odoo::status(ctx).await,
        traffic: traffic(admin),
    })
}

/// Home's traffic numbers from the audit log and the sessions; None when
/// they cannot be read (the status must still answer).
fn traffic(admin: &AdminService) -> Option<api::Traffic> {
    use crate::audit::{AuditQuery, Outcome, now_micros, query::MAX_PAGE};
    let since = |seconds: i64| AuditQuery {
        from_us: Some(now_micros() - seconds * 1_000_000),
        limit: Some(MAX_PAGE),
        ..AuditQuery::default()
    };
    let (Ok(minute), Ok(hour), Ok(sessions)) =
        (admin.audit_query(&since(60)), admin.audit_query(&since(3600)), admin.sessions_list(false))
    else {
        return None;
    };
    let count = |wanted: &dyn Fn(Outcome) -> bool| hour.entries.iter().filter(|e| wanted(e.outcome)).count();
    Some(api::Traffic {
        requests_per_minute: minute.entries.len(),
        errors_last_hour: count(&|o| o != Outcome::Ok && o != Outcome::RateLimited),
        rate_limited_last_hour: count(&|o| o == Outcome::RateLimited),
        active_sessions: sessions.len(),
    })
}
