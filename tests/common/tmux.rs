//! The real dashboard in a terminal: `alpenglow tui` (or any command) in a
//! tmux pane of a tmux server of its own (`-L`, named per test, so tests of
//! one process run side by side), driven with send-keys and read with
//! capture-pane. The server is killed when the handle drops. Needs tmux
//! (`tests/setup.sh` installs it).

#![allow(dead_code)]

use super::clients;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    server: String,
}

/// How long [`Tmux::wait_for`] waits.
const WAIT: Duration = Duration::from_secs(15);

impl Tmux {
    /// `command` in a 100×30 pane.
    pub fn start(command: &str) -> Tmux {
        Tmux::start_sized(command, 100, 30)
    }

    /// `command` in a pane of `width`×`height`. The pane outlives the
    /// command, so the terminal it leaves behind can be checked.
    pub fn start_sized(command: &str, width: u16, height: u16) -> Tmux {
        clients::ensure(); // tmux
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmux = Tmux { server: format!("alpenglow-e2e-{}-{n}", std::process::id()) };
        let status = Command::new("tmux")
            .args(["-L", &tmux.server, "-f", "/dev/null", "new-session", "-d", "-s", "tui"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(format!("sh -c '{command}; echo dashboard exited with $?; sleep 60'"))
            .status()
            .expect("tmux is installed (apt-get install -y tmux)");
        assert!(status.success());
        tmux
    }

    /// `alpenglow tui` run in `dir` with `env` (and no other ALPENGLOW_*
    /// variable of the test's own environment).
    pub fn dashboard(dir: &Path, env: &[(&str, &str)]) -> Tmux {
        Tmux::dashboard_sized(dir, env, 100, 30)
    }

    pub fn dashboard_sized(dir: &Path, env: &[(&str, &str)], width: u16, height: u16) -> Tmux {
        let vars: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let unset: Vec<String> = std::env::vars()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with("ALPENGLOW_"))
            .map(|k| format!("-u {k}"))
            .collect();
        let command = format!(
            "cd {} && env {} {} {} tui",
            dir.display(),
            unset.join(" "),
            vars.join(" "),
            env!("CARGO_BIN_EXE_alpenglow")
        );
        Tmux::start_sized(&command, width, height)
    }

    /// Sends tmux key names (`Enter`, `C-s`, `Escape`, letters).
    pub fn keys(&self, keys: &[&str]) {
        let status =
            Command::new("tmux").args(["-L", &self.server, "send-keys", "-t", "tui"]).args(keys).status().unwrap();
        assert!(status.success());
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Types text literally (no key names).
    pub fn type_text(&self, text: &str) {
        self.keys(&["-l", text]);
    }

    /// The pane as text.
    pub fn screen(&self) -> String {
        let out = Command::new("tmux").args(["-L", &self.server, "capture-pane", "-p", "-t", "tui"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The pane with its colours and attributes as escape sequences.
    pub fn screen_styled(&self) -> String {
        let out =
            Command::new("tmux").args(["-L", &self.server, "capture-pane", "-p", "-e", "-t", "tui"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A pane flag tmux keeps from the escape sequences the program sent
    /// (`mouse_any_flag`, `alternate_on`, ...).
    pub fn flag(&self, name: &str) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.server, "display", "-p", "-t", "tui", &format!("#{{{name}}}")])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Resizes the pane's window.
    pub fn resize(&self, width: u16, height: u16) {
        let status = Command::new("tmux")
            .args(["-L", &self.server, "resize-window", "-t", "tui", "-x", &width.to_string()])
            .args(["-y", &height.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        std::thread::sleep(Duration::from_millis(150));
    }

    /// A left click on the first character of `text` where the screen shows
    /// it, sent as the terminal would report it (SGR mouse, 1-based).
    pub fn click(&self, text: &str) {
        let screen = self.wait_for(text);
        let (row, line) = screen.lines().enumerate().find(|(_, l)| l.contains(text)).unwrap();
        let column = line[..line.find(text).unwrap()].chars().count();
        let (x, y) = (column + 1, row + 1);
        self.type_text(&format!("\x1b[<0;{x};{y}M"));
        self.type_text(&format!("\x1b[<0;{x};{y}m"));
    }

    /// Waits until the screen shows `text`, and returns the screen.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |screen| screen.contains(text))
    }

    /// Waits until the screen no longer shows `text`.
    pub fn wait_gone(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} to go"), |screen| !screen.contains(text))
    }

    /// Waits until `ready` holds for the screen; `what` names it in the failure.
    pub fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "waited for {what}; the screen shows:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The screen line holding `text`.
    pub fn line_with(&self, text: &str) -> String {
        let screen = self.wait_for(text);
        screen.lines().find(|l| l.contains(text)).unwrap().to_string()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.server, "kill-server"]).status();
    }
}
