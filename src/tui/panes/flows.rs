//! The Flows pane. Not built yet: it says so plainly until its feature lands.

use super::placeholder::Placeholder;
use crate::tui::strings;

/// The Flows pane as it is today.
pub fn pane() -> Placeholder {
    Placeholder::new(strings::TAB_FLOWS, strings::FLOWS_PLACEHOLDER)
}
