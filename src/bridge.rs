//! `alpenglow bridge`: an MCP server on stdio that forwards each tool call to
//! a remote Alpenglow as a direct JSON-RPC call, for clients (Claude Desktop)
//! that start a local command. It takes the same settings as the original's
//! official bridge (`--url`, `--token`, `--db`, `ALPENGLOW_URL`,
//! `ALPENGLOW_TOKEN`, `ALPENGLOW_DB`) and answers with the same texts, so a
//! Claude Desktop config only changes its `command`.
//!
//! It speaks the handshake revisions (2025-11-25, 2025-06-18, 2025-03-26,
//! 2024-11-05) over newline-delimited JSON-RPC; a client that first tries the
//! stateless 2026 revision gets "method not found" and falls back, as the
//! specification tells it to.

use crate::config::ApiKey;
use crate::ops::tool_specs;
use crate::upstream::{Transport, TransportConfig};
use hyper::header::{AUTHORIZATION, HeaderName, HeaderValue};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// The MCP server's name, and the Claude Desktop entry's, as the original spells it.
pub const SERVER_NAME: &str = "alpenglow-odoo";

/// One way for Claude Desktop to reach a gateway: a command it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct DesktopEntry {
    pub label: &'static str,
    pub command: &'static str,
    pub args: Vec<String>,
}

impl DesktopEntry {
    /// The original's official bridge (run by `uvx`) and this binary's own,
    /// for the gateway at `base_url` and the user's key `token`.
    pub fn both(base_url: &str, token: &str) -> [DesktopEntry; 2] {
        let args = |first: &str| [first, "--url", base_url, "--token", token].map(String::from).to_vec();
        [
            DesktopEntry {
                label: "the official bridge (Python, via uvx)",
                command: "uvx",
                args: args("alpenglow-mcp-bridge"),
            },
            DesktopEntry { label: "Alpenglow's own bridge", command: "alpenglow", args: args("bridge") },
        ]
    }

    /// `{"mcpServers": {"alpenglow-odoo": {"command", "args"}}}` for `claude_desktop_config.json`.
    pub fn config(&self) -> Value {
        json!({"mcpServers": {SERVER_NAME: {"command": self.command, "args": self.args}}})
    }
}

/// The MCP clients `alpenglow client-config` writes configuration for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum McpClient {
    ClaudeDesktop,
    ClaudeCode,
    Cursor,
    Vscode,
}

/// Which bridge a client starts: the original's (Python, via uvx) or this binary's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BridgeKind {
    Official,
    Builtin,
}

/// Ready-to-paste configuration for one client, and where it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// One line: JSON for a config file, or a shell command.
    pub text: String,
    pub place: &'static str,
}

