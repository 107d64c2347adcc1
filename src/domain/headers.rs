//! Record headers as read from Kafka, stored compactly.
//!
//! A consumed record carries about eight headers. As `(String, Option<Vec<u8>>)`
//! pairs that is sixteen allocations per record, made on the reader thread and
//! freed on the UI thread; copying them was half of the reader's CPU time.
//! [`Headers`] keeps every name in one `String`, every value in one buffer, and
//! one small span per header: three allocations whatever the count.
//!
//! The decoders read headers through [`HeaderView`], so they take both this and
//! plain `[Header]` slices (what the encoder and the tests build).

use std::borrow::Cow;
use std::fmt;

/// A Kafka record header: key and nullable value.
pub type Header = (String, Option<Vec<u8>>);

/// Header mirroring [`Envelope::event_id`].
pub const HEADER_EVENT_ID: &str = "event_id";
/// Header mirroring [`Envelope::event_type`].
pub const HEADER_EVENT_TYPE: &str = "event_type";
/// Header mirroring [`Envelope::schema_version`] (decimal text).
pub const HEADER_SCHEMA_VERSION: &str = "schema_version";
/// Header mirroring [`Envelope::context`].
pub const HEADER_CONTEXT: &str = "context";
/// Header mirroring [`Envelope::aggregate_id`].
pub const HEADER_AGGREGATE_ID: &str = "aggregate_id";
/// Header mirroring [`Envelope::occurred_at`] (RFC 3339, UTC, microseconds).
pub const HEADER_OCCURRED_AT: &str = "occurred_at";
/// Header mirroring [`Envelope::correlation_id`]; absent when there is none.
pub const HEADER_CORRELATION_ID: &str = "correlation_id";
/// Header mirroring [`Envelope::causation_id`]; absent for a root event.
pub const HEADER_CAUSATION_ID: &str = "causation_id";
/// The record's media type.
pub const HEADER_CONTENT_TYPE: &str = "content-type";
/// W3C trace context header (`00-<trace id>-<parent id>-<flags>`).
pub const HEADER_TRACEPARENT: &str = "traceparent";

/// Read access to headers in wire order, however they are stored.
pub trait HeaderView {
    /// Every header, in wire order: name and value (`None` for a null value).
    fn pairs(&self) -> impl Iterator<Item = (&str, Option<&[u8]>)>;
}

impl HeaderView for [Header] {
    fn pairs(&self) -> impl Iterator<Item = (&str, Option<&[u8]>)> {
        self.iter().map(|(k, v)| (k.as_str(), v.as_deref()))
    }
}

impl<const N: usize> HeaderView for [Header; N] {
    fn pairs(&self) -> impl Iterator<Item = (&str, Option<&[u8]>)> {
        self.as_slice().pairs()
    }
}

impl HeaderView for Vec<Header> {
    fn pairs(&self) -> impl Iterator<Item = (&str, Option<&[u8]>)> {
        self.as_slice().pairs()
    }
}

impl HeaderView for Headers {
    fn pairs(&self) -> impl Iterator<Item = (&str, Option<&[u8]>)> {
        self.iter()
    }
}

