//! Official MCP SDKs that no one here wrote, against the real `alpenglow
//! demo`: the Python SDK 2.x (`mcp==2.3.0`: `server/discover` probe, so
//! 2026-07-28), the Python SDK 1.x (`mcp==1.30.0`: initialize, 2025-11-25)
//! and the TypeScript SDK (`@modelcontextprotocol/sdk` 1.32.2: initialize,
//! 2025-11-25). Each lists the tools, calls every one of them, reads a
//! resource, and prints one line per check and 'N passed, N failed'.
//!
//! `.ci/run` installs them (tests/clients/python/.venv1, .venv2 and
//! tests/clients/ts/node_modules). Without them a test says so and fails
//! under CI, skips elsewhere.

#[path = "common/demo.rs"]
mod demo;

use demo::Demo;
use std::path::{Path, PathBuf};
use std::process::Command;

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// `path` when it exists; otherwise `None` after saying why (a failure under CI).
fn installed(path: PathBuf, how: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    let message = format!("{} is missing: run .ci/run (or {how})", path.display());
    if std::env::var_os("CI").is_some() {
        panic!("{message}");
    }
    eprintln!("SKIPPED: {message}");
    None
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
    let dir = clients_dir().join("python");
    let Some(python) = installed(
        dir.join(".venv2/bin/python"),
        "python3 -m venv tests/clients/python/.venv2 && tests/clients/python/.venv2/bin/pip install mcp==2.3.0",
    ) else {
        return;
    };
    let output = run_client(&python, &dir.join("mcp2_client.py"));
    assert_eq!(negotiated(&output), "2026-07-28", "{output}");
}

#[test]
fn python_sdk_1_uses_2025_11_25_and_every_tool_works() {
    let dir = clients_dir().join("python");
    let Some(python) = installed(
        dir.join(".venv1/bin/python"),
        "python3 -m venv tests/clients/python/.venv1 && tests/clients/python/.venv1/bin/pip install mcp==1.30.0",
    ) else {
        return;
    };
    let output = run_client(&python, &dir.join("mcp1_client.py"));
    assert_eq!(negotiated(&output), "2025-11-25", "{output}");
}

#[test]
fn typescript_sdk_uses_2025_11_25_and_every_tool_works() {
    let dir = clients_dir().join("ts");
    if installed(dir.join("node_modules/@modelcontextprotocol/sdk/package.json"), "cd tests/clients/ts && npm ci")
        .is_none()
    {
        return;
    }
    let output = run_client(Path::new("node"), &dir.join("client.mjs"));
    assert_eq!(negotiated(&output), "2025-11-25", "{output}");
}