/// The configuration of `client` for the gateway at `base_url`, with `token`
/// as the key. Claude Desktop starts a command, so it always has a bridge
/// (the official one unless `bridge` says otherwise); the others speak
/// streamable HTTP to the MCP URL unless a bridge is asked for.
pub fn client_config(client: McpClient, bridge: Option<BridgeKind>, base_url: &str, token: &str) -> ClientConfig {
    let base_url = base_url.trim_end_matches('/');
    let mcp_url = format!("{base_url}{}", crate::vocab::MCP_PATH);
    let bearer = format!("Bearer {token}");
    let [official, builtin] = DesktopEntry::both(base_url, token);
    let entry = match bridge {
        Some(BridgeKind::Builtin) => Some(builtin),
        Some(BridgeKind::Official) => Some(official),
        None if client == McpClient::ClaudeDesktop => Some(official),
        None => None,
    };
    let (text, place) = match (client, entry) {
        (McpClient::ClaudeDesktop, Some(entry)) => (one_line(&entry.config()), "claude_desktop_config.json"),
        (McpClient::ClaudeCode, Some(entry)) => {
            let words: Vec<String> = [entry.command.to_string()]
                .into_iter()
                .chain(entry.args.iter().cloned())
                .map(|w| shell_word(&w))
                .collect();
            (format!("claude mcp add {SERVER_NAME} -- {}", words.join(" ")), "a shell (Claude Code's `claude` command)")
        }
        (McpClient::ClaudeCode, None) => (
            format!(
                "claude mcp add --transport http {SERVER_NAME} {} --header {}",
                shell_word(&mcp_url),
                shell_word(&format!("Authorization: {bearer}"))
            ),
            "a shell (Claude Code's `claude` command)",
        ),
        (McpClient::Cursor, Some(entry)) => (one_line(&entry.config()), ".cursor/mcp.json (or ~/.cursor/mcp.json)"),
        (McpClient::Cursor, None) => (
            one_line(&json!({"mcpServers": {SERVER_NAME: {"url": mcp_url, "headers": {"Authorization": bearer}}}})),
            ".cursor/mcp.json (or ~/.cursor/mcp.json)",
        ),
        (McpClient::Vscode, Some(entry)) => (
            one_line(
                &json!({"servers": {SERVER_NAME: {"type": "stdio", "command": entry.command, "args": entry.args}}}),
            ),
            ".vscode/mcp.json",
        ),
        (McpClient::Vscode, None) => (
            one_line(
                &json!({"servers": {SERVER_NAME: {"type": "http", "url": mcp_url, "headers": {"Authorization": bearer}}}}),
            ),
            ".vscode/mcp.json",
        ),
        (McpClient::ClaudeDesktop, None) => unreachable!("Claude Desktop always has a bridge"),
    };
    ClientConfig { text, place }
}

