//! Boot configuration: what the process needs before it opens the store.
//!
//! Sources, lowest precedence first: built-in defaults, the TOML file, the
//! `ALPENGLOW_*` environment, command-line flags. The file is
//! `$CONFIGURATION_DIRECTORY/alpenglow.toml` under systemd, else
//! `./alpenglow.toml` when present, else the packaged install's
//! `/etc/alpenglow/alpenglow.toml` when present; a missing default file is
//! not an error, a missing file named by `--config` is.
//!
//! A packaged install (its config file loaded, or its admin socket present)
//! gives the other defaults too: the data directory `/var/lib/alpenglow` and
//! the socket `/run/alpenglow/admin.sock`, so an admin's shell finds the
//! service the way the service itself is configured. A data directory or a
//! socket named by a flag, the environment or the file still wins.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The `[odoo]` section: connection defaults. Values an admin stores with
/// `alpenglow settings set odoo_*` win over these. `Debug` hides the key.
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OdooDefaults {
    pub url: Option<String>,
    pub database: Option<String>,
    pub protocol: Option<String>,
    pub connect_timeout_seconds: Option<u32>,
    pub request_timeout_seconds: Option<u32>,
    pub ca_file: Option<String>,
    /// The gateway's own Odoo API key, for admin screens (model lists, doctor).
    /// Only ever read from this file (mode 0600) or a systemd credential.
    pub service_key: Option<String>,
}

impl OdooDefaults {
    /// Refuses a value the `odoo_*` setting of the same name would refuse,
    /// naming it as `name(key)` does: a bad value must stop the daemon at
    /// load, not be dropped and leave it talking to the wrong Odoo.
    fn check(&self, name: impl Fn(&str) -> String) -> Result<(), BootError> {
        let numbers = [
            ("connect_timeout_seconds", self.connect_timeout_seconds),
            ("request_timeout_seconds", self.request_timeout_seconds),
        ];
        let texts = [
            ("url", &self.url),
            ("database", &self.database),
            ("protocol", &self.protocol),
            ("ca_file", &self.ca_file),
        ];
        for (key, value) in texts.into_iter().filter_map(|(k, v)| Some((k, v.clone()?))) {
            check_odoo_value(key, &value, &name(key))?;
        }
        for (key, value) in numbers.into_iter().filter_map(|(k, v)| Some((k, v?))) {
            check_odoo_value(key, &value.to_string(), &name(key))?;
        }
        Ok(())
    }
}

/// Checks one `[odoo]` value with the rule of its `odoo_KEY` setting.
fn check_odoo_value(key: &str, value: &str, named: &str) -> Result<(), BootError> {
    let spec = super::settings::spec(&format!("odoo_{key}")).map_err(|e| BootError(e.0))?;
    spec.parse(value).map(drop).map_err(|_| {
        BootError(format!(
            "{named} must be {}; got {value:?} (the setting odoo_{key} has the same rule)",
            spec.range_text()
        ))
    })
}

/// The `[tls]` section: serve HTTPS with this certificate chain and key
/// (PEM). Both or neither. Re-read on SIGHUP, so a renewed certificate is
/// picked up without a restart.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

/// The file's layout. Every field optional: the file may set any subset.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    admin_socket: Option<PathBuf>,
    /// Group that may use the admin socket (mode 0660); none: owner only (0600).
    admin_socket_group: Option<String>,
    log_level: Option<String>,
    log_format: Option<String>,
    #[serde(default)]
    trusted_proxies: Vec<String>,
    #[serde(default)]
    allowed_origins: Vec<String>,
    /// A bearer token `/metrics` asks for; none: `/metrics` is open.
    metrics_token: Option<String>,
    /// The audit checkpoints' Ed25519 signing key (file 0600).
    audit_signing_key: Option<PathBuf>,
    /// The URL clients reach Alpenglow at, when a proxy stands in front.
    public_url: Option<String>,
    /// The key that seals people's Odoo keys kept for OAuth grants.
    oauth_key_file: Option<PathBuf>,
    #[serde(default)]
    tls: TlsFiles,
    #[serde(default)]
    http: super::HttpLimits,
    #[serde(default)]
    odoo: OdooDefaults,
}

