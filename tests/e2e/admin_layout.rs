//! Where the admin's commands look, through the real binary: a packaged
//! install (config and socket under temp stand-ins for /etc and /run, named
//! with ALPENGLOW_SYSTEM_ROOT) is found from any directory by `settings`,
//! `doctor` and `tui`; and no command makes a data directory it was not
//! asked for (only serve, demo, restore and init make one; a directory named
//! with --data-dir is made by a change of the configuration, never by a read).

use crate::common::tmux::Tmux;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// Variables that would point a command elsewhere than the test says.
const PLACES: [&str; 4] = ["STATE_DIRECTORY", "RUNTIME_DIRECTORY", "CONFIGURATION_DIRECTORY", "INVOCATION_ID"];

/// `alpenglow ARGS` run in `cwd` with only `env` of the variables that choose places.
fn alpenglow_in(cwd: &Path, env: &[(&str, &Path)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_alpenglow"));
    command.current_dir(cwd).args(args).stdin(Stdio::null());
    for (key, _) in std::env::vars() {
        if key.starts_with("ALPENGLOW_") || PLACES.contains(&key.as_str()) {
            command.env_remove(key);
        }
    }
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every entry under `dir`, as paths relative to it.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.push(path.strip_prefix(dir).unwrap().to_path_buf());
        if path.is_dir() {
            out.extend(tree(&path).into_iter().map(|p| path.strip_prefix(dir).unwrap().join(p)));
        }
    }
    out.sort();
    out
}

/// Every admin command, reading or changing.
const COMMANDS: &[&[&str]] = &[
    &["settings", "show"],
    &["settings", "set", "requests_per_minute", "50"],
    &["resources", "list"],
    &["resources", "add", "res.partner"],
    &["resources", "remove", "1"],
    &["credentials", "list"],
    &["credentials", "revoke", "1"],
    &["audit", "query"],
    &["audit", "export", "--format", "jsonl"],
    &["sessions", "list"],
    &["jobs", "run", "session-cleanup"],
    &["backup", "backup.jsonl"],
    &["tui"],
    &["doctor"],
];

