//! The admin commands: `settings`, `resources`, `credentials`. Each turns its
//! flags into one admin API request, sent to the running daemon's socket or
//! run on the store directly (see `AdminClient`), and prints the typed answer
//! as a table or, with `--json`, as JSON: the output is the same either way.

use super::CliError;
use super::output::{json, table};
use crate::admin::api::{
    AddResources, ApiError, CreateCredential, CredentialView, EditResource, ListCredentials, ListResources,
    RemoveResource, ResourcePatch, ResourceView, RevokeCredential, SecretText, SetSetting, ShowSettings,
};
use crate::admin_socket::AdminClient;
use clap::{Args, Subcommand};
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
    /// Approval for creates: none, confirm (the person using the client) or admin.
    #[arg(long, value_name = "RULE")]
    approve_create: Option<String>,
    /// Approval for updates: none, confirm or admin (see --approve-write-over).
    #[arg(long, value_name = "RULE")]
    approve_write: Option<String>,
    /// Approval for deletes (every delete, when set): none, confirm or admin.
    #[arg(long, value_name = "RULE")]
    approve_delete: Option<String>,
    /// Approval for alpenglow_execute: none, confirm or admin (see --approve-methods).
    #[arg(long, value_name = "RULE")]
    approve_execute: Option<String>,
    /// Only updates of more than N records need approval (0: every update).
    #[arg(long, value_name = "N")]
    approve_write_over: Option<u32>,
    /// Only these methods need approval (comma-separated; "" for every method).
    #[arg(long, value_name = "METHODS")]
    approve_methods: Option<String>,
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

impl PermissionArgs {
    /// The given flags as a permission patch: flags not given are left out,
    /// so the admin API keeps their current (or default) value.
    fn patch(&self) -> ResourcePatch {
        let company_id = match (self.company, self.all_companies) {
            (_, true) => Some(None),
            (Some(company), false) => Some(Some(company)),
            (None, false) => None,
        };
        let read_only = match (self.read_only, self.writable) {
            (_, true) => Some(false),
            (true, false) => Some(true),
            (false, false) => None,
        };
        let policy = |name: &str, fields: &str| (name.to_string(), split_list(fields));
        let fields = match (&self.allow_fields, &self.deny_fields) {
            (Some(f), _) => Some(policy("allowlist", f)),
            (None, Some(f)) => Some(policy("denylist", f)),
            _ => None,
        };
        let fields = if self.all_fields { Some(("all".to_string(), Vec::new())) } else { fields };
        let (field_policy, fields) = fields.map_or((None, None), |(name, fields)| (Some(name), Some(fields)));
        ResourcePatch {
            company_id,
            read_only,
            ops: self.ops.clone(),
            field_policy,
            fields,
            record_filter: self.filter.clone(),
            execute_methods: self.execute.as_deref().map(split_list),
            approve_create: self.approve_create.clone(),
            approve_write: self.approve_write.clone(),
            approve_delete: self.approve_delete.clone(),
            approve_execute: self.approve_execute.clone(),
            approve_write_over: self.approve_write_over,
            approve_methods: self.approve_methods.as_deref().map(split_list),
        }
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

fn or_all(company: Option<u32>) -> String {
    company.map_or_else(|| "all".into(), |c| c.to_string())
}

pub fn settings(api: &AdminClient, cmd: SettingsCommand, as_json: bool) -> Result<(), CliError> {
    match cmd {
        SettingsCommand::Show => {
            let shown = api.call(ShowSettings {})?;
            if as_json {
                json(&shown);
            } else {
                let rows: Vec<Vec<String>> = shown
                    .settings
                    .iter()
                    .map(|s| vec![s.key.clone(), s.value.to_string(), s.allowed.clone(), s.source.clone()])
                    .collect();
                table(&["SETTING", "VALUE", "ALLOWED", "SOURCE"], &rows);
                for w in &shown.warnings {
                    println!("warning: {w}");
                }
            }
        }
        SettingsCommand::Set { key, value } => {
            let stored = api.call(SetSetting { key: key.clone(), value })?;
            if as_json {
                json(&stored);
            } else {
                println!("{key} = {}", stored.value);
            }
        }
    }
    Ok(())
}

fn print_resources(resources: &[ResourceView], as_json: bool) {
    // A resource stored without being checked against Odoo says why.
    for warning in resources.iter().filter_map(|r| r.warning.as_deref()) {
        eprintln!("warning: {warning}");
    }
    if as_json {
        json(&resources);
        return;
    }
    let rows: Vec<Vec<String>> = resources
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.model.clone(),
                or_all(r.company_id),
                if r.read_only { "yes".into() } else { "no".into() },
                r.effective_operations.join(","),
                if r.fields.is_empty() {
                    r.field_policy.clone()
                } else {
                    format!("{}: {}", r.field_policy, r.fields.join(","))
                },
                filter_cell(r),
                r.approvals.summary.clone(),
            ]
        })
        .collect();
    table(&["ID", "MODEL", "COMPANY", "READ-ONLY", "OPERATIONS", "FIELDS", "FILTER", "APPROVALS"], &rows);
}

