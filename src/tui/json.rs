//! Pretty-printed, syntax-coloured JSON as ratatui lines, built once when a detail
//! view opens (never inside `render`).

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use serde_json::Value;

use super::theme::Theme;
use crate::domain::deep::{Container, DeepJson, Event, quoted};
use crate::domain::sanitize_owned;

/// Indentation per level, in spaces.
const INDENT: usize = 2;

/// The deepest level of a [`DeepJson`] document that is indented further:
/// past it lines keep this indentation, so a document 100,000 levels deep
/// stays on screen (and costs no more than its own text per line).
pub const DEEP_INDENT_LEVELS: usize = 32;

/// Spaces for the deepest indentation, sliced for every line.
const SPACES: &str = match std::str::from_utf8(&[b' '; DEEP_INDENT_LEVELS * INDENT]) {
    Ok(spaces) => spaces,
    Err(_) => "",
};

/// `value` pretty-printed like `serde_json::to_string_pretty`, one `Line` per line.
pub fn highlight(value: &Value, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    write_value(value, 0, theme, &mut current, &mut out);
    if !current.is_empty() {
        out.push(Line::from(current));
    }
    out
}

/// A [`DeepJson`] document pretty-printed like [`highlight`], one `Line` per
/// line, from its events: no recursion, so any depth is safe. Indentation
/// stops growing at [`DEEP_INDENT_LEVELS`].
pub fn highlight_deep(deep: &DeepJson, theme: &Theme) -> Vec<Line<'static>> {
    let mut printer = Printer {
        theme,
        out: Vec::new(),
        current: Vec::new(),
        open: Vec::new(),
        after_key: false,
    };
    deep.events(|event| printer.event(&event));
    if !printer.current.is_empty() {
        printer.out.push(Line::from(printer.current));
    }
    printer.out
}

/// The state of [`highlight_deep`]: lines so far, the line being written, and
/// the open arrays and objects.
struct Printer<'t> {
    theme: &'t Theme,
    out: Vec<Line<'static>>,
    current: Vec<Span<'static>>,
    open: Vec<Container>,
    /// A key was just written: its value goes on the same line.
    after_key: bool,
}

impl Printer<'_> {
    fn newline(&mut self, depth: usize) {
        self.out.push(Line::from(std::mem::take(&mut self.current)));
        let width = depth.min(DEEP_INDENT_LEVELS) * INDENT;
        if width > 0 {
            self.current.push(Span::raw(&SPACES[..width]));
        }
    }

    /// Where a member starts: after a comma, on its own line.
    fn start_member(&mut self) {
        let depth = self.open.len();
        if let Some(top) = self.open.last_mut() {
            let first = std::mem::replace(&mut top.empty, false);
            if !first {
                self.current.push(punct(self.theme, ","));
            }
            self.newline(depth);
        }
    }

    fn event(&mut self, event: &Event<'_>) {
        let is_key = matches!(event, Event::ObjectKey(_));
        let closes = matches!(event, Event::EndArray | Event::EndObject);
        if !closes && (is_key || !std::mem::take(&mut self.after_key)) {
            self.start_member();
        }
        let t = self.theme;
        match event {
            Event::String(s) => self.current.push(Span::styled(
                sanitize_owned(quoted(s)),
                Style::new().fg(t.json_string),
            )),
            Event::Number(n) => self
                .current
                .push(Span::styled(n.to_string(), Style::new().fg(t.json_literal))),
            Event::Boolean(b) => self.current.push(Span::styled(
                if *b { "true" } else { "false" },
                Style::new().fg(t.json_literal),
            )),
            Event::Null => self
                .current
                .push(Span::styled("null", Style::new().fg(t.json_literal))),
            Event::StartArray | Event::StartObject => {
                let object = *event == Event::StartObject;
                self.current.push(punct(t, if object { "{" } else { "[" }));
                self.open.push(Container {
                    object,
                    empty: true,
                });
            }
            Event::EndArray | Event::EndObject => {
                let close = if *event == Event::EndObject { "}" } else { "]" };
                if self.open.pop().is_some_and(|c| !c.empty) {
                    self.newline(self.open.len());
                }
                self.current.push(punct(t, close));
            }
            Event::ObjectKey(key) => {
                self.current.push(Span::styled(
                    sanitize_owned(quoted(key)),
                    Style::new().fg(t.json_key),
                ));
                self.current.push(punct(t, ": "));
                self.after_key = true;
            }
            Event::Eof => {}
        }
    }
}

