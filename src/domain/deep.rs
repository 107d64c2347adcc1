//! JSON nested deeper than serde_json builds a tree for. serde_json stops at 128
//! levels, and a `serde_json::Value` drops, clones and prints itself
//! recursively, so a document 100,000 levels deep would overflow a thread's
//! stack in any of them. Such a document is read here as a stream of events
//! (json-event-parser keeps its nesting on a heap stack, never the call
//! stack) and kept as compact JSON text: every view reads it from that text
//! the same way, at any depth.

use json_event_parser::{JsonEvent, LowLevelJsonParser, LowLevelJsonParserResult};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// One event of a JSON document read in order.
pub use json_event_parser::JsonEvent as Event;

/// A valid JSON document too deeply nested for a `serde_json::Value`, kept as
/// compact JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeepJson {
    /// Compact JSON: no whitespace between tokens; strings escaped as serde
    /// escapes them, and DEL and C1 controls too ([`super::text::write_json`]).
    compact: String,
    /// How many arrays and objects the deepest value sits in.
    depth: usize,
    /// The top-level object's members, with nested arrays and objects as
    /// `true`: enough to tell whether it looks like an event.
    top_level: Option<Map<String, Value>>,
}

impl DeepJson {
    /// Reads `bytes` as one JSON document (RFC 8259, any depth); the error
    /// names what is wrong and where.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let mut compact = String::with_capacity(bytes.len());
        let mut open: Vec<Container> = Vec::new();
        let mut depth = 0;
        let mut top_level: Option<Map<String, Value>> = None;
        let mut top_key: Option<String> = None;
        walk(bytes, |event| {
            if open.len() == 1
                && let Some(map) = top_level.as_mut()
            {
                let member = match &event {
                    Event::ObjectKey(key) => {
                        top_key = Some(key.to_string());
                        None
                    }
                    Event::String(s) => Some(Value::String(s.to_string())),
                    Event::Number(n) => Some(serde_json::from_str(n).unwrap_or(Value::Bool(true))),
                    Event::Boolean(b) => Some(Value::Bool(*b)),
                    Event::Null => Some(Value::Null),
                    Event::StartArray | Event::StartObject => Some(Value::Bool(true)),
                    Event::EndArray | Event::EndObject | Event::Eof => None,
                };
                if let Some(value) = member
                    && let Some(key) = top_key.take()
                {
                    map.insert(key, value);
                }
            }
            if open.is_empty() && event == Event::StartObject {
                top_level = Some(Map::new());
            }
            write_compact(&mut compact, &mut open, &event);
            depth = depth.max(open.len());
        })?;
        Ok(Self {
            compact,
            depth,
            top_level,
        })
    }

    /// The document as compact JSON text.
    pub fn as_str(&self) -> &str {
        &self.compact
    }

    /// How many arrays and objects the deepest value sits in.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The top-level object's members (nested arrays and objects read as
    /// `true`), or `None` when the document is not an object.
    pub fn top_level(&self) -> Option<&Map<String, Value>> {
        self.top_level.as_ref()
    }

    /// The document as a raw JSON value, to write inside other JSON as it is.
    /// serde_json checks raw text without recursion, so this is safe at any depth.
    pub fn to_raw_value(&self) -> Option<Box<RawValue>> {
        RawValue::from_string(self.compact.clone()).ok()
    }

    /// Each event of the document, in order (see [`walk`]).
    pub fn events(&self, on: impl FnMut(Event<'_>)) {
        // The text was read once already: it cannot fail now.
        let _ = walk(self.compact.as_bytes(), on);
    }
}

/// An open array or object while walking a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Container {
    /// An object (else an array).
    pub object: bool,
    /// Nothing was written in it yet.
    pub empty: bool,
}