/// The filter, flagged when it does not parse (the resource then refuses
/// every request until it is fixed).
fn filter_cell(r: &ResourceView) -> String {
    if r.record_filter_error.is_some() {
        format!("BROKEN, refuses all requests: {}", r.record_filter)
    } else {
        r.record_filter.clone()
    }
}

pub fn resources(api: &AdminClient, cmd: ResourcesCommand, as_json: bool) -> Result<(), CliError> {
    match cmd {
        ResourcesCommand::List => print_resources(&api.call(ListResources {})?, as_json),
        ResourcesCommand::Add { models, permissions } => {
            let added = api.call(AddResources { models, patch: permissions.patch() })?;
            print_resources(&added, as_json);
        }
        ResourcesCommand::Edit { resource, model, permissions } => {
            let edited = api.call(EditResource { resource, model, patch: permissions.patch() })?;
            print_resources(&[edited], as_json);
        }
        ResourcesCommand::Remove { resource } => {
            let removed = api.call(RemoveResource { resource })?;
            if as_json {
                json(&removed);
            } else {
                println!("removed resource {} ({})", removed.id, removed.model);
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

fn credential_row(c: &CredentialView) -> Vec<String> {
    let never = |v: &Option<String>| v.clone().unwrap_or_else(|| "never".into());
    vec![
        c.id.to_string(),
        c.label.clone(),
        format!("{} ({})", c.login, c.user_id),
        c.scope.clone(),
        or_all(c.company_id),
        never(&c.expires_on),
        c.status.clone(),
        never(&c.last_used).chars().take(10).collect(),
        c.request_count.to_string(),
    ]
}

pub fn credentials(api: &AdminClient, cmd: CredentialsCommand, as_json: bool) -> Result<(), CliError> {
    match cmd {
        CredentialsCommand::List => {
            let all = api.call(ListCredentials {})?;
            if as_json {
                json(&all);
            } else {
                let rows: Vec<Vec<String>> = all.iter().map(credential_row).collect();
                table(
                    &["ID", "LABEL", "USER", "SCOPE", "COMPANY", "EXPIRES", "STATUS", "LAST USED", "REQUESTS"],
                    &rows,
                );
            }
        }
        CredentialsCommand::Create(args) => {
            let key = read_key(&args)?;
            let created = api.call(CreateCredential {
                label: args.label,
                user_id: args.user_id,
                login: args.login,
                scope: Some(args.scope),
                expires: args.expires,
                company_id: args.company,
                key: SecretText(key),
                check: true,
            })?;
            if as_json {
                json(&created);
            } else {
                println!("created credential {} ({}) for {}", created.id, created.label, created.login);
            }
        }
        CredentialsCommand::Revoke { id } => {
            let revoked = api.call(RevokeCredential { id })?;
            if as_json {
                json(&revoked);
            } else {
                println!("revoked credential {} ({})", revoked.id, revoked.label);
            }
        }
    }
    Ok(())
}
