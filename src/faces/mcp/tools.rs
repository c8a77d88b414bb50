//! `tools/list` and `tools/call`: the nine operations as MCP tools.
//!
//! The list comes from `ops::tool_specs` in its fixed order, shaped for the
//! revision (2025-03-26 has no `title` or `outputSchema`; annotations carry
//! the hints everywhere, `openWorldHint: false` since the tools reach only
//! this Odoo).
//!
//! A call's operation failures are tool results with `isError: true` whose
//! text tells the model what to do next, so it can recover; the transport
//! only fails for what the model cannot fix (unknown tool, malformed
//! request: -32602; MCP switched off: HTTP 403). Argument validation
//! failures are -32602 in 2025-03-26 and 2025-06-18 and tool errors from
//! 2025-11-25, as each revision asks.

use super::methods::{Call, check_no_cursor};
use super::revision::Revision;
use super::rpc::RpcError;
use crate::gateway::{Authorization, Limit, OpError};
use crate::ops::{OpName, ToolSpec, tool_specs};
use serde_json::{Map, Value, json};

pub fn list(revision: Revision, params: &Map<String, Value>) -> Result<Value, RpcError> {
    check_no_cursor(params)?;
    let tools: Vec<Value> = tool_specs().iter().map(|spec| tool(spec, revision)).collect();
    Ok(json!({"tools": tools}))
}

/// One tool definition as `revision` spells it.
fn tool(spec: &ToolSpec, revision: Revision) -> Value {
    let mut tool = json!({
        "name": spec.name,
        "description": spec.description,
        "inputSchema": spec.input_schema,
        "annotations": {
            "title": spec.title,
            "readOnlyHint": spec.read_only,
            "destructiveHint": spec.destructive,
            "idempotentHint": spec.idempotent,
            "openWorldHint": false,
        },
    });
    if revision.has_titles_and_structured_content() {
        tool["title"] = json!(spec.title);
        tool["outputSchema"] = spec.output_schema.clone();
    }
    tool
}

pub async fn call(call: &Call<'_>, params: &Map<String, Value>) -> Result<Value, RpcError> {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return Err(RpcError::invalid_params("Invalid params: tools/call needs \"name\", the tool to call"));
    };
    if OpName::parse(name).is_none() && name != crate::vocab::APPROVAL_STATUS_TOOL {
        return Err(unknown_tool(name));
    }
    let arguments = match params.get("arguments") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(Value::Object(arguments)) => Value::Object(arguments.clone()),
        Some(_) => return Err(RpcError::invalid_params("Invalid params: \"arguments\" must be an object")),
    };
    match call.run(name, &arguments).await {
        // A question for the person (2026-07-28): the result is the question.
        Ok(_) if let Some(question) = call.ctx.held.input_required() => Ok(question),
        Ok(result) => Ok(success(result, call.revision)),
        Err(error) => failure(&error, call),
    }
}

fn unknown_tool(name: &str) -> RpcError {
    let names: Vec<&str> =
        OpName::ALL.iter().map(|op| op.as_str()).chain([crate::vocab::APPROVAL_STATUS_TOOL]).collect();
    RpcError::invalid_params(format!("Unknown tool: {name:?}; the tools are {}", names.join(", ")))
}

/// The result as a JSON text block, and as `structuredContent` where the
/// revision has it (an object up to 2025-11-25, any JSON after).
fn success(result: Value, revision: Revision) -> Value {
    let text = serde_json::to_string(&result).unwrap_or_default();
    let mut content = vec![json!({"type": "text", "text": text})];
    // A cut result also says so in words, for a model that reads the text only.
    if result.get("truncated") == Some(&Value::Bool(true))
        && let Some(note) = result.get("note").and_then(Value::as_str)
    {
        content.push(json!({"type": "text", "text": note}));
    }
    let mut answer = json!({"content": content, "isError": false});
    if revision.has_titles_and_structured_content() && (result.is_object() || revision.structured_content_any_json()) {
        answer["structuredContent"] = result;
    }
    answer
}

fn tool_error(text: String) -> Value {
    json!({"content": [{"type": "text", "text": text}], "isError": true})
}

