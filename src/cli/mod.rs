//! Command-line parsing and wiring. Nothing here decides anything: each
//! command turns its arguments into a call on the admin service (or starts a
//! server) and prints the answer for people, or as JSON with `--json`.
//!
//! Exit codes: 0 success, 1 the operation failed (store locked, I/O), 2 the
//! input was refused (bad flag, out-of-range value, unknown id). Errors are
//! one line on stderr.

mod admin_cmds;
mod approval_cmds;
mod backup_cmds;
mod daemon;
mod oauth_cmds;
mod output;
mod traffic_cmds;

use crate::admin::{AdminContext, AdminError, AdminService};
use crate::admin_socket::AdminClient;
use crate::admin_socket::server::SocketOptions;
use crate::config::boot::{BootConfig, Overrides, process_env};
use crate::store::Store;
use crate::upstream::UpstreamSlot;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

pub use output::CliError;

#[derive(Debug, Parser)]
#[command(name = "alpenglow", version, about = "A safe gateway between AI assistants (MCP) and Odoo")]
pub struct Cli {
    /// Boot configuration file (TOML). Default: /etc/alpenglow/alpenglow.toml
    /// under systemd, else ./alpenglow.toml if present, else the packaged
    /// /etc/alpenglow/alpenglow.toml if present.
    #[arg(long, global = true, env = "ALPENGLOW_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory holding the store. Default: /var/lib/alpenglow on a
    /// packaged install, else ./alpenglow-data.
    #[arg(long, global = true, env = "ALPENGLOW_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log level (serve, demo): error, warn, info, debug, trace, or a filter
    /// such as "info,alpenglow::faces=debug" (RUST_LOG syntax).
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Log format (serve, demo): plain (one line per event) or json.
    #[arg(long, global = true, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway on the configured store (made if it does not exist).
    Serve(ServeArgs),
    /// Make the data directory and an empty store (mode 0700). `serve`,
    /// `demo` and `restore` make theirs; no other command does.
    Init,
    /// Run the built-in demo: the sandbox Odoo and the gateway, MCP on, demo keys.
    Demo(DemoArgs),
    /// Show or change global settings.
    #[command(subcommand)]
    Settings(admin_cmds::SettingsCommand),
    /// List, add, edit or remove resources (models exposed to AI clients).
    #[command(subcommand)]
    Resources(admin_cmds::ResourcesCommand),
    /// List, create or revoke credentials.
    #[command(subcommand)]
    Credentials(admin_cmds::CredentialsCommand),
    /// Remote connectors (OAuth): registered clients, grants, sign-ups.
    #[command(subcommand)]
    Oauth(oauth_cmds::OAuthCommand),
    /// Search, follow or export the audit log.
    #[command(subcommand)]
    Audit(traffic_cmds::AuditCommand),
    /// List AI client sessions, or end one.
    #[command(subcommand)]
    Sessions(traffic_cmds::SessionsCommand),
    /// Writes held for approval: list, show, approve or deny them.
    #[command(subcommand)]
    Approvals(approval_cmds::ApprovalsCommand),
    /// Run one of the timers' jobs now.
    #[command(subcommand)]
    Jobs(traffic_cmds::JobsCommand),
    /// The terminal dashboard, talking to the running daemon over its admin socket.
    Tui,
    /// Write a consistent snapshot of the configuration (and optionally the audit log) to FILE,
    /// through the running daemon if there is one.
    Backup(BackupArgs),
    /// Replace the configuration (and the audit log, if the file has it) with a backup's.
    /// The daemon must be stopped first.
    Restore(RestoreArgs),
    /// Check the installation: config, permissions, admin socket, store, Odoo, clock, TLS.
    Doctor,
    /// MCP over stdio for Claude Desktop, forwarding to a remote Alpenglow.
    Bridge(BridgeArgs),
    /// Print ready-to-paste configuration for an MCP client, for this gateway.
    ClientConfig(ClientConfigArgs),
    /// Run the Odoo-compatible sandbox (JSON-2, JSON-RPC, XML-RPC over a sample dataset).
    Sandbox(SandboxArgs),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on (loopback only unless --allow-remote).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8765")]
    pub listen: SocketAddr,
    /// Allow a non-loopback listen address (the demo keys are public).
    #[arg(long)]
    pub allow_remote: bool,
    /// Delay every sandbox answer by this many milliseconds (tests of
    /// shutdown under load: requests stay in flight).
    #[arg(long, hide = true, value_name = "MS", default_value_t = 0)]
    pub sandbox_delay_ms: u64,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write (mode 0600: it holds credential hashes).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Include the audit log.
    #[arg(long)]
    pub with_audit: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `alpenglow backup`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct BridgeArgs {
    /// Base URL of the Alpenglow server, e.g. https://alpenglow.example.com (`/alpenglow/mcp` is appended).
    #[arg(long, env = "ALPENGLOW_URL", value_name = "URL")]
    pub url: String,
    /// Your Odoo API key.
    #[arg(long, visible_alias = "key", env = "ALPENGLOW_TOKEN", value_name = "KEY", hide_env_values = true)]
    pub token: String,
    /// Odoo database name (sent as X-Odoo-Database).
    #[arg(long, env = "ALPENGLOW_DB", value_name = "NAME")]
    pub db: Option<String>,
}

#[derive(Debug, Args)]
pub struct ClientConfigArgs {
    /// The client to configure.
    #[arg(value_enum)]
    pub client: crate::bridge::McpClient,
    /// Start a bridge (a local command) instead of speaking HTTP to the MCP
    /// URL: `official` (alpenglow-mcp-bridge via uvx) or `builtin`
    /// (`alpenglow bridge`). Claude Desktop always has one (default official).
    #[arg(long, value_enum)]
    pub bridge: Option<crate::bridge::BridgeKind>,
    /// The gateway's base URL as clients reach it. Default: what the running
    /// daemon reports, else the config's public_url, else its listener.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on (IP:PORT; port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8069")]
    pub listen: SocketAddr,
    /// Odoo version to behave as: 19 (JSON-2 and the RPC APIs) or 17 (RPC only).
    #[arg(long, value_name = "VERSION", default_value = "19")]
    pub odoo_version: crate::sandbox::OdooVersion,
    /// Database name served.
    #[arg(long, value_name = "NAME", default_value = "demo")]
    pub database: String,
    /// Delay before every response, in milliseconds (for timeout tests).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub delay_ms: u64,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (IP:PORT). Default from the config, else 127.0.0.1:8765.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

/// Parses the process arguments and runs the command.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return output::clap_failure(e),
    };
    if cli.command.prints_a_report() {
        end_quietly_on_a_closed_pipe();
    }
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}

