//! The panes, one file each, behind one trait so adding a pane (Topics, Groups) is
//! a new file, a tab entry and nothing else.

pub mod audit;
pub mod dlq;
pub mod flows;
pub mod groups;
pub mod inject;
pub mod lag;
pub mod opsview;
pub mod placeholder;
pub mod replay;
pub mod streams;
pub mod topics;
pub mod trace;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::keymap::Mode;
use super::theme::Theme;

/// What every pane's `render` may read besides its own state.
pub struct View<'a> {
    /// The colours.
    pub theme: &'a Theme,
    /// What the brokers can do (a pane without them says so).
    pub caps: crate::kafka::BrokerCaps,
}

/// A tab's content.
pub trait Pane {
    /// The tab title.
    fn title(&self) -> &'static str;
    /// The key mode while this pane has focus.
    fn mode(&self) -> Mode {
        Mode::Global
    }
    /// Draws the pane. A view: no I/O, parsing or sorting here.
    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>);
}

/// A `width` × `height` popup in the middle of `area` (any odd cell goes
/// right and down). Every dialog and overlay opens here.
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width,
        height,
    }
}