/// Built-in TLS: the certificate chain and key files.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsPaths {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The effective boot configuration. `Debug` hides the metrics token and
/// the service key, so a logged config never carries a secret.
#[derive(Clone, PartialEq)]
pub struct BootConfig {
    /// Which file was read, if any.
    pub source: Option<PathBuf>,
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub admin_socket: PathBuf,
    pub admin_socket_group: Option<String>,
    /// A level or an `EnvFilter` directive list (RUST_LOG syntax).
    pub log_level: String,
    pub log_format: crate::logging::LogFormat,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub allowed_origins: Vec<String>,
    pub metrics_token: Option<String>,
    /// What clients are told to connect to (`https://alpenglow.example.com`,
    /// no trailing slash); none: the listener's own address.
    pub public_url: Option<String>,
    /// Where the key sealing people's Odoo keys (OAuth grants) is kept: see
    /// [`BootConfig::oauth_key_source`].
    pub oauth_key_file: Option<PathBuf>,
    pub tls: Option<TlsPaths>,
    /// The audit checkpoints' signing key: `audit_signing_key` in the file,
    /// else the systemd credential `audit_signing_key`, else
    /// `audit-signing.key` in the data directory (made on first start).
    pub audit_signing_key: PathBuf,
    /// The HMAC key of approval request states: the systemd credential
    /// `approval_key`, else `approval.key` in the data directory (made on
    /// first use; the data directory is the one place a hardened unit may
    /// write, where a sibling of it would not be).
    pub approval_key: PathBuf,
    /// The listener's timeouts and connection cap (`[http]`).
    pub http: super::HttpLimits,
    pub odoo: OdooDefaults,
    /// The admin socket was named (environment or file), not a default.
    pub admin_socket_named: bool,
    /// The packaged install's layout gave the defaults (see [`SystemLayout`]).
    pub packaged: bool,
}

/// Where a packaged install keeps its files: under `/`, or under the
/// directory `ALPENGLOW_SYSTEM_ROOT` names (a stand-in for tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemLayout {
    root: PathBuf,
}

impl SystemLayout {
    pub fn from_env(env: Env<'_>) -> SystemLayout {
        SystemLayout { root: env("ALPENGLOW_SYSTEM_ROOT").map_or_else(|| PathBuf::from("/"), PathBuf::from) }
    }

    /// `/etc/alpenglow/alpenglow.toml`.
    pub fn config(&self) -> PathBuf {
        self.root.join("etc/alpenglow/alpenglow.toml")
    }

    /// `/var/lib/alpenglow` (systemd's `StateDirectory=alpenglow`).
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("var/lib/alpenglow")
    }

    /// `/run/alpenglow/admin.sock` (in systemd's `RuntimeDirectory=alpenglow`).
    pub fn admin_socket(&self) -> PathBuf {
        self.root.join("run/alpenglow/admin.sock")
    }
}

/// How a secret shows in `Debug`: whether it is set, never its text.
fn redacted(secret: &Option<String>) -> &'static str {
    if secret.is_some() { "Some(<redacted>)" } else { "None" }
}

impl std::fmt::Debug for OdooDefaults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OdooDefaults")
            .field("url", &self.url)
            .field("database", &self.database)
            .field("protocol", &self.protocol)
            .field("connect_timeout_seconds", &self.connect_timeout_seconds)
            .field("request_timeout_seconds", &self.request_timeout_seconds)
            .field("ca_file", &self.ca_file)
            .field("service_key", &format_args!("{}", redacted(&self.service_key)))
            .finish()
    }
}

impl std::fmt::Debug for BootConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootConfig")
            .field("source", &self.source)
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("admin_socket", &self.admin_socket)
            .field("admin_socket_group", &self.admin_socket_group)
            .field("log_level", &self.log_level)
            .field("log_format", &self.log_format)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("allowed_origins", &self.allowed_origins)
            .field("metrics_token", &format_args!("{}", redacted(&self.metrics_token)))
            .field("public_url", &self.public_url)
            .field("oauth_key_file", &self.oauth_key_file)
            .field("tls", &self.tls)
            .field("audit_signing_key", &self.audit_signing_key)
            .field("approval_key", &self.approval_key)
            .field("http", &self.http)
            .field("odoo", &self.odoo)
            .field("admin_socket_named", &self.admin_socket_named)
            .field("packaged", &self.packaged)
            .finish()
    }
}

/// Values given on the command line; they win over everything.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub log_level: Option<String>,
    pub log_format: Option<String>,
    /// Leave the packaged install's files alone (the demo runs beside it,
    /// on its own directory).
    pub ignore_system_layout: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BootError(pub String);

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8765";

/// An environment lookup, so tests can pass their own.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Reads the real process environment.
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

