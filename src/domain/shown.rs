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
    let mut data: Value = serde_json::from_str(parts.data.get()).ok()?;
    let DataShown {
        hits,
        headers: shown_headers,
        key: shown_key,
    } = policies.apply_to_data(&meta, &mut data, headers, key)?;
    let mut glance = canonical_glance(&parts);
    glance.settle_from_topic(topic, topics);
    let data_hidden = hits
        .iter()
        .any(|h| matches!(h.target, super::policy::Target::Value(_)));
    // The summary is `data` written compactly: when it was written into the
    // shown value already, it is read from there.
    let (shown, summary) = if data_hidden {
        let (shown, span) = splice(value, parts.data.get(), &data)?;
        let summary = compact_summary(shown.get(span)?, max_chars);
        (Some(shown), summary)
    } else {
        (None, compact_json(&data, max_chars))
    };
    Some(Shown {
        value: shown,
        headers: shown_headers,
        key: shown_key,
        hits,
        glance,
        summary,
    })
}

/// `value` with the span of `old` (a slice of it) written as `new`
/// (compactly), and where `new` is in it.
fn splice(value: &[u8], old: &str, new: &Value) -> Option<(Vec<u8>, Range<usize>)> {
    let start = (old.as_ptr() as usize).checked_sub(value.as_ptr() as usize)?;
    let end = start.checked_add(old.len())?;
    let (before, after) = (value.get(..start)?, value.get(end..)?);
    let mut out = Vec::with_capacity(value.len());
    out.extend_from_slice(before);
    // A `Value` always serialises (its keys are strings).
    serde_json::to_writer(&mut out, new).ok()?;
    let written = start..out.len();
    out.extend_from_slice(after);
    Some((out, written))
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
}
