//! Model schemas (`fields_get`) as the operations need them, cached for a few
//! minutes: the field policy, default field sets, dotted paths and describe
//! all read them, and a schema rarely changes.

use super::upstream_error;
use crate::upstream::{Identity, OdooApi};
use crate::vocab::OpError;
use serde_json::{Map, Value};
use std::collections::HashMap;
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

#[derive(Default)]
pub struct SchemaCache {
    entries: Mutex<HashMap<String, (Instant, Arc<Schema>)>>,
}

impl SchemaCache {
    pub async fn get(&self, upstream: &dyn OdooApi, who: &Identity, model: &str) -> Result<Arc<Schema>, OpError> {
        if let Some((at, schema)) = self.entries.lock().unwrap_or_else(|e| e.into_inner()).get(model)
            && at.elapsed() < TTL
        {
            return Ok(schema.clone());
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
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(model.to_string(), (Instant::now(), schema.clone()));
        Ok(schema)
    }
}