impl Command {
    /// A command that prints a report and ends (not a server, the stdio
    /// bridge or the dashboard).
    fn prints_a_report(&self) -> bool {
        !matches!(self, Command::Serve(_) | Command::Demo(_) | Command::Sandbox(_) | Command::Bridge(_) | Command::Tui)
    }
}

/// `alpenglow audit export | head` should end as `cat` does when the reader
/// goes away, not panic in `println!` ("failed printing to stdout"). Rust
/// ignores SIGPIPE at start; a report command takes the default back. The
/// store is crash-safe, so ending mid-export loses nothing.
fn end_quietly_on_a_closed_pipe() {
    // SAFETY: setting a signal's disposition to the default, before any
    // thread of ours exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn dispatch(cli: Cli) -> Result<(), CliError> {
    // These two need no boot configuration (a packaged one may not be
    // readable by the user running them).
    let command = match cli.command {
        Command::Sandbox(args) => return sandbox(args),
        Command::Bridge(args) => return bridge(args),
        other => other,
    };
    let listen = match &command {
        Command::Serve(args) => args.listen,
        Command::Demo(args) => Some(args.listen),
        _ => None,
    };
    let overrides = Overrides {
        config: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        listen,
        log_level: cli.log_level.clone(),
        log_format: cli.log_format.clone(),
        ignore_system_layout: matches!(command, Command::Demo(_)),
    };
    let loaded = BootConfig::load(&overrides, &process_env);
    let json = cli.json;
    if let Command::Doctor = command {
        return doctor(loaded.map_err(|e| e.0), json);
    }
    let boot = match loaded {
        Ok(boot) => boot,
        // A config file this user may not read: the daemon's socket may still let them in.
        Err(e) if daemon::needs_only_the_socket(&command) && daemon::config_unreadable(&overrides) => {
            return daemon::without_config(command, &overrides, e.0, json);
        }
        Err(e) => return Err(CliError::Invalid(e.0)),
    };
    // The demo uses ./alpenglow-demo unless a data directory was named.
    let cli_data_dir = cli.data_dir.clone().or_else(|| process_env("ALPENGLOW_DATA_DIR").map(PathBuf::from));
    // A data directory named here is asked for: a change of the configuration
    // may make it. A default one (./alpenglow-data, the packaged one) is never
    // made but by serve, demo, restore and init.
    let make = if cli_data_dir.is_some() && changes_configuration(&command) { Make::Named } else { Make::Never };
    let api = |purpose: &str| admin_client(&boot, purpose, make);
    match command {
        Command::Sandbox(_) | Command::Bridge(_) | Command::Doctor => unreachable!("handled before"),
        Command::Serve(_) => serve(boot, overrides),
        Command::Init => init(&boot, json),
        Command::Demo(args) => demo(&cli_data_dir, boot, args, json),
        Command::Settings(cmd) => admin_cmds::settings(&api("alpenglow settings")?, cmd, json),
        Command::Resources(cmd) => admin_cmds::resources(&api("alpenglow resources")?, cmd, json),
        Command::Credentials(cmd) => admin_cmds::credentials(&api("alpenglow credentials")?, cmd, json),
        Command::Oauth(cmd) => oauth_cmds::oauth(&api("alpenglow oauth")?, cmd, json),
        Command::Audit(cmd) => traffic_cmds::audit(&api("alpenglow audit")?, cmd, json),
        Command::Sessions(cmd) => traffic_cmds::sessions(&api("alpenglow sessions")?, cmd, json),
        Command::Jobs(cmd) => traffic_cmds::jobs(&api("alpenglow jobs")?, cmd, json),
        Command::Approvals(cmd) => approval_cmds::approvals(&api("alpenglow approvals")?, cmd, json),
        Command::Tui => daemon::dashboard(&boot.admin_socket, boot.packaged),
        Command::ClientConfig(args) => client_config(&boot, args, json),
        Command::Backup(args) => backup_cmds::backup(&api("alpenglow backup")?, &args, json),
        Command::Restore(args) => backup_cmds::restore(&boot, &args, json),
    }
}

