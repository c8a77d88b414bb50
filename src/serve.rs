//! `alpenglow serve`: the daemon. Wires the store, the admin socket, the
//! timers and the network listener, and handles the signals:
//!
//! - SIGTERM / SIGINT: stop accepting, let in-flight requests finish (at most
//!   [`crate::faces::DRAIN_TIMEOUT`]), write the rate windows and flush the
//!   store, exit 0.
//! - SIGHUP: read the config file again. What the listener and the logger use
//!   changes at once (log level, trusted proxies, allowed origins, metrics
//!   token, the `[http]` limits, the TLS certificate and key, re-read from their files even when
//!   the paths did not change); what was bound or opened at start (listen
//!   address, data directory, admin socket and its group, log format, public URL, the
//!   `[odoo]` defaults, turning TLS on or off) is logged as needing a restart.
//!   A file that does not load is logged and the running config kept.

use crate::admin::{AdminContext, AdminService};
use crate::admin_socket::server::{AdminSocket, SocketOptions};
use crate::config::ApiKey;
use crate::config::boot::BootConfig;
use crate::faces::{FaceState, Listener, LiveConfig, NetworkConfig};
use crate::gateway::Gateway;
use crate::logging::LogHandle;
use crate::upstream::UpstreamSlot;

/// Everything `serve` needs from the command line.
pub struct ServeOptions {
    pub boot: BootConfig,
    /// Loads the boot configuration again, with the same flags (for SIGHUP).
    pub reload: Box<dyn Fn() -> Result<BootConfig, String> + Send + Sync>,
    pub log: LogHandle,
    pub service_key: Option<ApiKey>,
}

/// The listener's live settings from a boot config; reads the TLS files.
pub fn network_config(boot: &BootConfig) -> Result<NetworkConfig, String> {
    let tls = match &boot.tls {
        Some(paths) => {
            let config = crate::faces::tls::server_config(&paths.cert, &paths.key)?;
            log_certificate_concern(&paths.cert);
            Some(config)
        }
        None => None,
    };
    Ok(NetworkConfig {
        trusted_proxies: boot.trusted_proxies.clone(),
        allowed_origins: boot.allowed_origins.clone(),
        metrics_token: boot.metrics_token.clone(),
        tls,
        http: boot.http,
    })
}

pub async fn run(admin: AdminService, options: ServeOptions) -> Result<(), String> {
    let ServeOptions { boot, reload, log, service_key } = options;
    // Installed first, so a SIGHUP during start-up is not fatal.
    let mut hangups = hangup_stream()?;
    let live = LiveConfig::new(network_config(&boot)?);
    let dir = admin.store().dir().display().to_string();
    let socket =
        AdminSocket::bind(&SocketOptions { path: boot.admin_socket.clone(), group: boot.admin_socket_group.clone() })?;
    let oauth = crate::oauth::OAuth::new(
        admin.rooms().clone(),
        crate::oauth::OAuthOptions {
            public_url: boot.public_url.clone(),
            key_file: boot.oauth_key_path(),
            fetch: Default::default(),
        },
    );
    // The gateway and the admin service each keep their Odoo client, and
    // share one probe of Odoo's state (`/healthz`, the dashboard's Home).
    let upstream = UpstreamSlot::default();
    let admin_upstream = UpstreamSlot::default().sharing_probe(upstream.probe());
    let gateway = Gateway::with_oauth(admin.rooms().clone(), upstream, oauth.clone())
        .with_approval_key(crate::approvals::state::StateKey::new(boot.approval_key.clone()));
    let state = FaceState { gateway, live: live.clone() };
    let listener = Listener::bind(boot.listen, state).await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    // What the dashboard shows and puts in the Claude Desktop config: the
    // proxy's address when one is configured.
    let base_url = match &boot.public_url {
        Some(url) => url.clone(),
        None => listener.base_url().map_err(|e| e.to_string())?,
    };
    let context = AdminContext::new(admin.clone(), admin_upstream, service_key, "alpenglow serve").with_gateway(
        base_url.clone(),
        format!("{base_url}{}", crate::faces::MCP_PATH),
        addr,
        boot.tls.is_some(),
    );
    let admin_task = tokio::spawn(socket.serve(context));
    let timers = crate::jobs::start(admin.rooms());
    if let Ok(settings) = admin.settings()
        && settings.oauth.enabled
    {
        match oauth.inactive_reason(&settings) {
            Some(why) => tracing::error!("oauth_enabled is on but OAuth is not served: {why}"),
            None => {
                tracing::info!(issuer = %oauth.issuer(), key_file = %oauth.vault().path().display(), "OAuth for remote connectors is on")
            }
        }
    }
    let scheme = if boot.tls.is_some() { "https" } else { "http" };
    tracing::info!(
        %addr,
        tls = boot.tls.is_some(),
        data_dir = %dir,
        admin_socket = %boot.admin_socket.display(),
        config = %boot.source.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "none".into()),
        "serving on {scheme}://{addr}"
    );
    if let Some(verifier) = admin.rooms().audit().verifier() {
        tracing::info!(key_file = %boot.audit_signing_key.display(), verifier = %verifier, "audit checkpoints are signed by {verifier}");
    }

    let reloader = tokio::spawn(async move {
        let mut current = boot;
        while hangups.recv().await.is_some() {
            match reload() {
                Ok(new) => {
                    apply(&current, &new, &live, &log);
                    current = new;
                }
                Err(e) => tracing::error!(error = %e, "SIGHUP: the config was not reloaded; the running config stays"),
            }
        }
    });
    let served = listener.serve(crate::faces::shutdown_signal()).await;
    reloader.abort();
    drop(timers);
    admin_task.abort();
    let _ = admin_task.await;
    crate::jobs::checkpoint_on_exit(admin.rooms());
    crate::jobs::save_on_exit(admin.rooms());
    tracing::info!("stopped");
    served.map_err(|e| e.to_string())
}