/// Header names that belong to a dead-letter family (eventdeck's, Kafka
/// Connect's, Spring Kafka's and the common `x-original-` / `x-exception-` /
/// `dead-letter-` ones): a redrive strips them.
pub fn is_dead_letter_header(name: &str) -> bool {
    [
        "eventdeck.dlq.",
        "__connect.errors.",
        "kafka_dlt-",
        "x-original-",
        "x-exception-",
        "dead-letter-",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// No headers, for callers that have none (`&[]` alone does not say its type).
pub const NO_HEADERS: &[Header] = &[];

/// Headers in wire order, in three allocations.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers {
    /// Every name, back to back.
    names: String,
    /// Every non-null value, back to back.
    values: Vec<u8>,
    /// Per header, where its name and value end.
    spans: Vec<Span>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    name_end: usize,
    value_end: usize,
    null: bool,
}

impl Headers {
    /// Empty, with room for `count` headers of `bytes` name and value bytes in all.
    pub fn with_capacity(count: usize, bytes: usize) -> Self {
        Self {
            names: String::with_capacity(count * 16),
            values: Vec::with_capacity(bytes),
            spans: Vec::with_capacity(count),
        }
    }

    /// Appends a header.
    pub fn push(&mut self, name: &str, value: Option<&[u8]>) {
        self.names.push_str(name);
        if let Some(v) = value {
            self.values.extend_from_slice(v);
        }
        self.spans.push(Span {
            name_end: self.names.len(),
            value_end: self.values.len(),
            null: value.is_none(),
        });
    }

    /// Heap bytes held (capacity, not length: what the allocator gave).
    pub fn heap_bytes(&self) -> usize {
        self.names.capacity()
            + self.values.capacity()
            + self.spans.capacity() * std::mem::size_of::<Span>()
    }

    /// How many headers there are.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Every header in wire order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, Option<&[u8]>)> + '_ {
        self.spans
            .iter()
            .enumerate()
            .map(|(i, s)| self.header(i, *s))
    }

    /// The `index`th header (`None` past the end).
    pub fn at(&self, index: usize) -> Option<(&str, Option<&[u8]>)> {
        self.spans.get(index).map(|s| self.header(index, *s))
    }

    /// The name and value of the `i`th header, whose span is `s`.
    fn header(&self, i: usize, s: Span) -> (&str, Option<&[u8]>) {
        let (name_start, value_start) = match i.checked_sub(1).map(|p| self.spans[p]) {
            Some(prev) => (prev.name_end, prev.value_end),
            None => (0, 0),
        };
        let name = self.names.get(name_start..s.name_end).unwrap_or_default();
        let value = (!s.null).then(|| {
            self.values
                .get(value_start..s.value_end)
                .unwrap_or_default()
        });
        (name, value)
    }

    /// Sets the value of the `index`th header (nothing past the end); the
    /// others keep their place.
    pub fn set_value(&mut self, index: usize, value: Option<&[u8]>) {
        let Some(&span) = self.spans.get(index) else {
            return;
        };
        let start = index.checked_sub(1).map_or(0, |p| self.spans[p].value_end);
        let new = value.unwrap_or_default();
        self.values
            .splice(start..span.value_end, new.iter().copied());
        let end = start + new.len();
        let shift = |at: usize| at - span.value_end + end;
        for later in &mut self.spans[index + 1..] {
            later.value_end = shift(later.value_end);
        }
        self.spans[index] = Span {
            value_end: end,
            null: value.is_none(),
            ..span
        };
    }

    /// Removes the `index`th header (nothing past the end).
    pub fn remove(&mut self, index: usize) {
        let Some(&span) = self.spans.get(index) else {
            return;
        };
        let (name_start, value_start) = index.checked_sub(1).map_or((0, 0), |p| {
            (self.spans[p].name_end, self.spans[p].value_end)
        });
        self.names.replace_range(name_start..span.name_end, "");
        self.values.drain(value_start..span.value_end);
        let (names, values) = (span.name_end - name_start, span.value_end - value_start);
        for later in &mut self.spans[index + 1..] {
            later.name_end -= names;
            later.value_end -= values;
        }
        self.spans.remove(index);
    }

    /// The first header named exactly `name`: `Some(None)` when its value is null.
    pub fn get(&self, name: &str) -> Option<Option<&[u8]>> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// As owned pairs (for producing them again).
    pub fn to_pairs(&self) -> Vec<Header> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.map(<[u8]>::to_vec)))
            .collect()
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> FromIterator<(K, Option<V>)> for Headers {
    fn from_iter<I: IntoIterator<Item = (K, Option<V>)>>(iter: I) -> Self {
        let mut headers = Self::default();
        for (k, v) in iter {
            headers.push(k.as_ref(), v.as_ref().map(AsRef::as_ref));
        }
        headers
    }
}

