//! The data policies' fast path: a canonical envelope read for a list row and
//! masked in the same read. The envelope is parsed once, its `data` as a tree
//! and its other fields borrowed; the policies hide fields of `data` (and
//! headers, the key); the shown value is the bytes as read with `data`'s span
//! written again. The row's glance and summary come from that one read: the
//! shown bytes are never parsed again. Anything else (a policy that could
//! hide a field outside `data`, an allow-list, a body that is not exactly a
//! canonical envelope) is `None`, and the caller takes the general path
//! (`ConsumedRecord::masked_general`), which gives the same result more slowly.

use std::ops::Range;

use serde_json::Value;

use super::codec::{Glance, canonical_glance, non_empty, plain_headers};
use super::contexts::TopicMap;
use super::headers::Headers;
use super::json_text::{compact_json, compact_summary};
use super::lenient::canonical_exact;
use super::policy::{DataShown, Hit, Meta, Policies};
use super::schema::may_name_schema;

/// A record as the policies let a list show it, from one read.
#[derive(Debug)]
pub struct Shown {
    /// The value to show; `None` when the policies hid nothing of it.
    pub value: Option<Vec<u8>>,
    /// The headers to show; `None` when no header was hidden (as read).
    pub headers: Option<Headers>,
    /// The key to show (`Some(None)`: removed); `None` when it was not
    /// hidden (as read).
    pub key: Option<Option<Vec<u8>>>,
    /// What the policies hid; empty when nothing.
    pub hits: Vec<Hit>,
    /// The row's glance: the shown record's (the same as the record's, as
    /// only `data`, headers and the key can differ).
    pub glance: Glance,
    /// The shown value on one line, at most `max_chars` characters.
    pub summary: String,
}

/// A record as the policies let a list show it, hidden where it is
/// ([`mask_canonical_in_place`]).
#[derive(Debug)]
pub struct ShownInPlace {
    /// What the policies hid; empty when nothing.
    pub hits: Vec<Hit>,
    /// The row's glance.
    pub glance: Glance,
    /// The shown value on one line, at most `max_chars` characters.
    pub summary: String,
}

/// `value` (with `headers` and `key`) read from `topic` as a canonical
/// envelope with `policies` applied to it; `None` when this path cannot tell
/// (see the module), and the caller takes the general one.
pub fn mask_canonical(
    value: &[u8],
    headers: &Headers,
    key: Option<&[u8]>,
    topic: &str,
    topics: &TopicMap,
    policies: &Policies,
    max_chars: usize,
) -> Option<Shown> {
    let mut read = read(value, headers, topic, topics)?;
    let DataShown {
        hits,
        headers: shown_headers,
        key: shown_key,
    } = policies.apply_to_data(&read.meta, &mut read.data, headers, key)?;
    let (shown, summary) = if data_hidden(&hits) {
        let mut shown = Vec::with_capacity(value.len());
        shown.extend_from_slice(value);
        let summary = write_data(&mut shown, read.span, &read.data, max_chars);
        (Some(shown), summary)
    } else {
        (None, compact_json(&read.data, max_chars))
    };
    Some(Shown {
        value: shown,
        headers: shown_headers,
        key: shown_key,
        hits,
        glance: read.glance,
        summary,
    })
}

/// [`mask_canonical`] hiding what the policies hide in `value`, `headers`
/// and `key` themselves, for a reader that keeps no copy of the record as
/// read: nothing is copied. `None`, with nothing changed, as there.
pub fn mask_canonical_in_place(
    value: &mut Vec<u8>,
    headers: &mut Headers,
    key: &mut Option<Vec<u8>>,
    topic: &str,
    topics: &TopicMap,
    policies: &Policies,
    max_chars: usize,
) -> Option<ShownInPlace> {
    let Read {
        meta,
        mut data,
        glance,
        span,
    } = read(value, headers, topic, topics)?;
    let hits = policies.apply_to_data_in_place(&meta, &mut data, headers, key)?;
    // (`meta` borrowed `value`, which is written now.)
    let summary = if data_hidden(&hits) {
        write_data(value, span, &data, max_chars)
    } else {
        compact_json(&data, max_chars)
    };
    Some(ShownInPlace {
        hits,
        glance,
        summary,
    })
}

