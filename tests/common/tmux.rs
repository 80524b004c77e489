//! A detached tmux session on a private server, for driving the real binary in a real
//! terminal: keys in, screen and terminal modes out. The server is killed on drop.
//!
//! Tests that use it carry `#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]`:
//! `build.rs` sets `has_tmux`, so without tmux they are reported as ignored, never as passed
//! (and CI's `.ci/require-tmux` fails the run before the tests when tmux cannot be installed).
#![allow(dead_code)] // each test file uses a different part

use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long `wait_for` polls before giving up: a generous bound, not a speed assertion.
const PATIENCE: Duration = Duration::from_secs(120);

pub struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    /// Run `script` with `sh -c` in a new detached `width`×`height` session.
    pub fn start(name: &str, width: u16, height: u16, script: &str) -> Tmux {
        let t = Tmux {
            socket: format!("rnn-tui-test-{name}-{}", std::process::id()),
            session: name.to_owned(),
        };
        let (w, h) = (width.to_string(), height.to_string());
        let out = t.run(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            &w,
            "-y",
            &h,
            "sh",
            "-c",
            script,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("running tmux")
    }

    /// Send keys by tmux name (`Space`, `Tab`, `C-c`, `q`), then give the program a moment.
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session.as_str()];
        args.extend(keys);
        assert!(self.run(&args).status.success());
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Type `text` literally.
    pub fn text(&self, text: &str) {
        assert!(self
            .run(&["send-keys", "-t", &self.session, "-l", text])
            .status
            .success());
        std::thread::sleep(Duration::from_millis(150));
    }

    /// The visible screen; lines the terminal wrapped are joined back (`-J`).
    pub fn screen(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-J", "-t", &self.session]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A tmux format of the pane, e.g. `#{alternate_on}`.
    pub fn format(&self, f: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", &self.session, f]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn alternate_on(&self) -> bool {
        self.format("#{alternate_on}") == "1"
    }

    /// Poll the screen until `cond` holds and return it.
    pub fn wait_for(&self, what: &str, cond: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if cond(&s) {
                return s;
            }
            if start.elapsed() > PATIENCE {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The program's process: the child of the pane's shell.
    pub fn child_pid(&self) -> String {
        let pane = self.format("#{pane_pid}");
        let child = Command::new("pgrep").args(["-P", &pane]).output().unwrap();
        let pid = String::from_utf8_lossy(&child.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        assert!(!pid.is_empty(), "no child of pane {pane}");
        pid
    }

    /// `kill -SIG` the program, e.g. `signal("-TERM")`.
    pub fn signal(&self, sig: &str) {
        let pid = self.child_pid();
        assert!(Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap()
            .success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
