//! Odoo upstream clients: what the gateway needs from Odoo, behind one trait,
//! over JSON-2 (Odoo 19+), JSON-RPC or XML-RPC (Odoo 16-19).
//!
//! Every model call carries the caller's [`Identity`] (API key, uid, allowed
//! companies) so Odoo itself enforces that user's rights; nothing is cached
//! across callers. The trait is object-safe (`Arc<dyn OdooApi>`, via
//! `async-trait`) because the protocol is picked at run time and tests
//! substitute fakes; a client implements four protocol-specific methods and
//! inherits the rest, built from [`Op`]s.

pub mod error;
pub mod json2;
pub mod ops;
pub mod probe;
pub mod rpc;
mod slot;
pub mod transport;
mod types;

pub use error::{Result, UpstreamError};
pub use json2::Json2Client;
pub use ops::Op;
pub use rpc::{RpcClient, RpcEncoding};
pub use slot::UpstreamSlot;
pub use transport::{RootStore, Transport, TransportConfig};
pub use types::*;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value as Json};

use crate::config::{ApiKey, OdooConnection, OdooProtocol};

/// A record as Odoo returns it (field name -> value).
pub type Record = Map<String, Json>;

/// What the gateway asks of Odoo. Provided methods are the same on every
/// protocol; only the four required ones differ.
#[async_trait]
pub trait OdooApi: Send + Sync {
    /// The protocol this client speaks.
    fn protocol(&self) -> Protocol;

    /// The server version (`/web/version` or `common.version`).
    async fn version(&self) -> Result<ServerVersion>;

    /// The database this client names, if it names one.
    fn database(&self) -> Option<&str> {
        None
    }

    /// Whether the database this client is configured for exists on the
    /// server (`db.db_exist`, which needs no key and works with database
    /// listing off); None when no database is configured (the server's
    /// only one is used). Clients that cannot tell answer None.
    async fn database_exists(&self) -> Result<Option<bool>> {
        Ok(None)
    }

    /// Whether domains may use `any` / `not any` (Odoo 17 and later).
    async fn has_any_operator(&self) -> Result<bool> {
        Ok(self.version().await?.has_any_operator())
    }

    /// The uid an API key belongs to. JSON-2 needs only the key; JSON-RPC and
    /// XML-RPC need the login too (`common.authenticate`), else `LoginRequired`.
    async fn whoami(&self, key: &ApiKey, login: Option<&str>) -> Result<i64>;

    /// Runs one model method as `who`; the result is Odoo's JSON.
    async fn execute(&self, who: &Identity, op: Op) -> Result<Json>;

    /// Authenticates a key to its user (uid, name, login, companies).
    async fn authenticate(&self, key: &ApiKey, login: Option<&str>) -> Result<OdooUser> {
        let uid = self.whoami(key, login).await?;
        let who = Identity { key: key.clone(), uid, company_ids: Vec::new() };
        let rows = self.read(&who, "res.users", &[uid], Some(&strings(&OdooUser::FIELDS))).await?;
        let row = rows.into_iter().next().ok_or_else(|| UpstreamError::AuthenticationFailed("no such user".into()))?;
        OdooUser::from_record(&row)
    }

    /// The companies `who` can see.
    async fn list_companies(&self, who: &Identity) -> Result<Vec<Company>> {
        let q = SearchQuery { fields: Some(strings(&Company::FIELDS)), ..SearchQuery::default() };
        let rows = self.search_read(who, "res.company", &q).await?;
        rows.iter().map(Company::from_record).collect()
    }

    /// Installed models (`ir.model`), optionally only those whose name is like `filter`.
    async fn list_models(&self, who: &Identity, filter: Option<&str>) -> Result<Vec<ModelInfo>> {
        let domain = match filter {
            Some(f) => serde_json::json!([["model", "like", f]]),
            None => serde_json::json!([]),
        };
        let q = SearchQuery {
            domain,
            fields: Some(strings(&["model", "name"])),
            order: Some("model".into()),
            ..SearchQuery::default()
        };
        let rows = self.search_read(who, "ir.model", &q).await?;
        rows.iter().map(ModelInfo::from_record).collect()
    }

