//! Starts the real `alpenglow demo` binary on a data directory the test
//! owns (so it can be restarted, killed with SIGKILL and inspected), with its
//! stderr captured to a file; and runs CLI commands on that directory.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub struct DemoAt {
    pub child: Child,
    pub addr: SocketAddr,
    pub keys: Value,
    pub sandbox_url: String,
    pub stderr: PathBuf,
}

/// Runs `alpenglow --data-dir DIR ARGS...`.
pub fn cli(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("alpenglow runs")
}

/// `cli`, asserting success; returns stdout.
pub fn cli_ok(dir: &Path, args: &[&str]) -> String {
    let out = cli(dir, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Every line of `alpenglow audit export --format jsonl`.
pub fn export(dir: &Path) -> Vec<Value> {
    cli_ok(dir, &["audit", "export", "--format", "jsonl"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The markers the load tests put in their search domains
/// (`[["name", "=", MARKER]]`), as the audit log recorded them.
pub fn logged_markers(dir: &Path) -> std::collections::HashSet<String> {
    export(dir)
        .iter()
        .filter_map(|e| e["domain"].as_str())
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|d| d[0][2].as_str().map(str::to_string))
        .collect()
}

impl DemoAt {
    /// Starts the demo on `dir`; stderr goes to `dir/../<name>.stderr`.
    pub fn start(dir: &Path, stderr_name: &str) -> DemoAt {
        DemoAt::start_with(dir, stderr_name, &[])
    }

    /// As `start`, with more arguments after `demo` (e.g. `--log-format json`).
    pub fn start_with(dir: &Path, stderr_name: &str, extra: &[&str]) -> DemoAt {
        let stderr = dir.parent().unwrap().join(format!("{stderr_name}.stderr"));
        let file = std::fs::File::create(&stderr).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
            .arg("--data-dir")
            .arg(dir)
            .args(["demo", "--listen", "127.0.0.1:0", "--json"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(file))
            .spawn()
            .expect("demo starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("demo line {line:?}: {e}"));
        let url = v["mcp_url"].as_str().unwrap();
        let addr = url.trim_start_matches("http://").trim_end_matches("/alpenglow/mcp").parse().unwrap();
        let sandbox_url = v["sandbox_url"].as_str().unwrap_or_default().to_string();
        DemoAt { child, addr, keys: v["keys"].clone(), sandbox_url, stderr }
    }

    pub fn key(&self, role: &str) -> String {
        self.keys[role].as_str().unwrap().to_string()
    }

    /// The process id, for signals.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends a signal (SIGTERM, SIGHUP, ...).
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) with our own child's pid has no memory effects.
        assert_eq!(unsafe { libc::kill(self.pid(), signal) }, 0, "kill failed");
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for DemoAt {
    fn drop(&mut self) {
        self.kill9();
    }
}
