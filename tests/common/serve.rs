//! Starts the real `alpenglow serve` on a temp data directory with a config
//! file the test writes (and may rewrite before a SIGHUP), JSON logs on
//! stderr collected line by line; the address comes from the "serving"
//! event. The process is killed when the handle drops.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Serve {
    pub child: Child,
    pub addr: SocketAddr,
    pub config: PathBuf,
    pub data_dir: PathBuf,
    logs: Arc<Mutex<Vec<Value>>>,
}

impl Serve {
    /// `alpenglow --config ROOT/alpenglow.toml --data-dir ROOT/data serve`, with `config` as the
    /// file (which should say `listen = "127.0.0.1:0"`).
    pub fn start(root: &Path, config: &str) -> Serve {
        let config_path = root.join("alpenglow.toml");
        std::fs::write(&config_path, config).unwrap();
        let data_dir = root.join("data");
        let mut child = Command::new(env!("CARGO_BIN_EXE_alpenglow"))
            .arg("--config")
            .arg(&config_path)
            .arg("--data-dir")
            .arg(&data_dir)
            .args(["--log-format", "json", "serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|_| serde_json::json!({"message": line, "not_json": true}));
                sink.lock().unwrap().push(value);
            }
        });
        let mut serve = Serve { child, addr: "0.0.0.0:0".parse().unwrap(), config: config_path, data_dir, logs };
        let serving = serve.wait_for_log(|e| e["message"].as_str().is_some_and(|m| m.starts_with("serving on")));
        serve.addr = serving["addr"].as_str().unwrap().parse().unwrap();
        serve
    }

    /// Every log event so far.
    pub fn logs(&self) -> Vec<Value> {
        self.logs.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) for an event matching `wanted`, and returns it.
    pub fn wait_for_log(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(found) = self.logs().into_iter().find(&wanted) {
                return found;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("serve exited ({status}) before the log line came: {:#?}", self.logs());
            }
            assert!(Instant::now() < deadline, "no such log line in {:#?}", self.logs());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal (SIGTERM, SIGHUP, ...).
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) with our own child's pid has no memory effects.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, signal) }, 0, "kill failed");
    }

    /// Rewrites the config file.
    pub fn rewrite_config(&self, text: &str) {
        std::fs::write(&self.config, text).unwrap();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
