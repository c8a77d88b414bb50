//! `alpenglow oauth`: the remote connectors' side for admins. Registered
//! clients, grants (per credential) with revoke, and sign-up requests with
//! approve and refuse, through the daemon's socket or the store directly.
//! Switching OAuth on and its defaults are settings (`oauth_*`).

use super::CliError;
use super::output::{json, table};
use crate::admin_socket::AdminApi;
use clap::Subcommand;
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub enum OAuthCommand {
    /// List the clients registered by Dynamic Client Registration.
    Clients,
    /// List grants (a client acting as a person), newest first.
    Grants {
        /// Only the grants of this credential.
        #[arg(long, value_name = "ID")]
        credential: Option<u64>,
        /// Include revoked grants.
        #[arg(long)]
        all: bool,
    },
    /// Revoke a grant: its tokens stop working and the Odoo key it kept is erased.
    Revoke {
        /// Grant id.
        id: u64,
    },
    /// List sign-up requests (people without a credential who signed in).
    Signups,
    /// Approve a sign-up: the person's next sign-in makes their credential.
    Approve {
        /// Sign-up request id.
        id: u64,
    },
    /// Refuse a sign-up.
    Refuse {
        /// Sign-up request id.
        id: u64,
    },
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

fn day(value: &Value) -> String {
    match value.as_str() {
        Some(t) => t.chars().take(16).collect::<String>().replace('T', " "),
        None => "never".into(),
    }
}

fn items(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

pub fn oauth(api: &dyn AdminApi, cmd: OAuthCommand, as_json: bool) -> Result<(), CliError> {
    match cmd {
        OAuthCommand::Clients => {
            let clients = api.call("oauth.clients", Value::Null)?;
            if as_json {
                json(&clients);
                return Ok(());
            }
            let rows: Vec<Vec<String>> = items(&clients)
                .iter()
                .map(|c| {
                    let uris: Vec<String> = items(&c["redirect_uris"]).iter().map(text).collect();
                    vec![
                        text(&c["client_id"]),
                        text(&c["name"]),
                        uris.join(" "),
                        day(&c["registered_at"]),
                        text(&c["registered_ip"]),
                    ]
                })
                .collect();
            table(&["CLIENT ID", "NAME", "REDIRECT URIS", "REGISTERED", "FROM"], &rows);
        }
        OAuthCommand::Grants { credential, all } => {
            let grants = api.call("oauth.grants", json!({"credential": credential, "all": all}))?;
            if as_json {
                json(&grants);
                return Ok(());
            }
            let rows: Vec<Vec<String>> = items(&grants)
                .iter()
                .map(|g| {
                    vec![
                        text(&g["id"]),
                        format!("{} ({})", text(&g["client"]), text(&g["client_host"])),
                        text(&g["credential_id"]),
                        format!("{} ({})", text(&g["login"]), text(&g["uid"])),
                        text(&g["scopes"]),
                        day(&g["created_at"]),
                        day(&g["last_used"]),
                        text(&g["status"]),
                    ]
                })
                .collect();
            table(&["ID", "CLIENT", "CREDENTIAL", "USER", "SCOPES", "CREATED", "LAST USED", "STATUS"], &rows);
        }
        OAuthCommand::Revoke { id } => {
            let revoked = api.call("oauth.revoke", json!({"id": id}))?;
            if as_json {
                json(&revoked);
            } else {
                println!(
                    "revoked grant {} ({} as {}); its tokens no longer work and the Odoo key it kept is erased",
                    text(&revoked["id"]),
                    text(&revoked["client"]),
                    text(&revoked["login"])
                );
            }
        }
        OAuthCommand::Signups => {
            let signups = api.call("oauth.signups", Value::Null)?;
            if as_json {
                json(&signups);
                return Ok(());
            }
            let rows: Vec<Vec<String>> = items(&signups)
                .iter()
                .map(|s| {
                    vec![
                        text(&s["id"]),
                        format!("{} ({}, uid {})", text(&s["name"]), text(&s["login"]), text(&s["uid"])),
                        text(&s["client"]),
                        day(&s["requested_at"]),
                        text(&s["status"]),
                        text(&s["credential_id"]),
                    ]
                })
                .collect();
            table(&["ID", "PERSON", "CLIENT", "REQUESTED", "STATUS", "CREDENTIAL"], &rows);
        }
        OAuthCommand::Approve { id } | OAuthCommand::Refuse { id } => {
            let approve = matches!(cmd, OAuthCommand::Approve { .. });
            let op = if approve { "oauth.approve" } else { "oauth.refuse" };
            let decided = api.call(op, json!({"id": id}))?;
            if as_json {
                json(&decided);
            } else if approve {
                println!(
                    "approved sign-up {} of {}: their next sign-in makes their credential (the oauth_signup_* defaults)",
                    text(&decided["id"]),
                    text(&decided["login"])
                );
            } else {
                println!("refused sign-up {} of {}", text(&decided["id"]), text(&decided["login"]));
            }
        }
    }
    Ok(())
}