impl BootConfig {
    pub fn load(overrides: &Overrides, env: Env<'_>) -> Result<BootConfig, BootError> {
        let under_systemd = env("INVOCATION_ID").is_some();
        let system = SystemLayout::from_env(env);
        let use_system = !overrides.ignore_system_layout;
        let (file, source) = match BootConfig::file_to_read(overrides, env) {
            Some(path) => (read_file(&path, &system)?, Some(path)),
            None => (FileConfig::default(), None),
        };
        // The packaged install's own file, or its daemon's socket: its layout.
        let packaged = use_system && (source.as_ref() == Some(&system.config()) || system.admin_socket().exists());

        let listen_text = env("ALPENGLOW_LISTEN").or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen = match overrides.listen {
            Some(addr) => addr,
            None => listen_text.parse().map_err(|_| {
                BootError(format!("listen address {listen_text:?} is not an IP:PORT address such as 127.0.0.1:8765"))
            })?,
        };

        let default_data_dir = env("STATE_DIRECTORY")
            .map(PathBuf::from)
            .unwrap_or_else(|| if under_systemd || packaged { system.data_dir() } else { "alpenglow-data".into() });
        let named_data_dir = overrides.data_dir.clone().or_else(|| env("ALPENGLOW_DATA_DIR").map(PathBuf::from));
        let data_dir = named_data_dir.clone().or(file.data_dir).unwrap_or(default_data_dir);

        let named_socket = env("ALPENGLOW_ADMIN_SOCKET").map(PathBuf::from).or(file.admin_socket);
        let admin_socket_named = named_socket.is_some();
        // A packaged daemon listens on its runtime directory's socket, wherever
        // its data lives; a data directory named here has its own socket.
        let system_socket = packaged && (named_data_dir.is_none() || data_dir == system.data_dir());
        let admin_socket = named_socket
            .or_else(|| env("RUNTIME_DIRECTORY").map(|d| PathBuf::from(d).join("admin.sock")))
            .unwrap_or_else(|| if system_socket { system.admin_socket() } else { data_dir.join("admin.sock") });

        let log_level = overrides
            .log_level
            .clone()
            .or_else(|| env("ALPENGLOW_LOG_LEVEL"))
            .or_else(|| env("RUST_LOG"))
            .or(file.log_level)
            .unwrap_or_else(|| "info".into())
            .to_ascii_lowercase();
        crate::logging::parse_filter(&log_level).map_err(BootError)?;
        let log_format = overrides
            .log_format
            .clone()
            .or_else(|| env("ALPENGLOW_LOG_FORMAT"))
            .or(file.log_format)
            .map(|f| crate::logging::LogFormat::parse(&f))
            .transpose()
            .map_err(BootError)?
            .unwrap_or_default();

        let mut trusted_proxies = Vec::new();
        for text in &file.trusted_proxies {
            trusted_proxies
                .push(text.parse().map_err(|_| BootError(format!("trusted_proxies: {text:?} is not an IP address")))?);
        }

        let tls = match (file.tls.cert, file.tls.key) {
            (Some(cert), Some(key)) => Some(TlsPaths { cert, key }),
            (None, None) => None,
            _ => return Err(BootError("[tls] needs both cert and key (PEM file paths), or neither".into())),
        };
        file.http.validate().map_err(BootError)?;
        let metrics_token = file.metrics_token.filter(|t| !t.trim().is_empty());
        let public_url = env("ALPENGLOW_PUBLIC_URL")
            .or(file.public_url)
            .filter(|u| !u.trim().is_empty())
            .map(|u| public_url(&u))
            .transpose()?;

        // The OAuth sealing key: the file named, else a systemd credential
        // (`LoadCredential=oauth_key:/etc/alpenglow/oauth_key`), else a file
        // beside the data directory, made on first use: never inside the
        // store or its backups.
        let oauth_key_file = match env("ALPENGLOW_OAUTH_KEY_FILE").map(PathBuf::from).or(file.oauth_key_file) {
            Some(path) if path.is_relative() => {
                return Err(BootError(format!("oauth_key_file {} must be an absolute path", path.display())));
            }
            Some(path) => Some(path),
            None => env("CREDENTIALS_DIRECTORY")
                .map(|dir| Path::new(&dir).join(OAUTH_KEY_CREDENTIAL))
                .filter(|path| path.exists()),
        };

        let mut odoo = file.odoo;
        odoo.check(|key| format!("[odoo] {key}"))?;
        for (var, key) in [
            ("ALPENGLOW_ODOO_URL", "url"),
            ("ALPENGLOW_ODOO_DATABASE", "database"),
            ("ALPENGLOW_ODOO_PROTOCOL", "protocol"),
        ] {
            if let Some(value) = env(var) {
                check_odoo_value(key, &value, var)?;
                match key {
                    "url" => odoo.url = Some(value),
                    "database" => odoo.database = Some(value),
                    _ => odoo.protocol = Some(value),
                }
            }
        }
        // The service key may come as a systemd credential
        // (`LoadCredential=odoo_service_key:/path`), so it need not sit in the
        // config file; the file's own key wins when both are given.
        if odoo.service_key.is_none()
            && let Some(dir) = env("CREDENTIALS_DIRECTORY")
        {
            let path = Path::new(&dir).join(SERVICE_KEY_CREDENTIAL);
            match std::fs::read_to_string(&path) {
                Ok(key) => odoo.service_key = Some(key.trim().to_string()).filter(|k| !k.is_empty()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(BootError(format!("cannot read the credential {}: {e}", path.display()))),
            }
        }

        // The signing key never sits in the store; a systemd credential
        // (`LoadCredential=audit_signing_key:/path`) keeps it off the data directory.
        let audit_signing_key = file.audit_signing_key.unwrap_or_else(|| {
            env("CREDENTIALS_DIRECTORY")
                .map(|dir| Path::new(&dir).join(SIGNING_KEY_CREDENTIAL))
                .filter(|p| p.exists())
                .unwrap_or_else(|| data_dir.join(SIGNING_KEY_FILE))
        });

        let approval_key = env("CREDENTIALS_DIRECTORY")
            .map(|dir| Path::new(&dir).join(APPROVAL_KEY_CREDENTIAL))
            .filter(|p| p.exists())
            .unwrap_or_else(|| data_dir.join(APPROVAL_KEY_FILE));

        Ok(BootConfig {
            source,
            listen,
            data_dir,
            admin_socket,
            admin_socket_group: file.admin_socket_group,
            log_level,
            log_format,
            trusted_proxies,
            allowed_origins: file.allowed_origins,
            metrics_token,
            public_url,
            oauth_key_file,
            tls,
            audit_signing_key,
            approval_key,
            http: file.http,
            odoo,
            admin_socket_named,
            packaged,
        })
    }

    /// The config file [`BootConfig::load`] reads: the one named (`--config`,
    /// `ALPENGLOW_CONFIG`), else the first default that exists; none when no
    /// default exists.
    pub fn file_to_read(overrides: &Overrides, env: Env<'_>) -> Option<PathBuf> {
        let explicit = overrides.config.clone().or_else(|| env("ALPENGLOW_CONFIG").map(PathBuf::from));
        if explicit.is_some() {
            return explicit;
        }
        let system = SystemLayout::from_env(env);
        let local = PathBuf::from("alpenglow.toml");
        let default_file = match env("CONFIGURATION_DIRECTORY") {
            Some(dir) => Some(PathBuf::from(dir).join("alpenglow.toml")),
            None if env("INVOCATION_ID").is_some() => Some(system.config()),
            None if local.exists() => Some(local),
            None if !overrides.ignore_system_layout && system.config().exists() => Some(system.config()),
            None => None,
        };
        default_file.filter(|f| f.exists())
    }

    /// The daemon's admin socket as found without the config file (which
    /// this user may not be allowed to read): `ALPENGLOW_ADMIN_SOCKET`, the
    /// runtime directory's, a named data directory's, the packaged
    /// install's, else `./alpenglow-data/admin.sock`. The same places
    /// [`BootConfig::load`] picks when the file names no `admin_socket` or
    /// `data_dir`; and whether they are the packaged install's.
    pub fn daemon_socket(overrides: &Overrides, env: Env<'_>) -> (PathBuf, bool) {
        let system = SystemLayout::from_env(env);
        let packaged = !overrides.ignore_system_layout && (system.config().exists() || system.admin_socket().exists());
        if let Some(named) = env("ALPENGLOW_ADMIN_SOCKET") {
            return (PathBuf::from(named), false);
        }
        if let Some(dir) = env("RUNTIME_DIRECTORY") {
            return (PathBuf::from(dir).join("admin.sock"), false);
        }
        match overrides.data_dir.clone().or_else(|| env("ALPENGLOW_DATA_DIR").map(PathBuf::from)) {
            Some(dir) if !(packaged && dir == system.data_dir()) => (dir.join("admin.sock"), false),
            _ if packaged => (system.admin_socket(), true),
            _ => (PathBuf::from("alpenglow-data/admin.sock"), false),
        }
    }

    /// The file holding the key that seals people's Odoo keys for OAuth:
    /// `oauth_key_file` or the systemd credential when given, else
    /// `<data dir>.oauth-key` beside the data directory (outside the store,
    /// so a copy of the database or a backup does not carry it).
    pub fn oauth_key_path(&self) -> PathBuf {
        match &self.oauth_key_file {
            Some(path) => path.clone(),
            None => sibling_key_file(&self.data_dir),
        }
    }
}

/// `<dir>.oauth-key`: the default place of the OAuth sealing key.
pub fn sibling_key_file(data_dir: &Path) -> PathBuf {
    let name = data_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "alpenglow".into());
    data_dir.with_file_name(format!("{name}.oauth-key"))
}

