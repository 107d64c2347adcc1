//! JSON as text, shared by the decoders: reading a document at any depth
//! (a tree when serde_json can build one, else kept as text) and quoting a
//! value in an error message, cut to a readable length.

use std::borrow::Cow;
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
    summary_line(&out.buf, max_chars)
}

/// [`compact_json`] of a value whose compact JSON `written` is already
/// (`serde_json::to_writer`'s bytes): the same text, without writing it
/// again.
pub(crate) fn compact_summary(written: &[u8], max_chars: usize) -> String {
    let capped = &written[..written.len().min(byte_budget(max_chars))];
    summary_line(capped, max_chars)
}

/// `bytes` as one line of at most `max_chars` characters: UTF-8-lossy, cut
/// as [`truncate_chars`] cuts, sanitized ([`super::text::sanitize`]). The
/// same text as sanitizing first, as sanitizing maps each character to one
/// character; cut first, only what is kept is scanned and copied, once.
fn summary_line(bytes: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    match cut_chars(&text, max_chars) {
        Cow::Borrowed(kept) => super::text::sanitize(kept).into_owned(),
        Cow::Owned(kept) => super::text::sanitize_owned(kept),
    }
}

/// Enough bytes to hold `max_chars + 1` whole characters (up to 4 bytes each), so
/// whether to cut is always decided on real characters, never a split one.
pub(crate) fn byte_budget(max_chars: usize) -> usize {
    max_chars.saturating_add(2).saturating_mul(4)
}

/// `text` if it fits in `max_chars` characters, else its first `max_chars - 1` and `…`.
pub(crate) fn truncate_chars(text: &str, max_chars: usize) -> String {
    cut_chars(text, max_chars).into_owned()
}

/// [`truncate_chars`], borrowing `text` when it fits.
fn cut_chars(text: &str, max_chars: usize) -> Cow<'_, str> {
    // No more bytes than `max_chars`: no more characters either.
    if text.len() <= max_chars {
        return Cow::Borrowed(text);
    }
    let Some(last) = max_chars.checked_sub(1) else {
        return Cow::Owned(String::new());
    };
    let mut chars = text.char_indices();
    // Where the `max_chars`th character starts: the `…` goes there.
    let Some((keep, _)) = chars.nth(last) else {
        return Cow::Borrowed(text);
    };
    if chars.next().is_none() {
        return Cow::Borrowed(text);
    }
    let mut cut = String::with_capacity(keep + '…'.len_utf8());
    cut.push_str(&text[..keep]);
    cut.push('…');
    Cow::Owned(cut)
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

        /// A summary line is the bytes as lossy text, sanitized, then cut
        /// to `max_chars` characters with `…` as the last (counted here
        /// character by character, as a person would).
        #[test]
        fn a_summary_line_is_the_sanitized_text_cut_to_its_characters(
            bytes in proptest::collection::vec(
                prop_oneof![
                    Just(b'a'), Just(b'\n'), Just(0x7f), Just(0xc2), Just(0x9b),
                    Just(0xe2), Just(0x82), Just(0xac), Just(0xff), any::<u8>(),
                ],
                0..40,
            ),
            max_chars in 0usize..30,
        ) {
            let clean: Vec<char> = crate::domain::text::sanitize_bytes(&bytes).chars().collect();
            let expected: String = if clean.len() <= max_chars {
                clean.iter().collect()
            } else if max_chars == 0 {
                String::new()
            } else {
                clean[..max_chars - 1].iter().chain(['…'].iter()).collect()
            };
            prop_assert_eq!(summary_line(&bytes, max_chars), expected.clone());
            let text = String::from_utf8_lossy(&bytes);
            let sanitized_first = truncate_chars(&crate::domain::text::sanitize(&text), max_chars);
            prop_assert_eq!(sanitized_first, expected);
        }
    }
}