fn failure(error: &OpError, call: &Call<'_>) -> Result<Value, RpcError> {
    let text = match error {
        OpError::Invalid(m) if !call.revision.invalid_arguments_as_tool_error() => {
            return Err(RpcError::invalid_params(format!("Invalid arguments: {m}")));
        }
        OpError::Invalid(m) => {
            format!("Invalid arguments: {m}. Correct the arguments (see the tool's inputSchema) and call it again.")
        }
        OpError::UnknownOperation(name) => return Err(unknown_tool(name)),
        // An HTTP 403 with the challenge, so the client can step up.
        OpError::Disabled | OpError::Unauthenticated(_) | OpError::InsufficientScope { .. } => {
            let key_sent = !matches!(call.ctx.authorization, Authorization::Missing);
            return Err(RpcError::refusal(error, key_sent));
        }
        OpError::Denied(m) => format!(
            "Access denied: {m}. Your key is not allowed to do this, so do not retry it; call alpenglow_list_models \
to see the models and operations you may use."
        ),
        OpError::NotFound(m) => format!(
            "Not found: {m}. Check the model name with alpenglow_list_models and the record ids with alpenglow_search."
        ),
        OpError::RateLimited { limit: Limit::Writes, reset_at, .. } => format!(
            "{error} Wait until {} before creating, updating, deleting or executing again; searches and reads may go on.",
            rfc3339(*reset_at)
        ),
        OpError::RateLimited { retry_after_secs, reset_at, .. } => format!(
            "Rate limit exceeded: retry in {retry_after_secs} s (at {}). Wait until then before calling any tool again.",
            rfc3339(*reset_at)
        ),
        OpError::OdooRefused(_) => format!(
            "{error}. This is Odoo's own rule: correct the values (alpenglow_describe shows each field's type, \
required flag and options) and call again."
        ),
        OpError::Upstream(_) => format!(
            "{error}. Check the values against alpenglow_describe and try again; if it keeps failing, tell the user."
        ),
        OpError::Unavailable(m) => {
            format!("Odoo is unavailable: {m}. Try again in a minute; if it persists, tell the user.")
        }
        OpError::AuditUnavailable(m) => format!("{m} Tell the user: an administrator must free space for Alpenglow."),
    };
    Ok(tool_error(text))
}

fn rfc3339(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| format!("Unix time {unix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_shaped_per_revision_in_a_fixed_order() {
        let old = list(Revision::V2025_03_26, &Map::new()).expect("list");
        let new = list(Revision::V2026_07_28, &Map::new()).expect("list");
        let names = |v: &Value| -> Vec<String> {
            v["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect()
        };
        assert_eq!(names(&old), names(&new));
        assert_eq!(names(&old)[0], "alpenglow_list_models");
        assert_eq!(names(&old).len(), 10);
        let first_old = &old["tools"][0];
        assert!(first_old.get("title").is_none() && first_old.get("outputSchema").is_none());
        assert_eq!(first_old["annotations"]["readOnlyHint"], true);
        assert_eq!(first_old["annotations"]["openWorldHint"], false);
        let delete = new["tools"].as_array().unwrap().iter().find(|t| t["name"] == "alpenglow_delete").unwrap();
        assert_eq!(delete["title"], "Delete records");
        assert_eq!(delete["annotations"]["destructiveHint"], true);
        assert_eq!(delete["outputSchema"]["type"], "object");
        for tool in new["tools"].as_array().unwrap() {
            assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        }
    }

    #[test]
    fn structured_content_follows_the_revision() {
        let object = json!({"ids": [1]});
        assert!(success(object.clone(), Revision::V2025_03_26).get("structuredContent").is_none());
        assert_eq!(success(object.clone(), Revision::V2025_06_18)["structuredContent"], object);
        assert!(success(json!([1, 2]), Revision::V2025_11_25).get("structuredContent").is_none());
        assert_eq!(success(json!([1, 2]), Revision::V2026_07_28)["structuredContent"], json!([1, 2]));
        assert_eq!(success(object, Revision::V2025_03_26)["content"][0]["text"], "{\"ids\":[1]}");
    }

    #[test]
    fn reset_times_read_as_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
