//! The `[http]` section of the boot configuration: how long the listener
//! waits for a client and how many connections it holds at once. Slow,
//! idle or too many connections must not starve the clients that behave.

use serde::Deserialize;
use std::time::Duration;

/// The listener's limits. Live: a SIGHUP applies them to new connections
/// (timeouts) and to the next accept (the connection cap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpLimits {
    /// A new connection must deliver its first request head within this; a
    /// kept-alive one, once it starts its next request.
    pub header_read_timeout_seconds: u32,
    /// A request body must arrive whole within this, else 408.
    pub body_read_timeout_seconds: u32,
    /// A kept-alive connection with no request in flight is closed after this.
    pub idle_timeout_seconds: u32,
    /// Connections held at once; past it a new one gets 503 and is closed.
    pub max_connections: u32,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout_seconds: 10,
            body_read_timeout_seconds: 30,
            idle_timeout_seconds: 60,
            max_connections: 1024,
        }
    }
}

/// (key, least, most) of each limit, for the messages.
const RANGES: [(&str, u32, u32); 4] = [
    ("header_read_timeout_seconds", 1, 3600),
    ("body_read_timeout_seconds", 1, 3600),
    ("idle_timeout_seconds", 1, 86_400),
    ("max_connections", 1, 1_000_000),
];

impl HttpLimits {
    /// Refuses a value outside its range, naming the key and the range.
    pub fn validate(&self) -> Result<(), String> {
        let values = [
            self.header_read_timeout_seconds,
            self.body_read_timeout_seconds,
            self.idle_timeout_seconds,
            self.max_connections,
        ];
        for ((key, least, most), value) in RANGES.iter().zip(values) {
            if !(*least..=*most).contains(&value) {
                return Err(format!("[http] {key} = {value} is out of range: allowed {least} to {most}"));
            }
        }
        Ok(())
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.header_read_timeout_seconds))
    }

    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.body_read_timeout_seconds))
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.idle_timeout_seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_and_each_range_is_named() {
        assert_eq!(HttpLimits::default().validate(), Ok(()));
        let zero = HttpLimits { idle_timeout_seconds: 0, ..HttpLimits::default() };
        assert_eq!(zero.validate().unwrap_err(), "[http] idle_timeout_seconds = 0 is out of range: allowed 1 to 86400");
        let many = HttpLimits { max_connections: 2_000_000, ..HttpLimits::default() };
        assert!(many.validate().unwrap_err().contains("max_connections"));
    }

    #[test]
    fn a_partial_section_keeps_the_other_defaults() {
        let limits: HttpLimits = toml::from_str("max_connections = 8").unwrap();
        assert_eq!(limits, HttpLimits { max_connections: 8, ..HttpLimits::default() });
        assert!(toml::from_str::<HttpLimits>("max_conections = 8").unwrap_err().to_string().contains("max_conections"));
    }
}