/// What the fast path reads of a canonical envelope before the policies
/// apply: what they match on, `data` as a tree, the row's glance, and
/// where `data` is in the bytes.
struct Read<'a> {
    meta: Meta<'a>,
    data: Value,
    glance: Glance,
    span: Range<usize>,
}

/// `value` read as a canonical envelope for the policies (see the module);
/// `None` when this path cannot tell.
fn read<'a>(
    value: &'a [u8],
    headers: &Headers,
    topic: &'a str,
    topics: &'a TopicMap,
) -> Option<Read<'a>> {
    // A value that may name a registry schema is read with it, elsewhere.
    if !plain_headers(headers) || may_name_schema(Some(value), headers) {
        return None;
    }
    // A field besides the canonical ones could be a policy's target, and
    // this path only looks into `data`: such a body is read in full.
    let parts = canonical_exact(value, headers)?;
    // As DecodeOutcome::context and ::event_type: the body's, unsanitized;
    // the topic's context when the body names none.
    let meta = Meta {
        topic,
        context: non_empty(parts.context).or_else(|| topics.context_for_topic(topic)),
        event_type: non_empty(parts.event_type),
        ..Meta::default()
    };
    let raw = parts.data.get();
    let start = (raw.as_ptr() as usize).checked_sub(value.as_ptr() as usize)?;
    let span = start..start.checked_add(raw.len())?;
    let data: Value = serde_json::from_str(raw).ok()?;
    let mut glance = canonical_glance(&parts);
    glance.settle_from_topic(topic, topics);
    Some(Read {
        meta,
        data,
        glance,
        span,
    })
}

/// True when a hit is on the value (a field of `data`).
fn data_hidden(hits: &[Hit]) -> bool {
    hits.iter()
        .any(|h| matches!(h.target, super::policy::Target::Value(_)))
}

