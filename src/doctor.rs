//! `alpenglow doctor`: checks what an installation needs and says, for each
//! problem, what is wrong and how to fix it. Exit code 1 when a check
//! fails; warnings alone leave it 0.
//!
//! Checks, in order: the config file (it loads; not readable by others
//! when it holds a secret), the data directory (exists or can be made,
//! owned by this user, mode 0700; doctor never makes it), the admin socket (mode 0600, or 0660
//! with a group; a daemon answering on it), the store (readable, through
//! the daemon when one runs), Odoo (configured, reachable, version 16 or
//! later), the clock (against Odoo's `Date` header), TLS (the files load as a
//! pair, the key is not readable by others), exposure (the listener the
//! running daemon reports, else the configured one: non-loopback without TLS
//! or a proxy), Require Credential (a warning while it is off), and OAuth
//! when it is on (an https `public_url`, the sealing key file, the metadata
//! reachable at the public URL with a certificate the assistants accept and
//! the right issuer, the clock against that server's `Date`).
//!
//! Permissions are read before the store is opened: opening it tightens the
//! data directory's mode, which would hide the problem.

use crate::admin::api::{GatewayUrls, GetOdooStatus, GetStatus, ListResources, ResourceView, Scalar, ShowSettings};
use crate::admin_socket::{AdminClient, daemon_answers};
use crate::config::boot::BootConfig;
use serde_json::{Value, json};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

/// One check's finding.
#[derive(Debug, Clone)]
pub struct Finding {
    pub check: &'static str,
    pub status: Status,
    pub message: String,
    /// How to fix it (empty when nothing is wrong).
    pub fix: String,
}

impl Finding {
    fn ok(check: &'static str, message: impl Into<String>) -> Finding {
        Finding { check, status: Status::Ok, message: message.into(), fix: String::new() }
    }

    fn warn(check: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding { check, status: Status::Warn, message: message.into(), fix: fix.into() }
    }

    fn fail(check: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding { check, status: Status::Fail, message: message.into(), fix: fix.into() }
    }

    pub fn to_json(&self) -> Value {
        json!({"check": self.check, "status": self.status.name().to_ascii_lowercase(), "message": self.message, "fix": self.fix})
    }

    /// `FAIL data directory: ... -> fix: ...`
    pub fn line(&self) -> String {
        let mut line = format!("{:<4}  {:<15} {}", self.status.name(), self.check, self.message);
        if !self.fix.is_empty() {
            line.push_str(&format!("\n      {:<15} fix: {}", "", self.fix));
        }
        line
    }
}

/// The admin API for the store checks: the daemon's socket, else the store
/// opened here; `Err` says why neither works.
pub type ApiOpener<'a> = &'a dyn Fn(&BootConfig) -> Result<AdminClient, String>;

/// Runs every check. `boot` is the loaded config, or why it did not load
/// (then only the checks that need no config run).
pub fn run(boot: Result<BootConfig, String>, open_api: ApiOpener<'_>) -> Vec<Finding> {
    let boot = match boot {
        Ok(boot) => boot,
        Err(e) => {
            return vec![Finding::fail(
                "config",
                e,
                "correct the config file (see the commented /etc/alpenglow/alpenglow.toml from the package), then run doctor again",
            )];
        }
    };
    let mut findings = vec![config_file(&boot), data_dir(&boot.data_dir)];
    let daemon = daemon_answers(&boot.admin_socket);
    findings.push(admin_socket(&boot, daemon));
    let opened = open_api(&boot);
    // What the running daemon says of itself (its listener, its settings).
    let status = opened.as_ref().ok().filter(|_| daemon).and_then(|api| api.call(GetStatus {}).ok());
    let api = match opened {
        // Nothing to read yet: the data directory check says how it is made.
        Err(_) if !daemon && !boot.data_dir.exists() => {
            findings.push(Finding::warn(
                "store",
                format!("no store yet: {} does not exist", boot.data_dir.display()),
                "start the daemon (it makes its store), or alpenglow init",
            ));
            None
        }
        Ok(api) => {
            findings.push(store(&api, daemon));
            findings.push(resources(&api));
            Some(api)
        }
        Err(e) => {
            findings.push(Finding::fail(
                "store",
                e,
                "if another process holds the data directory, stop it or run doctor as the user the daemon runs as",
            ));
            None
        }
    };
    let odoo_url = match &api {
        Some(api) => {
            let (finding, url) = odoo(api);
            findings.push(finding);
            url
        }
        None => None,
    };
    findings.push(clock(odoo_url.as_deref(), api.as_ref()));
    findings.push(tls(&boot));
    findings.push(exposure(&boot, status.as_ref().and_then(|s| s.gateway.as_ref())));
    if let Some(api) = &api {
        findings.push(require_credential(api));
    }
    findings.push(oauth(&boot, api.as_ref()));
    findings
}

