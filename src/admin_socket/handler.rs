//! One request in, one JSON value out: the operations of the admin API over
//! the admin service. The daemon's socket and the CLI's direct mode both call
//! [`dispatch`], so the two cannot drift apart.

use super::args::{Args, apply_patch};
use super::{ApiError, ApiResult, odoo};
use crate::admin::{AdminService, views};
use crate::config::credential::parse_date;
use crate::config::{ApiKey, CredentialDraft, ResourceDraft, Scope};
use crate::gateway::UpstreamSlot;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

/// Every operation, with its arguments, for `help` and the docs.
pub const OPS: &[(&str, &str)] = &[
    ("ping", "-"),
    ("status", "-"),
    ("settings.show", "-"),
    ("settings.set", "key, value"),
    ("resources.list", "-"),
    ("resources.get", "resource (id or model)"),
    ("resources.add", "models, patch"),
    ("resources.edit", "resource, model?, patch"),
    ("resources.remove", "resource"),
    ("credentials.list", "-"),
    ("credentials.create", "label, user_id, login, scope?, expires?, company_id?, key, check?"),
    ("credentials.revoke", "id"),
    ("odoo.status", "-"),
    ("odoo.models", "filter?"),
    ("odoo.fields", "model"),
    ("odoo.users", "-"),
    ("odoo.check_key", "key, login?"),
    ("backup.config", "with_audit?"),
    ("backup.audit_page", "tree, until, after?, limit?"),
];

/// What the handler works on: the admin service, and how to reach Odoo.
#[derive(Clone)]
pub struct AdminContext {
    pub(super) admin: AdminService,
    pub(super) odoo: Arc<odoo::OdooAccess>,
    started: Instant,
    /// `alpenglow serve`, `alpenglow demo`, or `direct` for the CLI's own store.
    mode: &'static str,
    /// The daemon's own base URL (where MCP clients connect), once it listens.
    gateway_url: Option<String>,
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
            gateway_url: None,
        }
    }

    /// The base URL the daemon's listener serves, reported by `status` so
    /// the dashboard can show clients where to connect.
    pub fn with_gateway_url(mut self, base_url: String) -> AdminContext {
        self.gateway_url = Some(base_url);
        self
    }

    pub fn admin(&self) -> &AdminService {
        &self.admin
    }
}

