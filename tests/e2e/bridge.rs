//! The original's official client, `alpenglow-mcp-bridge` 1.0.4 from PyPI,
//! run unchanged as a stdio MCP server with `--url` pointing at Alpenglow and
//! driven by the official MCP Python client; then the same calls through
//! `alpenglow bridge`, which must answer with the same texts.
//!
//! The virtual environment is made by `tests/setup.sh`
//! (tests/clients/bridge/.venv), which the test runs when it is missing.

use crate::common::{clients, demo};

use demo::Demo;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn venv() -> PathBuf {
    clients::ensure();
    clients::path("bridge/.venv/bin")
}

/// Runs the driver script against one bridge command; returns its JSON.
fn drive(venv: &Path, scenario: &str, bridge: &[String]) -> Value {
    let script = clients::path("bridge/drive_bridge.py");
    let out = Command::new(venv.join("python"))
        .arg(script)
        .arg(scenario)
        .arg("--")
        .args(bridge)
        .output()
        .expect("python runs");
    assert!(out.status.success(), "driver failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn official(venv: &Path, demo: &Demo, key: &str) -> Vec<String> {
    vec![
        venv.join("alpenglow-mcp-bridge").display().to_string(),
        "--url".into(),
        demo.base(),
        "--token".into(),
        key.into(),
    ]
}

fn ours(demo: &Demo, key: &str) -> Vec<String> {
    vec![
        env!("CARGO_BIN_EXE_alpenglow").into(),
        "bridge".into(),
        "--url".into(),
        demo.base(),
        "--token".into(),
        key.into(),
    ]
}

fn text<'a>(run: &'a Value, label: &str) -> &'a str {
    run["calls"][label]["text"].as_str().unwrap_or_else(|| panic!("no call {label}: {run}"))
}

fn result(run: &Value, label: &str) -> Value {
    serde_json::from_str(text(run, label)).unwrap_or_else(|e| panic!("{label}: {e}: {}", text(run, label)))
}