fn mode_of(path: &Path) -> Option<(u32, u32)> {
    std::fs::metadata(path).ok().map(|m| (m.permissions().mode() & 0o777, m.uid()))
}

fn config_file(boot: &BootConfig) -> Finding {
    let Some(path) = &boot.source else {
        return Finding::ok("config", "no config file: built-in defaults, environment and flags");
    };
    // The file itself, not the effective config: the service key may come
    // from elsewhere (a systemd credential).
    let file: toml::Value =
        std::fs::read_to_string(path).ok().and_then(|t| t.parse().ok()).unwrap_or(toml::Value::Boolean(false));
    let set = |value: Option<&toml::Value>| value.and_then(toml::Value::as_str).is_some_and(|v| !v.trim().is_empty());
    let holds_secret = set(file.get("metrics_token")) || set(file.get("odoo").and_then(|o| o.get("service_key")));
    match mode_of(path) {
        Some((mode, _)) if holds_secret && mode & 0o007 != 0 => Finding::fail(
            "config",
            format!(
                "{} holds a secret (service_key or metrics_token) and is readable by every user (mode {mode:o})",
                path.display()
            ),
            format!("chmod 640 {} (owner root, group alpenglow)", path.display()),
        ),
        _ => Finding::ok("config", format!("{} loads", path.display())),
    }
}

fn data_dir(dir: &Path) -> Finding {
    let euid = unsafe_geteuid();
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            match mode_of(parent) {
                Some(_) => Finding::warn(
                    "data directory",
                    format!("{} does not exist yet", dir.display()),
                    "the daemon makes it (mode 0700) when it starts (systemctl start alpenglow; under systemd StateDirectory= does), or alpenglow init; no other command makes one",
                ),
                None => Finding::fail(
                    "data directory",
                    format!("{} does not exist and neither does {}", dir.display(), parent.display()),
                    format!("mkdir -p -m 700 {}", dir.display()),
                ),
            }
        }
        Err(e) => Finding::fail(
            "data directory",
            format!("cannot read {}: {e}", dir.display()),
            "run doctor as the user the daemon runs as (sudo -u alpenglow alpenglow doctor)",
        ),
        Ok(m) if !m.is_dir() => Finding::fail(
            "data directory",
            format!("{} is not a directory", dir.display()),
            "point data_dir (or --data-dir) at a directory",
        ),
        Ok(m) if m.uid() != euid => Finding::fail(
            "data directory",
            format!("{} belongs to uid {}, not to this user (uid {euid})", dir.display(), m.uid()),
            format!("run as its owner (sudo -u alpenglow alpenglow doctor), or chown -R {euid} {}", dir.display()),
        ),
        Ok(m) if m.permissions().mode() & 0o077 != 0 => Finding::fail(
            "data directory",
            format!(
                "{} (credential hashes, the audit log) is open to other users (mode {:o})",
                dir.display(),
                m.permissions().mode() & 0o777
            ),
            format!("chmod 700 {}", dir.display()),
        ),
        Ok(_) => Finding::ok("data directory", format!("{} (mode 700, owned by this user)", dir.display())),
    }
}

