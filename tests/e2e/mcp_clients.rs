//! Official MCP SDKs that no one here wrote, against the real `alpenglow
//! demo`: the Python SDK 2.x (`mcp==2.3.0`: `server/discover` probe, so
//! 2026-07-28), the Python SDK 1.x (`mcp==1.30.0`: initialize, 2025-11-25)
//! and the TypeScript SDK (`@modelcontextprotocol/sdk` 1.32.2: initialize,
//! 2025-11-25). Each lists the tools, calls every one of them, reads a
//! resource, and prints one line per check and 'N passed, N failed'.
//!
//! `tests/setup.sh` installs them (tests/clients/python/.venv1, .venv2 and
//! tests/clients/ts/node_modules); each test runs it when they are missing.

use crate::common::{clients, demo};

use demo::Demo;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `tests/clients/<rest>`, after making sure the clients are installed.
fn installed(rest: &str) -> PathBuf {
    clients::ensure();
    clients::path(rest)
}

/// Runs a client against a fresh demo with the admin key; returns its output
/// after checking it passed every check.
fn run_client(program: &Path, script: &Path) -> String {
    let demo = Demo::start();
    let out = Command::new(program)
        .arg(script)
        .arg(&demo.mcp_url)
        .arg(demo.key("admin"))
        .current_dir(script.parent().expect("script dir"))
        .output()
        .expect("client runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "client failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(!stdout.contains("FAIL "), "{stdout}");
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.ends_with(" passed, 0 failed") && !summary.starts_with("0 "), "{stdout}");
    eprintln!("{stdout}");
    stdout
}

fn negotiated(output: &str) -> &str {
    output.lines().find_map(|l| l.strip_prefix("NEGOTIATED ")).unwrap_or_default()
}

#[test]
fn python_sdk_2_uses_2026_07_28_and_every_tool_works() {
    let output = run_client(&installed("python/.venv2/bin/python"), &clients::path("python/mcp2_client.py"));
    assert_eq!(negotiated(&output), "2026-07-28", "{output}");
}

#[test]
fn python_sdk_1_uses_2025_11_25_and_every_tool_works() {
    let output = run_client(&installed("python/.venv1/bin/python"), &clients::path("python/mcp1_client.py"));
    assert_eq!(negotiated(&output), "2025-11-25", "{output}");
}

#[test]
fn typescript_sdk_uses_2025_11_25_and_every_tool_works() {
    installed("ts/node_modules/@modelcontextprotocol/sdk/package.json");
    let output = run_client(Path::new("node"), &clients::path("ts/client.mjs"));
    assert_eq!(negotiated(&output), "2025-11-25", "{output}");
}
