//! A pane that is not built yet and says so plainly.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Text};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{Pane, View};
use crate::tui::strings;

/// A titled pane with a sentence about what will be here.
#[derive(Debug, Clone)]
pub struct Placeholder {
    title: &'static str,
    message: &'static str,
}

impl Placeholder {
    /// A placeholder titled `title` saying `message`.
    pub fn new(title: &'static str, message: &'static str) -> Self {
        Self { title, message }
    }
}

impl Pane for Placeholder {
    fn title(&self) -> &'static str {
        self.title
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let text = Text::from(vec![
            Line::raw(""),
            Line::styled(self.message, view.theme.text()),
            Line::raw(""),
            Line::styled(strings::PLACEHOLDER_HINT, view.theme.dimmed()),
        ]);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(view.theme.dimmed())
            .title(self.title);
        frame.render_widget(
            Paragraph::new(text).block(block).wrap(Wrap { trim: true }),
            area,
        );
    }
}
