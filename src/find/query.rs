//! What a search looks for: a key, `--where` conditions (the Streams filter's
//! fields, or a JSON path compared with `=`, `!=`, `>`, `>=`, `<`, `<=`) and
//! free text. Checks run cheapest first: the key and the text on the bytes as
//! read, then a necessary-text test for each `--where` condition, and only
//! then the decode.

use memchr::memmem;
use serde_json::Value;

use crate::domain::{DecodeOutcome, Decoded, HeaderView, TopicMap};
use crate::filter::{Filter, Subject};
use crate::kafka::ffi::OnHeader;
use crate::kafka::record::ConsumedRecord;

/// How a path's value is compared with the one typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

/// One `--where` condition on a JSON path of the decoded event.
#[derive(Debug, Clone)]
pub struct PathCond {
    /// The path's segments (`data.items.0.sku` → `data`, `items`, `0`, `sku`).
    path: Vec<String>,
    cmp: Cmp,
    /// The value as typed.
    value: String,
    /// The value as a number, when it is one.
    number: Option<f64>,
    /// Text every matching record's value or headers must contain (an `=`
    /// on a string), found without decoding.
    needle: Option<Needle>,
}

/// One `--where`.
#[derive(Debug, Clone)]
pub enum Where {
    /// `type:`, `ctx:`, `corr:`, `key:`, `topic:`: the Streams filter's fields.
    Field(Filter),
    /// `PATH OP VALUE` (boxed: its byte finder is large).
    Path(Box<PathCond>),
}

/// Filter fields a `--where` may name with a colon.
const FILTER_FIELDS: &[&str] = &[
    "type",
    "ctx",
    "context",
    "corr",
    "correlation",
    "key",
    "topic",
];

/// Operators, longest first so `>=` is not read as `>`.
const OPERATORS: &[(&str, Cmp)] = &[
    ("!=", Cmp::Ne),
    (">=", Cmp::Ge),
    ("<=", Cmp::Le),
    ("=", Cmp::Eq),
    (">", Cmp::Gt),
    ("<", Cmp::Lt),
];

impl Where {
    /// Parses one `--where`: `type:DecisionMade`, `ctx:debate`, `corr:<id>`,
    /// `data.order.id=42`, `data.amount>100`, `occurred_at>=2026-01-01`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Some((field, v)) = text.split_once(':')
            && !v.is_empty()
            && FILTER_FIELDS.contains(&field.to_ascii_lowercase().as_str())
            && !OPERATORS.iter().any(|(op, _)| field.contains(op))
        {
            return Ok(Where::Field(Filter::parse(text)));
        }
        let at = OPERATORS
            .iter()
            .filter_map(|(op, cmp)| text.find(op).map(|i| (i, *op, *cmp)))
            // The leftmost operator; at one place, the longest.
            .min_by_key(|(i, op, _)| (*i, usize::MAX - op.len()));
        let Some((i, op, cmp)) = at else {
            return Err(format!(
                "--where '{text}': expected PATH=VALUE, PATH!=VALUE, PATH>N, PATH>=N, PATH<N, \
                 PATH<=N, or a filter field (type:, ctx:, corr:, key:, topic:)"
            ));
        };
        let (path, value) = (text[..i].trim(), text[i + op.len()..].trim());
        if path.is_empty() {
            return Err(format!("--where '{text}': no path before '{op}'"));
        }
        let number = value.parse::<f64>().ok().filter(|n| n.is_finite());
        // A string equal to the value appears as these bytes in the record
        // unless the producer escaped some of its characters: a record with
        // no backslash and without these bytes cannot match.
        let needle =
            (cmp == Cmp::Eq && number.is_none() && !value.is_empty()).then(|| Needle::exact(value));
        Ok(Where::Path(Box::new(PathCond {
            path: path.split('.').map(str::to_string).collect(),
            cmp,
            value: value.to_string(),
            number,
            needle,
        })))
    }
}

/// A search: every part given must match.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// The exact key bytes.
    pub key: Option<Vec<u8>>,
    /// Every `--where` condition.
    pub wheres: Vec<Where>,
    /// Free text, any case, in the key, the value or a header (as the
    /// Streams filter's words).
    text: Option<Needle>,
    /// The text as typed.
    text_typed: Option<String>,
}

