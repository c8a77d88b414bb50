//! The systemd unit and the package metadata: `systemd-analyze verify`
//! accepts the unit and its security exposure stays low; every asset the
//! .deb names exists; `cargo deb` builds the package and it holds the
//! binary, the unit, the config as a conffile, a postinst that creates the
//! user, and enables or starts nothing. Where systemd is absent, the test
//! says so and skips only the systemd checks.
//!
//! The .deb is built with `cargo deb --no-build --fast` around the debug
//! binary the tests already built (copied where cargo-deb looks for it, in a
//! temporary target directory; cargo-deb strips it): the packaging is what is
//! tested, and a release build would add minutes to CI for nothing the other
//! tests do not cover. About 7 s on 2 shared cores.

use crate::common::clients;

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn systemd_analyze() -> Option<&'static str> {
    let ok = Command::new("systemd-analyze").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: systemd-analyze is not installed; the unit was not verified");
    }
    ok.then_some("systemd-analyze")
}

/// The unit with its ExecStart pointing at a binary that exists here, so
/// `verify` checks everything else.
fn unit_copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let text = std::fs::read_to_string(Path::new(ROOT).join("packaging/alpenglow.service")).unwrap();
    assert!(text.contains("ExecStart=/usr/bin/alpenglow serve"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alpenglow.service");
    std::fs::write(&path, text.replace("/usr/bin/alpenglow", env!("CARGO_BIN_EXE_alpenglow"))).unwrap();
    (dir, path)
}

#[test]
fn the_unit_verifies_and_is_hardened() {
    let text = std::fs::read_to_string(Path::new(ROOT).join("packaging/alpenglow.service")).unwrap();
    for directive in [
        "User=alpenglow",
        "StateDirectory=alpenglow",
        "RuntimeDirectory=alpenglow",
        "ConfigurationDirectory=alpenglow",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
        "MemoryDenyWriteExecute=yes",
        "SystemCallFilter=@system-service",
        "LimitNOFILE=65536",
    ] {
        assert!(text.lines().any(|l| l == directive), "missing {directive}");
    }
    let Some(tool) = systemd_analyze() else { return };
    let (_dir, unit) = unit_copy();
    let verify = Command::new(tool).arg("verify").arg(&unit).output().unwrap();
    let complaints = String::from_utf8_lossy(&verify.stderr).to_string();
    assert!(verify.status.success() && complaints.trim().is_empty(), "systemd-analyze verify: {complaints}");
    let security = Command::new(tool).args(["security", "--offline=true"]).arg(&unit).output().unwrap();
    let report = String::from_utf8_lossy(&security.stdout).to_string();
    let line = report.lines().find(|l| l.contains("Overall exposure level")).unwrap_or_else(|| panic!("{report}"));
    let score: f64 =
        line.split("alpenglow.service: ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert!(score <= 2.0, "exposure {score} is above 2.0: {line}");
}

#[test]
fn package_assets_exist() {
    let manifest: toml::Value = std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).unwrap().parse().unwrap();
    let deb = &manifest["package"]["metadata"]["deb"];
    for asset in deb["assets"].as_array().unwrap() {
        let source = asset[0].as_str().unwrap();
        if source.starts_with("target/") {
            continue; // built by `cargo deb`
        }
        assert!(Path::new(ROOT).join(source).exists(), "missing asset {source}");
    }
    assert!(Path::new(ROOT).join(deb["maintainer-scripts"].as_str().unwrap()).join("postinst").exists());
    assert_eq!(deb["systemd-units"]["enable"].as_bool(), Some(false), "nothing is enabled before the setup wizard");
    // The commented default config parses as a boot config (everything commented out but the table).
    let example = std::fs::read_to_string(Path::new(ROOT).join("packaging/alpenglow.toml")).unwrap();
    assert!(example.parse::<toml::Value>().is_ok());
}

fn run(command: &mut Command) -> std::process::Output {
    let out = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn the_deb_holds_the_binary_the_unit_and_the_config_and_enables_nothing() {
    clients::ensure(); // cargo-deb
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("target");
    std::fs::create_dir_all(target.join("release")).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_alpenglow"), target.join("release/alpenglow")).unwrap();
    let deb = work.path().join("alpenglow.deb");
    run(Command::new("cargo")
        .args(["deb", "--no-build", "--fast", "--output"])
        .arg(&deb)
        .current_dir(ROOT)
        .env("CARGO_TARGET_DIR", &target));

    let listing = String::from_utf8(run(Command::new("dpkg-deb").arg("--contents").arg(&deb)).stdout).unwrap();
    let entry = |path: &str| listing.lines().find(|l| l.ends_with(path)).map(str::to_string);
    let binary = entry(" ./usr/bin/alpenglow").unwrap_or_else(|| panic!("no binary in\n{listing}"));
    assert!(binary.starts_with("-rwxr-xr-x root/root") || binary.starts_with("-rwxr-xr-x 0/0"), "{binary}");
    let unit = entry("/systemd/system/alpenglow.service").unwrap_or_else(|| panic!("no unit in\n{listing}"));
    assert!(unit.contains("./usr/lib/systemd/system/") || unit.contains("./lib/systemd/system/"), "{unit}");
    let config = entry(" ./etc/alpenglow/alpenglow.toml").unwrap_or_else(|| panic!("no config in\n{listing}"));
    assert!(config.starts_with("-rw-r-----"), "the config may hold the service key: {config}");
    assert!(!listing.contains("/etc/systemd/system/"), "an enablement symlink is shipped:\n{listing}");

    let extracted = work.path().join("root");
    run(Command::new("dpkg-deb").arg("--raw-extract").arg(&deb).arg(&extracted));
    let control = |name: &str| std::fs::read_to_string(extracted.join("DEBIAN").join(name)).unwrap_or_default();
    assert_eq!(control("conffiles").trim(), "/etc/alpenglow/alpenglow.toml");
    assert!(control("control").lines().any(|l| l.starts_with("Depends:") && l.contains("adduser")));
    let postinst = control("postinst");
    // Comments and the message saying what to do next are not commands.
    let commands: String = postinst
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim_start().starts_with("echo "))
        .collect::<Vec<_>>()
        .join("\n");
    // The order that works: the service first, then its wizard over the socket.
    let next = postinst.lines().find(|l| l.contains("Next:")).unwrap_or_else(|| panic!("{postinst}"));
    let start = next.find("systemctl enable --now alpenglow").unwrap_or_else(|| panic!("{next}"));
    assert!(next.find("alpenglow tui").is_some_and(|wizard| start < wizard), "{next}");
    assert!(postinst.contains("adduser --system --group") && postinst.contains(" alpenglow"), "{postinst}");
    // Nothing enabled or started on a fresh install: the only `enable` is
    // cargo-deb's re-enable of a unit the admin had enabled before an upgrade.
    assert!(!commands.contains("systemctl enable") && !commands.contains("invoke start"), "{postinst}");
    for (i, line) in commands.lines().enumerate() {
        if line.contains("deb-systemd-helper enable") {
            let before: Vec<&str> = commands.lines().take(i).collect();
            assert!(before.iter().rev().take(3).any(|l| l.contains("was-enabled")), "unguarded enable: {postinst}");
        }
    }
    let packaged_unit = ["usr/lib/systemd/system/alpenglow.service", "lib/systemd/system/alpenglow.service"]
        .iter()
        .find_map(|p| std::fs::read_to_string(extracted.join(p)).ok())
        .unwrap();
    assert_eq!(packaged_unit, std::fs::read_to_string(Path::new(ROOT).join("packaging/alpenglow.service")).unwrap());
    let packaged_config = std::fs::read_to_string(extracted.join("etc/alpenglow/alpenglow.toml")).unwrap();
    assert_eq!(packaged_config, std::fs::read_to_string(Path::new(ROOT).join("packaging/alpenglow.toml")).unwrap());
}
