//! Colours: a dark and a light theme, each overridable from `[ui.colors]`
//! (`accent = "#5fafff"`, `context.debate = "magenta"`).

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

/// The palette every view draws with.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// `dark` or `light`.
    pub name: &'static str,
    /// The background the theme is made for. `Reset` is the terminal's own;
    /// a theme that needs a light one paints it, so its dark text is readable
    /// on a dark terminal too.
    pub bg: Color,
    /// Normal text (`Reset`: the terminal's own text colour).
    pub fg: Color,
    /// Secondary text (column titles, counts).
    pub dim: Color,
    /// Highlights: active tab, keys in the hint bar.
    pub accent: Color,
    /// Selected row background.
    pub selection: Color,
    /// Errors.
    pub error: Color,
    /// Warnings and paused state.
    pub warn: Color,
    /// Success.
    pub ok: Color,
    /// Header and bar background.
    pub bar: Color,
    /// JSON keys.
    pub json_key: Color,
    /// JSON strings.
    pub json_string: Color,
    /// JSON numbers, booleans and null.
    pub json_literal: Color,
    /// Per-context colours, assigned in order to contexts without an override.
    pub context_palette: Vec<Color>,
    /// Context colour overrides.
    pub contexts: BTreeMap<String, Color>,
}

impl Theme {
    /// The dark theme.
    pub fn dark() -> Self {
        Self {
            name: "dark",
            // The terminal's own colours: readable whatever its background.
            bg: Color::Reset,
            fg: Color::Reset,
            dim: Color::DarkGray,
            accent: Color::Cyan,
            selection: Color::Indexed(237),
            error: Color::LightRed,
            warn: Color::Yellow,
            ok: Color::LightGreen,
            bar: Color::Indexed(235),
            json_key: Color::LightBlue,
            json_string: Color::LightGreen,
            json_literal: Color::LightMagenta,
            context_palette: vec![
                Color::LightMagenta,
                Color::LightCyan,
                Color::LightYellow,
                Color::LightGreen,
                Color::LightBlue,
                Color::LightRed,
            ],
            contexts: BTreeMap::new(),
        }
    }

    /// The light theme.
    pub fn light() -> Self {
        // Every colour a 256-colour entry: terminal palettes remap the 16 ANSI
        // colours (a dark palette's "blue" is often too light for white).
        Self {
            name: "light",
            // Dark text needs a light background: the theme paints its own.
            bg: Color::Indexed(231),
            fg: Color::Indexed(235),
            dim: Color::Indexed(244),
            accent: Color::Indexed(25),
            selection: Color::Indexed(253),
            error: Color::Indexed(160),
            warn: Color::Indexed(130),
            ok: Color::Indexed(28),
            bar: Color::Indexed(254),
            json_key: Color::Indexed(25),
            json_string: Color::Indexed(28),
            json_literal: Color::Indexed(90),
            context_palette: vec![
                Color::Indexed(90),
                Color::Indexed(30),
                Color::Indexed(130),
                Color::Indexed(28),
                Color::Indexed(25),
                Color::Indexed(160),
            ],
            contexts: BTreeMap::new(),
        }
    }

    /// The named theme with the config's colour overrides applied. Unknown names
    /// fall back to dark; colours that do not parse are reported and skipped.
    pub fn from_config(name: &str, colors: &BTreeMap<String, String>) -> (Self, Vec<String>) {
        let mut theme = if name == "light" {
            Self::light()
        } else {
            Self::dark()
        };
        let errors = theme.apply(colors);
        (theme, errors)
    }

    /// Applies `[ui.colors]`; returns what could not be applied.
    pub fn apply(&mut self, colors: &BTreeMap<String, String>) -> Vec<String> {
        let mut errors = Vec::new();
        for (k, v) in colors {
            let Ok(c) = Color::from_str(v) else {
                errors.push(format!("[ui.colors] {k} = \"{v}\": not a colour"));
                continue;
            };
            if let Some(ctx) = k.strip_prefix("context.") {
                self.contexts.insert(ctx.to_string(), c);
                continue;
            }
            let slot = match k.as_str() {
                "bg" => &mut self.bg,
                "fg" => &mut self.fg,
                "dim" => &mut self.dim,
                "accent" => &mut self.accent,
                "selection" => &mut self.selection,
                "error" => &mut self.error,
                "warn" => &mut self.warn,
                "ok" => &mut self.ok,
                "bar" => &mut self.bar,
                "json_key" => &mut self.json_key,
                "json_string" => &mut self.json_string,
                "json_literal" => &mut self.json_literal,
                _ => {
                    errors.push(format!("[ui.colors] {k}: no such colour"));
                    continue;
                }
            };
            *slot = c;
        }
        errors
    }

    /// The colour of a context: its override, else a stable pick from the palette.
    pub fn context_color(&self, ctx: &str) -> Color {
        if let Some(c) = self.contexts.get(ctx) {
            return *c;
        }
        if self.context_palette.is_empty() {
            return self.fg;
        }
        // Known contexts get fixed slots so colours do not shift as contexts appear.
        let slot = match ctx {
            "debate" => 0,
            "implementation" => 1,
            "performance" => 2,
            "testing" => 3,
            "evolution" => 4,
            other => other.bytes().map(usize::from).sum::<usize>(),
        };
        self.context_palette[slot % self.context_palette.len()]
    }

    /// Gives every cell that nothing coloured the theme's background and text
    /// colour: widgets that clear their area (popups, editors) and plain text
    /// included. A no-op for a theme that uses the terminal's own colours.
    pub fn paint_defaults(&self, buf: &mut ratatui::buffer::Buffer) {
        if self.bg == Color::Reset && self.fg == Color::Reset {
            return;
        }
        for cell in &mut buf.content {
            if cell.bg == Color::Reset {
                cell.bg = self.bg;
            }
            if cell.fg == Color::Reset {
                cell.fg = self.fg;
            }
        }
    }

    /// Base text style.
    pub fn text(&self) -> Style {
        Style::new().fg(self.fg)
    }

    /// Dimmed text.
    pub fn dimmed(&self) -> Style {
        Style::new().fg(self.dim)
    }

    /// Accented, bold.
    pub fn strong(&self) -> Style {
        Style::new().fg(self.accent).add_modifier(Modifier::BOLD)
    }
}
