//! Plain data the upstream trait takes and returns.

use serde_json::Value as Json;

use super::error::{Result, UpstreamError};
use super::{Record, ops};
pub use crate::vocab::Identity;

/// The wire protocol a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Json2,
    JsonRpc,
    XmlRpc,
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Protocol::Json2 => "json2",
            Protocol::JsonRpc => "jsonrpc",
            Protocol::XmlRpc => "xmlrpc",
        })
    }
}

/// The Odoo user behind a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdooUser {
    pub uid: i64,
    pub name: String,
    pub login: String,
    pub partner_id: Option<i64>,
    /// The user's current (default) company.
    pub company_id: Option<i64>,
    /// Every company the user may work in.
    pub company_ids: Vec<i64>,
    pub lang: Option<String>,
    pub tz: Option<String>,
    /// A portal/public user (not an internal one).
    pub share: bool,
    pub active: bool,
}

impl OdooUser {
    pub const FIELDS: [&'static str; 9] =
        ["name", "login", "partner_id", "company_id", "company_ids", "lang", "tz", "share", "active"];

    pub fn from_record(r: &Record) -> Result<Self> {
        Ok(OdooUser {
            uid: ops::get_id(r, "id").ok_or_else(|| ops::shape("res.users read", "an id"))?,
            name: ops::get_str(r, "name").unwrap_or_default(),
            login: ops::get_str(r, "login").unwrap_or_default(),
            partner_id: ops::get_id(r, "partner_id"),
            company_id: ops::get_id(r, "company_id"),
            company_ids: ops::get_ids(r, "company_ids"),
            lang: ops::get_str(r, "lang"),
            tz: ops::get_str(r, "tz"),
            share: r.get("share").and_then(Json::as_bool).unwrap_or(false),
            active: r.get("active").and_then(Json::as_bool).unwrap_or(true),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub id: i64,
    pub name: String,
    pub partner_id: Option<i64>,
    /// Currency code (`"USD"`).
    pub currency: Option<String>,
    pub country: Option<String>,
}

impl Company {
    pub const FIELDS: [&'static str; 4] = ["name", "currency_id", "country_id", "partner_id"];

    pub fn from_record(r: &Record) -> Result<Self> {
        Ok(Company {
            id: ops::get_id(r, "id").ok_or_else(|| ops::shape("res.company", "an id"))?,
            name: ops::get_str(r, "name").unwrap_or_default(),
            partner_id: ops::get_id(r, "partner_id"),
            currency: ops::get_m2o_name(r, "currency_id"),
            country: ops::get_m2o_name(r, "country_id"),
        })
    }
}

/// One `ir.model` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// Technical name (`res.partner`).
    pub model: String,
    /// Label (`Contact`).
    pub name: String,
}

impl ModelInfo {
    pub fn from_record(r: &Record) -> Result<Self> {
        Ok(ModelInfo {
            model: ops::get_str(r, "model").ok_or_else(|| ops::shape("ir.model", "a model name"))?,
            name: ops::get_str(r, "name").unwrap_or_default(),
        })
    }
}

/// What the server says it is.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerVersion {
    /// `"19.0+e-20251227"`.
    pub version: String,
    /// `[19, 0, 0, "final", 0, ""]`.
    pub info: Vec<Json>,
    pub major: u32,
    pub minor: u32,
}

impl ServerVersion {
    /// From `/web/version` (`version`, `version_info`) or `common.version`
    /// (`server_version`, `server_version_info`).
    pub fn from_json(v: &Json) -> Result<Self> {
        let version = v
            .get("server_version")
            .or_else(|| v.get("version"))
            .and_then(Json::as_str)
            .ok_or_else(|| UpstreamError::BadResponse("version answer without a version".into()))?
            .to_owned();
        let info = v
            .get("server_version_info")
            .or_else(|| v.get("version_info"))
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        // Integers normally; "saas~18" style strings on SaaS builds.
        let num = |j: Option<&Json>| -> Option<u32> {
            match j? {
                Json::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                Json::String(s) => s.trim_start_matches("saas~").parse().ok(),
                _ => None,
            }
        };
        let from_text = |i: usize| -> Option<u32> {
            let t = version.trim_start_matches("saas~");
            t.split(|c: char| !c.is_ascii_digit()).nth(i)?.parse().ok()
        };
        let major = num(info.first())
            .or_else(|| from_text(0))
            .ok_or_else(|| UpstreamError::BadResponse(format!("unreadable Odoo version {version:?}")))?;
        let minor = num(info.get(1)).or_else(|| from_text(1)).unwrap_or(0);
        Ok(ServerVersion { version, info, major, minor })
    }

    /// `formatted_read_group` exists from 19 on.
    pub fn has_formatted_read_group(&self) -> bool {
        self.major >= 19
    }

    /// Domains may use `any` / `not any` from 17 on.
    pub fn has_any_operator(&self) -> bool {
        self.major >= 17
    }

    /// JSON-2 exists from 19 on.
    pub fn has_json2(&self) -> bool {
        self.major >= 19
    }
}

/// `search_read` / `search` parameters; `None` leaves Odoo's default.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// A domain (JSON list), `[]` for all.
    pub domain: Json,
    pub fields: Option<Vec<String>>,
    pub offset: Option<u64>,
    pub limit: Option<u64>,
    pub order: Option<String>,
}

/// One page of a search and how many records match (`web_search_read`'s
/// `length`: exact below the count limit asked for, else a lower bound).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPage {
    pub records: Vec<super::Record>,
    pub length: u64,
}

impl Default for SearchQuery {
    fn default() -> Self {
        SearchQuery { domain: Json::Array(Vec::new()), fields: None, offset: None, limit: None, order: None }
    }
}

/// `read_group(domain, fields, groupby, offset, limit, orderby, lazy)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadGroupQuery {
    pub domain: Json,
    /// Field names or `"field:agg"` specs.
    pub fields: Vec<String>,
    pub groupby: Vec<String>,
    pub offset: Option<u64>,
    pub limit: Option<u64>,
    pub orderby: Option<String>,
    /// Odoo's default is lazy (group by the first groupby only).
    pub lazy: bool,
}

/// `formatted_read_group(domain, groupby, aggregates, having, offset, limit, order)`.
#[derive(Debug, Clone, PartialEq)]
pub struct FormattedReadGroupQuery {
    pub domain: Json,
    pub groupby: Vec<String>,
    /// `"__count"` or `"field:agg"`.
    pub aggregates: Vec<String>,
    pub having: Option<Json>,
    pub offset: Option<u64>,
    pub limit: Option<u64>,
    pub order: Option<String>,
}
