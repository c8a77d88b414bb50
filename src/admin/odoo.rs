//! What the admin screens ask of Odoo: the connection state, and the model,
//! field and user lists, read as the gateway's own service identity (the
//! `[odoo] service_key` of the boot config); and checking a pasted API key.
//! Without a service key the lists are refused with a message saying so.

use super::api::{ApiError, ApiResult, KeyOwner, OdooField, OdooModel, OdooStatus, OdooUserView};
use super::handler::AdminContext;
use crate::config::{ApiKey, ResourceDraft};
use crate::domain::Domain;
use crate::upstream::UpstreamSlot;
use crate::upstream::probe::{CHECK_TIMEOUT, ProbeError};
use crate::upstream::{Identity, OdooApi, Record, SearchQuery, UpstreamError};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

const NO_SERVICE_KEY: &str = "the gateway has no Odoo service key: set service_key in the [odoo] section of the config file (mode 0600) to list Odoo's models, fields and users; until then type model and field names";

/// The gateway's way to Odoo, for admin look-ups.
pub struct OdooAccess {
    slot: UpstreamSlot,
    service_key: Option<ApiKey>,
    /// The service key's user, found once.
    identity: Mutex<Option<Identity>>,
    /// The URL and database shown when the client is pinned (the demo's
    /// sandbox, which is not stored in the settings).
    pinned: Option<(String, String)>,
}

impl OdooAccess {
    pub fn new(slot: UpstreamSlot, service_key: Option<ApiKey>) -> OdooAccess {
        OdooAccess { slot, service_key, identity: Mutex::new(None), pinned: None }
    }
}

impl AdminContext {
    /// Shows `url` and `database` as Odoo's (the demo pins its sandbox
    /// without storing either in the settings).
    pub fn with_pinned_odoo(mut self, url: String, database: String) -> AdminContext {
        if let Some(access) = Arc::get_mut(&mut self.odoo) {
            access.pinned = Some((url, database));
        }
        self
    }
}

async fn client(ctx: &AdminContext) -> ApiResult<Arc<dyn OdooApi>> {
    let settings = ctx.admin.settings()?;
    ctx.odoo.slot.get(&settings).await.map_err(|e| ApiError::failed(e.to_string()))
}

async fn service(ctx: &AdminContext) -> ApiResult<(Arc<dyn OdooApi>, Identity)> {
    let key = ctx.odoo.service_key.clone().ok_or_else(|| ApiError::failed(NO_SERVICE_KEY))?;
    let client = client(ctx).await?;
    let mut cached = ctx.odoo.identity.lock().await;
    if let Some(who) = cached.as_ref() {
        return Ok((client, who.clone()));
    }
    let user = client
        .authenticate(&key, None)
        .await
        .map_err(|e| ApiError::failed(format!("Odoo refused the gateway's service key: {}", upstream_message(&e))))?;
    let who = Identity { key, uid: user.uid, company_ids: user.company_ids };
    *cached = Some(who.clone());
    Ok((client, who))
}

fn upstream_message(e: &UpstreamError) -> String {
    e.to_string()
}

fn odoo_failed(e: UpstreamError) -> ApiError {
    ApiError::failed(format!("Odoo: {}", upstream_message(&e)))
}

