//! Reaching the running daemon over its admin socket: the dashboard's
//! connection, and the admin commands when the config file cannot be read.
//! The packaged file is 0640 root:alpenglow (0600 when it holds the service
//! key), so an admin allowed on the socket (`admin_socket_group`) may still
//! be refused the file; these commands need nothing of it but the socket,
//! and everything they show then comes from the daemon.

use super::{CliError, Command, admin_cmds, backup_cmds, oauth_cmds, traffic_cmds};
use crate::admin_socket::AdminClient;
use crate::config::boot::{BootConfig, Overrides, process_env};
use std::io::ErrorKind;
use std::path::Path;

/// `alpenglow tui` on `socket` (the packaged service's when `packaged`).
pub(super) fn dashboard(socket: &Path, packaged: bool) -> Result<(), CliError> {
    let client = AdminClient::connect(socket).map_err(|e| CliError::Failed(cannot_connect(socket, &e, packaged)))?;
    crate::tui::run(client).map_err(CliError::Failed)
}

/// Whether `command` can do its work over the daemon's socket alone.
pub(super) fn needs_only_the_socket(command: &Command) -> bool {
    matches!(
        command,
        Command::Tui
            | Command::Settings(_)
            | Command::Resources(_)
            | Command::Credentials(_)
            | Command::Oauth(_)
            | Command::Audit(_)
            | Command::Sessions(_)
            | Command::Jobs(_)
            | Command::Backup(_)
    )
}

/// Whether the config file exists but this user cannot read it (a missing
/// file named with `--config` is a mistake to report, not to work around).
pub(super) fn config_unreadable(overrides: &Overrides) -> bool {
    BootConfig::file_to_read(overrides, &process_env)
        .is_some_and(|file| std::fs::read(file).is_err_and(|e| e.kind() != ErrorKind::NotFound))
}

/// Runs `command` over the daemon's socket alone; `unreadable` says why the
/// config file could not be used. When the socket does not answer either,
/// the error names both and what access is missing.
pub(super) fn without_config(
    command: Command,
    overrides: &Overrides,
    unreadable: String,
    json: bool,
) -> Result<(), CliError> {
    let (socket, packaged) = BootConfig::daemon_socket(overrides, &process_env);
    let api = AdminClient::connect(&socket)
        .map_err(|e| CliError::Failed(format!("{unreadable}; and {}", cannot_connect(&socket, &e, packaged))))?;
    match command {
        Command::Tui => crate::tui::run(api).map_err(CliError::Failed),
        Command::Settings(cmd) => admin_cmds::settings(&api, cmd, json),
        Command::Resources(cmd) => admin_cmds::resources(&api, cmd, json),
        Command::Credentials(cmd) => admin_cmds::credentials(&api, cmd, json),
        Command::Oauth(cmd) => oauth_cmds::oauth(&api, cmd, json),
        Command::Audit(cmd) => traffic_cmds::audit(&api, cmd, json),
        Command::Sessions(cmd) => traffic_cmds::sessions(&api, cmd, json),
        Command::Jobs(cmd) => traffic_cmds::jobs(&api, cmd, json),
        Command::Backup(args) => backup_cmds::backup(&api, &args, json),
        _ => Err(CliError::Invalid(unreadable)),
    }
}

/// Why the daemon's socket cannot be used, and what to do about it.
fn cannot_connect(socket: &Path, e: &std::io::Error, packaged: bool) -> String {
    let shown = socket.display();
    match e.kind() {
        // The socket (0600 for the service's user, 0660 with
        // admin_socket_group) or its directory (/run/alpenglow, 0750 for the
        // alpenglow group) does not let this user in.
        ErrorKind::PermissionDenied => format!(
            "this user (uid {}) may not use the admin socket {shown} ({e}): run as root (sudo alpenglow ...), or let the alpenglow group in: set admin_socket_group = \"alpenglow\" in the config file and restart the service (the socket becomes 0660), then add the admin to the group (usermod -aG alpenglow NAME) and log in again",
            current_uid()
        ),
        _ if packaged => format!(
            "no daemon answers on the admin socket {shown} ({e}): start the service first (systemctl enable --now alpenglow), then run alpenglow tui as root or as a member of its admin_socket_group"
        ),
        _ => format!(
            "no daemon answers on the admin socket {shown} ({e}): start `alpenglow serve` (or `alpenglow demo`), or name the socket with ALPENGLOW_ADMIN_SOCKET"
        ),
    }
}

fn current_uid() -> u32 {
    // SAFETY: getuid(2) cannot fail and touches no memory.
    unsafe { libc::getuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_socket_says_which_access_is_missing() {
        let socket = Path::new("/run/alpenglow/admin.sock");
        let refused = std::io::Error::from(ErrorKind::PermissionDenied);
        let said = cannot_connect(socket, &refused, true);
        assert!(said.contains("may not use the admin socket /run/alpenglow/admin.sock"), "{said}");
        assert!(
            said.contains("admin_socket_group = \"alpenglow\"") && said.contains("usermod -aG alpenglow"),
            "{said}"
        );
        let absent = std::io::Error::from(ErrorKind::NotFound);
        let said = cannot_connect(socket, &absent, true);
        assert!(said.starts_with("no daemon answers") && said.contains("systemctl enable --now alpenglow"), "{said}");
        let said = cannot_connect(Path::new("alpenglow-data/admin.sock"), &absent, false);
        assert!(said.contains("alpenglow serve") && said.contains("ALPENGLOW_ADMIN_SOCKET"), "{said}");
    }
}
