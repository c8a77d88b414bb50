//! Model schemas (`fields_get`) as the operations need them, cached for a few
//! minutes: the field policy, default field sets, dotted paths and describe
//! all read them, and a schema rarely changes.

use super::upstream_error;
use crate::upstream::{Identity, OdooApi, SearchQuery};
use crate::vocab::OpError;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(300);

/// The attributes asked of Odoo for every field.
/// `relation_field` is a one2many's inverse many2one (see `relations.rs`).
const ATTRIBUTES: [&str; 9] =
    ["type", "string", "relation", "relation_field", "required", "readonly", "selection", "store", "help"];

/// One field's metadata, in Odoo's `fields_get` shape.
#[derive(Debug, Clone)]
pub struct FieldInfo {
    pub name: String,
    pub kind: String,
    pub relation: Option<String>,
    pub attributes: Map<String, Value>,
}

impl FieldInfo {
    pub fn is_numeric(&self) -> bool {
        matches!(self.kind.as_str(), "integer" | "float" | "monetary")
    }

    pub fn is_date(&self) -> bool {
        matches!(self.kind.as_str(), "date" | "datetime")
    }

    pub fn is_x2many(&self) -> bool {
        matches!(self.kind.as_str(), "one2many" | "many2many")
    }

    pub fn stored(&self) -> bool {
        self.attributes.get("store").and_then(Value::as_bool).unwrap_or(true)
    }
}

/// A model's fields in Odoo's order.
#[derive(Debug, Clone)]
pub struct Schema {
    pub model: String,
    pub fields: Vec<FieldInfo>,
}

impl Schema {
    pub fn field(&self, name: &str) -> Option<&FieldInfo> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str())
    }

    /// The field, or an error that tells the caller how to find the right name.
    pub fn require(&self, name: &str) -> Result<&FieldInfo, OpError> {
        self.field(name).ok_or_else(|| {
            OpError::Invalid(format!(
                "{} has no field {name:?}; call alpenglow_describe with model {:?} to see its fields",
                self.model, self.model
            ))
        })
    }
}

/// Schemas and model labels by model and Odoo user: `fields_get` leaves
/// out the fields a user's groups may not read, and labels are in the
/// user's language, so one user's answer is never served to another.
/// Refreshed after [`TTL`] and whenever the resources change ([`SchemaCache::sync`]).
#[derive(Default)]
pub struct SchemaCache {
    entries: PerUser<Arc<Schema>>,
    labels: PerUser<Value>,
    /// The resources' generation the entries were fetched under.
    generation: AtomicU64,
}

/// Cached values by model, then Odoo user id, with when they were fetched.
type PerUser<T> = Mutex<HashMap<String, HashMap<i64, (Instant, T)>>>;

/// The fresh entry of `uid` for `model` in `map`, if any.
fn fresh<T: Clone>(map: &PerUser<T>, model: &str, uid: i64) -> Option<T> {
    let map = map.lock().unwrap_or_else(|e| e.into_inner());
    map.get(model).and_then(|by_user| by_user.get(&uid)).filter(|(at, _)| at.elapsed() < TTL).map(|(_, v)| v.clone())
}

/// Keeps `value`; the model's entries of users not seen within the TTL go,
/// so memory follows the users of the last minutes.
fn keep<T>(map: &PerUser<T>, model: &str, uid: i64, value: T) {
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    let by_user = map.entry(model.to_string()).or_default();
    by_user.retain(|_, (at, _)| at.elapsed() < TTL);
    by_user.insert(uid, (Instant::now(), value));
}

impl SchemaCache {
    /// Forgets everything when the resources changed since the entries
    /// were fetched (`generation` is the resources' store generation): an
    /// admin's resources edit is the moment a changed Odoo is looked at again.
    pub fn sync(&self, generation: u64) {
        if self.generation.fetch_max(generation, Ordering::AcqRel) < generation {
            self.entries.lock().unwrap_or_else(|e| e.into_inner()).clear();
            self.labels.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }

    pub async fn get(&self, upstream: &dyn OdooApi, who: &Identity, model: &str) -> Result<Arc<Schema>, OpError> {
        if let Some(schema) = fresh(&self.entries, model, who.uid) {
            return Ok(schema);
        }
        let attributes: Vec<String> = ATTRIBUTES.iter().map(|s| s.to_string()).collect();
        let raw = upstream.fields_get(who, model, None, Some(&attributes)).await.map_err(upstream_error)?;
        let fields = raw
            .into_iter()
            .map(|(name, v)| {
                let attributes = v.as_object().cloned().unwrap_or_default();
                FieldInfo {
                    kind: attributes.get("type").and_then(Value::as_str).unwrap_or("char").to_string(),
                    relation: attributes.get("relation").and_then(Value::as_str).map(str::to_string),
                    name,
                    attributes,
                }
            })
            .collect();
        let schema = Arc::new(Schema { model: model.to_string(), fields });
        keep(&self.entries, model, who.uid, schema.clone());
        Ok(schema)
    }

    /// The models' labels (`ir.model`'s `name`, in the user's language); the
    /// ones not cached are asked in one call. A model Odoo does not name
    /// (or an Odoo that cannot be asked) is left out.
    pub async fn labels(&self, upstream: &dyn OdooApi, who: &Identity, models: &[&str]) -> Map<String, Value> {
        let mut out = Map::new();
        let mut missing = Vec::new();
        for model in models {
            match fresh(&self.labels, model, who.uid) {
                Some(label) => {
                    out.insert(model.to_string(), label);
                }
                None => missing.push(*model),
            }
        }
        if missing.is_empty() {
            return out;
        }
        let query = SearchQuery {
            domain: json!([["model", "in", missing]]),
            fields: Some(vec!["model".into(), "name".into()]),
            ..Default::default()
        };
        if let Ok(rows) = upstream.search_read(who, "ir.model", &query).await {
            for row in rows {
                if let (Some(model), Some(name)) = (row.get("model").and_then(Value::as_str), row.get("name")) {
                    keep(&self.labels, model, who.uid, name.clone());
                    out.insert(model.to_string(), name.clone());
                }
            }
        }
        out
    }
}
