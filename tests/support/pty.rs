//! Runs a program in a real terminal (a detached tmux session on a private tmux
//! server) so tests can read the screen, type keys, send signals, and check the
//! terminal after the program exits. Reusable by any end-to-end test:
//!
//! ```ignore
//! #[path = "common/pty.rs"] mod pty;
//! let s = pty::Session::spawn(&sandbox.eventdeck().arg("demo"), 120, 40);
//! s.wait_for("DecisionMade", Duration::from_secs(2));
//! s.keys(&["q"]);
//! assert_eq!(s.wait_exit(Duration::from_secs(5)), 0);
//! ```
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// tmux server socket used by tests only, so a developer's tmux is never touched.
const SOCKET: &str = "eventdeck-tests";

/// A program running in its own terminal.
pub struct Session {
    name: String,
    dir: tempfile::TempDir,
}

fn tmux() -> Command {
    let mut c = Command::new("tmux");
    c.arg("-L").arg(SOCKET);
    c
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Session {
    /// Starts `cmd` (program, arguments and environment changes are taken from it)
    /// in a `width`×`height` terminal. After it exits, its status and `stty -a`
    /// are recorded and the pane stays open for inspection.
    pub fn spawn(cmd: &Command, width: u16, height: u16) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = tempfile::tempdir().expect("temp dir");
        let name = format!(
            "ed-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let mut script = String::from("#!/bin/sh\n");
        for (k, v) in cmd.get_envs() {
            let k = k.to_string_lossy();
            match v {
                Some(v) => script.push_str(&format!(
                    "export {k}={}\n",
                    shell_quote(&v.to_string_lossy())
                )),
                None => script.push_str(&format!("unset {k}\n")),
            }
        }
        if let Some(cwd) = cmd.get_current_dir() {
            script.push_str(&format!("cd {}\n", shell_quote(&cwd.to_string_lossy())));
        }
        let mut argv = vec![shell_quote(&cmd.get_program().to_string_lossy())];
        argv.extend(cmd.get_args().map(|a| shell_quote(&a.to_string_lossy())));
        let d = dir.path().display();
        // The inner shell writes its pid and execs the program, so the pid is the
        // program's own (for signals).
        script.push_str(&format!(
            "sh -c 'echo $$ > \"{d}/pid\"; exec \"$@\"' sh {}\n\
             echo $? > \"{d}/status.tmp\"\n\
             stty -a > \"{d}/stty\" 2>&1\n\
             mv \"{d}/status.tmp\" \"{d}/status\"\n\
             exec sleep 600\n",
            argv.join(" ")
        ));
        let path = dir.path().join("run.sh");
        std::fs::write(&path, script).expect("write script");
        let ok = tmux()
            .args(["new-session", "-d", "-s", &name, "-x"])
            .arg(width.to_string())
            .arg("-y")
            .arg(height.to_string())
            .arg(format!("sh {}", shell_quote(&path.display().to_string())))
            .status()
            .expect("tmux is needed for this test: apt-get install -y tmux");
        assert!(ok.success(), "tmux new-session failed");
        Self { name, dir }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The visible screen as text.
    pub fn screen(&self) -> String {
        let out = tmux()
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen contains `text`; panics with the screen if it does not.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> String {
        self.wait_until(&format!("'{text}' to appear"), timeout, |s| {
            s.contains(text)
        })
    }

    /// Waits until `ready` holds for the screen; panics with `what` and the
    /// screen if it does not. For a state that stays (a toast may come and
    /// go between two looks on a loaded machine).
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ready(&s) {
                return s;
            }
            assert!(
                start.elapsed() < timeout,
                "waited {timeout:?} for {what}; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends keys one at a time, in tmux's names (`q`, `Enter`, `Escape`, `C-s`,
    /// `Down`), pausing between them so an Escape is never read as Alt+key.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            let ok = tmux()
                .args(["send-keys", "-t", &self.name, k])
                .status()
                .expect("tmux send-keys");
            assert!(ok.success());
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Types text literally.
    pub fn type_text(&self, text: &str) {
        let ok = tmux()
            .args(["send-keys", "-l", "-t", &self.name, text])
            .status()
            .expect("tmux send-keys");
        assert!(ok.success());
        std::thread::sleep(Duration::from_millis(60));
    }

    /// The program's pid.
    pub fn pid(&self) -> u32 {
        let start = Instant::now();
        loop {
            if let Ok(s) = std::fs::read_to_string(self.file("pid"))
                && let Ok(pid) = s.trim().parse()
            {
                return pid;
            }
            assert!(start.elapsed() < Duration::from_secs(5), "no pid file");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal (`TERM`, `INT`) to the program.
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill");
        assert!(ok.success());
    }

    /// Waits for the program to exit and returns its status.
    pub fn wait_exit(&self, timeout: Duration) -> i32 {
        let start = Instant::now();
        loop {
            if let Ok(s) = std::fs::read_to_string(self.file("status")) {
                return s.trim().parse().expect("status");
            }
            assert!(
                start.elapsed() < timeout,
                "the program did not exit within {timeout:?}; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `stty -a` of the terminal right after the program exited.
    pub fn stty_after_exit(&self) -> String {
        std::fs::read_to_string(self.file("stty")).expect("stty output")
    }

    /// True while the terminal shows the alternate screen.
    pub fn alternate_screen(&self) -> bool {
        let out = tmux()
            .args(["display-message", "-p", "-t", &self.name, "#{alternate_on}"])
            .output()
            .expect("tmux display-message");
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Asserts the terminal is back to normal: canonical mode and echo on, the
    /// alternate screen left, mouse reporting off.
    pub fn assert_restored(&self) {
        let stty = self.stty_after_exit();
        let words: Vec<&str> = stty.split_whitespace().collect();
        assert!(
            words.contains(&"icanon"),
            "canonical mode not restored:\n{stty}"
        );
        assert!(words.contains(&"echo"), "echo not restored:\n{stty}");
        assert!(!self.alternate_screen(), "still on the alternate screen");
        let out = tmux()
            .args([
                "display-message",
                "-p",
                "-t",
                &self.name,
                "#{mouse_any_flag}",
            ])
            .output()
            .expect("tmux display-message");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "0",
            "mouse still captured"
        );
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = tmux().args(["kill-session", "-t", &self.name]).status();
    }
}