fn punct(theme: &Theme, s: &'static str) -> Span<'static> {
    Span::styled(s, Style::new().fg(theme.dim))
}

fn newline(current: &mut Vec<Span<'static>>, out: &mut Vec<Line<'static>>, depth: usize) {
    out.push(Line::from(std::mem::take(current)));
    if depth > 0 {
        current.push(Span::raw(" ".repeat(depth * INDENT)));
    }
}

fn write_value(
    value: &Value,
    depth: usize,
    theme: &Theme,
    current: &mut Vec<Span<'static>>,
    out: &mut Vec<Line<'static>>,
) {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => current.push(Span::styled(
            value.to_string(),
            Style::new().fg(theme.json_literal),
        )),
        // serde escapes C0 controls in strings but not DEL and C1.
        Value::String(_) => current.push(Span::styled(
            sanitize_owned(value.to_string()),
            Style::new().fg(theme.json_string),
        )),
        Value::Array(items) if items.is_empty() => current.push(punct(theme, "[]")),
        Value::Object(map) if map.is_empty() => current.push(punct(theme, "{}")),
        Value::Array(items) => {
            current.push(punct(theme, "["));
            for (i, item) in items.iter().enumerate() {
                newline(current, out, depth + 1);
                write_value(item, depth + 1, theme, current, out);
                if i + 1 < items.len() {
                    current.push(punct(theme, ","));
                }
            }
            newline(current, out, depth);
            current.push(punct(theme, "]"));
        }
        Value::Object(map) => {
            current.push(punct(theme, "{"));
            let n = map.len();
            for (i, (k, v)) in map.iter().enumerate() {
                newline(current, out, depth + 1);
                current.push(Span::styled(
                    sanitize_owned(Value::String(k.clone()).to_string()),
                    Style::new().fg(theme.json_key),
                ));
                current.push(punct(theme, ": "));
                write_value(v, depth + 1, theme, current, out);
                if i + 1 < n {
                    current.push(punct(theme, ","));
                }
            }
            newline(current, out, depth);
            current.push(punct(theme, "}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deep::{nested, on_small_stack};
    use proptest::prelude::*;

    fn text(lines: &[Line<'_>]) -> String {
        lines
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn deep(text: &str) -> DeepJson {
        DeepJson::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn deep_lines_match_serde_pretty_printing() {
        // Keys in order, as a `Value` (sorted) prints them.
        let source = r#"{"a": [1, {"b": null}, -2500.0, true], "c": "x\u0007", "d": {}, "e": [], "f": [[]]}"#;
        let v: Value = serde_json::from_str(source).unwrap();
        let theirs = serde_json::to_string_pretty(&v).unwrap();
        assert_eq!(text(&highlight_deep(&deep(source), &Theme::dark())), theirs);
        assert_eq!(text(&highlight_deep(&deep("7"), &Theme::dark())), "7");
    }

    #[test]
    fn deep_indentation_stops_at_its_level() {
        let lines = highlight_deep(&deep(&nested(40, false)), &Theme::dark());
        let width = |i: usize| text(&lines[i..=i]).len();
        assert_eq!(lines.len(), 81);
        assert_eq!(width(10), 10 * INDENT + 1);
        assert_eq!(width(39), DEEP_INDENT_LEVELS * INDENT + 1);
        assert_eq!(width(40), DEEP_INDENT_LEVELS * INDENT + 1, "the 0");
    }

    #[test]
    fn a_document_100_000_levels_deep_prints_on_a_small_stack() {
        for object in [false, true] {
            on_small_stack(move || {
                let source = nested(100_000, object);
                let lines = highlight_deep(&deep(&source), &Theme::dark());
                assert_eq!(lines.len(), 200_001);
                // What is shown reads back as the same document.
                assert_eq!(deep(&text(&lines)).as_str(), source);
            });
        }
    }

    /// Random documents of mixed arrays and objects, up to a few thousand
    /// levels, as JSON text (built without recursion).
    fn document() -> impl Strategy<Value = String> {
        let step = prop_oneof![
            Just("[".to_string()),
            "[a-z\u{7f}\u{9b}\u{e9}\\\"]{0,3}".prop_map(|k| format!("{{{}:", quoted(&k))),
        ];
        let leaf = prop_oneof![
            Just("null".to_string()),
            Just("true".to_string()),
            Just("[]".to_string()),
            Just("{}".to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            "[ a-z\n\u{1b}]{0,5}".prop_map(|s| quoted(&s)),
        ];
        (
            proptest::collection::vec((step, leaf.clone()), 0..3000),
            leaf,
        )
            .prop_map(|(steps, leaf)| {
                let mut out = String::new();
                let mut closes = Vec::new();
                for (open, sibling) in steps {
                    // Every level also has a sibling before its nested value.
                    if open == "[" {
                        out.push_str(&format!("[{sibling},"));
                        closes.push("]");
                    } else {
                        out.push_str(&format!("{{\"s\":{sibling},{}", &open[1..]));
                        closes.push("}");
                    }
                }
                out.push_str(&leaf);
                while let Some(c) = closes.pop() {
                    out.push_str(c);
                }
                out
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn deep_pretty_printing_reads_back_as_the_same_document(source in document()) {
            let doc = deep(&source);
            let lines = highlight_deep(&doc, &Theme::dark());
            let shown = text(&lines);
            let again = deep(&shown);
            prop_assert_eq!(again.as_str(), doc.as_str());
            // Nothing the terminal would act on.
            prop_assert!(!shown.chars().any(|c| c.is_control() && c != '\n'));
            // Where serde can read it too, it reads the same document.
            if let Ok(v) = serde_json::from_str::<Value>(&source) {
                prop_assert_eq!(serde_json::from_str::<Value>(&shown).unwrap(), v);
            }
        }
    }

    #[test]
    fn lines_match_serde_pretty_printing() {
        let v = serde_json::json!({"a": [1, {"b": null}], "c": "x", "d": {}, "e": []});
        let ours: Vec<String> = highlight(&v, &Theme::dark())
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        let theirs = serde_json::to_string_pretty(&v).unwrap_or_default();
        assert_eq!(ours.join("\n"), theirs);
    }

    #[test]
    fn strings_and_keys_show_every_control_character_visibly() {
        let v = serde_json::json!({"k\u{7f}": "a\u{1b}[2J\u{9b}b"});
        let text: String = highlight(&v, &Theme::dark())
            .iter()
            .flat_map(|l| l.spans.iter().map(|s| s.content.to_string()))
            .collect();
        assert!(text.contains(r#""k·""#), "{text}");
        assert!(text.contains(r#""a\u001b[2J·b""#), "{text}");
        assert!(!text.chars().any(char::is_control), "{text:?}");
    }
}