    async fn fields_get(
        &self,
        who: &Identity,
        model: &str,
        allfields: Option<&[String]>,
        attributes: Option<&[String]>,
    ) -> Result<Record> {
        let v = self.execute(who, ops::fields_get(model, allfields, attributes)).await?;
        ops::object(v)
    }

    async fn search_read(&self, who: &Identity, model: &str, q: &SearchQuery) -> Result<Vec<Record>> {
        ops::records(self.execute(who, ops::search_read(model, q)).await?)
    }

    /// Ids only (`fields` of the query is ignored).
    async fn search(&self, who: &Identity, model: &str, q: &SearchQuery) -> Result<Vec<i64>> {
        ops::ids(self.execute(who, ops::search(model, q)).await?)
    }

    async fn search_count(&self, who: &Identity, model: &str, domain: &Json) -> Result<u64> {
        let v = self.execute(who, ops::search_count(model, domain)).await?;
        v.as_u64().ok_or_else(|| ops::shape("search_count", "a count"))
    }

    /// `search_count` that stops counting at `limit`.
    async fn search_count_at_most(&self, who: &Identity, model: &str, domain: &Json, limit: u64) -> Result<u64> {
        let v = self.execute(who, ops::search_count_at_most(model, domain, limit)).await?;
        v.as_u64().ok_or_else(|| ops::shape("search_count", "a count"))
    }

    /// Whether `web_search_read` takes a `specification` (Odoo 17+) rather
    /// than `fields` (16).
    async fn web_search_read_takes_specification(&self) -> Result<bool> {
        Ok(self.version().await?.major >= 17)
    }

    /// A page of records and how many match, in one call
    /// (`web_search_read`, Odoo 16-19): `many2one` names the fields to
    /// return as `[id, name]`; counting stops at `count_limit`. Servers
    /// without it answer `UnknownMethod`.
    async fn search_page(
        &self,
        who: &Identity,
        model: &str,
        q: &SearchQuery,
        many2one: &[String],
        count_limit: u64,
    ) -> Result<SearchPage> {
        let specification = self.web_search_read_takes_specification().await?;
        let op = ops::web_search_read(model, q, many2one, specification, count_limit);
        ops::search_page(self.execute(who, op).await?, many2one)
    }

    /// Reads by id. Missing ids are silently absent from the result (Odoo's behaviour).
    async fn read(&self, who: &Identity, model: &str, ids: &[i64], fields: Option<&[String]>) -> Result<Vec<Record>> {
        ops::records(self.execute(who, ops::read(model, ids, fields)).await?)
    }

    /// Creates records, one id per values object, in order.
    async fn create(&self, who: &Identity, model: &str, vals_list: &[Record]) -> Result<Vec<i64>> {
        // On execute_kw one record goes as a dict (the classic call, answered
        // by a bare id); JSON-2 always takes `vals_list`.
        let single = self.protocol() != Protocol::Json2 && vals_list.len() == 1;
        let v = self.execute(who, ops::create(model, vals_list, single)).await?;
        match v {
            Json::Number(_) => v.as_i64().map(|id| vec![id]).ok_or_else(|| ops::shape("create", "ids")),
            other => ops::ids(other),
        }
    }

    async fn write(&self, who: &Identity, model: &str, ids: &[i64], vals: &Record) -> Result<bool> {
        ops::boolean("write", self.execute(who, ops::write(model, ids, vals)).await?)
    }

    async fn unlink(&self, who: &Identity, model: &str, ids: &[i64]) -> Result<bool> {
        ops::boolean("unlink", self.execute(who, ops::unlink(model, ids)).await?)
    }

    /// `read_group` (every version; deprecated in 19): `<field>_count` or
    /// `__count`, `__domain`, aggregates under the field's own name.
    async fn read_group(&self, who: &Identity, model: &str, q: &ReadGroupQuery) -> Result<Vec<Record>> {
        ops::records(self.execute(who, ops::read_group(model, q)).await?)
    }