#[test]
fn no_command_makes_a_data_directory_it_was_not_asked_for() {
    let cwd = tempfile::tempdir().unwrap();
    let nothing_installed = tempfile::tempdir().unwrap();
    let local = [("ALPENGLOW_SYSTEM_ROOT", nothing_installed.path())];
    for args in COMMANDS {
        let out = alpenglow_in(cwd.path(), &local, args);
        assert_eq!(tree(cwd.path()), Vec::<PathBuf>::new(), "{args:?} left something behind: {}", stderr(&out));
        if args[0] == "doctor" {
            continue; // it reports and exits 1 for what fails; it never makes anything
        }
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let said = stderr(&out);
        assert!(said.contains("alpenglow-data/admin.sock"), "{args:?} names the socket it tried: {said}");
        if args[0] != "tui" {
            assert!(said.contains("no data directory alpenglow-data") && said.contains("alpenglow init"), "{said}");
        }
    }

    // A packaged install's config without its running service: its data
    // directory (a stand-in for /var/lib/alpenglow) is not made either.
    let system = tempfile::tempdir().unwrap();
    let config = system.path().join("etc/alpenglow/alpenglow.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "").unwrap();
    let packaged = [("ALPENGLOW_SYSTEM_ROOT", system.path())];
    for args in COMMANDS {
        let out = alpenglow_in(cwd.path(), &packaged, args);
        assert_eq!(tree(cwd.path()), Vec::<PathBuf>::new(), "{args:?}: {}", stderr(&out));
        assert_eq!(
            tree(system.path()),
            [PathBuf::from("etc"), "etc/alpenglow".into(), "etc/alpenglow/alpenglow.toml".into()]
        );
        if args[0] != "doctor" {
            let said = stderr(&out);
            assert!(said.contains("run/alpenglow/admin.sock") && said.contains("systemctl"), "{args:?}: {said}");
        }
    }

    // A directory named with --data-dir: reading commands and doctor leave it
    // unmade; a change of the configuration there makes it, as asked.
    let named = cwd.path().join("prepared");
    let dir = named.to_str().unwrap();
    for args in COMMANDS.iter().filter(|a| matches!(a[0], "doctor" | "audit" | "sessions") || a.get(1) == Some(&"list"))
    {
        let out = alpenglow_in(cwd.path(), &local, &[&["--data-dir", dir][..], args].concat());
        assert!(!named.exists(), "{args:?} made {dir}: {}", stderr(&out));
    }
    let out = alpenglow_in(cwd.path(), &local, &["--data-dir", dir, "settings", "set", "requests_per_minute", "50"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::metadata(&named).unwrap().permissions().mode() & 0o777, 0o700);

    // `init` makes the default one, on purpose; then the commands use it.
    let out = alpenglow_in(cwd.path(), &local, &["init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("alpenglow-data (mode 0700) with an empty store"));
    assert_eq!(std::fs::metadata(cwd.path().join("alpenglow-data")).unwrap().permissions().mode() & 0o777, 0o700);
    let out = alpenglow_in(cwd.path(), &local, &["settings", "set", "requests_per_minute", "50"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let again = alpenglow_in(cwd.path(), &local, &["--json", "init"]);
    let answer: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(answer["created"], false, "{answer}");
}

/// The packaged service as systemd runs it: its config, state and runtime
/// directories under `root` (stand-ins for /etc, /var/lib and /run).
struct Service {
    child: Child,
    addr: String,
}

impl Service {
    fn start(root: &Path) -> Service {
        Service::start_with_config(root, &root.join("etc/alpenglow"))
    }

    /// As [`Service::start`], its config file in `etc` instead.
    fn start_with_config(root: &Path, etc: &Path) -> Service {
        let (state, run) = (root.join("var/lib/alpenglow"), root.join("run/alpenglow"));
        for dir in [&state, &run] {
            std::fs::create_dir_all(dir).unwrap();
        }
        let cwd = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_alpenglow"));
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("ALPENGLOW_")) {
            command.env_remove(key);
        }
        let mut child = command
            .current_dir(cwd.path())
            .env("CONFIGURATION_DIRECTORY", etc)
            .env("STATE_DIRECTORY", &state)
            .env("RUNTIME_DIRECTORY", &run)
            .args(["--log-format", "json", "serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines.next().expect("serve logs until it serves").unwrap();
            let event: Value = serde_json::from_str(&line).unwrap_or_default();
            if event["message"].as_str().is_some_and(|m| m.starts_with("serving on")) {
                break event["addr"].as_str().unwrap().to_string();
            }
        };
        std::thread::spawn(move || lines.for_each(drop));
        Service { child, addr }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_packaged_layout_is_found_by_settings_tui_and_doctor() {
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("etc/alpenglow/alpenglow.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\n").unwrap();
    let service = Service::start(root.path());
    let socket = root.path().join("run/alpenglow/admin.sock");
    assert!(socket.exists());

    // An admin's shell somewhere else, nothing named: the service is found.
    let home = tempfile::tempdir().unwrap();
    let env = [("ALPENGLOW_SYSTEM_ROOT", root.path())];
    let out = alpenglow_in(home.path(), &env, &["settings", "set", "requests_per_minute", "50"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = alpenglow_in(home.path(), &env, &["--json", "settings", "show"]);
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rate = shown["settings"].as_array().unwrap().iter().find(|s| s["key"] == "requests_per_minute").unwrap();
    assert_eq!((&rate["value"], &rate["source"]), (&Value::from(50), &Value::from("stored")));
    assert_eq!(tree(home.path()), Vec::<PathBuf>::new(), "no store of its own in the admin's directory");

    // doctor reads the same places and the running daemon's own listener.
    let out = alpenglow_in(home.path(), &env, &["--json", "doctor"]);
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let said = |check: &str| {
        let f = findings.iter().find(|f| f["check"] == check).unwrap_or_else(|| panic!("{check}: {findings:?}"));
        f["message"].as_str().unwrap().to_string()
    };
    assert!(said("config").contains(&config.display().to_string()), "{findings:#?}");
    assert!(said("admin socket").contains(&socket.display().to_string()), "{findings:#?}");
    assert!(said("admin socket").contains("daemon answering"), "{findings:#?}");
    assert!(said("store").contains("through the running daemon"), "{findings:#?}");
    assert!(said("listener").contains(&service.addr), "the daemon's own address: {findings:#?}");

    // The dashboard too: the service's Home, and the setting just changed.
    let tui = Tmux::dashboard(home.path(), &[("ALPENGLOW_SYSTEM_ROOT", root.path().to_str().unwrap())]);
    // A fresh service opens on its setup wizard; leave it for the screens.
    tui.wait_for("Setup wizard");
    tui.keys(&["Escape"]);
    tui.wait_for("alpenglow serve");
    tui.keys(&["2"]);
    let line = tui.line_with("Requests per Minute");
    assert!(line.contains(" 50 "), "{line}");
    assert_eq!(tree(home.path()), Vec::<PathBuf>::new());
}

#[test]
fn without_the_config_file_the_dashboard_and_the_cli_go_to_the_socket_alone() {
    // The service reads its own config; the admin may not read the packaged
    // one. A directory in its place cannot be read as a file by anyone, root
    // included (a 0640 root:alpenglow file fails the same way for a user
    // outside the group), so this runs as root too.
    let root = tempfile::tempdir().unwrap();
    let service_etc = tempfile::tempdir().unwrap();
    std::fs::write(service_etc.path().join("alpenglow.toml"), "listen = \"127.0.0.1:0\"\n").unwrap();
    let unreadable = root.path().join("etc/alpenglow/alpenglow.toml");
    std::fs::create_dir_all(&unreadable).unwrap();
    let service = Service::start_with_config(root.path(), service_etc.path());
    let home = tempfile::tempdir().unwrap();
    let env = [("ALPENGLOW_SYSTEM_ROOT", root.path())];

    // The CLI: the packaged socket, found without the file.
    let out = alpenglow_in(home.path(), &env, &["settings", "set", "requests_per_minute", "73"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = alpenglow_in(home.path(), &env, &["--json", "settings", "show"]);
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)));
    let rate = shown["settings"].as_array().unwrap().iter().find(|s| s["key"] == "requests_per_minute").unwrap();
    assert_eq!(rate["value"], 73);

    // The dashboard: everything it shows comes from the daemon.
    let tui = Tmux::dashboard(home.path(), &[("ALPENGLOW_SYSTEM_ROOT", root.path().to_str().unwrap())]);
    tui.wait_for("Setup wizard");
    tui.keys(&["Escape"]);
    tui.wait_for("alpenglow serve");
    tui.keys(&["2"]);
    let line = tui.line_with("Requests per Minute");
    assert!(line.contains(" 73 "), "{line}");
    tui.keys(&["q"]);
    tui.wait_for("dashboard exited with 0");
    assert_eq!(tree(home.path()), Vec::<PathBuf>::new());

    // Not root: the real thing too, a config file this user may not read.
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    if unsafe { libc::geteuid() } != 0 {
        std::fs::remove_dir(&unreadable).unwrap();
        std::fs::write(&unreadable, "listen = \"127.0.0.1:0\"\n").unwrap();
        std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
        let out = alpenglow_in(home.path(), &env, &["settings", "show"]);
        assert!(out.status.success(), "a 000 file: {}", stderr(&out));
        std::fs::remove_file(&unreadable).unwrap();
        std::fs::create_dir(&unreadable).unwrap();
    }

    // Neither the file nor a daemon: both named, and what to do.
    drop(service);
    let out = alpenglow_in(home.path(), &env, &["tui"]);
    assert_eq!(out.status.code(), Some(1));
    let said = stderr(&out);
    assert!(said.contains(&format!("cannot read the config file {}", unreadable.display())), "{said}");
    assert!(said.contains("run/alpenglow/admin.sock") && said.contains("systemctl enable --now alpenglow"), "{said}");
    // A config that does not parse is still refused as such: only an unreadable one is worked around.
    std::fs::remove_dir(&unreadable).unwrap();
    std::fs::write(&unreadable, "listen = 5\n").unwrap();
    let out = alpenglow_in(home.path(), &env, &["settings", "show"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is invalid"), "{}", stderr(&out));
}