/// The systemd credential name of the OAuth sealing key.
pub const OAUTH_KEY_CREDENTIAL: &str = "oauth_key";

/// Checks a public URL and drops its trailing slash: an http(s) origin with
/// an optional path prefix, the base the MCP path is appended to.
fn public_url(text: &str) -> Result<String, BootError> {
    let refuse = |why: &str| {
        BootError(format!(
            "public_url {text:?} {why}; give the http(s) address clients reach Alpenglow at, such as https://alpenglow.example.com"
        ))
    };
    let text = text.trim();
    if let Some(why) = super::settings::http_url_problem(text) {
        return Err(refuse(why));
    }
    // Clients are told this address: no credentials in it, nothing after the path.
    let (_, rest) = text.split_once("://").unwrap_or_default();
    if rest.split('/').next().unwrap_or_default().contains('@') {
        return Err(refuse("has no plain host"));
    }
    if rest.contains(['?', '#']) {
        return Err(refuse("has a query or fragment"));
    }
    Ok(text.trim_end_matches('/').to_string())
}

/// The systemd credential name of the gateway's own Odoo API key.
pub const SERVICE_KEY_CREDENTIAL: &str = "odoo_service_key";
/// The audit signing key's file in the data directory, by default.
pub const SIGNING_KEY_FILE: &str = "audit-signing.key";
/// The systemd credential that may hold the audit signing key.
pub const SIGNING_KEY_CREDENTIAL: &str = "audit_signing_key";
/// The approval request states' key file in the data directory, by default.
pub const APPROVAL_KEY_FILE: &str = "approval.key";
/// The systemd credential that may hold the approval request states' key.
pub const APPROVAL_KEY_CREDENTIAL: &str = "approval_key";

