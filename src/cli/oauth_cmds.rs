//! `alpenglow oauth`: the remote connectors' side for admins. Registered
//! clients, grants (per credential) with revoke, and sign-up requests with
//! approve and refuse, through the daemon's socket or the store directly.
//! Switching OAuth on and its defaults are settings (`oauth_*`).

use super::CliError;
use super::output::{json, table};
use crate::admin::api::{ApproveSignup, ListGrants, ListOAuthClients, ListSignups, RefuseSignup, RevokeGrant};
use crate::admin_socket::AdminClient;
use clap::Subcommand;

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

fn day(value: &Option<String>) -> String {
    match value {
        Some(t) => t.chars().take(16).collect::<String>().replace('T', " "),
        None => "never".into(),
    }
}

pub fn oauth(api: &AdminClient, cmd: OAuthCommand, as_json: bool) -> Result<(), CliError> {
    match cmd {
        OAuthCommand::Clients => {
            let clients = api.call(ListOAuthClients {})?;
            if as_json {
                json(&clients);
                return Ok(());
            }
            let rows: Vec<Vec<String>> = clients
                .iter()
                .map(|c| {
                    vec![
                        c.client_id.clone(),
                        c.name.clone(),
                        c.redirect_uris.join(" "),
                        day(&c.registered_at),
                        c.registered_ip.clone(),
                    ]
                })
                .collect();
            table(&["CLIENT ID", "NAME", "REDIRECT URIS", "REGISTERED", "FROM"], &rows);
        }
        OAuthCommand::Grants { credential, all } => {
            let grants = api.call(ListGrants { credential, all })?;
            if as_json {
                json(&grants);
                return Ok(());
            }
            let rows: Vec<Vec<String>> = grants
                .iter()
                .map(|g| {
                    vec![
                        g.id.to_string(),
                        format!("{} ({})", g.client, g.client_host),
                        g.credential_id.to_string(),
                        format!("{} ({})", g.login, g.uid),
                        g.scopes.clone(),
                        day(&g.created_at),
                        day(&g.last_used),
                        g.status.clone(),
                    ]
                })
                .collect();
            table(&["ID", "CLIENT", "CREDENTIAL", "USER", "SCOPES", "CREATED", "LAST USED", "STATUS"], &rows);
        }
        OAuthCommand::Revoke { id } => {
            let revoked = api.call(RevokeGrant { id })?;
            if as_json {
                json(&revoked);
            } else {
                println!(
                    "revoked grant {} ({} as {}); its tokens no longer work and the Odoo key it kept is erased",
                    revoked.id, revoked.client, revoked.login
                );
            }
        }
        OAuthCommand::Signups => {
            let signups = api.call(ListSignups {})?;
            if as_json {
                json(&signups);
                return Ok(());
            }
            let rows: Vec<Vec<String>> = signups
                .iter()
                .map(|s| {
                    vec![
                        s.id.to_string(),
                        format!("{} ({}, uid {})", s.name, s.login, s.uid),
                        s.client.clone(),
                        day(&s.requested_at),
                        s.status.clone(),
                        s.credential_id.map(|c| c.to_string()).unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            table(&["ID", "PERSON", "CLIENT", "REQUESTED", "STATUS", "CREDENTIAL"], &rows);
        }
        OAuthCommand::Approve { id } => {
            let decided = api.call(ApproveSignup { id })?;
            if as_json {
                json(&decided);
            } else {
                println!(
                    "approved sign-up {} of {}: their next sign-in makes their credential (the oauth_signup_* defaults)",
                    decided.id, decided.login
                );
            }
        }
        OAuthCommand::Refuse { id } => {
            let decided = api.call(RefuseSignup { id })?;
            if as_json {
                json(&decided);
            } else {
                println!("refused sign-up {} of {}", decided.id, decided.login);
            }
        }
    }
    Ok(())
}