fn unsafe_geteuid() -> u32 {
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

fn admin_socket(boot: &BootConfig, answering: bool) -> Finding {
    let path = &boot.admin_socket;
    let allowed = if boot.admin_socket_group.is_some() { 0o660 } else { 0o600 };
    match mode_of(path) {
        None => Finding::ok("admin socket", format!("no daemon running ({} absent)", path.display())),
        Some((mode, _)) if mode & !allowed != 0 => Finding::fail(
            "admin socket",
            format!("{} has mode {mode:o}: users beyond the intended ones can administer Alpenglow", path.display()),
            format!(
                "chmod {allowed:o} {} (the daemon creates it {allowed:o} at start: restart it, and find what changed it)",
                path.display()
            ),
        ),
        Some(_) if !answering => Finding::warn(
            "admin socket",
            format!("{} exists but no daemon answers on it (left by a daemon that died)", path.display()),
            "start the daemon (systemctl start alpenglow): it replaces a stale socket",
        ),
        Some((mode, _)) => Finding::ok("admin socket", format!("{} (mode {mode:o}), daemon answering", path.display())),
    }
}

fn store(api: &AdminClient, through_daemon: bool) -> Finding {
    match api.call(GetStatus {}) {
        Ok(status) if status.store_problem.is_some() => Finding::fail(
            "store",
            format!("store cannot write: {}", status.store_problem.unwrap_or_default()),
            "free space on the data directory's filesystem (df -h on it); the daemon recovers by itself once it can write",
        ),
        Ok(status) => Finding::ok(
            "store",
            format!(
                "readable{}: {} resources, {} active credentials, MCP {}",
                if through_daemon { " through the running daemon" } else { "" },
                status.resources,
                status.credentials_active,
                if status.mcp_enabled { "on" } else { "off" }
            ),
        ),
        Err(e) => Finding::fail("store", e.message, "see the message; the data directory may be damaged"),
    }
}

/// Resources whose stored record filter does not parse refuse every
/// request (they fail closed): each is named with the way to fix it.
fn resources(api: &AdminClient) -> Finding {
    match api.call(ListResources {}) {
        Ok(list) => broken_filters(&list),
        Err(e) => Finding::fail("resources", e.message, "see the message"),
    }
}

fn broken_filters(all: &[ResourceView]) -> Finding {
    let broken: Vec<String> =
        all.iter().filter(|r| r.record_filter_error.is_some()).map(|r| format!("{} ({})", r.id, r.model)).collect();
    if broken.is_empty() {
        return Finding::ok("resources", format!("{} resources, every record filter parses", all.len()));
    }
    Finding::fail(
        "resources",
        format!("record filter does not parse, so these resources refuse every request: {}", broken.join(", ")),
        "alpenglow resources edit ID --filter \"[('field', '=', value)]\" (or --filter \"\" for none)",
    )
}

/// The Odoo finding, and the URL for the clock check when Odoo answered.
fn odoo(api: &AdminClient) -> (Finding, Option<String>) {
    let status = match api.call(GetOdooStatus {}) {
        Ok(status) => status,
        Err(e) => return (Finding::fail("odoo", e.message, "see the message"), None),
    };
    let url = status.url.clone().unwrap_or_default();
    if !status.configured {
        return (
            Finding::fail(
                "odoo",
                "Odoo is not configured",
                "alpenglow settings set odoo_url https://odoo.example.com (and odoo_database), or [odoo] url in the config file",
            ),
            None,
        );
    }
    if !status.connected {
        let why = status.message.clone().unwrap_or_else(|| "no answer".into());
        return (
            Finding::fail(
                "odoo",
                format!("Odoo does not answer: {}", why.replace(&url, "odoo_url")),
                "check odoo_url and odoo_database (alpenglow settings show), that Odoo runs, and that this host may reach it",
            ),
            None,
        );
    }
    let version = status.version.clone().unwrap_or_default();
    let major: u32 = version.split(['.', '+', '-']).next().and_then(|m| m.parse().ok()).unwrap_or(0);
    let finding = if status.database_exists == Some(false) {
        Finding::fail(
            "odoo",
            format!("Odoo {version} answers, but has no database {:?}", status.database.as_deref().unwrap_or_default()),
            "check odoo_database (alpenglow settings show) against the databases of this Odoo",
        )
    } else if major < 16 {
        Finding::fail(
            "odoo",
            format!("Odoo {version} answers, but Alpenglow supports Odoo 16 and later"),
            "upgrade Odoo",
        )
    } else {
        Finding::ok("odoo", format!("Odoo {version} reachable over {}", status.protocol.as_deref().unwrap_or("?")))
    };
    (finding, Some(url))
}

/// Clock skew beyond this makes expiry dates and audit times misleading.
const MAX_SKEW: Duration = Duration::from_secs(60);

fn clock(odoo_url: Option<&str>, api: Option<&AdminClient>) -> Finding {
    let now = time::OffsetDateTime::now_utc();
    if now.year() < 2025 {
        return Finding::fail(
            "clock",
            format!("the system clock says {now}"),
            "set the clock (timedatectl set-ntp true)",
        );
    }
    let Some(url) = odoo_url else {
        return Finding::warn("clock", "not compared: Odoo did not answer", "fix the Odoo check first");
    };
    let ca_file = api
        .and_then(|api| api.call(ShowSettings {}).ok())
        .and_then(|shown| match shown.settings.into_iter().find(|s| s.key == "odoo_ca_file")?.value {
            Scalar::Text(file) => Some(file),
            _ => None,
        })
        .filter(|f| !f.is_empty());
    let date = odoo_date(url, ca_file);
    match date {
        Ok(theirs) => {
            let skew = (now - theirs).abs();
            let seconds = skew.whole_seconds();
            if skew > MAX_SKEW {
                Finding::fail(
                    "clock",
                    format!("this host's clock is {seconds} s away from Odoo's"),
                    "synchronise both clocks (timedatectl set-ntp true, or chrony)",
                )
            } else {
                Finding::ok("clock", format!("within {}s of Odoo's clock", seconds.max(1)))
            }
        }
        Err(e) => Finding::warn("clock", format!("not compared: {e}"), "none needed if Odoo's clock is known good"),
    }
}

/// Odoo's `Date` header (any answer carries one).
fn odoo_date(url: &str, ca_file: Option<String>) -> Result<time::OffsetDateTime, String> {
    let mut config = crate::upstream::TransportConfig::new(url);
    config.connect_timeout = Duration::from_secs(3);
    config.request_timeout = Duration::from_secs(5);
    config.ca_file = ca_file.map(Into::into);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let reply = runtime.block_on(async {
        let transport = crate::upstream::Transport::new(&config).map_err(|e| e.to_string())?;
        transport.get("/web/version").await.map_err(|e| e.to_string())
    })?;
    let header = reply.headers.get("date").and_then(|v| v.to_str().ok()).ok_or("Odoo sent no Date header")?;
    time::OffsetDateTime::parse(header, &time::format_description::well_known::Rfc2822)
        .map_err(|e| format!("Odoo's Date header {header:?} does not parse: {e}"))
}

fn tls(boot: &BootConfig) -> Finding {
    let Some(paths) = &boot.tls else {
        return Finding::ok("tls", "not configured (plain HTTP; a reverse proxy may terminate TLS)");
    };
    if let Err(e) = crate::faces::tls::server_config(&paths.cert, &paths.key) {
        return Finding::fail(
            "tls",
            e,
            "point [tls] cert at the PEM chain (leaf first) and key at its PEM private key, readable by the alpenglow user",
        );
    }
    match mode_of(&paths.key) {
        Some((mode, _)) if mode & 0o007 != 0 => Finding::fail(
            "tls",
            format!("the private key {} is readable by every user (mode {mode:o})", paths.key.display()),
            format!("chmod 640 {} (group alpenglow)", paths.key.display()),
        ),
        _ => certificate_dates(&paths.cert, time::OffsetDateTime::now_utc()),
    }
}

/// The pair loads: is the certificate valid now, and for long enough?
fn certificate_dates(cert: &std::path::Path, now: time::OffsetDateTime) -> Finding {
    use crate::faces::tls::Concern;
    let validity = match crate::faces::tls::leaf_validity(cert) {
        Ok(validity) => validity,
        Err(e) => return Finding::fail("tls", e, "point [tls] cert at the PEM chain, leaf first"),
    };
    let renew =
        format!("renew it (certbot renew, or your CA), replace {}, then systemctl reload alpenglow", cert.display());
    match validity.concern(now) {
        Some(Concern::Unusable(why)) => Finding::fail("tls", why, renew),
        Some(Concern::ExpiresSoon(why)) => Finding::warn("tls", why, renew),
        None => Finding::ok(
            "tls",
            format!(
                "{} loads with its key; valid until {} ({} days)",
                cert.display(),
                validity.not_after.date(),
                (validity.not_after - now).whole_days()
            ),
        ),
    }
}

/// The listener the running daemon reports (it may have been started with
/// other flags than this shell's), else the configured one.
fn exposure(boot: &BootConfig, running: Option<&GatewayUrls>) -> Finding {
    let (listen, tls, whose) =
        match running.and_then(|g| g.listen.parse::<std::net::SocketAddr>().ok().map(|a| (a, g.tls))) {
            Some((addr, tls)) => (addr, tls, "the running daemon's listener"),
            None => (boot.listen, boot.tls.is_some(), "configured; no daemon reports its own"),
        };
    if listen.ip().is_loopback() || tls {
        return Finding::ok("listener", format!("{listen} ({}; {whose})", if tls { "TLS" } else { "loopback" }));
    }
    Finding::warn(
        "listener",
        format!("{listen} ({whose}) is reachable from the network over plain HTTP: API keys would travel in clear"),
        "configure [tls] cert and key, or listen on 127.0.0.1 behind nginx / Caddy (see the README)",
    )
}

/// OAuth for remote connectors: when it is on, the whole chain an
/// assistant walks, from the public name to the sealing key.
fn oauth(boot: &BootConfig, api: Option<&AdminClient>) -> Finding {
    let enabled = api
        .and_then(|api| api.call(ShowSettings {}).ok())
        .and_then(|shown| shown.settings.into_iter().find(|s| s.key == "oauth_enabled"))
        .is_some_and(|s| s.value == Scalar::Bool(true));
    if !enabled {
        return Finding::ok("oauth", "off (remote connectors that need OAuth cannot connect; API keys work)");
    }
    let Some(public) = &boot.public_url else {
        return Finding::fail(
            "oauth",
            "oauth_enabled is on but public_url is not set: assistants need the https:// name Alpenglow is reached at",
            "set public_url = \"https://alpenglow.example.com\" in the config file (behind Caddy or nginx, see the README), then restart",
        );
    };
    if let Some(problem) = crate::config::settings::oauth_base_problem(public) {
        return Finding::fail(
            "oauth",
            problem,
            "serve Alpenglow under an https:// name (README: behind a public HTTPS name) and set public_url to it",
        );
    }
    let key_file = boot.oauth_key_path();
    let key_note = match crate::oauth::vault::key_file_state(&key_file) {
        crate::oauth::vault::KeyFileState::Ok => format!("key file {}", key_file.display()),
        crate::oauth::vault::KeyFileState::Problem(problem) => {
            return Finding::fail(
                "oauth",
                problem,
                format!("chmod 600 {}, owned by the alpenglow user", key_file.display()),
            );
        }
        crate::oauth::vault::KeyFileState::Missing => {
            let parent = key_file.parent().unwrap_or(Path::new("."));
            let writable = parent.is_dir() && tempfile_probe(parent);
            if !writable {
                return Finding::fail(
                    "oauth",
                    format!("the OAuth key file {} does not exist and cannot be made there", key_file.display()),
                    "openssl rand -hex 32 > /etc/alpenglow/oauth_key; chmod 600 /etc/alpenglow/oauth_key; then LoadCredential=oauth_key:/etc/alpenglow/oauth_key in the unit (or oauth_key_file in the config)",
                );
            }
            format!("key file {} made on the first sign-in", key_file.display())
        }
    };
    let mut config = crate::upstream::TransportConfig::new(public.as_str());
    config.connect_timeout = Duration::from_secs(3);
    config.request_timeout = Duration::from_secs(5);
    let fetched =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string()).and_then(
            |runtime| {
                runtime.block_on(async {
                    let transport = crate::upstream::Transport::new(&config).map_err(|e| e.to_string())?;
                    transport.get("/.well-known/oauth-authorization-server").await.map_err(|e| e.to_string())
                })
            },
        );
    let reply = match fetched {
        Ok(reply) => reply,
        Err(e) => {
            return Finding::fail(
                "oauth",
                format!("the OAuth metadata is not reachable at {public}: {e}"),
                "check that the name resolves, the proxy forwards /.well-known/ and /alpenglow/ to Alpenglow, and its certificate is valid for that name",
            );
        }
    };
    let issuer = serde_json::from_slice::<Value>(&reply.body).ok().and_then(|m| m["issuer"].as_str().map(String::from));
    if reply.status != 200 || issuer.as_deref() != Some(public.as_str()) {
        return Finding::fail(
            "oauth",
            format!(
                "{public}/.well-known/oauth-authorization-server answered HTTP {} with issuer {issuer:?}, not this Alpenglow's metadata",
                reply.status
            ),
            "point the proxy for that name at this Alpenglow (all paths), and make sure the daemon runs with this config",
        );
    }
    let skew = reply
        .headers
        .get("date")
        .and_then(|v| v.to_str().ok())
        .and_then(|d| time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc2822).ok())
        .map(|theirs| (time::OffsetDateTime::now_utc() - theirs).abs());
    if let Some(skew) = skew
        && skew > MAX_SKEW
    {
        return Finding::warn(
            "oauth",
            format!(
                "the server at {public} is {} s away from this host's clock: token expiry depends on it",
                skew.whole_seconds()
            ),
            "synchronise the clocks (timedatectl set-ntp true)",
        );
    }
    Finding::ok("oauth", format!("on: metadata served at {public} with the right issuer; {key_note}"))
}