#[cfg(unix)]
fn hangup_stream() -> Result<tokio::signal::unix::Signal, String> {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::hangup()).map_err(|e| format!("cannot handle SIGHUP: {e}"))
}

/// What a reload changes: the fields applied live, and those that need a restart.
#[derive(Debug, Default, PartialEq)]
pub struct ReloadPlan {
    pub live: Vec<&'static str>,
    pub restart: Vec<&'static str>,
}

/// Compares the running config with the one just read.
pub fn plan(old: &BootConfig, new: &BootConfig) -> ReloadPlan {
    let mut plan = ReloadPlan::default();
    let mut check = |changed: bool, name: &'static str, live: bool| {
        if changed {
            if live { plan.live.push(name) } else { plan.restart.push(name) }
        }
    };
    check(old.log_level != new.log_level, "log_level", true);
    check(old.trusted_proxies != new.trusted_proxies, "trusted_proxies", true);
    check(old.allowed_origins != new.allowed_origins, "allowed_origins", true);
    check(old.metrics_token != new.metrics_token, "metrics_token", true);
    check(old.http != new.http, "[http]", true);
    // Files at the same paths are re-read anyway (a renewed certificate).
    check(old.tls.is_some() && new.tls.is_some(), "tls", true);
    check(old.tls.is_some() != new.tls.is_some(), "tls (on/off)", false);
    check(old.listen != new.listen, "listen", false);
    check(old.data_dir != new.data_dir, "data_dir", false);
    check(old.admin_socket != new.admin_socket, "admin_socket", false);
    check(old.admin_socket_group != new.admin_socket_group, "admin_socket_group", false);
    check(old.log_format != new.log_format, "log_format", false);
    check(old.public_url != new.public_url, "public_url", false);
    check(old.oauth_key_file != new.oauth_key_file, "oauth_key_file", false);
    check(old.odoo != new.odoo, "[odoo]", false);
    check(old.audit_signing_key != new.audit_signing_key, "audit_signing_key", false);
    plan
}

/// Applies a reload: the live part now, a warning for the rest.
fn apply(old: &BootConfig, new: &BootConfig, live: &LiveConfig, log: &LogHandle) {
    let plan = plan(old, new);
    if old.log_level != new.log_level
        && let Err(e) = log.set_level(&new.log_level)
    {
        tracing::error!(error = %e, "SIGHUP: the log level was not changed");
    }
    let mut network = (*live.current()).clone();
    network.trusted_proxies = new.trusted_proxies.clone();
    network.allowed_origins = new.allowed_origins.clone();
    network.metrics_token = new.metrics_token.clone();
    network.http = new.http;
    if let (Some(_), Some(paths)) = (&old.tls, &new.tls) {
        match crate::faces::tls::server_config(&paths.cert, &paths.key) {
            Ok(config) => {
                network.tls = Some(config);
                log_certificate_concern(&paths.cert);
            }
            Err(e) => tracing::error!(error = %e, "SIGHUP: the TLS certificate was not reloaded; the old one stays"),
        }
    }
    live.replace(network);
    let file = new.source.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "none".into());
    tracing::info!(config = %file, applied = %list(&plan.live), "SIGHUP: configuration reloaded");
    if !plan.restart.is_empty() {
        tracing::warn!(
            needs_restart = %list(&plan.restart),
            "SIGHUP: {} changed in the config file but only take effect after a restart (systemctl restart alpenglow); the running values stay",
            list(&plan.restart)
        );
    }
}

/// A certificate that has run out, is not valid yet or soon runs out is
/// still served (the admin decides), but said loudly in the journal.
fn log_certificate_concern(cert: &std::path::Path) {
    use crate::faces::tls::Concern;
    match crate::faces::tls::leaf_validity(cert).map(|v| v.concern(time::OffsetDateTime::now_utc())) {
        Ok(Some(Concern::Unusable(why))) => {
            tracing::error!(cert = %cert.display(), "{why}: TLS clients will refuse it")
        }
        Ok(Some(Concern::ExpiresSoon(why))) => tracing::warn!(cert = %cert.display(), "{why}: renew it, then reload"),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "cannot read the TLS certificate's dates"),
    }
}

fn list(names: &[&str]) -> String {
    if names.is_empty() { "nothing".into() } else { names.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::boot::{Overrides, TlsPaths};

    fn base() -> BootConfig {
        BootConfig::load(&Overrides { data_dir: Some("/tmp/x".into()), ..Default::default() }, &|_| None).unwrap()
    }

    #[test]
    fn live_fields_and_restart_fields_are_told_apart() {
        let old = base();
        assert_eq!(plan(&old, &old), ReloadPlan::default());
        let mut new = old.clone();
        new.log_level = "debug".into();
        new.allowed_origins = vec!["https://app.example.com".into()];
        new.listen = "127.0.0.1:9999".parse().unwrap();
        new.data_dir = "/elsewhere".into();
        let p = plan(&old, &new);
        assert_eq!(p.live, vec!["log_level", "allowed_origins"]);
        assert_eq!(p.restart, vec!["listen", "data_dir"]);

        let mut tls = old.clone();
        tls.tls = Some(TlsPaths { cert: "/c.pem".into(), key: "/k.pem".into() });
        assert_eq!(plan(&old, &tls).restart, vec!["tls (on/off)"]);
        assert_eq!(plan(&tls, &tls).live, vec!["tls"]);
    }
}