/// Reads `bytes` as one JSON document and calls `on` for each event, the
/// closing `Eof` excepted. Iterative: any depth is safe. The first syntax
/// error ends the walk and is returned, with its line and column.
pub fn walk(bytes: &[u8], mut on: impl FnMut(Event<'_>)) -> Result<(), String> {
    // The default limit (65,536 levels) is lifted: nesting costs a heap
    // stack entry here, not a stack frame.
    let mut parser = LowLevelJsonParser::new().with_max_stack_size(usize::MAX);
    let mut rest = bytes;
    loop {
        let LowLevelJsonParserResult {
            event,
            consumed_bytes,
        } = parser.parse_next(rest, true);
        rest = rest.get(consumed_bytes..).unwrap_or_default();
        match event {
            None => {}
            Some(Ok(JsonEvent::Eof)) => return Ok(()),
            Some(Ok(event)) => on(event),
            Some(Err(e)) => return Err(format!("invalid JSON: {e}")),
        }
    }
}

/// A JSON string literal for `text`, escaped as serde escapes it, and DEL and
/// C1 controls too, so it is safe to show on a terminal.
pub fn quoted(text: &str) -> String {
    super::text::json_string(text, false).unwrap_or_else(|_| String::from("\"\""))
}

/// Appends `event` to `out` as compact JSON; `open` is the walk's stack of
/// containers, kept by this function.
fn write_compact(out: &mut String, open: &mut Vec<Container>, event: &Event<'_>) {
    let in_object = open.last().is_some_and(|c| c.object);
    let is_value = !matches!(
        event,
        Event::ObjectKey(_) | Event::EndArray | Event::EndObject | Event::Eof
    );
    // A value in an array, or a key in an object, after another needs a comma.
    if let Some(top) = open.last_mut()
        && (matches!(event, Event::ObjectKey(_)) || (is_value && !in_object))
    {
        if !top.empty {
            out.push(',');
        }
        top.empty = false;
    }
    match event {
        Event::String(s) => out.push_str(&quoted(s)),
        Event::Number(n) => out.push_str(n),
        Event::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Event::Null => out.push_str("null"),
        Event::StartArray | Event::StartObject => {
            let object = *event == Event::StartObject;
            out.push(if object { '{' } else { '[' });
            open.push(Container {
                object,
                empty: true,
            });
        }
        Event::EndArray | Event::EndObject => {
            open.pop();
            out.push(if *event == Event::EndObject { '}' } else { ']' });
        }
        Event::ObjectKey(key) => {
            out.push_str(&quoted(key));
            out.push(':');
        }
        Event::Eof => {}
    }
}

/// True when serde_json refused `error` only for its depth (128 levels).
pub(crate) fn is_depth_error(error: &serde_json::Error) -> bool {
    error.to_string().starts_with("recursion limit exceeded")
}

/// `[[[…]]]` or `{"a":{"a":…}}` nested `depth` levels around `0`.
#[cfg(test)]
pub(crate) fn nested(depth: usize, object: bool) -> String {
    let (open, close) = if object {
        (r#"{"a":"#, "}")
    } else {
        ("[", "]")
    };
    format!("{}0{}", open.repeat(depth), close.repeat(depth))
}

/// Runs `f` on a thread with a tokio worker's stack (2 MiB), where a
/// recursive walk of a deep document would overflow.
#[cfg(test)]
pub(crate) fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no overflow, no panic")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_documents_read_back_compact_with_their_depth() {
        for object in [false, true] {
            let text = nested(200, object);
            let deep = DeepJson::parse(text.as_bytes()).unwrap();
            assert_eq!(deep.as_str(), text);
            assert_eq!(deep.depth(), 200);
        }
        let spaced = "[ 1 , { \"k\" : [ ] , \"z\" : { } } , \"a\\u0041\\n\\u007f\" ]";
        let deep = DeepJson::parse(spaced.as_bytes()).unwrap();
        assert_eq!(deep.as_str(), r#"[1,{"k":[],"z":{}},"aA\n\u007f"]"#);
        assert_eq!(deep.depth(), 3);
    }

    #[test]
    fn invalid_json_is_refused_with_its_position() {
        for bad in [
            "[1,]",
            "{\"a\" 1}",
            "[1] 2",
            "",
            "[\"\\ud800\"]",
            "[01]",
            "{]",
        ] {
            let err = DeepJson::parse(bad.as_bytes()).unwrap_err();
            assert!(err.starts_with("invalid JSON"), "{bad}: {err}");
        }
        let unclosed = "[".repeat(1000);
        assert!(DeepJson::parse(unclosed.as_bytes()).is_err());
    }

    #[test]
    fn the_top_level_object_is_kept_shallow() {
        let text = format!(
            r#"{{"event_id":"x","n":1,"data":{},"z":null}}"#,
            nested(300, true)
        );
        let deep = DeepJson::parse(text.as_bytes()).unwrap();
        let top = deep.top_level().unwrap();
        assert_eq!(top["event_id"], "x");
        assert_eq!(top["n"], 1);
        assert_eq!(top["data"], true);
        assert!(top["z"].is_null());
        assert_eq!(deep.depth(), 301);
        assert!(DeepJson::parse(b"[1]").unwrap().top_level().is_none());
    }

    #[test]
    fn a_raw_value_carries_the_text_at_any_depth() {
        let text = nested(100_000, false);
        let depth = on_small_stack(move || {
            let deep = DeepJson::parse(text.as_bytes()).unwrap();
            let raw = deep.to_raw_value().unwrap();
            assert_eq!(raw.get(), text);
            deep.depth()
        });
        assert_eq!(depth, 100_000);
    }
}