/// Whether a command may make the data directory it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Make {
    /// It was named with --data-dir or ALPENGLOW_DATA_DIR.
    Named,
    Never,
}

/// Commands that store configuration (and so may start a named store).
fn changes_configuration(command: &Command) -> bool {
    use admin_cmds::{CredentialsCommand as C, ResourcesCommand as R, SettingsCommand as S};
    match command {
        Command::Settings(cmd) => matches!(cmd, S::Set { .. }),
        Command::Resources(cmd) => !matches!(cmd, R::List),
        Command::Credentials(cmd) => !matches!(cmd, C::List),
        _ => false,
    }
}

/// `alpenglow init`: the data directory and an empty store, made on purpose.
fn init(boot: &BootConfig, json: bool) -> Result<(), CliError> {
    let existed = boot.data_dir.exists();
    Store::open_for(&boot.data_dir, "alpenglow init").map_err(|e| CliError::Failed(e.to_string()))?;
    let dir = std::path::absolute(&boot.data_dir).unwrap_or_else(|_| boot.data_dir.clone());
    if json {
        output::json(&serde_json::json!({"data_dir": dir, "created": !existed}));
    } else if existed {
        println!("{} holds a store (mode 0700); nothing else changed", dir.display());
    } else {
        println!("made {} (mode 0700) with an empty store", dir.display());
    }
    Ok(())
}

/// `alpenglow client-config`: the configuration on stdout (one line, to
/// paste), where it goes on stderr.
fn client_config(boot: &BootConfig, args: ClientConfigArgs, json: bool) -> Result<(), CliError> {
    let base = match args.url {
        Some(url) => match crate::config::settings::http_url_problem(url.trim()) {
            Some(why) => {
                return Err(CliError::Invalid(format!("--url {url:?} {why}; give an http:// or https:// URL")));
            }
            None => url.trim().to_string(),
        },
        None => gateway_url(boot),
    };
    let token = crate::tui::setup::KEY_PLACEHOLDER;
    let config = crate::bridge::client_config(args.client, args.bridge, &base, token);
    if json {
        output::json(&serde_json::json!({"text": config.text, "place": config.place, "url": base}));
    } else {
        println!("{}", config.text);
        eprintln!("paste into {}; put the user's Odoo API key for {token}", config.place);
    }
    Ok(())
}

/// The base URL clients reach: the running daemon's own word, else the
/// config's public_url, else its listener.
fn gateway_url(boot: &BootConfig) -> String {
    let reported = AdminClient::connect(&boot.admin_socket)
        .ok()
        .and_then(|client| client.call(crate::admin::api::GetStatus {}).ok()?.gateway.map(|g| g.url));
    let scheme = if boot.tls.is_some() { "https" } else { "http" };
    reported.or_else(|| boot.public_url.clone()).unwrap_or_else(|| format!("{scheme}://{}", boot.listen))
}

