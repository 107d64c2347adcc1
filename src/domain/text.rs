//! Text from the cluster made safe for a terminal. Anyone who can produce to a
//! topic or name a consumer group chooses bytes that eventdeck shows: a key
//! holding `ESC[2J` would clear the screen, an OSC 52 sequence would write the
//! user's clipboard. Every human-readable output (the console's panes and the
//! headless commands' tables and lines) passes such text through [`sanitize`]
//! or [`sanitize_multiline`]; JSON output needs neither, serde escapes it.
//!
//! One convention everywhere: each control character (C0, DEL, C1) becomes
//! [`CONTROL_MARK`], one visible column, so aligned columns stay aligned and
//! the reader sees that something was there.

use std::borrow::Cow;

/// What a control character is shown as.
pub const CONTROL_MARK: char = '·';

/// `text` on one line with every control character (newline and tab too)
/// shown as [`CONTROL_MARK`]. Borrows when there is nothing to replace.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    replace_controls(text, |_| false)
}

/// As [`sanitize`], keeping newlines and tabs: for fields shown over several
/// lines by design (stack traces, pretty-printed values).
pub fn sanitize_multiline(text: &str) -> Cow<'_, str> {
    replace_controls(text, |c| c == '\n' || c == '\t')
}

/// [`sanitize`] for an owned string: returned as it is (no copy) when clean.
pub fn sanitize_owned(text: String) -> String {
    match sanitize(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(clean) => clean,
    }
}

/// Bytes as UTF-8-lossy text on one line, sanitized.
pub fn sanitize_bytes(bytes: &[u8]) -> String {
    sanitize(&String::from_utf8_lossy(bytes)).into_owned()
}

fn replace_controls(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    // `char::is_control` is exactly C0, DEL and C1 (Unicode category Cc).
    let replaced = |c: char| c.is_control() && !keep(c);
    if !text.chars().any(replaced) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if replaced(c) { CONTROL_MARK } else { c })
            .collect(),
    )
}

/// Writes `value` as JSON (pretty or compact) with DEL and C1 controls
/// escaped as `\u007f`, `\u009b`, ...: serde escapes only C0, and a terminal
/// may act on a C1 character. The JSON means exactly what serde's would.
pub fn write_json<W: std::io::Write, T: serde::Serialize + ?Sized>(
    out: W,
    value: &T,
    pretty: bool,
) -> serde_json::Result<()> {
    if pretty {
        let fmt = TerminalSafe(serde_json::ser::PrettyFormatter::new());
        value.serialize(&mut serde_json::Serializer::with_formatter(out, fmt))
    } else {
        let fmt = TerminalSafe(serde_json::ser::CompactFormatter);
        value.serialize(&mut serde_json::Serializer::with_formatter(out, fmt))
    }
}

/// [`write_json`] into a string.
pub fn json_string<T: serde::Serialize + ?Sized>(
    value: &T,
    pretty: bool,
) -> serde_json::Result<String> {
    let mut buf = Vec::new();
    write_json(&mut buf, value, pretty)?;
    // serde_json writes UTF-8 only.
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// A serde_json formatter that escapes what [`sanitize`] replaces and serde
/// leaves as it is (C0 is escaped by serde already).
struct TerminalSafe<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for TerminalSafe<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some(i) = rest.find(|c: char| c.is_control()) {
            writer.write_all(&rest.as_bytes()[..i])?;
            let c = rest[i..].chars().next().unwrap_or_default();
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[i + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clear screen, a window title, an OSC 52 clipboard write, C1 CSI and DEL.
    const HOSTILE: &str = "a\x1b[2Jb\x1b]0;x\x07c\x1b]52;c;Zm9v\x07d\u{9b}e\x7ff";

    #[test]
    fn every_control_character_becomes_one_visible_mark() {
        assert_eq!(sanitize(HOSTILE), "a·[2Jb·]0;x·c·]52;c;Zm9v·d·e·f");
        assert_eq!(
            sanitize(HOSTILE).chars().count(),
            HOSTILE.chars().count(),
            "one column per replaced character"
        );
        assert_eq!(sanitize("a\nb\tc\rd"), "a·b·c·d");
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            assert_eq!(sanitize(&c.to_string()), "·", "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn multiline_keeps_only_newlines_and_tabs() {
        assert_eq!(
            sanitize_multiline("at a\n\tat b\r\x1b[2J"),
            "at a\n\tat b··[2J"
        );
    }

    #[test]
    fn clean_text_is_borrowed_and_unicode_is_kept() {
        assert!(matches!(sanitize("grp-1 ä ✓ 日本"), Cow::Borrowed(_)));
        assert_eq!(sanitize("grp-1 ä ✓ 日本"), "grp-1 ä ✓ 日本");
    }

    #[test]
    fn json_escapes_del_and_c1_and_means_the_same() {
        let v = serde_json::json!({"k\u{9b}": [HOSTILE, "ä✓"]});
        for pretty in [false, true] {
            let text = json_string(&v, pretty).expect("json");
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "{text:?}"
            );
            assert!(
                text.contains(r"\u009b") && text.contains(r"\u007f"),
                "{text}"
            );
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&text).expect("parses"),
                v
            );
        }
        assert_eq!(
            json_string(&v, true).expect("json").lines().count(),
            serde_json::to_string_pretty(&v)
                .expect("json")
                .lines()
                .count()
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_shown_lossily_and_sanitized() {
        assert_eq!(sanitize_bytes(b"k\x9b\x1b[1m"), "k\u{fffd}·[1m");
    }
}