thread_local! {
    /// [`write_data`]'s buffer, kept by the thread for the next record.
    static WRITTEN: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Writes `data` (compactly) over `span` of `value`, and gives the
/// summary: `data` as written, on one line, at most `max_chars`
/// characters.
fn write_data(value: &mut Vec<u8>, span: Range<usize>, data: &Value, max_chars: usize) -> String {
    let mut written = WRITTEN.with(std::cell::Cell::take);
    written.clear();
    // A `Value` always serialises (its keys are strings).
    let _ = serde_json::to_writer(&mut written, data);
    // `written` over `span`: the bytes after it moved once, by memmove
    // (`Vec::splice` would copy them byte by byte).
    let start = span.start.min(value.len());
    let end = span.end.clamp(start, value.len());
    let (tail, new_end) = (value.len() - end, start + written.len());
    if new_end > end {
        value.resize(new_end + tail, 0);
    }
    value.copy_within(end..end + tail, new_end);
    value.truncate(new_end + tail);
    value[start..new_end].copy_from_slice(&written);
    let summary = compact_summary(&written, max_chars);
    WRITTEN.with(|w| w.set(written));
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::policy::PolicySpec;

    fn policies(specs: &[(&str, &[&str])]) -> Policies {
        let specs: Vec<PolicySpec> = specs
            .iter()
            .map(|(name, fields)| PolicySpec {
                name: (*name).into(),
                fields: fields.iter().map(|f| (*f).to_string()).collect(),
                ..PolicySpec::default()
            })
            .collect();
        Policies::new(&specs, b"salt".to_vec()).expect("policies")
    }

    fn envelope(extra: &str) -> String {
        format!(
            r#"{{"event_id":"7d3c1a62-2f0e-4a51-9d49-0d1c2f6b8a01","event_type":"OrderPlaced","schema_version":1,"context":"orders","aggregate_id":"o-1","occurred_at":"2026-11-27T10:00:00Z","correlation_id":"0b9c2a4e-7a7e-4b8b-9f3e-2f1c6d5e4a33","causation_id":null,"data":{{"card":"4111","n":1}}{extra}}}"#
        )
    }

    fn masked(p: &Policies, body: &str) -> Option<Shown> {
        mask_canonical(
            body.as_bytes(),
            &Headers::default(),
            None,
            "orders",
            &TopicMap::default(),
            p,
            160,
        )
    }

    #[test]
    fn a_data_field_is_masked_in_place_and_the_rest_is_the_bytes_as_read() {
        let p = policies(&[("cards", &["data.card"])]);
        let body = envelope("");
        let shown = masked(&p, &body).expect("the fast path answers");
        let value = String::from_utf8(shown.value.expect("changed")).expect("utf-8");
        assert_eq!(value, body.replace(r#""4111""#, r#""***""#));
        assert_eq!(shown.summary, r#"{"card":"***","n":1}"#);
        assert_eq!(shown.hits.len(), 1);
        assert_eq!(
            shown.hits[0].target,
            super::super::policy::Target::Value("data.card".into())
        );
        assert_eq!(shown.glance.event_type.as_deref(), Some("OrderPlaced"));
        // Headers and key no policy hid are left as read, not copied.
        assert!(shown.headers.is_none() && shown.key.is_none());
    }

    #[test]
    fn nothing_hidden_leaves_the_value_as_read() {
        let p = policies(&[("cards", &["data.cvv"])]);
        let shown = masked(&p, &envelope("")).expect("the fast path answers");
        assert!(shown.value.is_none() && shown.hits.is_empty());
    }

    #[test]
    fn a_field_outside_data_or_a_field_besides_the_envelope_s_sends_the_general_path() {
        // A policy on an envelope field.
        assert!(masked(&policies(&[("ids", &["aggregate_id"])]), &envelope("")).is_none());
        // A deep path, on a body with a field the fast path does not look into.
        let deep = policies(&[("cards", &["**.card"])]);
        assert!(masked(&deep, &envelope("")).is_some());
        assert!(masked(&deep, &envelope(r#","card":"5500""#)).is_none());
        // `data` itself.
        assert!(masked(&policies(&[("all", &["data"])]), &envelope("")).is_none());
        // A body the derived reader refuses: a duplicate field, an escaped
        // id, trailing bytes.
        let cards = policies(&[("cards", &["data.card"])]);
        assert!(masked(&cards, &envelope(r#","data":{}"#)).is_none());
        let escaped = envelope("").replace(r#""event_id":"7d3c"#, r#""event_id":"\u0037d3c"#);
        assert!(escaped.contains(r"\u0037") && masked(&cards, &escaped).is_none());
        assert!(masked(&cards, &format!("{} x", envelope(""))).is_none());
    }

    #[test]
    fn data_written_over_its_span_leaves_the_bytes_around_it_as_they_were() {
        let (before, after) = (
            r#"{"a":1,"data":"#,
            r#","z":"the bytes after data","n":[1,2,3]}"#,
        );
        let old = r#"{"x":"abcdef"}"#;
        for new in [
            serde_json::json!({"x": "abcdef"}),
            serde_json::json!({"x": "a"}),
            serde_json::json!({}),
            serde_json::json!({"x": "sha256:0123456789abcdef", "y": [true, null]}),
        ] {
            let mut value = format!("{before}{old}{after}").into_bytes();
            let span = before.len()..before.len() + old.len();
            let summary = write_data(&mut value, span, &new, 160);
            let written = serde_json::to_string(&new).expect("json");
            assert_eq!(
                String::from_utf8(value).expect("utf-8"),
                format!("{before}{written}{after}")
            );
            assert_eq!(summary, written);
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// An action as the config names it, with its options.
        fn action() -> impl Strategy<Value = (String, Option<usize>, Option<String>)> {
            prop_oneof![
                Just(("mask".to_string(), None, None)),
                (0usize..6).prop_map(|n| ("mask".to_string(), Some(n), None)),
                Just(("remove".to_string(), None, None)),
                Just(("hash".to_string(), None, None)),
                Just(("replace".to_string(), None, Some("[gone]".to_string()))),
            ]
        }

        /// A header, by one of a few names (repeated ones too), its value
        /// text, bytes that are not UTF-8, or null.
        fn header() -> impl Strategy<Value = (String, Option<Vec<u8>>)> {
            let name = prop_oneof![
                Just("token"),
                Just("x-auth-user"),
                Just("correlation_id"),
                Just("source"),
            ];
            let value = prop_oneof![
                "[a-zé0-9]{0,12}".prop_map(|t| Some(t.into_bytes())),
                Just(Some(vec![0xff, b'a', 0xfe])),
                Just(None),
            ];
            (name, value).prop_map(|(n, v)| (n.to_string(), v))
        }

        proptest! {
            /// Hiding in place (a list that keeps no copy) shows exactly
            /// what hiding in a copy shows: value, headers, key, hits,
            /// glance and summary; and the copy leaves what it read alone.
            #[test]
            fn hiding_in_place_shows_what_hiding_in_a_copy_shows(
                headers in proptest::collection::vec(header(), 0..6),
                key in proptest::option::of(prop_oneof![
                    "[a-z0-9-]{0,10}".prop_map(String::into_bytes),
                    Just(vec![0xc3, 0x28, b'k']),
                ]),
                (data_action, header_action, key_action) in (action(), action(), action()),
                data_fields in proptest::sample::subsequence(vec!["data.card", "**.n", "data.items[*].sku"], 1..=3),
                header_globs in proptest::sample::subsequence(vec!["token", "x-auth-*", "source"], 1..=3),
            ) {
                let spec = |name: &str, (action, keep_last, with): (String, Option<usize>, Option<String>)| PolicySpec {
                    name: name.into(),
                    action: Some(action),
                    keep_last,
                    with,
                    ..PolicySpec::default()
                };
                let specs = vec![
                    PolicySpec {
                        fields: data_fields.iter().map(|f| f.to_string()).collect(),
                        ..spec("data", data_action)
                    },
                    PolicySpec {
                        headers: header_globs.iter().map(|g| g.to_string()).collect(),
                        ..spec("headers", header_action)
                    },
                    PolicySpec { key: true, ..spec("key", key_action) },
                ];
                let p = Policies::new(&specs, b"salt".to_vec()).expect("valid");
                let body = envelope(r#""#).replace(
                    r#""data":{"card":"4111","n":1}"#,
                    r#""data":{"card":"4111","n":1,"items":[{"sku":"a1","n":2},{"sku":"b2"}]}"#,
                );
                let headers: Headers = headers.into_iter().collect();
                let copied = mask_canonical(
                    body.as_bytes(), &headers, key.as_deref(), "orders", &TopicMap::default(), &p, 160,
                ).expect("the fast path answers");
                let (mut value, mut in_headers, mut in_key) = (body.clone().into_bytes(), headers.clone(), key.clone());
                let in_place = mask_canonical_in_place(
                    &mut value, &mut in_headers, &mut in_key, "orders", &TopicMap::default(), &p, 160,
                ).expect("the fast path answers");
                let read = body.clone().into_bytes();
                prop_assert_eq!(&value, copied.value.as_ref().unwrap_or(&read));
                prop_assert_eq!(&in_headers, copied.headers.as_ref().unwrap_or(&headers));
                prop_assert_eq!(&in_key, copied.key.as_ref().unwrap_or(&key));
                prop_assert_eq!(&in_place.hits, &copied.hits);
                prop_assert_eq!(&in_place.summary, &copied.summary);
                prop_assert_eq!(format!("{:?}", in_place.glance), format!("{:?}", copied.glance));
            }
        }
    }
}
