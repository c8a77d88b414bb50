//! Resources: one per model the caller may use, `alpenglow://model/<model>/schema`
//! (`application/json`, the text is `alpenglow_describe`'s result), plus the
//! matching URI template. Both are computed per caller through the gateway,
//! so a key sees only its own models.
//!
//! Not found (a URI of another shape, or a model the caller may not use):
//! -32002 with `data.uri` up to 2025-11-25, -32602 with `data.uri` in
//! 2026-07-28 (which forbids -32002 and empty `contents`).

use super::methods::{Call, check_no_cursor, op_error};
use super::revision::Revision;
use super::rpc::{self, RpcError};
use crate::gateway::OpError;
use serde_json::{Map, Value, json};

const PREFIX: &str = "alpenglow://model/";
const SUFFIX: &str = "/schema";
const MIME: &str = "application/json";

pub fn uri_of(model: &str) -> String {
    format!("{PREFIX}{model}{SUFFIX}")
}

/// The model a schema URI names, if it has that shape.
pub fn model_of(uri: &str) -> Option<&str> {
    let model = uri.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    (!model.is_empty() && !model.contains('/')).then_some(model)
}

pub async fn list(call: &Call<'_>, params: &Map<String, Value>) -> Result<Value, RpcError> {
    check_no_cursor(params)?;
    let models = call.run("alpenglow_list_models", &json!({})).await.map_err(|e| op_error(&e, call))?;
    let resources: Vec<Value> = models["models"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|m| {
            let model = m.get("model")?.as_str()?;
            let label = m.get("label").and_then(Value::as_str).unwrap_or(model);
            Some(resource(model, label, call.revision))
        })
        .collect();
    Ok(json!({"resources": resources}))
}

fn resource(model: &str, label: &str, revision: Revision) -> Value {
    let mut resource = json!({
        "uri": uri_of(model),
        "name": model,
        "description": format!("Schema of {label} ({model}): fields, types, relations, record count, example domains"),
        "mimeType": MIME,
    });
    if revision.has_titles_and_structured_content() {
        resource["title"] = json!(format!("{label} schema"));
    }
    resource
}

pub fn templates(revision: Revision, params: &Map<String, Value>) -> Result<Value, RpcError> {
    check_no_cursor(params)?;
    let mut template = json!({
        "uriTemplate": format!("{PREFIX}{{model}}{SUFFIX}"),
        "name": "model-schema",
        "description": "Schema of an Odoo model you may use (e.g. res.partner): fields, types, relations",
        "mimeType": MIME,
    });
    if revision.has_titles_and_structured_content() {
        template["title"] = json!("Model schema");
    }
    Ok(json!({"resourceTemplates": [template]}))
}

pub async fn read(call: &Call<'_>, params: &Map<String, Value>) -> Result<Value, RpcError> {
    let Some(uri) = params.get("uri").and_then(Value::as_str) else {
        return Err(RpcError::invalid_params("Invalid params: resources/read needs \"uri\""));
    };
    let Some(model) = model_of(uri) else {
        return Err(not_found(uri, call.revision));
    };
    match call.run("alpenglow_describe", &json!({"model": model})).await {
        Ok(schema) => Ok(json!({"contents": [{
            "uri": uri,
            "mimeType": MIME,
            "text": serde_json::to_string(&schema).unwrap_or_default(),
        }]})),
        // A model the caller may not use is answered like a missing one.
        Err(OpError::NotFound(_) | OpError::Denied(_) | OpError::Invalid(_)) => Err(not_found(uri, call.revision)),
        Err(error) => Err(op_error(&error, call)),
    }
}

fn not_found(uri: &str, revision: Revision) -> RpcError {
    let code = if revision.is_modern() { rpc::INVALID_PARAMS } else { rpc::RESOURCE_NOT_FOUND };
    RpcError::new(code, format!("Resource not found: {uri}; resources/list shows the schemas you may read"))
        .with_data(json!({"uri": uri}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_uris_round_trip() {
        assert_eq!(uri_of("res.partner"), "alpenglow://model/res.partner/schema");
        assert_eq!(model_of("alpenglow://model/res.partner/schema"), Some("res.partner"));
        assert_eq!(model_of("alpenglow://model//schema"), None);
        assert_eq!(model_of("alpenglow://model/a/b/schema"), None);
        assert_eq!(model_of("file:///etc/passwd"), None);
    }

    #[test]
    fn not_found_codes_per_era() {
        let legacy = not_found("x://y", Revision::V2025_11_25);
        assert_eq!((legacy.code, legacy.data.map(|d| *d)), (-32002, Some(json!({"uri": "x://y"}))));
        assert_eq!(not_found("x://y", Revision::V2026_07_28).code, -32602);
    }

    #[test]
    fn titles_only_from_06_18() {
        assert!(resource("res.partner", "Contact", Revision::V2025_03_26).get("title").is_none());
        assert_eq!(resource("res.partner", "Contact", Revision::V2025_06_18)["title"], "Contact schema");
        let t = templates(Revision::V2025_03_26, &Map::new()).unwrap();
        assert_eq!(t["resourceTemplates"][0]["uriTemplate"], "alpenglow://model/{model}/schema");
    }
}
