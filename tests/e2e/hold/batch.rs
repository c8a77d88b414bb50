//! JSON-RPC batches (2025-03-26) against the real demo: at most 50
//! messages, every message charged to the caller's Requests per Minute, and
//! the answer bounded by `max_output_chars` however many messages ask.

use crate::common::demo_at::{DemoAt, cli_ok};
use crate::common::http;
use serde_json::{Value, json};
use std::net::SocketAddr;

/// Opens a 2025-03-26 session; returns its id.
fn session(addr: SocketAddr, key: &str) -> String {
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "batch", "version": "1"}}});
    let r = post(addr, key, None, &init);
    assert_eq!(r.status, 200, "{}", r.text());
    r.header("mcp-session-id").unwrap().to_string()
}

fn post(addr: SocketAddr, key: &str, session: Option<&str>, body: &Value) -> http::HttpResponse {
    let auth = format!("Bearer {key}");
    let mut headers = vec![("Authorization", auth.as_str()), ("Accept", "application/json, text/event-stream")];
    if let Some(id) = session {
        headers.push(("Mcp-Session-Id", id));
    }
    http::post_json(addr, "/alpenglow/mcp", &headers, body)
}

fn tools_lists(n: usize) -> Value {
    Value::Array((0..n).map(|i| json!({"jsonrpc": "2.0", "id": i + 1, "method": "tools/list"})).collect())
}

#[test]
fn a_batch_is_capped_charged_per_message_and_bounded() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    cli_ok(&dir, &["settings", "set", "requests_per_minute", "60"]);
    cli_ok(&dir, &["settings", "set", "max_output_chars", "10000000"]);
    let demo = DemoAt::start(&dir, "batch");
    let (addr, key) = (demo.addr, demo.key("admin"));
    let id = session(addr, &key); // one request of the 60

    let refused = post(addr, &key, Some(&id), &tools_lists(51));
    assert_eq!(refused.status, 400, "a batch of 51 was not refused");
    let message = refused.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("at most 50 messages and this one has 51"), "{message}");

    // 50 + 50 messages against 59 requests left: exactly 59 answered.
    let mut answered = 0;
    let mut limited = 0;
    for _ in 0..2 {
        let r = post(addr, &key, Some(&id), &tools_lists(50));
        assert_eq!(r.status, 200, "{}", r.text());
        for answer in r.json().as_array().unwrap() {
            if answer["result"]["tools"].is_array() {
                answered += 1;
            } else {
                assert_eq!(answer["error"]["code"], -31005, "{answer}");
                assert!(answer["error"]["message"].as_str().unwrap().contains("Rate limit exceeded"), "{answer}");
                limited += 1;
            }
        }
    }
    assert_eq!((answered, limited), (59, 41));
}

#[test]
fn a_batch_answer_stops_growing_at_max_output_chars() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    cli_ok(&dir, &["settings", "set", "max_output_chars", "20000"]);
    let demo = DemoAt::start(&dir, "batch-bound");
    let (addr, key) = (demo.addr, demo.key("admin"));
    let id = session(addr, &key);
    let one = post(addr, &key, Some(&id), &tools_lists(1)).text().len();
    assert!(one > 2_000, "one tools/list answer is {one} bytes");
    let r = post(addr, &key, Some(&id), &tools_lists(50));
    let answers = r.json().as_array().unwrap().clone();
    assert_eq!(answers.len(), 50);
    let run = answers.iter().filter(|a| a["result"].is_object()).count();
    assert_eq!(run, 20_000usize.div_ceil(one), "answers run until 20,000 characters, then no more");
    let skipped = &answers[run];
    assert!(skipped["error"]["message"].as_str().unwrap().contains("max_output_chars"), "{skipped}");
    assert!(r.body.len() < 20_000 + one + 50 * 300, "the answer is {} bytes", r.body.len());
}
