//! The Lag pane. Not built yet: it says so plainly until its feature lands.

use super::placeholder::Placeholder;
use crate::tui::strings;

/// The Lag pane as it is today.
pub fn pane() -> Placeholder {
    Placeholder::new(strings::TAB_LAG, strings::LAG_PLACEHOLDER)
}
