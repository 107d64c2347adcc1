//! Pretty-printed, syntax-coloured JSON as ratatui lines, built once when a detail
//! view opens (never inside `render`).

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use serde_json::Value;

use super::theme::Theme;
use crate::domain::sanitize_owned;

/// Indentation per level, in spaces.
const INDENT: usize = 2;

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
