//! Starts the real `alpenglow demo` binary on a temp data directory and a
//! free loopback port, and reads its one JSON line. The process is killed
//! when the handle drops, even if the test panics.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct Demo {
    pub child: Child,
    pub mcp_url: String,
    pub sandbox_url: String,
    pub keys: Value,
    pub data_dir: tempfile::TempDir,
}

impl Demo {
    pub fn start() -> Demo {
        Demo::start_with(&[])
    }

    /// Starts the demo after running `settings set` commands on its data directory.
    pub fn start_with(settings: &[(&str, &str)]) -> Demo {
        let data_dir = tempfile::tempdir().expect("temp dir");
        for (key, value) in settings {
            let out = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
                .arg("--data-dir")
                .arg(data_dir.path())
                .args(["settings", "set", key, value])
                .output()
                .expect("settings set runs");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
            .arg("--data-dir")
            .arg(data_dir.path())
            .args(["demo", "--listen", "127.0.0.1:0", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("demo starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("a line");
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("demo line {line:?}: {e}"));
        Demo {
            child,
            mcp_url: v["mcp_url"].as_str().expect("mcp_url").to_string(),
            sandbox_url: v["sandbox_url"].as_str().expect("sandbox_url").to_string(),
            keys: v["keys"].clone(),
            data_dir,
        }
    }

    pub fn key(&self, role: &str) -> String {
        self.keys[role].as_str().unwrap_or_else(|| panic!("no {role} key")).to_string()
    }

    /// `http://127.0.0.1:PORT` of the gateway.
    pub fn base(&self) -> String {
        self.mcp_url.trim_end_matches("/alpenglow/mcp").to_string()
    }

    /// `127.0.0.1:PORT` of the gateway.
    pub fn addr(&self) -> String {
        self.base().trim_start_matches("http://").to_string()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
