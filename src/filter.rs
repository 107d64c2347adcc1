//! The filter grammar (`type:DecisionMade ctx:debate corr:<id> key:<k> topic:<t>
//! words`) and its matching, shared by the Streams pane and the headless
//! commands that search records.

use crate::domain::sanitize_bytes;
use crate::kafka::ConsumedRecord;

/// One term of a filter. Every term must match.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// `type:` — substring of the event type, any case.
    Type(String),
    /// `ctx:` — substring of the context, any case.
    Ctx(String),
    /// `corr:` — prefix of the correlation id.
    Corr(String),
    /// `key:` — substring of the key, any case.
    Key(String),
    /// `topic:` — substring of the topic, any case.
    Topic(String),
    /// Free text: substring of the key, the value (or the value decoded with
    /// its registry schema) or a header, any case.
    Text(String),
}

/// What a filter looks at: the record as read, and the fields its decode gave.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The record (its topic, key, value and headers).
    pub record: &'a ConsumedRecord,
    /// The event type as shown (`DecisionMade`, `(raw)`, `DLQ …`).
    pub event_type: &'a str,
    /// The bounded context as shown, or `-`.
    pub context: &'a str,
    /// The correlation id, when the record has one.
    pub correlation: Option<&'a str>,
    /// A schema record's value decoded with its registry schema, as JSON
    /// text: free words match it too (its fields are not in its bytes).
    pub decoded: Option<&'a str>,
}

/// A parsed filter expression: `type:DecisionMade ctx:debate corr:<id> key:<k> words`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    terms: Vec<Term>,
    /// Field names typed that are not one of the above (`foo:bar`).
    unknown: Vec<String>,
}

impl Filter {
    /// Parses a filter; an empty expression matches everything.
    pub fn parse(text: &str) -> Self {
        let mut unknown = Vec::new();
        let terms = text
            .split_whitespace()
            .map(|word| {
                let lower = word.to_lowercase();
                match lower.split_once(':') {
                    Some(("type", v)) if !v.is_empty() => Term::Type(v.into()),
                    Some(("ctx" | "context", v)) if !v.is_empty() => Term::Ctx(v.into()),
                    Some(("corr" | "correlation", v)) if !v.is_empty() => Term::Corr(v.into()),
                    Some(("key", v)) if !v.is_empty() => Term::Key(v.into()),
                    Some(("topic", v)) if !v.is_empty() => Term::Topic(v.into()),
                    // A word, a colon and a value reads as a field: say it is not
                    // one rather than search for it as text and find nothing.
                    Some((f, v))
                        if !v.is_empty()
                            && !v.starts_with('/')
                            && !f.is_empty()
                            && f.chars().all(|c| c.is_ascii_alphabetic() || c == '_') =>
                    {
                        unknown.push(f.to_string());
                        Term::Text(lower)
                    }
                    _ => Term::Text(lower),
                }
            })
            .collect();
        Self { terms, unknown }
    }

    /// Field names that are not filter fields (`foo` of `foo:bar`).
    pub fn unknown_fields(&self) -> &[String] {
        &self.unknown
    }

    /// True when the filter has no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// True when the filter has free words (which a schema record's decoded
    /// value may hold: [`Subject::decoded`]).
    pub fn has_text(&self) -> bool {
        self.terms.iter().any(|t| matches!(t, Term::Text(_)))
    }

    /// True when the subject matches every term.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        let r = s.record;
        self.terms.iter().all(|t| match t {
            Term::Type(v) => contains_ci(s.event_type.as_bytes(), v.as_bytes()),
            Term::Ctx(v) => contains_ci(s.context.as_bytes(), v.as_bytes()),
            Term::Corr(v) => s
                .correlation
                .is_some_and(|c| c.to_ascii_lowercase().starts_with(v.as_str())),
            // The key as the list shows it: sanitized text, or `-`.
            Term::Key(v) => {
                let key = r.key.as_deref().map_or_else(|| "-".into(), sanitize_bytes);
                contains_ci(key.as_bytes(), v.as_bytes())
            }
            Term::Topic(v) => contains_ci(r.topic.as_bytes(), v.as_bytes()),
            Term::Text(v) => {
                let n = v.as_bytes();
                r.key.as_deref().is_some_and(|k| contains_ci(k, n))
                    || r.value.as_deref().is_some_and(|b| contains_ci(b, n))
                    || s.decoded.is_some_and(|d| contains_ci(d.as_bytes(), n))
                    || r.headers.iter().any(|(k, hv)| {
                        contains_ci(k.as_bytes(), n) || hv.is_some_and(|b| contains_ci(b, n))
                    })
            }
        })
    }
}

/// ASCII-case-insensitive substring search; `needle` is already lower case.
/// Non-ASCII bytes compare exactly, which is right for UTF-8 needles typed as is.
fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    if needle.len() > hay.len() {
        return false;
    }
    hay.windows(needle.len()).any(|w| {
        w.iter()
            .zip(needle)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_ci_is_case_insensitive() {
        assert!(contains_ci(b"DecisionMade", b"decision"));
        assert!(!contains_ci(b"abc", b"abcd"));
    }

    #[test]
    fn every_term_must_match_and_unknown_fields_are_named() {
        let record = ConsumedRecord {
            topic: "debate.events".into(),
            partition: 0,
            offset: 0,
            timestamp_ms: None,
            key: None,
            value: Some(b"{\"Title\":\"Use Kafka\"}".to_vec()),
            headers: vec![("source".into(), Some(b"Test".to_vec()))].into(),
        };
        let s = Subject {
            record: &record,
            event_type: "DecisionMade",
            context: "debate",
            correlation: Some("ABC-123"),
            decoded: None,
        };
        let matches = |text: &str| Filter::parse(text).matches(&s);
        assert!(matches(""));
        assert!(matches("type:decision ctx:DEB corr:abc topic:debate"));
        assert!(matches("use kafka"), "free text in the value, any case");
        assert!(matches("test"), "free text in a header");
        assert!(matches("key:-"), "no key reads as `-`");
        assert!(!matches("corr:123"), "corr is a prefix");
        assert!(!matches("type:decision ctx:testing"));
        // A schema record's decoded value: its free words match there too.
        let decoded = Subject {
            decoded: Some(r#"{"votes":3,"decision":"adopt avro"}"#),
            ..s
        };
        assert!(Filter::parse("\"votes\":3 avro").matches(&decoded));
        assert!(!Filter::parse("\"votes\":3").matches(&s));
        assert!(Filter::parse("\"votes\":3").has_text());
        assert!(!Filter::parse("type:x").has_text());
        let f = Filter::parse("foo:bar http://x");
        assert_eq!(f.unknown_fields(), ["foo"]);
        assert!(!f.is_empty());
    }
}