/// A record as read, before it is copied: what the cheap checks look at.
pub trait RawView {
    /// The key bytes.
    fn key(&self) -> Option<&[u8]>;
    /// The value bytes.
    fn value(&self) -> Option<&[u8]>;
    /// True when `f` is true for any header (name bytes, value).
    fn any_header(&self, f: &mut OnHeader<'_>) -> bool;
}

impl RawView for ConsumedRecord {
    fn key(&self) -> Option<&[u8]> {
        self.key.as_deref()
    }
    fn value(&self) -> Option<&[u8]> {
        self.value.as_deref()
    }
    fn any_header(&self, f: &mut OnHeader<'_>) -> bool {
        self.headers.pairs().any(|(k, v)| f(k.as_bytes(), v))
    }
}

impl Query {
    /// A query from its parts; errors name the `--where` that did not parse.
    pub fn new(key: Option<&str>, wheres: &[String], text: Option<&str>) -> Result<Self, String> {
        let wheres = wheres
            .iter()
            .map(|w| Where::parse(w))
            .collect::<Result<Vec<_>, _>>()?;
        let text = text.filter(|t| !t.is_empty());
        let matcher = text.map(Needle::any_case);
        Ok(Self {
            key: key.map(|k| k.as_bytes().to_vec()),
            wheres,
            text: matcher,
            text_typed: text.map(str::to_string),
        })
    }

    /// True when the query has nothing to look for (everything matches).
    pub fn is_empty(&self) -> bool {
        self.key.is_none() && self.wheres.is_empty() && self.text.is_none()
    }

    /// The free text as typed.
    pub fn text(&self) -> Option<&str> {
        self.text_typed.as_deref()
    }

    /// True when the record needs decoding to be judged.
    pub fn needs_decode(&self) -> bool {
        !self.wheres.is_empty()
    }

    /// The checks that need no decode: the key, the text, and each `=`
    /// condition's necessary text. False means the record cannot match.
    pub fn raw_matches(&self, r: &impl RawView) -> bool {
        self.raw_matches_framed(r, false)
    }

    /// [`Query::raw_matches`] for a record that may be in a schema
    /// registry's wire format (`framed`): its fields are not in its bytes as
    /// text, so the `=` conditions' text is not looked for (the decode
    /// decides); the key and `--text` are still judged on the bytes.
    pub fn raw_matches_framed(&self, r: &impl RawView, framed: bool) -> bool {
        if let Some(key) = &self.key
            && r.key() != Some(key.as_slice())
        {
            return false;
        }
        if let Some(text) = &self.text
            && !anywhere(r, text, true)
        {
            return false;
        }
        framed
            || self.wheres.iter().all(|w| match w {
                Where::Path(c) => match &c.needle {
                    Some(n) => anywhere(r, n, false) || escaped(r),
                    None => true,
                },
                Where::Field(_) => true,
            })
    }

    /// The checks on the decoded record (call after [`Query::raw_matches`]).
    pub fn decoded_matches(&self, record: &ConsumedRecord, decoded: &DecodeOutcome) -> bool {
        if self.wheres.is_empty() {
            return true;
        }
        let event_type = decoded
            .event_type()
            .map(str::to_string)
            .unwrap_or_else(|| format!("({})", decoded.kind().as_str()));
        let correlation = decoded.correlation_id();
        let subject = Subject {
            record,
            event_type: &event_type,
            context: decoded.context().unwrap_or("-"),
            correlation: correlation.as_deref(),
            decoded: None,
        };
        let mut event: Option<Option<Value>> = None;
        self.wheres.iter().all(|w| match w {
            Where::Field(f) => f.matches(&subject),
            Where::Path(c) => {
                let found = if c.path.first().is_some_and(|s| s == "data")
                    && let Decoded::Envelope(env) = &decoded.decoded
                {
                    // The envelope's data is a tree already: no copy of it.
                    lookup(&env.data, &c.path[1..])
                } else {
                    let ev = event.get_or_insert_with(|| event_json(decoded));
                    ev.as_ref().and_then(|v| lookup(v, &c.path))
                };
                found.is_some_and(|v| compare(v, c))
            }
        })
    }

