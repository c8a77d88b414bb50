//! Logging for the daemons (`serve`, `demo`) through `tracing`, on stderr.
//!
//! Two formats:
//! - `plain` (default): one line per event, no colours unless stderr is a
//!   terminal. Under systemd (`JOURNAL_STREAM` set: stderr goes to the
//!   journal) the line carries no timestamp, since journald stamps every line
//!   itself; elsewhere it starts with an RFC 3339 UTC timestamp.
//! - `json`: one JSON object per line (`timestamp`, `level`, `target`,
//!   `message` and the event's fields at the top level), for log shippers.
//!
//! The level is a `tracing-subscriber` `EnvFilter` (RUST_LOG syntax): a
//! level (`info`), or directives (`info,alpenglow::faces=debug`). It can be
//! changed while running ([`LogHandle::set_level`], on SIGHUP).
//!
//! No event carries an API key: the gateway logs credential ids and labels,
//! never the `Authorization` header (tests grep the logs for the keys).

use std::io::IsTerminal;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, reload};

/// The levels a bare directive may name.
pub const LEVELS: &[&str] = &["error", "warn", "info", "debug", "trace", "off"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Plain,
    Json,
}

impl LogFormat {
    pub fn parse(text: &str) -> Result<LogFormat, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "plain" | "text" => Ok(LogFormat::Plain),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("log format {other:?} is unknown; allowed: plain, json")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Plain => "plain",
            LogFormat::Json => "json",
        }
    }
}

/// Parses a level or a directive list. A bare word must be a level, so a
/// typo such as `inof` is refused rather than read as a target name.
pub fn parse_filter(text: &str) -> Result<EnvFilter, String> {
    let explain = || {
        format!(
            "log level {text:?} is not a level ({}) or a filter such as \"info,alpenglow::faces=debug\"",
            LEVELS.join(", ")
        )
    };
    for directive in text.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        if !directive.contains('=') && !directive.contains('[') && !LEVELS.contains(&directive) {
            return Err(explain());
        }
    }
    EnvFilter::builder().parse(text).map_err(|e| format!("{}: {e}", explain()))
}

/// Changes the level of the running subscriber.
pub struct LogHandle {
    filter: reload::Handle<EnvFilter, Registry>,
}

impl LogHandle {
    pub fn set_level(&self, text: &str) -> Result<(), String> {
        let filter = parse_filter(text)?;
        self.filter.reload(filter).map_err(|e| format!("cannot change the log level: {e}"))
    }
}

/// Installs the process-wide subscriber on stderr. Fails if one is already
/// installed.
pub fn init(level: &str, format: LogFormat) -> Result<LogHandle, String> {
    let (filter, handle) = reload::Layer::new(parse_filter(level)?);
    let ansi = std::io::stderr().is_terminal();
    let journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let output = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Plain if journald => {
            tracing_subscriber::fmt::layer().with_ansi(ansi).without_time().with_writer(std::io::stderr).boxed()
        }
        LogFormat::Plain => tracing_subscriber::fmt::layer().with_ansi(ansi).with_writer(std::io::stderr).boxed(),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(output)
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))?;
    Ok(LogHandle { filter: handle })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_directives_parse_and_typos_are_refused() {
        for good in ["info", "debug", "off", "info,alpenglow::faces=debug", "warn,hyper=error"] {
            assert!(parse_filter(good).is_ok(), "{good}");
        }
        for bad in ["inof", "loud", "info,verbose"] {
            let e = parse_filter(bad).unwrap_err();
            assert!(e.contains("error, warn, info, debug, trace, off"), "{e}");
        }
        assert_eq!(LogFormat::parse("JSON"), Ok(LogFormat::Json));
        assert!(LogFormat::parse("xml").unwrap_err().contains("allowed: plain, json"));
    }
}