fn read_file(path: &Path, system: &SystemLayout) -> Result<FileConfig, BootError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        // The packaged file is root's and the alpenglow group's (mode 0640).
        let whose = if e.kind() == std::io::ErrorKind::PermissionDenied && path == system.config() {
            " (the packaged install's: run as root or as the alpenglow user, or name another file with --config)"
        } else {
            ""
        };
        BootError(format!("cannot read the config file {}: {e}{whose}", path.display()))
    })?;
    toml::from_str(&text).map_err(|e| {
        let message = e.to_string();
        BootError(format!(
            "the config file {} is invalid: {}",
            path.display(),
            message.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join(" ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn the_approval_key_is_a_systemd_credential_or_a_file_in_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("creds");
        std::fs::create_dir(&creds).unwrap();
        std::fs::write(dir.path().join("none.toml"), "").unwrap();
        let data = dir.path().join("data");
        let overrides = Overrides {
            config: Some(dir.path().join("none.toml")),
            data_dir: Some(data.clone()),
            ..Default::default()
        };
        let env = env_of(&[("CREDENTIALS_DIRECTORY", creds.to_str().unwrap())]);
        // Inside the data directory: a hardened unit may write only there.
        assert_eq!(BootConfig::load(&overrides, &env).unwrap().approval_key, data.join("approval.key"));
        std::fs::write(creds.join(APPROVAL_KEY_CREDENTIAL), format!("{}\n", "ab".repeat(32))).unwrap();
        assert_eq!(BootConfig::load(&overrides, &env).unwrap().approval_key, creds.join("approval_key"));
    }

    #[test]
    fn the_service_key_may_come_as_a_systemd_credential() {
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("creds");
        std::fs::create_dir(&creds).unwrap();
        let none = Overrides { config: Some(dir.path().join("none.toml")), ..Default::default() };
        std::fs::write(dir.path().join("none.toml"), "").unwrap();
        let env = env_of(&[("CREDENTIALS_DIRECTORY", creds.to_str().unwrap())]);
        assert_eq!(BootConfig::load(&none, &env).unwrap().odoo.service_key, None, "no credential file: no key");
        std::fs::write(creds.join(SERVICE_KEY_CREDENTIAL), "0123456789abcdef0123456789abcdef01234567\n").unwrap();
        let loaded = BootConfig::load(&none, &env).unwrap();
        assert_eq!(loaded.odoo.service_key.as_deref(), Some("0123456789abcdef0123456789abcdef01234567"));
        // The config file's own key wins.
        let with_key = dir.path().join("key.toml");
        std::fs::write(&with_key, "[odoo]\nservice_key = \"fedcba9876543210fedcba9876543210fedcba98\"\n").unwrap();
        let from_file = Overrides { config: Some(with_key), ..Default::default() };
        let loaded = BootConfig::load(&from_file, &env).unwrap();
        assert_eq!(loaded.odoo.service_key.as_deref(), Some("fedcba9876543210fedcba9876543210fedcba98"));
        // A logged config never shows it.
        let shown = format!("{loaded:?}");
        assert!(!shown.contains("fedcba98") && shown.contains("service_key: Some(<redacted>)"), "{shown}");
    }

    #[test]
    fn public_url_is_checked_and_loses_its_trailing_slash() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.toml");
        let load = |value: &str, env: &[(&str, &str)]| {
            std::fs::write(&file, format!("public_url = {value:?}\n")).unwrap();
            BootConfig::load(&Overrides { config: Some(file.clone()), ..Default::default() }, &env_of(env))
        };
        assert_eq!(load("https://ai.example.com/", &[]).unwrap().public_url.as_deref(), Some("https://ai.example.com"));
        assert_eq!(
            load("https://example.com/alpenglow", &[]).unwrap().public_url.as_deref(),
            Some("https://example.com/alpenglow")
        );
        assert_eq!(load("", &[]).unwrap().public_url, None);
        let env = [("ALPENGLOW_PUBLIC_URL", "http://10.0.0.5:8765")];
        assert_eq!(load("https://ai.example.com", &env).unwrap().public_url.as_deref(), Some("http://10.0.0.5:8765"));
        for (bad, why) in [
            ("ai.example.com", "has no scheme"),
            ("ftp://ai.example.com", "not http or https"),
            ("https:///path", "no plain host"),
            ("https://user@ai.example.com", "no plain host"),
            ("https://ai.example.com/?x=1", "query or fragment"),
        ] {
            let error = load(bad, &[]).unwrap_err().0;
            assert!(error.contains(why) && error.contains("such as https://"), "{bad}: {error}");
        }
    }

    #[test]
    fn precedence_is_file_then_env_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/from/file\"\nlog_level = \"debug\"\n[odoo]\nurl = \"http://odoo:8069\"\n",
        )
        .unwrap();
        let overrides = Overrides { config: Some(file.clone()), ..Default::default() };
        let c = BootConfig::load(&overrides, &env_of(&[])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(c.data_dir, PathBuf::from("/from/file"));
        assert_eq!(c.log_level, "debug");
        assert_eq!(c.odoo.url.as_deref(), Some("http://odoo:8069"));

        let env = env_of(&[("ALPENGLOW_DATA_DIR", "/from/env"), ("ALPENGLOW_LISTEN", "127.0.0.1:9001")]);
        let c = BootConfig::load(&overrides, &env).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/from/env"));
        assert_eq!(c.listen.to_string(), "127.0.0.1:9001");

        let flags = Overrides { data_dir: Some("/from/flag".into()), ..overrides };
        let c = BootConfig::load(&flags, &env).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/from/flag"));
        assert_eq!(c.admin_socket, PathBuf::from("/from/flag/admin.sock"));
    }

    #[test]
    fn systemd_directories_are_used() {
        let env = env_of(&[
            ("INVOCATION_ID", "x"),
            ("STATE_DIRECTORY", "/var/lib/alpenglow"),
            ("RUNTIME_DIRECTORY", "/run/alpenglow"),
            ("CONFIGURATION_DIRECTORY", "/nonexistent/etc/alpenglow"),
        ]);
        let c = BootConfig::load(&Overrides::default(), &env).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/alpenglow"));
        assert_eq!(c.admin_socket, PathBuf::from("/run/alpenglow/admin.sock"));
        assert_eq!(c.source, None);
    }

    /// A packaged install under a temp root: its config, data directory and socket.
    fn packaged_root(config: &str, socket: bool) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        let layout = SystemLayout { root: root.path().to_path_buf() };
        if !config.is_empty() {
            std::fs::create_dir_all(layout.config().parent().unwrap()).unwrap();
            std::fs::write(layout.config(), config).unwrap();
        }
        if socket {
            std::fs::create_dir_all(layout.admin_socket().parent().unwrap()).unwrap();
            std::fs::write(layout.admin_socket(), "").unwrap();
        }
        root
    }

    #[test]
    fn the_daemons_socket_is_found_without_reading_the_file() {
        let root = packaged_root("", true);
        let at = |p: &str| root.path().join(p);
        let system = root.path().to_str().unwrap();
        let env = env_of(&[("ALPENGLOW_SYSTEM_ROOT", system)]);
        let none = Overrides::default();
        assert_eq!(BootConfig::daemon_socket(&none, &env), (at("run/alpenglow/admin.sock"), true));
        let named = env_of(&[("ALPENGLOW_SYSTEM_ROOT", system), ("ALPENGLOW_ADMIN_SOCKET", "/tmp/a.sock")]);
        assert_eq!(BootConfig::daemon_socket(&none, &named), (PathBuf::from("/tmp/a.sock"), false));
        let elsewhere = Overrides { data_dir: Some("/srv/ag".into()), ..Overrides::default() };
        assert_eq!(BootConfig::daemon_socket(&elsewhere, &env), (PathBuf::from("/srv/ag/admin.sock"), false));
        let nothing = tempfile::tempdir().unwrap();
        let env = env_of(&[("ALPENGLOW_SYSTEM_ROOT", nothing.path().to_str().unwrap())]);
        assert_eq!(BootConfig::daemon_socket(&none, &env), (PathBuf::from("alpenglow-data/admin.sock"), false));
        assert_eq!(BootConfig::file_to_read(&none, &env), None);
    }

    #[test]
    fn a_packaged_install_gives_the_defaults_and_named_places_still_win() {
        let root = packaged_root("log_level = \"debug\"\n", false);
        let at = |p: &str| root.path().join(p);
        let env = env_of(&[("ALPENGLOW_SYSTEM_ROOT", root.path().to_str().unwrap())]);
        let c = BootConfig::load(&Overrides::default(), &env).unwrap();
        assert_eq!(c.source, Some(at("etc/alpenglow/alpenglow.toml")));
        assert_eq!((c.data_dir, c.admin_socket), (at("var/lib/alpenglow"), at("run/alpenglow/admin.sock")));
        assert_eq!((c.log_level.as_str(), c.packaged, c.admin_socket_named), ("debug", true, false));
        // A data directory named on the command line has its own socket...
        let named = Overrides { data_dir: Some("/srv/mine".into()), ..Default::default() };
        let c = BootConfig::load(&named, &env).unwrap();
        assert_eq!((c.data_dir, c.admin_socket), ("/srv/mine".into(), PathBuf::from("/srv/mine/admin.sock")));
        // ...unless it is the packaged one, whose daemon listens in /run.
        let same = Overrides { data_dir: Some(at("var/lib/alpenglow")), ..Default::default() };
        assert_eq!(BootConfig::load(&same, &env).unwrap().admin_socket, at("run/alpenglow/admin.sock"));
        // The socket named in the environment, and another config file, win.
        let env_socket = env_of(&[
            ("ALPENGLOW_SYSTEM_ROOT", root.path().to_str().unwrap()),
            ("ALPENGLOW_ADMIN_SOCKET", "/tmp/elsewhere.sock"),
        ]);
        let c = BootConfig::load(&Overrides::default(), &env_socket).unwrap();
        assert_eq!((c.admin_socket, c.admin_socket_named), ("/tmp/elsewhere.sock".into(), true));
        let other = root.path().join("other.toml");
        std::fs::write(&other, "").unwrap();
        let c = BootConfig::load(&Overrides { config: Some(other.clone()), ..Default::default() }, &env).unwrap();
        assert_eq!((c.source, c.packaged, c.data_dir), (Some(other), false, PathBuf::from("alpenglow-data")));
        // The demo runs beside the service and leaves its files alone.
        let demo = Overrides { ignore_system_layout: true, ..Default::default() };
        let c = BootConfig::load(&demo, &env).unwrap();
        assert_eq!((c.source, c.packaged, c.admin_socket), (None, false, PathBuf::from("alpenglow-data/admin.sock")));
    }

    #[test]
    fn a_packaged_daemons_socket_alone_is_found() {
        let root = packaged_root("", true);
        let env = env_of(&[("ALPENGLOW_SYSTEM_ROOT", root.path().to_str().unwrap())]);
        let c = BootConfig::load(&Overrides::default(), &env).unwrap();
        assert_eq!(c.source, None);
        assert!(c.packaged);
        assert_eq!(c.admin_socket, root.path().join("run/alpenglow/admin.sock"));
        assert_eq!(c.data_dir, root.path().join("var/lib/alpenglow"));
        // Nothing packaged: the local defaults.
        let empty = tempfile::tempdir().unwrap();
        let env = env_of(&[("ALPENGLOW_SYSTEM_ROOT", empty.path().to_str().unwrap())]);
        let c = BootConfig::load(&Overrides::default(), &env).unwrap();
        assert_eq!((c.packaged, c.data_dir), (false, PathBuf::from("alpenglow-data")));
        assert_eq!(c.admin_socket, PathBuf::from("alpenglow-data/admin.sock"));
    }

    #[test]
    fn bad_files_and_values_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "listen = 5\n").unwrap();
        let o = Overrides { config: Some(file.clone()), ..Default::default() };
        assert!(BootConfig::load(&o, &env_of(&[])).unwrap_err().0.contains("is invalid"));
        std::fs::write(&file, "nonsense_key = 1\n").unwrap();
        assert!(BootConfig::load(&o, &env_of(&[])).unwrap_err().0.contains("nonsense_key"));
        let missing = Overrides { config: Some(dir.path().join("missing.toml")), ..Default::default() };
        assert!(BootConfig::load(&missing, &env_of(&[])).unwrap_err().0.contains("cannot read the config file"));
        for (line, named) in [
            ("url = \"odoo.local\"", "[odoo] url must be an http:// or https:// URL"),
            ("protocol = \"grpc\"", "[odoo] protocol must be one of auto, json2, jsonrpc, xmlrpc"),
            ("database = \"my db\"", "[odoo] database must be a database name"),
            ("connect_timeout_seconds = 0", "[odoo] connect_timeout_seconds must be a whole number from 1 to 300"),
            (
                "request_timeout_seconds = 99999",
                "[odoo] request_timeout_seconds must be a whole number from 1 to 3,600",
            ),
            ("ca_file = \"ca.pem\"", "[odoo] ca_file must be an absolute file path"),
        ] {
            std::fs::write(&file, format!("[odoo]\n{line}\n")).unwrap();
            let refused = BootConfig::load(&o, &env_of(&[])).unwrap_err().0;
            assert!(refused.contains(named), "{line}: {refused}");
        }
        std::fs::write(&file, "[odoo]\nurl = \"https://erp.example.com\"\nconnect_timeout_seconds = 5\n").unwrap();
        assert!(BootConfig::load(&o, &env_of(&[])).is_ok(), "good [odoo] values load");
        let env = env_of(&[("ALPENGLOW_ODOO_URL", "odoo.local")]);
        let refused = BootConfig::load(&Overrides::default(), &env).unwrap_err().0;
        assert!(refused.contains("ALPENGLOW_ODOO_URL must be an http:// or https:// URL"), "{refused}");
        let env = env_of(&[("ALPENGLOW_LISTEN", "nowhere")]);
        assert!(BootConfig::load(&Overrides::default(), &env).unwrap_err().0.contains("IP:PORT"));
        let env = env_of(&[("ALPENGLOW_LOG_LEVEL", "loud")]);
        assert!(BootConfig::load(&Overrides::default(), &env).unwrap_err().0.contains("error, warn, info"));
        let env = env_of(&[("ALPENGLOW_LOG_FORMAT", "xml")]);
        assert!(BootConfig::load(&Overrides::default(), &env).unwrap_err().0.contains("allowed: plain, json"));
        let env = env_of(&[("RUST_LOG", "warn,alpenglow::faces=debug"), ("ALPENGLOW_LOG_FORMAT", "json")]);
        let c = BootConfig::load(&Overrides::default(), &env).unwrap();
        assert_eq!(
            (c.log_level.as_str(), c.log_format),
            ("warn,alpenglow::faces=debug", crate::logging::LogFormat::Json)
        );
    }
}
