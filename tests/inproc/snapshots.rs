//! The gateway reads the settings and the resources from snapshots made
//! once per change (`Catalog::settings_snapshot`, `resources_snapshot`),
//! not from the store on every request: a change through the admin socket
//! (what the CLI and the dashboard use while a daemon runs) or the admin
//! service in process must still reach the very next request.

use crate::common::inproc::setup;
use alpenglow::admin::AdminContext;
use alpenglow::admin_socket::server::{AdminSocket, SocketOptions};
use alpenglow::config::Scope;
use alpenglow::gateway::{OpError, UpstreamSlot};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;

/// One request line on the admin socket, its answer.
fn admin(path: &Path, line: Value) -> Value {
    let mut stream = UnixStream::connect(path).unwrap();
    stream.write_all(format!("{line}\n").as_bytes()).unwrap();
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).unwrap();
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert!(answer.get("ok").is_some(), "{line}: {answer}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_through_the_admin_socket_and_in_process_reach_the_next_request() {
    let s = setup().await;
    s.credential("admin", Scope::Full, None);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("admin.sock");
    let socket = AdminSocket::bind(&SocketOptions { path: path.clone(), group: None }).unwrap();
    tokio::spawn(socket.serve(AdminContext::new(s.admin.clone(), UpstreamSlot::default(), None, "test")));
    let search = json!({"model": "res.partner", "fields": ["name"], "limit": 1});
    s.call("admin", "alpenglow_search", search.clone()).await.unwrap();

    let set = |value: &str| json!({"op": "settings.set", "args": {"key": "enable_mcp", "value": value}});
    let path2 = path.clone();
    tokio::task::spawn_blocking(move || admin(&path2, set("off"))).await.unwrap();
    let refused = s.call("admin", "alpenglow_search", search.clone()).await;
    assert!(matches!(refused, Err(OpError::Disabled)), "{refused:?}");
    let path2 = path.clone();
    tokio::task::spawn_blocking(move || admin(&path2, set("on"))).await.unwrap();
    s.call("admin", "alpenglow_search", search.clone()).await.unwrap();

    // Resources: read-only through the socket, then removed in process.
    let edit = json!({"op": "resources.edit", "args": {"resource": "res.partner", "patch": {"ops": "read"}}});
    let path2 = path.clone();
    tokio::task::spawn_blocking(move || admin(&path2, edit)).await.unwrap();
    let create = s.call("admin", "alpenglow_create", json!({"model": "res.partner", "values": {"name": "X"}})).await;
    assert!(matches!(create, Err(OpError::Denied(_))), "{create:?}");
    let id = s.admin.find_resource("res.partner").unwrap().id;
    s.admin.remove_resource(id).unwrap();
    let gone = s.call("admin", "alpenglow_search", search).await;
    assert!(matches!(gone, Err(OpError::Denied(_) | OpError::NotFound(_))), "{gone:?}");
}