impl From<Vec<Header>> for Headers {
    fn from(pairs: Vec<Header>) -> Self {
        pairs.into_iter().collect()
    }
}

impl From<&[Header]> for Headers {
    fn from(pairs: &[Header]) -> Self {
        pairs.pairs().collect()
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.iter()
                    .map(|(k, v)| (k, v.map(|v| String::from_utf8_lossy(v).into_owned()))),
            )
            .finish()
    }
}

/// The value of the last header named `key` (ASCII case-insensitive, since stacks
/// disagree on `content-type` vs `Content-Type`); `None` when absent or null.
pub fn header_value<'a>(headers: &'a (impl HeaderView + ?Sized), key: &str) -> Option<&'a [u8]> {
    headers
        .pairs()
        .filter(|(k, _)| k.eq_ignore_ascii_case(key))
        .last()
        .and_then(|(_, v)| v)
}

/// [`header_value`] as UTF-8-lossy text.
pub fn header_str<'a>(headers: &'a (impl HeaderView + ?Sized), key: &str) -> Option<Cow<'a, str>> {
    header_value(headers, key).map(String::from_utf8_lossy)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn empty_names_and_values_and_nulls_keep_their_places() {
        let pairs: Vec<Header> = vec![
            ("a".into(), Some(b"1".to_vec())),
            (String::new(), Some(Vec::new())),
            ("b".into(), None),
            ("a".into(), Some(b"2".to_vec())),
        ];
        let headers = Headers::from(pairs.clone());
        assert_eq!(headers.len(), 4);
        assert_eq!(headers.to_pairs(), pairs);
        assert_eq!(headers.get("a"), Some(Some(&b"1"[..])));
        assert_eq!(headers.get("b"), Some(None));
        assert_eq!(headers.get("c"), None);
        assert_eq!(
            headers.iter().next_back(),
            Some(("a", Some(&b"2"[..]))),
            "reversible, for last-wins lookups"
        );
        assert_eq!(
            format!("{headers:?}"),
            r#"[("a", Some("1")), ("", Some("")), ("b", None), ("a", Some("2"))]"#
        );
    }

    proptest! {
        #[test]
        fn any_pairs_come_back_as_they_went_in(
            pairs in prop::collection::vec(
                (".{0,12}", prop::option::of(prop::collection::vec(any::<u8>(), 0..20))),
                0..12,
            )
        ) {
            let headers = Headers::from(pairs.clone());
            prop_assert_eq!(headers.to_pairs(), pairs.clone());
            prop_assert!(headers.pairs().eq(pairs.pairs()));
        }

        /// Setting a value or removing a header in place gives what the same
        /// edits of the pairs give, each edit seen by the next.
        #[test]
        fn edits_in_place_match_the_same_edits_of_the_pairs(
            pairs in prop::collection::vec(
                ("[a-c]{0,3}", prop::option::of(prop::collection::vec(any::<u8>(), 0..8))),
                0..8,
            ),
            edits in prop::collection::vec(
                (0usize..10, prop::option::of(prop::option::of(prop::collection::vec(any::<u8>(), 0..8)))),
                0..6,
            ),
        ) {
            let mut headers = Headers::from(pairs.clone());
            let mut model = pairs;
            for (index, edit) in edits {
                match edit {
                    // Set to a value or null.
                    Some(value) => {
                        headers.set_value(index, value.as_deref());
                        if let Some(pair) = model.get_mut(index) {
                            pair.1 = value;
                        }
                    }
                    None => {
                        headers.remove(index);
                        if index < model.len() {
                            model.remove(index);
                        }
                    }
                }
                prop_assert_eq!(headers.to_pairs(), model.clone());
            }
        }
    }
}