    /// The whole check on a record already copied.
    pub fn matches(&self, record: &ConsumedRecord, topics: &TopicMap) -> bool {
        if !self.raw_matches(record) {
            return false;
        }
        if !self.needs_decode() {
            return true;
        }
        self.decoded_matches(record, &record.decode_in(topics))
    }
}

/// A byte string searched for: exactly, or in any ASCII case, with memchr's
/// `memmem` either way. A record is about 17 haystacks (key, value, eight
/// header names and values), mostly short, so the cost per call matters
/// more than the speed per byte: the any-case search lower-cases all of a
/// record's fields into one reused buffer, a NUL between them, and searches
/// it once. (An Aho-Corasick automaton with case folding took 2.5 s more
/// than the exact search over 1.2M envelopes; `memchr2` on the needle's
/// rarest byte in each field, 10% of a text search's CPU.)
#[derive(Debug, Clone)]
pub struct Needle {
    /// The needle as typed (exact), or lower-cased (any case).
    finder: memmem::Finder<'static>,
    any_case: bool,
    /// The fields may be searched as one buffer: the needle holds no NUL,
    /// so no match can span two of them.
    joinable: bool,
}

thread_local! {
    /// A record's fields lower-cased, reused from record to record.
    static FOLDED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Needle {
    /// Finds `text` exactly as typed.
    pub fn exact(text: &str) -> Self {
        Self {
            finder: memmem::Finder::new(text.as_bytes()).into_owned(),
            any_case: false,
            joinable: false,
        }
    }

    /// Finds `text` in any ASCII case (other bytes exactly).
    pub fn any_case(text: &str) -> Self {
        let lower = text.as_bytes().to_ascii_lowercase();
        Self {
            joinable: !lower.contains(&0),
            finder: memmem::Finder::new(&lower).into_owned(),
            any_case: true,
        }
    }

    /// True when `hay` contains the needle.
    pub fn is_match(&self, hay: &[u8]) -> bool {
        self.in_fields(|field| field(hay))
    }

    /// True when the needle is in one of the byte strings `each` hands to
    /// its callback (never across two). The callback answers true when the
    /// search may stop there (a match already found).
    fn in_fields(&self, each: impl FnOnce(&mut dyn FnMut(&[u8]) -> bool) -> bool) -> bool {
        if !self.any_case {
            return each(&mut |hay| self.finder.find(hay).is_some());
        }
        FOLDED.with_borrow_mut(|buf| {
            buf.clear();
            if !self.joinable {
                return each(&mut |hay| {
                    buf.clear();
                    buf.extend_from_slice(hay);
                    buf.make_ascii_lowercase();
                    self.finder.find(buf).is_some()
                });
            }
            each(&mut |hay| {
                let start = buf.len();
                buf.extend_from_slice(hay);
                buf[start..].make_ascii_lowercase();
                buf.push(0);
                false
            });
            self.finder.find(buf).is_some()
        })
    }
}

/// True when `m` finds its pattern in the key (when `with_key`), the value
/// or any header's value (and name, when `with_key`: the text search's reach).
fn anywhere(r: &impl RawView, m: &Needle, with_key: bool) -> bool {
    m.in_fields(|field| {
        (with_key && r.key().is_some_and(&mut *field))
            || r.value().is_some_and(&mut *field)
            || r.any_header(&mut |k, v| (with_key && field(k)) || v.is_some_and(&mut *field))
    })
}

/// True when the record may be in a schema registry's wire format: its
/// value starts with the magic byte 0 (JSON and text never do), or a header
/// names its value's schema (Confluent's `__value_schema_id`, Apicurio's
/// `apicurio.value.*`).
pub fn schema_framed(r: &impl RawView) -> bool {
    r.value().is_some_and(|v| v.first() == Some(&0))
        || r.any_header(&mut |k, _| k == b"__value_schema_id" || k.starts_with(b"apicurio.value."))
}

/// True when the value or a header holds a backslash: JSON escapes may hide
/// a string from a byte search, so the record is decoded to be sure.
fn escaped(r: &impl RawView) -> bool {
    r.value()
        .is_some_and(|v| memchr::memchr(b'\\', v).is_some())
        || r.any_header(&mut |_, v| v.is_some_and(|v| memchr::memchr(b'\\', v).is_some()))
}

/// What a path is looked up in: the event as `tail --format json` shows it
/// (the envelope, the CloudEvent), or the JSON body.
fn event_json(d: &DecodeOutcome) -> Option<Value> {
    match &d.decoded {
        Decoded::Json(v) => Some(v.clone()),
        _ => d.event_json(),
    }
}

/// The value at `path`: object keys, or array indexes written as numbers.
fn lookup<'v>(mut v: &'v Value, path: &[String]) -> Option<&'v Value> {
    for seg in path {
        v = match v {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Compares a found value with the typed one: numbers as numbers (a string
/// holding a number counts as one), strings as strings (so RFC 3339 times
/// order by time), anything else by its JSON text for `=` and `!=`.
fn compare(found: &Value, c: &PathCond) -> bool {
    use std::cmp::Ordering;
    let as_number = match found {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let ordering: Option<Ordering> = match (as_number, c.number) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => match found {
            Value::String(s) => Some(s.as_str().cmp(c.value.as_str())),
            other => {
                let text = other.to_string();
                return match c.cmp {
                    Cmp::Eq => text == c.value,
                    Cmp::Ne => text != c.value,
                    _ => false,
                };
            }
        },
    };
    let Some(o) = ordering else {
        return false;
    };
    match c.cmp {
        Cmp::Eq => o == Ordering::Equal,
        Cmp::Ne => o != Ordering::Equal,
        Cmp::Gt => o == Ordering::Greater,
        Cmp::Ge => o != Ordering::Less,
        Cmp::Lt => o == Ordering::Less,
        Cmp::Le => o != Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: Option<&str>, value: &str, headers: &[(&str, &str)]) -> ConsumedRecord {
        let mut h = crate::domain::Headers::default();
        for (k, v) in headers {
            h.push(k, Some(v.as_bytes()));
        }
        ConsumedRecord {
            topic: "debate.events".into(),
            partition: 0,
            offset: 0,
            timestamp_ms: None,
            key: key.map(|k| k.as_bytes().to_vec()),
            value: Some(value.as_bytes().to_vec()),
            headers: h,
        }
    }

    fn envelope(data: &str) -> String {
        format!(
            r#"{{"event_id":"7d9f6a34-5c1e-4b7a-9d2e-1f3a5b7c9d0e","event_type":"OrderPlaced",
            "schema_version":1,"context":"debate","aggregate_id":"a-1",
            "occurred_at":"2026-11-27T10:00:00.000000Z",
            "correlation_id":"0b6f2c1e-3d4a-4e5f-8a9b-0c1d2e3f4a5b","causation_id":null,
            "data":{data}}}"#
        )
    }

    fn q(key: Option<&str>, wheres: &[&str], text: Option<&str>) -> Query {
        let wheres: Vec<String> = wheres.iter().map(|s| s.to_string()).collect();
        Query::new(key, &wheres, text).expect("query parses")
    }

    fn topics() -> TopicMap {
        TopicMap::default()
    }

    #[test]
    fn needles_find_any_case_or_exactly_at_every_position() {
        let any = Needle::any_case("Ab-1");
        for hay in ["ab-1", "xxAB-1", "aB-1yy", "zzab-1zz", "AB-1"] {
            assert!(any.is_match(hay.as_bytes()), "{hay}");
        }
        for hay in ["ab-", "b-1", "ab_1", ""] {
            assert!(!any.is_match(hay.as_bytes()), "{hay}");
        }
        let exact = Needle::exact("Ab");
        assert!(exact.is_match(b"xAb"));
        assert!(!exact.is_match(b"xab"));
        assert!(Needle::any_case("é").is_match("café".as_bytes()));
        // A needle with a NUL is searched field by field.
        assert!(Needle::any_case("a\0B").is_match(b"xA\0by"));
    }

    #[test]
    fn text_is_found_in_any_field_but_never_across_two() {
        let rec =
            |key: &str, value: &str, headers: &[(&str, &str)]| record(Some(key), value, headers);
        let q = |text: &str| Query::new(None, &[], Some(text)).expect("query");
        let r = rec("Order-42", "{\"a\":1}", &[("ce_Type", "Shipped")]);
        for text in ["order-42", "\"A\"", "CE_TYPE", "shipped"] {
            assert!(q(text).raw_matches(&r), "{text}");
        }
        // The end of one field and the start of the next are not a match.
        for text in ["42{", "1}ce", "typeshipped", "order-42{\"a"] {
            assert!(!q(text).raw_matches(&r), "{text}");
        }
        // The key and header names are the text search's only: a --where
        // path's needle looks in the value and header values.
        let w = Query::new(None, &["a=Order".to_string()], None).expect("query");
        assert!(!w.raw_matches(&rec("Order", "{}", &[])));
    }

    #[test]
    fn where_parses_fields_paths_and_operators() {
        assert!(matches!(Where::parse("type:Order"), Ok(Where::Field(_))));
        let Ok(Where::Path(c)) = Where::parse("data.amount>=100") else {
            panic!("a path");
        };
        assert_eq!(c.path, ["data", "amount"]);
        assert_eq!(c.cmp, Cmp::Ge);
        assert_eq!(c.number, Some(100.0));
        let Ok(Where::Path(c)) = Where::parse("data.url=http://x:1/a") else {
            panic!("a path with a colon in the value");
        };
        assert_eq!(c.value, "http://x:1/a");
        assert!(Where::parse("data.amount").is_err());
        assert!(Where::parse("=3").is_err());
    }

    #[test]
    fn nested_paths_and_numeric_comparisons_match() {
        let r = record(
            Some("order-42"),
            &envelope(r#"{"order":{"id":"42","amount":150.5,"items":[{"sku":"A-1"}]}}"#),
            &[],
        );
        let t = topics();
        assert!(q(None, &["data.order.id=42"], None).matches(&r, &t));
        assert!(q(None, &["data.order.amount>100"], None).matches(&r, &t));
        assert!(!q(None, &["data.order.amount>200"], None).matches(&r, &t));
        assert!(q(None, &["data.order.amount<=150.5"], None).matches(&r, &t));
        assert!(q(None, &["data.order.items.0.sku=A-1"], None).matches(&r, &t));
        assert!(!q(None, &["data.order.items.1.sku=A-1"], None).matches(&r, &t));
        assert!(q(None, &["data.order.id!=43"], None).matches(&r, &t));
        assert!(
            !q(None, &["data.missing!=1"], None).matches(&r, &t),
            "a missing field matches nothing"
        );
        assert!(
            q(
                None,
                &["event_type=OrderPlaced", "type:order", "ctx:debate"],
                None
            )
            .matches(&r, &t)
        );
        assert!(
            q(None, &["occurred_at>2026-11-01"], None).matches(&r, &t),
            "times order as text"
        );
        assert!(q(None, &["corr:0b6f2c1e"], None).matches(&r, &t));
        assert!(!q(None, &["type:Decision"], None).matches(&r, &t));
    }

    #[test]
    fn plain_json_and_cloudevents_are_searchable_by_field() {
        let t = topics();
        let json = record(None, r#"{"customer":{"tier":"gold"},"total":7}"#, &[]);
        assert!(q(None, &["customer.tier=gold", "total<10"], None).matches(&json, &t));
        let ce = record(
            None,
            r#"{"amount":12}"#,
            &[
                ("ce_specversion", "1.0"),
                ("ce_id", "1"),
                ("ce_type", "PaymentTaken"),
                ("ce_source", "/pay"),
            ],
        );
        assert!(q(None, &["data.amount>10", "type=PaymentTaken"], None).matches(&ce, &t));
    }

    #[test]
    fn key_is_exact_and_text_is_any_case_anywhere() {
        let r = record(
            Some("order-42"),
            r#"{"note":"Hello World"}"#,
            &[("source", "Billing")],
        );
        let t = topics();
        assert!(q(Some("order-42"), &[], None).matches(&r, &t));
        assert!(!q(Some("order-4"), &[], None).matches(&r, &t));
        assert!(q(None, &[], Some("hello world")).matches(&r, &t));
        assert!(q(None, &[], Some("billing")).matches(&r, &t), "in a header");
        assert!(q(None, &[], Some("ORDER-42")).matches(&r, &t), "in the key");
        assert!(!q(None, &[], Some("goodbye")).matches(&r, &t));
    }

    #[test]
    fn the_byte_prefilter_never_hides_an_escaped_match() {
        // "ab" written with unicode escapes: not in the bytes, still equal.
        let r = record(None, r#"{"id":"\u0061\u0062"}"#, &[]);
        assert!(q(None, &["id=ab"], None).matches(&r, &topics()));
        let plain = record(None, r#"{"id":"ac"}"#, &[]);
        assert!(
            !q(None, &["id=ab"], None).raw_matches(&plain),
            "skipped without decoding"
        );
        // A number is compared as a number, so it is never skipped by bytes.
        let n = record(None, r#"{"id":42.0}"#, &[]);
        assert!(q(None, &["id=42"], None).matches(&n, &topics()));
    }
}