/// JSON on one line with a space after each `,` and `:`: a terminal that
/// wraps it breaks only between tokens, so text copied from the wrapped rows
/// is still valid JSON.
pub fn one_line(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let members: Vec<String> =
                map.iter().map(|(k, v)| format!("{}: {}", Value::from(k.as_str()), one_line(v))).collect();
            format!("{{{}}}", members.join(", "))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(one_line).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// A word for a POSIX shell: as is when plain, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if plain { word.to_string() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

pub struct BridgeOptions {
    /// The remote Alpenglow's base URL; `/alpenglow/mcp` is appended.
    pub url: String,
    pub token: ApiKey,
    pub database: Option<String>,
}

struct Bridge {
    transport: Transport,
    token: ApiKey,
    database: Option<String>,
    url: String,
    /// The revision agreed at `initialize`; replies are shaped for it.
    version: String,
    next_id: u64,
}

pub async fn run(options: BridgeOptions) -> Result<(), String> {
    let mut config = TransportConfig::new(options.url.trim_end_matches('/'));
    config.request_timeout = std::time::Duration::from_secs(60);
    let transport = Transport::new(&config).map_err(|e| format!("--url: {e}"))?;
    let mut bridge = Bridge {
        transport,
        token: options.token,
        database: options.database.filter(|d| !d.is_empty()),
        url: options.url,
        version: VERSIONS[0].to_string(),
        next_id: 1,
    };
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    while let Some(line) = lines.next_line().await.map_err(|e| format!("reading stdin: {e}"))? {
        if line.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<Value>(&line) {
            Ok(message) => bridge.handle(message).await,
            Err(e) => Some(error_reply(Value::Null, -32700, &format!("parse error: {e}"))),
        };
        if let Some(reply) = reply {
            let mut text = reply.to_string();
            text.push('\n');
            stdout.write_all(text.as_bytes()).await.map_err(|e| format!("writing stdout: {e}"))?;
            stdout.flush().await.map_err(|e| format!("writing stdout: {e}"))?;
        }
    }
    Ok(())
}

fn error_reply(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

fn result_reply(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

impl Bridge {
    /// One incoming message; notifications and responses get no reply.
    async fn handle(&mut self, message: Value) -> Option<Value> {
        let method = message.get("method").and_then(Value::as_str)?.to_string();
        let id = message.get("id").cloned()?;
        let params = message.get("params").cloned().unwrap_or(Value::Null);
        Some(match method.as_str() {
            "initialize" => {
                let asked = params.get("protocolVersion").and_then(Value::as_str).unwrap_or_default();
                self.version = VERSIONS.iter().find(|v| **v == asked).unwrap_or(&VERSIONS[0]).to_string();
                result_reply(
                    id,
                    json!({
                        "protocolVersion": self.version,
                        "capabilities": {"tools": {"listChanged": false}},
                        "serverInfo": {"name": SERVER_NAME, "version": env!("CARGO_PKG_VERSION")},
                        "instructions": "You are connected to an Odoo ERP through Alpenglow. Use alpenglow_list_models to discover the available models, then alpenglow_describe to learn a model's fields before searching or changing data."
                    }),
                )
            }
            "ping" => result_reply(id, json!({})),
            "tools/list" => result_reply(id, json!({"tools": self.tools()})),
            "tools/call" => {
                let Some(name) = params.get("name").and_then(Value::as_str) else {
                    return Some(error_reply(id, -32602, "tools/call needs a tool name"));
                };
                if !tool_specs().iter().any(|t| t.name == name) {
                    return Some(error_reply(id, -32602, &format!("unknown tool {name:?}")));
                }
                let arguments = params.get("arguments").cloned().unwrap_or_else(|| json!({}));
                let result = self.call(name, arguments).await;
                result_reply(id, result)
            }
            other => error_reply(id, -32601, &format!("method not found: {other}")),
        })
    }

    /// The tool list, without the fields the agreed revision does not know.
    fn tools(&self) -> Vec<Value> {
        let modern = self.version.as_str() >= "2025-06-18";
        tool_specs()
            .iter()
            .map(|t| {
                let mut tool = json!({
                    "name": t.name,
                    "description": t.description,
                    "inputSchema": t.input_schema,
                    "annotations": {"title": t.title, "readOnlyHint": t.read_only, "destructiveHint": t.destructive, "idempotentHint": t.idempotent, "openWorldHint": false}
                });
                if modern {
                    tool["title"] = json!(t.title);
                    tool["outputSchema"] = t.output_schema.clone();
                }
                tool
            })
            .collect()
    }

    /// Forwards one call. The texts match the original's bridge, so a model
    /// (and a script) sees the same answers through either bridge.
    async fn call(&mut self, method: &str, arguments: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": arguments});
        let mut headers = Vec::new();
        if let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {}", self.token.expose())) {
            value.set_sensitive(true);
            headers.push((AUTHORIZATION, value));
        }
        if let Some(db) = &self.database
            && let Ok(value) = HeaderValue::from_str(db)
        {
            headers.push((HeaderName::from_static("x-odoo-database"), value));
        }
        let reply =
            self.transport.post("/alpenglow/mcp", "application/json", headers, body.to_string().into_bytes()).await;
        let reply = match reply {
            Ok(reply) => reply,
            Err(crate::upstream::UpstreamError::Timeout(_)) => {
                return text_result("Request timed out after 60s. The server may be overloaded.", true);
            }
            Err(_) => {
                return text_result(
                    &format!(
                        "Connection failed: cannot reach {}. Check the URL and that Alpenglow is running.",
                        self.url
                    ),
                    true,
                );
            }
        };
        if reply.status == 401 {
            return text_result("Authentication failed: invalid or expired API token.", true);
        }
        if reply.status == 429 {
            let reset = reply.headers.get("x-ratelimit-reset").and_then(|v| v.to_str().ok()).unwrap_or("unknown");
            return text_result(
                &format!("Rate limit exceeded. Resets at timestamp {reset}. Wait before retrying."),
                true,
            );
        }
        let text = String::from_utf8_lossy(&reply.body).to_string();
        if reply.status >= 400 {
            let short: String = text.chars().take(500).collect();
            return text_result(&format!("HTTP {}: {short}", reply.status), true);
        }
        let Ok(data) = serde_json::from_str::<Value>(&text) else {
            let short: String = text.chars().take(500).collect();
            return text_result(&format!("Unexpected answer from {}: {short}", self.url), true);
        };
        if let Some(error) = data.get("error") {
            let code = error.get("code").map(|c| c.to_string()).unwrap_or_else(|| "?".into());
            let message = error.get("message").and_then(Value::as_str).unwrap_or("Unknown error");
            return text_result(&format!("Odoo error ({code}): {message}"), true);
        }
        let result = data.get("result").cloned().unwrap_or_else(|| json!({}));
        let pretty = serde_json::to_string_pretty(&result).unwrap_or_default();
        let mut out = text_result(&pretty, false);
        if self.version.as_str() >= "2025-06-18" && result.is_object() {
            out["structuredContent"] = result;
        }
        out
    }
}

fn text_result(text: &str, is_error: bool) -> Value {
    json!({"content": [{"type": "text", "text": text}], "isError": is_error})
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://alpenglow.example.com/";
    const MCP: &str = "https://alpenglow.example.com/alpenglow/mcp";

    fn parsed(client: McpClient, bridge: Option<BridgeKind>) -> Value {
        let config = client_config(client, bridge, BASE, "KEY");
        assert!(!config.text.contains('\n'), "one line: {}", config.text);
        serde_json::from_str(&config.text).unwrap_or_else(|e| panic!("{e}: {}", config.text))
    }

    #[test]
    fn each_client_gets_its_own_shape_on_one_line() {
        let desktop = parsed(McpClient::ClaudeDesktop, None);
        assert_eq!(
            desktop["mcpServers"][SERVER_NAME],
            json!({"command": "uvx", "args": ["alpenglow-mcp-bridge", "--url", "https://alpenglow.example.com", "--token", "KEY"]})
        );
        let builtin = parsed(McpClient::ClaudeDesktop, Some(BridgeKind::Builtin));
        assert_eq!(builtin["mcpServers"][SERVER_NAME]["command"], "alpenglow");
        assert_eq!(builtin["mcpServers"][SERVER_NAME]["args"][0], "bridge");
        let cursor = parsed(McpClient::Cursor, None);
        assert_eq!(cursor["mcpServers"][SERVER_NAME], json!({"url": MCP, "headers": {"Authorization": "Bearer KEY"}}));
        let vscode = parsed(McpClient::Vscode, None);
        assert_eq!(
            vscode["servers"][SERVER_NAME],
            json!({"type": "http", "url": MCP, "headers": {"Authorization": "Bearer KEY"}})
        );
        let vscode_bridge = parsed(McpClient::Vscode, Some(BridgeKind::Official));
        assert_eq!(vscode_bridge["servers"][SERVER_NAME]["type"], "stdio");
        assert_eq!(vscode_bridge["servers"][SERVER_NAME]["command"], "uvx");

        let code = client_config(McpClient::ClaudeCode, None, BASE, "KEY").text;
        assert_eq!(
            code,
            format!("claude mcp add --transport http {SERVER_NAME} {MCP} --header 'Authorization: Bearer KEY'")
        );
        let code = client_config(McpClient::ClaudeCode, Some(BridgeKind::Builtin), BASE, "KEY").text;
        assert_eq!(
            code,
            format!("claude mcp add {SERVER_NAME} -- alpenglow bridge --url https://alpenglow.example.com --token KEY")
        );
    }

    #[test]
    fn one_line_json_breaks_only_between_tokens() {
        let value = json!({"a": [1, "x y"], "b": {"c": null}});
        let text = one_line(&value);
        assert_eq!(text, r#"{"a": [1, "x y"], "b": {"c": null}}"#);
        assert_eq!(serde_json::from_str::<Value>(&text.replace(", ", ",\n")).unwrap(), value);
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