/// Runs one operation.
pub async fn dispatch(ctx: &AdminContext, op: &str, args: Value) -> ApiResult<Value> {
    let a = Args::new(&args)?;
    let admin = &ctx.admin;
    let today = AdminService::today();
    match op {
        "ping" => Ok(json!({"alpenglow": env!("CARGO_PKG_VERSION"), "mode": ctx.mode})),
        "status" => status(ctx).await,
        "settings.show" => settings_show(admin),
        "settings.set" => {
            let key = a.str("key")?;
            let stored = admin.set_setting(key, a.str("value")?)?;
            Ok(json!({"key": key, "value": stored.to_json()}))
        }
        "resources.list" => Ok(Value::Array(admin.resources()?.iter().map(views::resource).collect())),
        "resources.get" => Ok(views::resource(&admin.find_resource(a.str("resource")?)?)),
        "resources.add" => {
            let models = a.opt_strings("models")?.unwrap_or_default();
            let patch = Args::new(a.object("patch")?)?;
            let default_read_only = admin.settings()?.default_read_only;
            let mut drafts = Vec::with_capacity(models.len());
            for model in &models {
                let mut draft = ResourceDraft::new(model, default_read_only);
                apply_patch(&patch, &mut draft)?;
                drafts.push(draft);
            }
            let added = admin.add_resources(drafts)?;
            Ok(Value::Array(added.iter().map(views::resource).collect()))
        }
        "resources.edit" => {
            let current = admin.find_resource(a.str("resource")?)?;
            let mut draft = current.draft();
            if let Some(model) = a.opt_str("model")? {
                draft.model = model.to_string();
            }
            apply_patch(&Args::new(a.object("patch")?)?, &mut draft)?;
            Ok(views::resource(&admin.edit_resource(current.id, draft)?))
        }
        "resources.remove" => {
            let current = admin.find_resource(a.str("resource")?)?;
            Ok(views::resource(&admin.remove_resource(current.id)?))
        }
        "credentials.list" => {
            Ok(Value::Array(admin.credentials()?.iter().map(|(c, u)| views::credential(c, u, today)).collect()))
        }
        "credentials.create" => create_credential(ctx, &a).await,
        "credentials.revoke" => {
            let revoked = admin.revoke_credential(a.u64("id")?)?;
            // Its OAuth grants go too, with the Odoo keys they kept.
            crate::oauth::Grants::new(admin.store().clone())
                .revoke_for_credential(revoked.id, "its credential was revoked")
                .map_err(|e| ApiError::failed(e.to_string()))?;
            Ok(views::credential(&revoked, &Default::default(), today))
        }
        "odoo.status" => Ok(odoo::status(ctx).await),
        "odoo.models" => odoo::models(ctx, a.opt_str("filter")?).await,
        "odoo.fields" => odoo::fields(ctx, a.str("model")?).await,
        "odoo.users" => odoo::users(ctx).await,
        "odoo.check_key" => {
            let key = ApiKey::parse(a.str("key")?).map_err(|e| ApiError::invalid(e.0))?;
            odoo::check_key(ctx, &key, a.opt_str("login")?).await
        }
        "backup.config" => {
            let with_audit = a.opt_bool("with_audit")?.unwrap_or(false);
            let admin = ctx.admin.clone();
            backup_off_workers(move || crate::backup::config_snapshot(&admin, with_audit)).await
        }
        "backup.audit_page" => {
            let tree = a.str("tree")?.to_string();
            let after = a.opt_str("after")?.map(str::to_string);
            let until = a.u64("until")?;
            let limit = a.opt_u64("limit")?.unwrap_or(crate::backup::PAGE as u64);
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            let store = ctx.admin.store().clone();
            backup_off_workers(move || crate::backup::audit_page(&store, &tree, after.as_deref(), until, limit)).await
        }
        // OAuth clients, grants and sign-ups.
        other if other.starts_with("oauth.") => match crate::oauth::admin_ops::dispatch(admin, other, &args).await {
            Some(result) => Ok(result?),
            None => Err(ApiError::invalid(format!(
                "unknown operation {other:?}; the OAuth ones: {}",
                crate::oauth::admin_ops::OPS.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
            ))),
        },
        // The audit log, sessions and jobs: served by the admin service itself.
        other => match crate::admin::traffic::dispatch(admin, other, &args) {
            Some(result) => Ok(result?),
            None => Err(ApiError::invalid(format!(
                "unknown operation {other:?}; known: {}",
                OPS.iter()
                    .chain(crate::admin::traffic::OPS)
                    .chain(crate::oauth::admin_ops::OPS)
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        },
    }
}

/// Runs a backup read on the blocking pool: it walks sled trees.
async fn backup_off_workers(
    read: impl FnOnce() -> Result<Value, crate::backup::BackupError> + Send + 'static,
) -> ApiResult<Value> {
    match tokio::task::spawn_blocking(read).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(crate::backup::BackupError::Invalid(m))) => Err(ApiError::invalid(m)),
        Ok(Err(crate::backup::BackupError::Failed(m))) => Err(ApiError::failed(m)),
        Err(e) => Err(ApiError::failed(format!("the backup stopped: {e}"))),
    }
}

/// `settings show`: every setting, and the warnings an admin should see.
fn settings_show(admin: &AdminService) -> ApiResult<Value> {
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
    Ok(json!({
        "settings": view.iter().map(views::setting).collect::<Vec<Value>>(),
        "warnings": warnings,
    }))
}

/// Creates a credential. The key is parsed first, then scope and expiry, in
/// the order the CLI always reported them. With `check`, a reachable Odoo
/// must accept the key as the named user first.
async fn create_credential(ctx: &AdminContext, a: &Args<'_>) -> ApiResult<Value> {
    let key = ApiKey::parse(a.str("key")?).map_err(|e| ApiError::invalid(e.0))?;
    let scope = Scope::parse(a.opt_str("scope")?.unwrap_or("full")).map_err(|e| ApiError::invalid(e.0))?;
    let expires_on = a.opt_str("expires")?.map(parse_date).transpose().map_err(|e| ApiError::invalid(e.0))?;
    let user_id = a.opt_u32("user_id")?.ok_or_else(|| ApiError::invalid("user_id is required"))?;
    let login = a.str("login")?.to_string();
    if a.opt_bool("check")?.unwrap_or(false) {
        odoo::verify_owner(ctx, &key, user_id, &login).await?;
    }
    let draft = CredentialDraft {
        label: a.str("label")?.to_string(),
        user_id,
        login,
        scope,
        expires_on,
        company_id: a.opt_u32("company_id")?,
        key,
    };
    // argon2 takes tens of milliseconds: keep it off the async workers.
    let admin = ctx.admin.clone();
    let created = tokio::task::spawn_blocking(move || admin.create_credential(draft))
        .await
        .map_err(|e| ApiError::failed(format!("credential creation stopped: {e}")))??;
    Ok(views::credential(&created, &Default::default(), AdminService::today()))
}

/// The Home screen's numbers: what is configured, and Odoo's state.
async fn status(ctx: &AdminContext) -> ApiResult<Value> {
    let admin = &ctx.admin;
    let settings = admin.settings()?;
    let today = AdminService::today();
    let credentials = admin.credentials()?;
    let active = credentials.iter().filter(|(c, _)| c.is_active(today)).count();
    let requests: u64 = credentials.iter().map(|(_, u)| u.request_count).sum();
    Ok(json!({
        "mode": ctx.mode,
        "uptime_seconds": ctx.started.elapsed().as_secs(),
        "mcp_enabled": settings.enable_mcp,
        "rate_limiting": settings.rate_limiting,
        "audit_logging": settings.audit_logging,
        "resources": admin.resources()?.len(),
        "credentials_active": active,
        "credential_requests_total": requests,
        "gateway": ctx.gateway_url.as_ref().map_or(Value::Null, |base| {
            json!({"url": base, "mcp_url": format!("{base}{}", crate::faces::MCP_PATH)})
        }),
        "odoo": odoo::status(ctx).await,
        "traffic": traffic(admin),
    }))
}

/// Home's traffic numbers from the audit log and the sessions; null when
/// they cannot be read (the status must still answer).
fn traffic(admin: &AdminService) -> Value {
    use crate::audit::{AuditQuery, Outcome, now_micros, query::MAX_PAGE};
    let since = |seconds: i64| AuditQuery {
        from_us: Some(now_micros() - seconds * 1_000_000),
        limit: Some(MAX_PAGE),
        ..AuditQuery::default()
    };
    let (Ok(minute), Ok(hour), Ok(sessions)) =
        (admin.audit_query(&since(60)), admin.audit_query(&since(3600)), admin.sessions_list(false))
    else {
        return Value::Null;
    };
    let count = |wanted: &dyn Fn(Outcome) -> bool| hour.entries.iter().filter(|e| wanted(e.outcome)).count();
    json!({
        "requests_per_minute": minute.entries.len(),
        "errors_last_hour": count(&|o| o != Outcome::Ok && o != Outcome::RateLimited),
        "rate_limited_last_hour": count(&|o| o == Outcome::RateLimited),
        "active_sessions": sessions.len(),
    })
}