/// `alpenglow doctor`: every finding, then exit 1 if any check failed.
fn doctor(boot: Result<BootConfig, String>, json: bool) -> Result<(), CliError> {
    let open = |boot: &BootConfig| {
        admin_client(boot, "alpenglow doctor", Make::Never).map_err(|e| match e {
            CliError::Invalid(m) | CliError::Failed(m) => m,
        })
    };
    let findings = crate::doctor::run(boot, &open);
    if json {
        output::json(&serde_json::Value::Array(findings.iter().map(|f| f.to_json()).collect()));
    } else {
        for finding in &findings {
            println!("{}", finding.line());
        }
    }
    let failed = findings.iter().filter(|f| f.status == crate::doctor::Status::Fail).count();
    match failed {
        0 => Ok(()),
        n => Err(CliError::Failed(format!("{n} check{} failed", if n == 1 { "" } else { "s" }))),
    }
}

/// The admin service over the store of a daemon (`serve`, `demo`): the data
/// directory is made if it does not exist.
fn open_admin(boot: &BootConfig, purpose: &str) -> Result<AdminService, CliError> {
    let store = Store::open_for(&boot.data_dir, purpose).map_err(|e| CliError::Failed(e.to_string()))?;
    let scheme = if boot.tls.is_some() { "https" } else { "http" };
    let public_base = boot.public_url.clone().unwrap_or_else(|| format!("{scheme}://{}", boot.listen));
    Ok(AdminService::new(store, boot.odoo.clone()).with_public_base(public_base))
}

/// The admin service for the admin commands when no daemon answers: over an
/// existing store, or one named for a change (`make`).
fn open_existing_admin(boot: &BootConfig, purpose: &str, make: Make) -> Result<AdminService, CliError> {
    refuse_foreign_store_as_root(&boot.data_dir)?;
    let opened = match make {
        Make::Named => Store::open_for(&boot.data_dir, purpose),
        Make::Never => Store::open_existing(&boot.data_dir, purpose),
    };
    let store = opened.map_err(|e| match e {
        crate::store::StoreError::Missing { dir } => CliError::Failed(format!(
            "no daemon answers on {} and there is no data directory {}: {}",
            boot.admin_socket.display(),
            dir.display(),
            if boot.packaged {
                "start the service (systemctl start alpenglow), or run as the user it runs as"
            } else {
                "start the daemon (alpenglow serve), name its data directory (--data-dir or ALPENGLOW_DATA_DIR) or its socket (ALPENGLOW_ADMIN_SOCKET), or make a new one with `alpenglow init`"
            }
        )),
        other => CliError::Failed(other.to_string()),
    })?;
    Ok(AdminService::new(store, boot.odoo.clone()))
}

/// Root writing into the service user's store would leave files that user
/// cannot open: the service would not start again. Go through the daemon.
fn refuse_foreign_store_as_root(dir: &std::path::Path) -> Result<(), CliError> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    let euid = unsafe { libc::geteuid() };
    match std::fs::metadata(dir) {
        Ok(meta) if euid == 0 && meta.uid() != 0 => Err(CliError::Failed(format!(
            "no daemon answers, and the data directory {} belongs to uid {} (the service's user): start the service (systemctl start alpenglow) and try again, or run as that user (sudo -u alpenglow alpenglow ...)",
            dir.display(),
            meta.uid()
        ))),
        _ => Ok(()),
    }
}

/// The daemon's store, with the audit signing key loaded (made on first start).
fn open_daemon_admin(boot: &BootConfig, purpose: &str) -> Result<AdminService, CliError> {
    let admin = open_admin(boot, purpose)?;
    admin
        .rooms()
        .audit()
        .load_key(&boot.audit_signing_key, true)
        .map_err(|e| CliError::Failed(format!("the audit signing key: {e}")))?;
    Ok(admin)
}

/// The admin API: the running daemon's socket when one answers, else the
/// store opened here (refused with the holder's name if another process has
/// it), so `audit export` works after the daemon is gone, even after kill -9.
fn admin_client(boot: &BootConfig, purpose: &str, make: Make) -> Result<AdminClient, CliError> {
    let open = || {
        let admin = open_existing_admin(boot, purpose, make)?;
        // The key if this user can read it (cleanup signs its prune
        // checkpoint), else its .pub (verify). Made here only by the data
        // directory's owner, so a CLI run as another user (root) cannot
        // leave a key the daemon cannot read.
        let create = owns(&boot.data_dir);
        if let Err(e) = admin.rooms().audit().load_key(&boot.audit_signing_key, create) {
            tracing::warn!(error = %e, "the audit signing key was not loaded");
        }
        // A bad service key matters to the daemon, which refuses to start;
        // here it would only block commands that never use it.
        Ok(AdminContext::new(admin, UpstreamSlot::default(), service_key(boot).unwrap_or(None), "direct"))
    };
    AdminClient::connect_or_open(&boot.admin_socket, open, |e| CliError::Failed(format!("cannot start: {e}")))
}