    /// `formatted_read_group` (19+): `__count`, `field:agg` keys, `__extra_domain`.
    /// Older servers answer `UnknownMethod`; check [`ServerVersion::has_formatted_read_group`].
    async fn formatted_read_group(
        &self,
        who: &Identity,
        model: &str,
        q: &FormattedReadGroupQuery,
    ) -> Result<Vec<Record>> {
        ops::records(self.execute(who, ops::formatted_read_group(model, q)).await?)
    }

    /// Calls a public model method with execute_kw semantics: `ids` (if any)
    /// first, then `args` positionally, then `kwargs`. The caller vets the
    /// method name (allowlist, no leading `_`).
    async fn call_method(
        &self,
        who: &Identity,
        model: &str,
        method: &str,
        ids: Option<&[i64]>,
        args: Vec<Json>,
        kwargs: Record,
    ) -> Result<Json> {
        self.execute(who, ops::call(model, method, ids, args, kwargs)).await
    }
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// Everything needed to reach one Odoo.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    pub transport: TransportConfig,
    /// Database name. Needed by JSON-RPC / XML-RPC; for JSON-2 it becomes
    /// `X-Odoo-Database` (may be omitted when Odoo serves one database).
    pub database: Option<String>,
    pub protocol: OdooProtocol,
}

impl UpstreamConfig {
    /// From the gateway's settings (empty strings mean "not set").
    pub fn from_connection(c: &OdooConnection) -> Self {
        let mut transport = TransportConfig::new(c.url.clone());
        transport.connect_timeout = std::time::Duration::from_secs(u64::from(c.connect_timeout_seconds.max(1)));
        transport.request_timeout = std::time::Duration::from_secs(u64::from(c.request_timeout_seconds.max(1)));
        transport.ca_file = (!c.ca_file.trim().is_empty()).then(|| c.ca_file.trim().into());
        let database = (!c.database.trim().is_empty()).then(|| c.database.trim().to_owned());
        UpstreamConfig { transport, database, protocol: c.protocol }
    }
}

/// Builds the client the settings ask for. `Auto` asks the server its
/// version (GET `/web/version`, else `common.version` over JSON-RPC, since
/// Odoo 16-18 have no `/web/version`): 19 and later get JSON-2, older JSON-RPC.
pub async fn connect(cfg: &UpstreamConfig) -> Result<Arc<dyn OdooApi>> {
    if cfg.transport.base_url.trim().is_empty() {
        return Err(UpstreamError::Config("no Odoo URL configured".into()));
    }
    let transport = Transport::new(&cfg.transport)?;
    let rpc = |encoding| -> Result<Arc<dyn OdooApi>> {
        let db = cfg
            .database
            .clone()
            .ok_or_else(|| UpstreamError::Config("JSON-RPC and XML-RPC need the Odoo database name".into()))?;
        Ok(Arc::new(RpcClient::new(transport.clone(), db, encoding)))
    };
    match cfg.protocol {
        OdooProtocol::Json2 => Ok(Arc::new(Json2Client::new(transport.clone(), cfg.database.clone()))),
        OdooProtocol::Jsonrpc => rpc(RpcEncoding::Json),
        OdooProtocol::Xmlrpc => rpc(RpcEncoding::Xml),
        OdooProtocol::Auto => {
            let version = detect_version(&transport).await?;
            if version.major >= 19 {
                Ok(Arc::new(Json2Client::new(transport.clone(), cfg.database.clone())))
            } else {
                rpc(RpcEncoding::Json)
            }
        }
    }
}

/// The server version by whichever route the server has.
pub async fn detect_version(transport: &Transport) -> Result<ServerVersion> {
    match json2::web_version(transport).await {
        Ok(v) => Ok(v),
        Err(e) if e.is_transport() && !matches!(e, UpstreamError::BadResponse(_)) => Err(e),
        // No /web/version (Odoo < 19 answers a 404 page): ask common.version.
        Err(_) => rpc::common_version(transport, RpcEncoding::Json).await,
    }
}