#[test]
fn the_official_bridge_and_ours_drive_every_tool_with_the_same_results() {
    let venv = venv();
    // Each bridge gets a fresh demo, so created ids and counts match exactly.
    let first = Demo::start();
    let via_official = drive(&venv, "full", &official(&venv, &first, &first.key("admin")));
    drop(first);
    let second = Demo::start();
    let via_ours = drive(&venv, "full", &ours(&second, &second.key("admin")));

    let tools: Vec<&str> = via_official["tools"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert_eq!(tools.len(), 9);
    // Ours lists the same nine, then the approval check (the official one predates approvals).
    let mut expected = via_official["tools"].as_array().unwrap().clone();
    expected.push(json!("alpenglow_approval_status"));
    assert_eq!(via_ours["tools"], Value::Array(expected));

    let run = &via_official;
    assert!(result(run, "list_models")["models"].as_array().unwrap().iter().any(|m| m["model"] == "sale.order"));
    assert_eq!(result(run, "describe")["fields"]["name"]["type"], "char");
    assert_eq!(result(run, "search")["records"].as_array().unwrap().len(), 5);
    assert_eq!(result(run, "read")["records"][0]["id"], 1);
    assert_eq!(result(run, "create")["ids"].as_array().unwrap().len(), 1);
    assert_eq!(result(run, "create_many")["ids"].as_array().unwrap().len(), 2);
    assert_eq!(result(run, "count")["count"], 60);
    let sum = result(run, "sum")["value"].as_f64().unwrap();
    let avg = result(run, "avg")["value"].as_f64().unwrap();
    assert!((sum / 60.0 - avg).abs() < 0.01, "sum {sum} avg {avg}");
    assert!(result(run, "min")["value"].as_f64().unwrap() <= result(run, "max")["value"].as_f64().unwrap());
    // amount_total by partner, top first.
    let groups = result(run, "by_partner")["groups"].as_array().unwrap().clone();
    assert_eq!(groups.len(), 5);
    let totals: Vec<f64> = groups.iter().map(|g| g["measures"]["amount_total:sum"].as_f64().unwrap()).collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");
    // By month: ordered periods whose values add up to the sum.
    let periods = result(run, "by_month")["periods"].as_array().unwrap().clone();
    assert!(periods.len() >= 10, "{periods:?}");
    let by_month: f64 = periods.iter().map(|p| p["value"].as_f64().unwrap()).sum();
    assert!((by_month - sum).abs() < 0.05, "{by_month} vs {sum}");
    // Top 5 orders by amount, the largest first and equal to max.
    let top = result(run, "top5")["records"].as_array().unwrap().clone();
    assert_eq!(top.len(), 5);
    assert_eq!(top[0]["amount_total"].as_f64(), result(run, "max")["value"].as_f64());
    assert!(result(run, "pivot")["rows"].as_array().unwrap().len() == 2);
    assert!(text(run, "execute").contains("Azure"));
    assert_eq!(
        text(run, "bad_param"),
        "Odoo error (-32602): alpenglow_aggregate: operation sum needs field, e.g. \"amount_total\""
    );
    assert_eq!(result(run, "read_back")["records"][0]["phone"], "555-0100");
    assert_eq!(result(run, "delete")["deleted"], true);

    // The same calls through `alpenglow bridge` give the same texts.
    for (label, call) in via_official["calls"].as_object().unwrap() {
        assert_eq!(call["text"], via_ours["calls"][label]["text"], "{label}");
    }
    // Ours marks refusals as tool errors, which the original's bridge does not.
    assert_eq!(via_ours["calls"]["bad_param"]["is_error"], true);
}

#[test]
fn refusals_read_the_same_through_both_bridges() {
    let venv = venv();
    let demo = Demo::start();
    let create = "one:alpenglow_create:{\"model\": \"res.partner\", \"values\": {\"name\": \"Nope\"}}";
    let readonly = demo.key("readonly");
    for bridge in [official(&venv, &demo, &readonly), ours(&demo, &readonly)] {
        let run = drive(&venv, create, &bridge);
        let t = text(&run, "one");
        assert!(t.starts_with("Odoo error (-32002): your credential is read-only"), "{t}");
    }
    let list = "one:alpenglow_list_models:{}";
    let bad = "0123456789abcdef0123456789abcdef01234567";
    for bridge in [official(&venv, &demo, bad), ours(&demo, bad)] {
        let run = drive(&venv, list, &bridge);
        assert_eq!(text(&run, "one"), "Authentication failed: invalid or expired API token.");
    }
}

#[test]
fn a_rate_limited_call_reads_the_same_through_both_bridges_with_its_reset_time() {
    let venv = venv();
    // Three calls a minute: the fourth is refused with 429 and X-RateLimit-Reset.
    let limit = 3;
    let repeat = format!("repeat:{}:alpenglow_list_models:{{}}", limit + 1);
    for official_bridge in [true, false] {
        let demo = Demo::start_with(&[("requests_per_minute", "3")]);
        let key = demo.key("sales");
        let bridge = if official_bridge { official(&venv, &demo, &key) } else { ours(&demo, &key) };
        let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let run = drive(&venv, &repeat, &bridge);
        let after = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        for i in 1..=limit {
            assert!(result(&run, &i.to_string())["models"].is_array(), "call {i}: {run}");
        }
        let refused = text(&run, &(limit + 1).to_string());
        let reset = refused
            .strip_prefix("Rate limit exceeded. Resets at timestamp ")
            .and_then(|rest| rest.strip_suffix(". Wait before retrying."))
            .unwrap_or_else(|| panic!("not the bridge's rate-limit text: {refused}"));
        let reset: u64 = reset.parse().unwrap_or_else(|_| panic!("reset is not a Unix time: {refused}"));
        // A minute after the first of the three calls, which came between `before` and `after`.
        assert!((before + 60..=after + 61).contains(&reset), "reset {reset}, calls between {before} and {after}");
    }
}
