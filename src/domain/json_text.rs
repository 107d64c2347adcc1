//! JSON as text, shared by the decoders: reading a document at any depth
//! (a tree when serde_json can build one, else kept as text) and quoting a
//! value in an error message, cut to a readable length.

use std::io;

use serde_json::Value;

use super::deep::{DeepJson, is_depth_error};

/// How long a value is quoted inside an error message before it is cut.
const ERROR_VALUE_CHARS: usize = 64;

/// A JSON document, as a tree when serde_json can build one.
pub(crate) enum Parsed {
    /// Nested at most 128 levels.
    Tree(Value),
    /// Deeper: read as events, kept as text.
    Deep(DeepJson),
}

/// [`parse_json`] at any depth. serde_json reads every document it can (the
/// fast path, as before); only one it refused for its depth alone is read
/// again as a stream of events.
pub(crate) fn parse_any_json(bytes: &[u8]) -> Result<Parsed, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    if text.trim().is_empty() {
        return Err(if text.is_empty() {
            "empty value".to_string()
        } else {
            "blank value (only whitespace)".to_string()
        });
    }
    match serde_json::from_str(text) {
        Ok(json) => Ok(Parsed::Tree(json)),
        Err(e) if is_depth_error(&e) => DeepJson::parse(bytes).map(Parsed::Deep),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

/// Compact JSON for an error message, cut to a readable length.
pub(crate) fn short_json(value: &Value) -> String {
    compact_json(value, ERROR_VALUE_CHARS)
}

/// Compact JSON of `value`, cut to `max_chars`. serde escapes C0 controls in
/// strings but writes DEL and C1 as they are: those are sanitized.
pub(crate) fn compact_json(value: &Value, max_chars: usize) -> String {
    let mut out = CappedWriter::new(byte_budget(max_chars));
    // Running out of budget is the expected way for a long value to stop.
    let _ = serde_json::to_writer(&mut out, value);
    truncate_chars(&super::text::sanitize_bytes(&out.buf), max_chars)
}

/// [`compact_json`] of a value whose compact JSON `written` is already
/// (`serde_json::to_writer`'s bytes): the same text, without writing it
/// again.
pub(crate) fn compact_summary(written: &[u8], max_chars: usize) -> String {
    let capped = &written[..written.len().min(byte_budget(max_chars))];
    truncate_chars(&super::text::sanitize_bytes(capped), max_chars)
}

/// Enough bytes to hold `max_chars + 1` whole characters (up to 4 bytes each), so
/// whether to cut is always decided on real characters, never a split one.
pub(crate) fn byte_budget(max_chars: usize) -> usize {
    max_chars.saturating_add(2).saturating_mul(4)
}

/// `text` if it fits in `max_chars` characters, else its first `max_chars - 1` and `…`.
pub(crate) fn truncate_chars(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_string(),
        Some(_) if max_chars == 0 => String::new(),
        Some(_) => {
            let keep = text
                .char_indices()
                .nth(max_chars - 1)
                .map_or(text.len(), |(i, _)| i);
            format!("{}…", &text[..keep])
        }
    }
}

/// A writer that accepts up to `cap` bytes, then refuses, ending serialisation early.
struct CappedWriter {
    buf: Vec<u8>,
    cap: usize,
}

impl CappedWriter {
    fn new(cap: usize) -> Self {
        Self {
            buf: Vec::with_capacity(cap.min(4096)),
            cap,
        }
    }
}

impl io::Write for CappedWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = self.cap.saturating_sub(self.buf.len());
        if room == 0 {
            return Err(io::Error::other("summary budget reached"));
        }
        let taken = data.len().min(room);
        self.buf.extend_from_slice(&data[..taken]);
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The summary read from a value's written bytes is the summary
        /// written from the value (long text cut, controls replaced).
        #[test]
        fn a_summary_of_the_written_bytes_is_the_summary_of_the_value(
            text in "(.|\n){0,80}",
            n in any::<i64>(),
            max_chars in 0usize..60,
        ) {
            let value = serde_json::json!({"text": text, "n": n, "inner": {"text": text}});
            let written = serde_json::to_vec(&value).expect("a value writes");
            prop_assert_eq!(compact_summary(&written, max_chars), compact_json(&value, max_chars));
        }
    }
}