/// Whether a file can be made in `dir` (made and removed at once).
fn tempfile_probe(dir: &Path) -> bool {
    let probe = dir.join(format!(".alpenglow-doctor-{}", std::process::id()));
    let made = std::fs::OpenOptions::new().write(true).create_new(true).open(&probe).is_ok();
    let _ = std::fs::remove_file(&probe);
    made
}

/// While Require Credential is off, a key with no credential proceeds
/// without scope restrictions or usage tracking.
fn require_credential(api: &AdminClient) -> Finding {
    let on = api.call(ShowSettings {}).ok().and_then(|shown| {
        shown.settings.into_iter().find(|s| s.key == "require_credential").map(|s| s.value == Scalar::Bool(true))
    });
    match on {
        Some(true) => Finding::ok("credentials", "require_credential is on: every API key needs a credential"),
        Some(false) => Finding::warn(
            "credentials",
            "require_credential is off: API keys with no credential proceed without scope restrictions or usage tracking",
            "create a credential for each user who should keep access, then: alpenglow settings set require_credential on",
        ),
        None => Finding::warn("credentials", "the settings could not be read", "see the store check"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::{Duration, OffsetDateTime};

    /// A self-signed certificate valid from `from` to `until`, in a temp file.
    fn certificate(from: OffsetDateTime, until: OffsetDateTime) -> (tempfile::TempDir, std::path::PathBuf) {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.not_before = from;
        params.not_after = until;
        let cert = params.self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cert.pem");
        std::fs::write(&path, cert.pem()).unwrap();
        (dir, path)
    }

    #[test]
    fn certificate_dates_fail_when_expired_or_early_and_warn_two_weeks_ahead() {
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
        let cases = [
            (now - Duration::days(90), now - Duration::days(1), Status::Fail, "expired on"),
            (now + Duration::days(2), now + Duration::days(90), Status::Fail, "not valid before"),
            (
                now - Duration::days(80),
                now + Duration::days(5) + Duration::hours(1),
                Status::Warn,
                "expires in 5 day(s)",
            ),
            (now - Duration::days(1), now + Duration::days(60) + Duration::hours(1), Status::Ok, "(60 days)"),
        ];
        for (from, until, status, says) in cases {
            let (_dir, path) = certificate(from, until);
            let finding = certificate_dates(&path, now);
            assert_eq!(finding.status, status, "{finding:?}");
            assert!(finding.message.contains(says), "{finding:?}");
            assert_eq!(finding.fix.is_empty(), status == Status::Ok, "{finding:?}");
            assert!(finding.message.contains(&until.date().to_string()) || status == Status::Fail, "{finding:?}");
        }
    }

    #[test]
    fn a_file_that_is_not_a_certificate_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cert.pem");
        std::fs::write(&path, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
        let finding = certificate_dates(&path, OffsetDateTime::now_utc());
        assert_eq!(finding.status, Status::Fail);
        assert!(finding.message.contains("cert.pem") && finding.message.contains("X.509"), "{finding:?}");
    }

    #[test]
    fn resources_with_a_broken_filter_fail_and_are_named() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let resource = |id: u64, filter: &str| crate::config::Resource {
            id,
            model: "res.partner".into(),
            company_id: None,
            read_only: false,
            operations: crate::config::Operations::READ_ONLY,
            field_policy: Default::default(),
            record_filter: filter.into(),
            execute_methods: vec![],
            created_at: now,
            updated_at: now,
            approvals: Default::default(),
        };
        let good = crate::admin::views::resource(&resource(1, "[('active', '=', True)]"));
        let broken = crate::admin::views::resource(&resource(2, "[('active', '='"));
        assert_eq!(broken_filters(std::slice::from_ref(&good)).status, Status::Ok);
        let finding = broken_filters(&[good, broken]);
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding.message.contains("2 (res.partner)") && !finding.message.contains("1 (res.partner)"),
            "{finding:?}"
        );
        assert!(finding.fix.contains("resources edit"), "{finding:?}");
    }

    #[test]
    fn odoo_date_headers_parse() {
        let t = time::OffsetDateTime::parse(
            "Fri, 27 Nov 2026 04:02:54 GMT",
            &time::format_description::well_known::Rfc2822,
        );
        assert!(t.is_ok(), "{t:?}");
    }
}
