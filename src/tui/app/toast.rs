//! Toasts: one short message where the user is looking. Errors are logged;
//! start-up problems stay until a key is pressed.

use super::{App, STARTUP_TOAST_TICKS, TOAST_TICKS, Toast};

impl App {
    // Toasts quote names and broker errors: sanitized once, here.
    pub(super) fn toast_info(&mut self, text: impl Into<String>) {
        if self.toast_pinned() {
            return;
        }
        self.toast = Some(Toast {
            text: crate::domain::sanitize_owned(text.into()),
            error: false,
            ticks_left: TOAST_TICKS,
            pinned: false,
        });
        self.dirty = true;
    }

    pub(super) fn toast_error(&mut self, text: impl Into<String>) {
        let text = crate::domain::sanitize_owned(text.into());
        tracing::warn!("{text}");
        if self.toast_pinned() {
            return;
        }
        self.toast = Some(Toast {
            text,
            error: true,
            ticks_left: TOAST_TICKS,
            pinned: false,
        });
        self.dirty = true;
    }

    /// Start-up problems (config, keys, files others can read): they stay
    /// until a key is pressed, or for [`STARTUP_TOAST_TICKS`].
    pub(super) fn toast_startup(&mut self, text: String) {
        tracing::warn!("{text}");
        self.toast = Some(Toast {
            text: crate::domain::sanitize_owned(text),
            error: true,
            ticks_left: STARTUP_TOAST_TICKS,
            pinned: true,
        });
        self.dirty = true;
    }

    pub(super) fn toast_pinned(&self) -> bool {
        self.toast.as_ref().is_some_and(|t| t.pinned)
    }
}