/// Whether this process's user owns `dir`.
fn owns(dir: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: getuid has no preconditions and cannot fail.
    std::fs::metadata(dir).is_ok_and(|m| m.uid() == unsafe { libc::getuid() })
}

/// The gateway's own Odoo key from the boot config, if any.
fn service_key(boot: &BootConfig) -> Result<Option<crate::config::ApiKey>, CliError> {
    boot.odoo
        .service_key
        .as_deref()
        .map(|k| crate::config::ApiKey::parse(k).map_err(|e| CliError::Invalid(format!("[odoo] service_key: {}", e.0))))
        .transpose()
}

fn socket_options(boot: &BootConfig) -> SocketOptions {
    SocketOptions { path: boot.admin_socket.clone(), group: boot.admin_socket_group.clone() }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Runtime::new().map_err(|e| CliError::Failed(format!("cannot start: {e}")))
}

/// Starts logging for a daemon command.
fn start_logging(boot: &BootConfig) -> Result<crate::logging::LogHandle, CliError> {
    crate::logging::init(&boot.log_level, boot.log_format).map_err(CliError::Failed)
}

fn serve(boot: BootConfig, overrides: Overrides) -> Result<(), CliError> {
    let log = start_logging(&boot)?;
    let admin = open_daemon_admin(&boot, "alpenglow serve")?;
    let service_key = service_key(&boot)?;
    let reload = Box::new(move || BootConfig::load(&overrides, &process_env).map_err(|e| e.0));
    let options = crate::serve::ServeOptions { boot, reload, log, service_key };
    runtime()?.block_on(crate::serve::run(admin, options)).map_err(CliError::Failed)
}

fn demo(data_dir: &Option<PathBuf>, mut boot: BootConfig, args: DemoArgs, json: bool) -> Result<(), CliError> {
    let demo_dir = data_dir.clone().unwrap_or_else(|| PathBuf::from("alpenglow-demo"));
    // The socket follows the demo's own directory unless it was named.
    if !boot.admin_socket_named {
        boot.admin_socket = demo_dir.join("admin.sock");
    }
    boot.data_dir = demo_dir;
    let _log = start_logging(&boot)?;
    let admin = open_daemon_admin(&boot, "alpenglow demo")?;
    let oauth_key_file = boot.oauth_key_file.clone().unwrap_or_else(|| boot.data_dir.join("oauth-demo.key"));
    let options = crate::demo::DemoOptions {
        oauth_key_file,
        listen: args.listen,
        json,
        allow_remote: args.allow_remote,
        admin_socket: socket_options(&boot),
        sandbox_delay: std::time::Duration::from_millis(args.sandbox_delay_ms),
        http: boot.http,
    };
    runtime()?.block_on(crate::demo::run(admin, options)).map_err(|e| match e {
        crate::demo::DemoError::Refused(m) => CliError::Invalid(m),
        crate::demo::DemoError::Failed(m) => CliError::Failed(m),
    })
}

fn bridge(args: BridgeArgs) -> Result<(), CliError> {
    let token =
        crate::config::ApiKey::parse(&args.token).map_err(|e| CliError::Invalid(format!("--token: {}", e.0)))?;
    let options = crate::bridge::BridgeOptions { url: args.url, token, database: args.db };
    runtime()?.block_on(crate::bridge::run(options)).map_err(CliError::Failed)
}

fn sandbox(args: SandboxArgs) -> Result<(), CliError> {
    let options = crate::sandbox::SandboxOptions {
        listen: args.listen,
        version: args.odoo_version,
        database: args.database,
        delay: std::time::Duration::from_millis(args.delay_ms),
    };
    runtime()?.block_on(crate::sandbox::run(options)).map_err(|e| CliError::Failed(e.to_string()))
}

impl From<AdminError> for CliError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Invalid(m) | AdminError::Conflict(m) | AdminError::NotFound(m) => CliError::Invalid(m),
            AdminError::Store(e) => CliError::Failed(e.to_string()),
        }
    }
}
