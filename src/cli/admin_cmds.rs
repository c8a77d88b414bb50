//! The admin commands: `settings`, `resources`, `credentials`. Each turns its
//! flags into one admin API request, sent to the running daemon's socket or
//! run on the store directly (see `AdminApi`), and prints the JSON answer as
//! a table or, with `--json`, as is: the output is the same either way.

use super::CliError;
use super::output::{json, table};
use crate::admin_socket::{AdminApi, ApiError};
use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};
use std::io::BufRead;

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Show every setting, its value, range and source.
    Show,
    /// Change one setting (validated; nothing is stored if it is refused).
    Set {
        /// Setting key, e.g. max_search_limit.
        key: String,
        /// New value, e.g. 2000, on, off.
        value: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ResourcesCommand {
    /// List resources.
    List,
    /// Add one resource per model, all with the same permissions (all or nothing).
    Add {
        /// Odoo models, e.g. res.partner sale.order.
        #[arg(required = true, value_name = "MODEL")]
        models: Vec<String>,
        #[command(flatten)]
        permissions: PermissionArgs,
    },
    /// Change a resource; flags not given keep their value.
    Edit {
        /// Resource id, or model name if only one company has it.
        resource: String,
        /// Move the resource to another model name.
        #[arg(long)]
        model: Option<String>,
        #[command(flatten)]
        permissions: PermissionArgs,
    },
    /// Remove a resource.
    Remove {
        /// Resource id, or model name if only one company has it.
        resource: String,
    },
}

/// The permission flags shared by `resources add` and `resources edit`.
#[derive(Debug, Args)]
pub struct PermissionArgs {
    /// Company id the resource belongs to (default: all companies).
    #[arg(long, value_name = "ID", conflicts_with = "all_companies")]
    company: Option<u32>,
    /// Make the resource available to all companies.
    #[arg(long)]
    all_companies: bool,
    /// Only read operations, whatever the toggles say (default: the Default Read-Only setting).
    #[arg(long, conflicts_with = "writable")]
    read_only: bool,
    /// Turn Read-Only off.
    #[arg(long)]
    writable: bool,
    /// Operation toggles: any of read,create,write,delete, or all / none (default: read).
    #[arg(long, value_name = "LIST")]
    ops: Option<String>,
    /// Field policy: only these fields (comma-separated).
    #[arg(long, value_name = "FIELDS", conflicts_with_all = ["deny_fields", "all_fields"])]
    allow_fields: Option<String>,
    /// Field policy: every field but these (comma-separated).
    #[arg(long, value_name = "FIELDS", conflicts_with = "all_fields")]
    deny_fields: Option<String>,
    /// Field policy: all fields.
    #[arg(long)]
    all_fields: bool,
    /// Record filter, an Odoo domain, e.g. "[('active', '=', True)]" ("" to clear).
    #[arg(long, value_name = "DOMAIN")]
    filter: Option<String>,
    /// Methods alpenglow_execute may call (comma-separated; "" to clear).
    #[arg(long, value_name = "METHODS")]
    execute: Option<String>,
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

impl PermissionArgs {
    /// The given flags as a permission patch: flags not given are left out,
    /// so the admin API keeps their current (or default) value.
    fn patch(&self) -> Value {
        let mut patch = Map::new();
        if let Some(company) = self.company {
            patch.insert("company_id".into(), company.into());
        }
        if self.all_companies {
            patch.insert("company_id".into(), Value::Null);
        }
        if self.read_only {
            patch.insert("read_only".into(), true.into());
        }
        if self.writable {
            patch.insert("read_only".into(), false.into());
        }
        if let Some(ops) = &self.ops {
            patch.insert("ops".into(), ops.clone().into());
        }
        let policy = |name: &str, fields: &str| (name.to_string(), split_list(fields));
        let fields = match (&self.allow_fields, &self.deny_fields) {
            (Some(f), _) => Some(policy("allowlist", f)),
            (None, Some(f)) => Some(policy("denylist", f)),
            _ => None,
        };
        let fields = if self.all_fields { Some(("all".to_string(), Vec::new())) } else { fields };
        if let Some((name, fields)) = fields {
            patch.insert("field_policy".into(), name.into());
            patch.insert("fields".into(), fields.into());
        }
        if let Some(filter) = &self.filter {
            patch.insert("record_filter".into(), filter.clone().into());
        }
        if let Some(methods) = &self.execute {
            patch.insert("execute_methods".into(), split_list(methods).into());
        }
        Value::Object(patch)
    }
}

#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// List credentials with their status and usage.
    List,
    /// Create a credential for an Odoo user's API key (kept only as a hash).
    Create(CreateCredentialArgs),
    /// Revoke a credential, permanently.
    Revoke {
        /// Credential id.
        id: u64,
    },
}

#[derive(Debug, Args)]
pub struct CreateCredentialArgs {
    /// A human-readable name, e.g. "Claude Desktop - John".
    #[arg(long)]
    label: String,
    /// The Odoo user id that owns the API key.
    #[arg(long, value_name = "ID")]
    user_id: u32,
    /// The Odoo user's login.
    #[arg(long)]
    login: String,
    /// full or read-only.
    #[arg(long, default_value = "full")]
    scope: String,
    /// Last day the credential is accepted (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    expires: Option<String>,
    /// Company id the credential belongs to (default: all companies).
    #[arg(long, value_name = "ID")]
    company: Option<u32>,
    /// Read the API key from the first line of standard input.
    #[arg(long, conflicts_with = "key_env", required_unless_present = "key_env")]
    key_stdin: bool,
    /// Read the API key from this environment variable.
    #[arg(long, value_name = "VAR")]
    key_env: Option<String>,
}

impl From<ApiError> for CliError {
    fn from(e: ApiError) -> Self {
        if e.is_refusal() { CliError::Invalid(e.message) } else { CliError::Failed(e.message) }
    }
}

/// A setting value as people type it: on/off, digits, text.
fn value_text(value: &Value) -> String {
    match value {
        Value::Bool(b) => (if *b { "on" } else { "off" }).to_string(),
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn text(value: &Value) -> String {
    value_text(value)
}

fn or_all(value: &Value) -> String {
    if value.is_null() { "all".into() } else { text(value) }
}

pub fn settings(api: &dyn AdminApi, cmd: SettingsCommand, as_json: bool) -> Result<(), CliError> {
    match cmd {
        SettingsCommand::Show => {
            let shown = api.call("settings.show", Value::Null)?;
            if as_json {
                json(&shown);
            } else {
                let empty = Vec::new();
                let rows: Vec<Vec<String>> = shown["settings"]
                    .as_array()
                    .unwrap_or(&empty)
                    .iter()
                    .map(|v| vec![text(&v["key"]), value_text(&v["value"]), text(&v["allowed"]), text(&v["source"])])
                    .collect();
                table(&["SETTING", "VALUE", "ALLOWED", "SOURCE"], &rows);
                for w in shown["warnings"].as_array().unwrap_or(&empty) {
                    println!("warning: {}", text(w));
                }
            }
        }
        SettingsCommand::Set { key, value } => {
            let stored = api.call("settings.set", json!({"key": key, "value": value}))?;
            if as_json {
                json(&stored);
            } else {
                println!("{key} = {}", value_text(&stored["value"]));
            }
        }
    }
    Ok(())
}

fn print_resources(resources: &[Value], as_json: bool) {
    // A resource stored without being checked against Odoo says why.
    for warning in resources.iter().filter_map(|r| r["warning"].as_str()) {
        eprintln!("warning: {warning}");
    }
    if as_json {
        json(&Value::Array(resources.to_vec()));
        return;
    }
    let rows: Vec<Vec<String>> = resources
        .iter()
        .map(|r| {
            let list =
                |v: &Value| -> Vec<String> { v.as_array().map(|a| a.iter().map(text).collect()).unwrap_or_default() };
            let fields = list(&r["fields"]);
            vec![
                text(&r["id"]),
                text(&r["model"]),
                or_all(&r["company_id"]),
                if r["read_only"] == true { "yes".into() } else { "no".into() },
                list(&r["effective_operations"]).join(","),
                if fields.is_empty() {
                    text(&r["field_policy"])
                } else {
                    format!("{}: {}", text(&r["field_policy"]), fields.join(","))
                },
                filter_cell(r),
            ]
        })
        .collect();
    table(&["ID", "MODEL", "COMPANY", "READ-ONLY", "OPERATIONS", "FIELDS", "FILTER"], &rows);
}

/// The filter, flagged when it does not parse (the resource then refuses
/// every request until it is fixed).
fn filter_cell(r: &Value) -> String {
    if r["record_filter_error"].is_string() {
        format!("BROKEN, refuses all requests: {}", text(&r["record_filter"]))
    } else {
        text(&r["record_filter"])
    }
}

fn array(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        other => vec![other],
    }
}

pub fn resources(api: &dyn AdminApi, cmd: ResourcesCommand, as_json: bool) -> Result<(), CliError> {
    match cmd {
        ResourcesCommand::List => print_resources(&array(api.call("resources.list", Value::Null)?), as_json),
        ResourcesCommand::Add { models, permissions } => {
            let added = api.call("resources.add", json!({"models": models, "patch": permissions.patch()}))?;
            print_resources(&array(added), as_json);
        }
        ResourcesCommand::Edit { resource, model, permissions } => {
            let args = json!({"resource": resource, "model": model, "patch": permissions.patch()});
            print_resources(&array(api.call("resources.edit", args)?), as_json);
        }
        ResourcesCommand::Remove { resource } => {
            let removed = api.call("resources.remove", json!({"resource": resource}))?;
            if as_json {
                json(&removed);
            } else {
                println!("removed resource {} ({})", text(&removed["id"]), text(&removed["model"]));
            }
        }
    }
    Ok(())
}

/// The key in clear, from stdin or the environment. It goes to the admin
/// API (in process, or over the 0600 socket) and nowhere else.
fn read_key(args: &CreateCredentialArgs) -> Result<String, CliError> {
    match &args.key_env {
        Some(var) => std::env::var(var)
            .map_err(|_| CliError::Invalid(format!("environment variable {var} is not set or not UTF-8"))),
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| CliError::Failed(format!("cannot read the key from standard input: {e}")))?;
            Ok(line)
        }
    }
}