/// `odoo.status`: configured, connected, version and protocol, never an error.
pub async fn status(ctx: &AdminContext) -> OdooStatus {
    let settings = match ctx.admin.settings() {
        Ok(s) => s,
        Err(e) => return OdooStatus { message: Some(e.to_string()), ..OdooStatus::default() },
    };
    let (url, database) =
        ctx.odoo.pinned.clone().unwrap_or_else(|| (settings.odoo.url.clone(), settings.odoo.database.clone()));
    let configured = !url.is_empty();
    let mut out = OdooStatus {
        configured,
        url: Some(url),
        database: Some(database),
        service_key: Some(ctx.odoo.service_key.is_some()),
        ..OdooStatus::default()
    };
    if !configured {
        out.message = Some("Odoo is not configured yet: set odoo_url and odoo_database".into());
        return out;
    }
    // The probe `/healthz` shares: a dashboard refreshing Home every two
    // seconds does not ask Odoo each time.
    match ctx.odoo.slot.odoo_state(&settings).await.0 {
        Ok(state) => {
            out.connected = true;
            out.version = Some(state.version);
            out.protocol = Some(state.protocol);
            // A server that answers may still lack the database: every
            // call would then fail, so say it here.
            out.database_exists = state.database_exists;
        }
        Err(ProbeError::NoClient(e)) => out.message = Some(e),
        Err(ProbeError::Unreachable(e)) => out.message = Some(format!("cannot reach Odoo: {e}")),
        Err(ProbeError::TimedOut) => {
            out.message = Some(format!("cannot reach Odoo: no answer within {} s", CHECK_TIMEOUT.as_secs()))
        }
    }
    out
}

/// `odoo.models`: installed models.
pub async fn models(ctx: &AdminContext, filter: Option<&str>) -> ApiResult<Vec<OdooModel>> {
    let (client, who) = service(ctx).await?;
    let models = client.list_models(&who, filter).await.map_err(odoo_failed)?;
    Ok(models.into_iter().map(|m| OdooModel { model: m.model, name: m.name }).collect())
}

