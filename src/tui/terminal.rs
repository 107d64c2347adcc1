//! The only code that changes terminal modes: raw mode, the alternate screen,
//! mouse capture and bracketed paste on entry; all of it undone by the guard's
//! `Drop`, by the panic hook (before the report prints) and by [`restore`].

use std::io::{Stdout, Write, stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Once, OnceLock};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Set once the terminal has been restored by the panic hook; the app loop stops
/// drawing so it never paints over the report.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// True while the terminal is in the console's modes. Restoring twice would be
/// harmful, not just wasteful: leaving the alternate screen again makes many
/// terminals jump the cursor back to where it was saved, over the error report.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Who panicked first ("the NAME task", or the thread): set by the panic hook
/// before [`PANICKED`], so whoever sees the flag can name the culprit.
static PANICKED_IN: OnceLock<String> = OnceLock::new();

/// True after a panic anywhere in the process.
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Where the first panic happened: "the NAME task" for work run under a
/// name ([`crate::task_name`]), else the thread ("thread 'NAME'"). `None`
/// before any panic.
pub fn panicked_in() -> Option<&'static str> {
    PANICKED_IN.get().map(String::as_str)
}

/// The panicking task's or thread's name, as [`panicked_in`] gives it.
fn panic_origin() -> String {
    if let Some(name) = crate::task_name::current() {
        return format!("the {name} task");
    }
    let thread = std::thread::current();
    match thread.name() {
        Some(name) => format!("thread '{name}'"),
        None => format!("thread {:?}", thread.id()),
    }
}

/// Refuses to start the console when stdout is not a terminal (a pipe, a
/// file, or no controlling terminal at all), saying `hint`.
pub fn require_terminal(hint: &str) -> Result<(), crate::cmd::UserError> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        return Ok(());
    }
    Err(crate::cmd::UserError(format!("no terminal; {hint}")))
}

/// Owns the terminal while the console runs; dropping it restores the terminal.
pub struct TerminalGuard {
    /// The ratatui terminal the app loop draws on.
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen, enables mouse and bracketed paste,
    /// and installs the panic hook. On failure, whatever was enabled is undone.
    pub fn enter() -> std::io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let entered = execute!(
            stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste,
            cursor::Hide
        );
        if let Err(e) = entered {
            restore();
            return Err(e);
        }
        match Terminal::new(CrosstermBackend::new(stdout())) {
            Ok(terminal) => Ok(Self { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    /// Writes bytes straight to the terminal (OSC 52 clipboard sequences).
    pub fn write_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut out = stdout();
        out.write_all(bytes)?;
        out.flush()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves every mode [`TerminalGuard::enter`] set. Only the first call after
/// entering does anything; errors are ignored because there is nothing left to try.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = execute!(
        stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
}

/// Chains a hook that restores the terminal before the existing hook (color-eyre's)
/// prints the report, so a panic in any task or thread leaves a usable shell.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // rdkafka's panic on a header name that is not UTF-8, caught
            // where the record is read: not a crash.
            if crate::kafka::record::reading_header() {
                return;
            }
            let _ = PANICKED_IN.set(panic_origin());
            PANICKED.store(true, Ordering::SeqCst);
            restore();
            previous(info);
        }));
    });
}