pub fn credentials(api: &dyn AdminApi, cmd: CredentialsCommand, as_json: bool) -> Result<(), CliError> {
    match cmd {
        CredentialsCommand::List => {
            let all = array(api.call("credentials.list", Value::Null)?);
            if as_json {
                json(&Value::Array(all));
            } else {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|c| {
                        let never = |v: &Value| if v.is_null() { "never".into() } else { text(v) };
                        vec![
                            text(&c["id"]),
                            text(&c["label"]),
                            format!("{} ({})", text(&c["login"]), text(&c["user_id"])),
                            text(&c["scope"]),
                            or_all(&c["company_id"]),
                            never(&c["expires_on"]),
                            text(&c["status"]),
                            never(&c["last_used"]).chars().take(10).collect(),
                            text(&c["request_count"]),
                        ]
                    })
                    .collect();
                table(
                    &["ID", "LABEL", "USER", "SCOPE", "COMPANY", "EXPIRES", "STATUS", "LAST USED", "REQUESTS"],
                    &rows,
                );
            }
        }
        CredentialsCommand::Create(args) => {
            let key = read_key(&args)?;
            let request = json!({
                "label": args.label,
                "user_id": args.user_id,
                "login": args.login,
                "scope": args.scope,
                "expires": args.expires,
                "company_id": args.company,
                "key": key,
            });
            let created = api.call("credentials.create", request)?;
            if as_json {
                json(&created);
            } else {
                println!(
                    "created credential {} ({}) for {}",
                    text(&created["id"]),
                    text(&created["label"]),
                    text(&created["login"])
                );
            }
        }
        CredentialsCommand::Revoke { id } => {
            let revoked = api.call("credentials.revoke", json!({"id": id}))?;
            if as_json {
                json(&revoked);
            } else {
                println!("revoked credential {} ({})", text(&revoked["id"]), text(&revoked["label"]));
            }
        }
    }
    Ok(())
}