/// `odoo.fields`: a model's fields, by name.
pub async fn fields(ctx: &AdminContext, model: &str) -> ApiResult<Vec<OdooField>> {
    crate::config::resource::validate_model_name(model).map_err(|e| ApiError::invalid(e.0))?;
    let (client, who) = service(ctx).await?;
    let attributes: Vec<String> = ["string", "type", "required", "relation"].iter().map(|s| s.to_string()).collect();
    let all = client.fields_get(&who, model, None, Some(&attributes)).await.map_err(odoo_failed)?;
    let text = |attrs: &Value, key: &str| attrs.get(key).and_then(Value::as_str).map(String::from);
    let mut out: Vec<OdooField> = all
        .iter()
        .map(|(name, attrs)| OdooField {
            name: name.clone(),
            string: text(attrs, "string"),
            kind: text(attrs, "type"),
            required: attrs.get("required").and_then(Value::as_bool).unwrap_or(false),
            relation: text(attrs, "relation"),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// `odoo.users`: internal users (a row without a usable id is left out).
pub async fn users(ctx: &AdminContext) -> ApiResult<Vec<OdooUserView>> {
    let (client, who) = service(ctx).await?;
    let q = SearchQuery {
        domain: json!([["share", "=", false]]),
        fields: Some(vec!["login".into(), "name".into()]),
        order: Some("login".into()),
        ..SearchQuery::default()
    };
    let rows = client.search_read(&who, "res.users", &q).await.map_err(odoo_failed)?;
    let text =
        |r: &crate::upstream::Record, key: &str| r.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    Ok(rows
        .iter()
        .filter_map(|r| {
            let id = u32::try_from(r.get("id")?.as_u64()?).ok()?;
            Some(OdooUserView { id, login: text(r, "login"), name: text(r, "name") })
        })
        .collect())
}

/// `odoo.check_key`: whom Odoo says this key belongs to.
pub async fn check_key(ctx: &AdminContext, key: &ApiKey, login: Option<&str>) -> ApiResult<KeyOwner> {
    let client = client(ctx).await?;
    match client.authenticate(key, login).await {
        Ok(user) => Ok(KeyOwner { uid: user.uid, login: user.login, name: user.name }),
        Err(e) if e.is_transport() => Err(odoo_failed(e)),
        Err(e) => Err(ApiError::invalid(format!("Odoo does not accept this API key: {}", upstream_message(&e)))),
    }
}

/// Before storing a credential: a reachable Odoo must accept the key as
/// `user_id`. When Odoo cannot be reached the key is stored unchecked, as the
/// CLI always did.
pub async fn verify_owner(ctx: &AdminContext, key: &ApiKey, user_id: u32, login: &str) -> ApiResult<()> {
    let Ok(client) = client(ctx).await else { return Ok(()) };
    match client.authenticate(key, Some(login)).await {
        Ok(user) if user.uid == i64::from(user_id) => Ok(()),
        Ok(user) => Err(ApiError::invalid(format!(
            "this API key belongs to Odoo user {} ({}), not user {user_id}",
            user.uid, user.login
        ))),
        Err(e) if e.is_transport() => Ok(()),
        Err(e) => Err(ApiError::invalid(format!("Odoo does not accept this API key: {}", upstream_message(&e)))),
    }
}

/// Before storing a resource: the model, the fields its field policy names
/// and the field paths of its record filter must exist in Odoo. Checked as
/// the service identity when Odoo answers; when it is configured but cannot
/// be asked (no service key, not answering) the resource is stored and the
/// answer says it was not checked; with no Odoo configured yet (first
/// setup) nothing is said.
pub async fn check_resource(ctx: &AdminContext, draft: &ResourceDraft) -> ApiResult<Option<String>> {
    let settings = ctx.admin.settings()?;
    if settings.odoo.url.trim().is_empty() && ctx.odoo.pinned.is_none() {
        return Ok(None);
    }
    let unchecked = |why: String| Ok(Some(format!("{} was not checked against Odoo: {why}", draft.model)));
    let (client, who) = match service(ctx).await {
        Ok(found) => found,
        Err(e) => return unchecked(e.message),
    };
    let mut schemas: HashMap<String, Record> = HashMap::new();
    let fields = match model_fields(&*client, &who, &draft.model, &mut schemas).await {
        Ok(fields) => fields,
        Err(UpstreamError::UnknownModel(_)) => {
            return Err(ApiError::invalid(format!(
                "Odoo has no model {:?}; check the name (alpenglow tui lists them)",
                draft.model
            )));
        }
        Err(e) => return unchecked(upstream_message(&e)),
    };
    for name in draft.field_policy.fields() {
        if !fields.contains_key(name) && name != "id" {
            return Err(ApiError::invalid(format!(
                "{} has no field {name:?} (named in the field {}); check the field names",
                draft.model,
                draft.field_policy.name()
            )));
        }
    }
    let filter = Domain::parse_text(&draft.record_filter).map_err(|e| ApiError::invalid(e.0))?;
    for path in filter_paths(&filter) {
        let mut model = draft.model.clone();
        for part in path.split('.') {
            if part == "id" {
                break;
            }
            let fields = match model_fields(&*client, &who, &model, &mut schemas).await {
                Ok(fields) => fields,
                Err(e) => return unchecked(upstream_message(&e)),
            };
            let Some(field) = fields.get(part) else {
                return Err(ApiError::invalid(format!(
                    "the record filter of {} names {path:?}, but {model} has no field {part:?}",
                    draft.model
                )));
            };
            match field.get("relation").and_then(Value::as_str) {
                Some(related) if !related.is_empty() => model = related.to_string(),
                _ => break,
            }
        }
    }
    Ok(None)
}

/// A model's `fields_get`, fetched once per check.
async fn model_fields(
    client: &dyn OdooApi,
    who: &Identity,
    model: &str,
    schemas: &mut HashMap<String, Record>,
) -> Result<Record, UpstreamError> {
    if let Some(found) = schemas.get(model) {
        return Ok(found.clone());
    }
    let attributes: Vec<String> = ["type", "relation"].iter().map(|s| s.to_string()).collect();
    let fields = client.fields_get(who, model, None, Some(&attributes)).await?;
    schemas.insert(model.to_string(), fields.clone());
    Ok(fields)
}

/// Every field path a domain names, those inside `any` with their prefix.
fn filter_paths(domain: &Domain) -> Vec<String> {
    let mut out = Vec::new();
    for leaf in domain.leaves() {
        out.push(leaf.path.clone());
        if let Some(sub) = leaf.sub_domain() {
            out.extend(filter_paths(&sub).into_iter().map(|p| format!("{}.{p}", leaf.path)));
        }
    }
    out
}
