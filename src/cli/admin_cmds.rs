//! The admin commands: `settings`, `resources`, `credentials`. Each parses its
//! flags into a draft, calls the admin service, and prints the result.

use super::CliError;
use super::output::{json, table};
use crate::admin::{AdminService, views};
use crate::config::credential::parse_date;
use crate::config::{ApiKey, CredentialDraft, FieldPolicy, Operations, Resource, ResourceDraft, Scope};
use clap::{Args, Subcommand};
use serde_json::Value;
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
    /// Applies the given flags on top of `draft`.
    fn apply(&self, draft: &mut ResourceDraft) -> Result<(), CliError> {
        if let Some(company) = self.company {
            draft.company_id = Some(company);
        }
        if self.all_companies {
            draft.company_id = None;
        }
        if self.read_only {
            draft.read_only = true;
        }
        if self.writable {
            draft.read_only = false;
        }
        if let Some(ops) = &self.ops {
            draft.operations = Operations::parse(ops).map_err(CliError::Invalid)?;
        }
        if let Some(fields) = &self.allow_fields {
            draft.field_policy = FieldPolicy::Allowlist(split_list(fields));
        }
        if let Some(fields) = &self.deny_fields {
            draft.field_policy = FieldPolicy::Denylist(split_list(fields));
        }
        if self.all_fields {
            draft.field_policy = FieldPolicy::All;
        }
        if let Some(filter) = &self.filter {
            draft.record_filter = filter.clone();
        }
        if let Some(methods) = &self.execute {
            draft.execute_methods = split_list(methods);
        }
        Ok(())
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

pub fn settings(admin: &AdminService, cmd: SettingsCommand, as_json: bool) -> Result<(), CliError> {
    match cmd {
        SettingsCommand::Show => {
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
            if as_json {
                json(&serde_json::json!({
                    "settings": view.iter().map(views::setting).collect::<Vec<Value>>(),
                    "warnings": warnings,
                }));
            } else {
                let rows: Vec<Vec<String>> = view
                    .iter()
                    .map(|v| {
                        vec![v.spec.key.to_string(), v.value.to_string(), v.spec.range_text(), v.source.name().into()]
                    })
                    .collect();
                table(&["SETTING", "VALUE", "ALLOWED", "SOURCE"], &rows);
                for w in warnings {
                    println!("warning: {w}");
                }
            }
        }
        SettingsCommand::Set { key, value } => {
            let stored = admin.set_setting(&key, &value)?;
            if as_json {
                json(&serde_json::json!({"key": key, "value": stored.to_json()}));
            } else {
                println!("{key} = {stored}");
            }
        }
    }
    Ok(())
}

fn print_resources(resources: &[Resource], as_json: bool) {
    if as_json {
        json(&Value::Array(resources.iter().map(views::resource).collect()));
        return;
    }
    let rows: Vec<Vec<String>> = resources
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.model.clone(),
                r.company_id.map_or("all".into(), |c| c.to_string()),
                if r.read_only { "yes".into() } else { "no".into() },
                r.effective_operations().names().join(","),
                match r.field_policy.fields() {
                    [] => r.field_policy.name().to_string(),
                    fields => format!("{}: {}", r.field_policy.name(), fields.join(",")),
                },
                r.record_filter.clone(),
            ]
        })
        .collect();
    table(&["ID", "MODEL", "COMPANY", "READ-ONLY", "OPERATIONS", "FIELDS", "FILTER"], &rows);
}

pub fn resources(admin: &AdminService, cmd: ResourcesCommand, as_json: bool) -> Result<(), CliError> {
    match cmd {
        ResourcesCommand::List => print_resources(&admin.resources()?, as_json),
        ResourcesCommand::Add { models, permissions } => {
            let default_read_only = admin.settings()?.default_read_only;
            let mut drafts = Vec::new();
            for model in &models {
                let mut draft = ResourceDraft::new(model, default_read_only);
                permissions.apply(&mut draft)?;
                drafts.push(draft);
            }
            print_resources(&admin.add_resources(drafts)?, as_json);
        }
        ResourcesCommand::Edit { resource, model, permissions } => {
            let current = admin.find_resource(&resource)?;
            let mut draft = current.draft();
            if let Some(model) = model {
                draft.model = model;
            }
            permissions.apply(&mut draft)?;
            print_resources(&[admin.edit_resource(current.id, draft)?], as_json);
        }
        ResourcesCommand::Remove { resource } => {
            let current = admin.find_resource(&resource)?;
            let removed = admin.remove_resource(current.id)?;
            if as_json {
                json(&views::resource(&removed));
            } else {
                println!("removed resource {} ({})", removed.id, removed.model);
            }
        }
    }
    Ok(())
}

fn read_key(args: &CreateCredentialArgs) -> Result<ApiKey, CliError> {
    let text = match &args.key_env {
        Some(var) => std::env::var(var)
            .map_err(|_| CliError::Invalid(format!("environment variable {var} is not set or not UTF-8")))?,
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| CliError::Failed(format!("cannot read the key from standard input: {e}")))?;
            line
        }
    };
    ApiKey::parse(&text).map_err(|e| CliError::Invalid(e.0))
}

pub fn credentials(admin: &AdminService, cmd: CredentialsCommand, as_json: bool) -> Result<(), CliError> {
    let today = AdminService::today();
    match cmd {
        CredentialsCommand::List => {
            let all = admin.credentials()?;
            if as_json {
                json(&Value::Array(all.iter().map(|(c, u)| views::credential(c, u, today)).collect()));
            } else {
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|(c, u)| {
                        vec![
                            c.id.to_string(),
                            c.label.clone(),
                            format!("{} ({})", c.login, c.user_id),
                            c.scope.name().into(),
                            c.company_id.map_or("all".into(), |id| id.to_string()),
                            c.expires_on.map_or("never".into(), |d| d.to_string()),
                            c.status(today).into(),
                            u.last_used.map_or("never".into(), |t| t.date().to_string()),
                            u.request_count.to_string(),
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
            let draft = CredentialDraft {
                label: args.label.clone(),
                user_id: args.user_id,
                login: args.login.clone(),
                scope: Scope::parse(&args.scope).map_err(|e| CliError::Invalid(e.0))?,
                expires_on: args.expires.as_deref().map(parse_date).transpose().map_err(|e| CliError::Invalid(e.0))?,
                company_id: args.company,
                key,
            };
            let created = admin.create_credential(draft)?;
            if as_json {
                json(&views::credential(&created, &Default::default(), today));
            } else {
                println!("created credential {} ({}) for {}", created.id, created.label, created.login);
            }
        }
        CredentialsCommand::Revoke { id } => {
            let revoked = admin.revoke_credential(id)?;
            if as_json {
                json(&views::credential(&revoked, &Default::default(), today));
            } else {
                println!("revoked credential {} ({})", revoked.id, revoked.label);
            }
        }
    }
    Ok(())
}
