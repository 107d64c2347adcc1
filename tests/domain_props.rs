//! Property tests for the domain codecs: encode → decode is exact for any
//! envelope, and decode is total (never panics) on any bytes and headers.

use chrono::{DateTime, Utc};
use eventdeck::domain::codec::{Header, hex_dump};
use eventdeck::domain::{
    Decoded, Envelope, Glance, Headers, RecordKind, TopicMap, decode, encode, glance, glance_on,
    glance_with_summary_on,
};
use proptest::prelude::*;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Any string, biased towards unicode and JSON-hostile characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9_.-]{0,12}",
        "[\"\\\\/\u{0}-\u{1f}äß✓𝄞\u{2028}\u{fffd}]{0,8}",
    ]
}

/// Any finite float: every bit pattern (so subnormals such as the regression
/// seed 4.84e-42, and the 17 significant digits most doubles need), the
/// classes proptest picks out, and the short decimals events carry in
/// practice. JSON has no NaN or infinity (serde_json writes them as null).
fn float() -> impl Strategy<Value = f64> {
    use prop::num::f64 as class;
    prop_oneof![
        any::<u64>()
            .prop_map(f64::from_bits)
            .prop_filter("finite", |f| f.is_finite()),
        class::POSITIVE | class::NEGATIVE | class::NORMAL | class::SUBNORMAL | class::ZERO,
        (any::<i32>(), 0u32..7)
            .prop_map(|(mantissa, scale)| f64::from(mantissa) / 10f64.powi(scale as i32)),
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        float().prop_map(Value::from),
        text().prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

/// Years 0000–9999 (what RFC 3339 can write), whole microseconds.
fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (-62_167_219_200i64..253_402_300_800, 0u32..1_000_000)
        .prop_filter_map("in range", |(secs, micros)| {
            DateTime::from_timestamp(secs, micros * 1_000)
        })
}

fn envelope() -> impl Strategy<Value = Envelope> {
    (
        (uuid(), text(), any::<u32>(), text(), text()),
        (time(), uuid(), prop::option::of(uuid()), json_value()),
    )
        .prop_map(
            |(
                (event_id, event_type, schema_version, context, aggregate_id),
                (occurred_at, correlation_id, causation_id, data),
            )| {
                Envelope {
                    event_id,
                    event_type,
                    schema_version,
                    context,
                    aggregate_id,
                    occurred_at,
                    correlation_id: Some(correlation_id),
                    causation_id,
                    data,
                }
            },
        )
}

fn header_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "ce_id",
            "ce_type",
            "ce_specversion",
            "ce_source",
            "ce_time",
            "ce-id",
            "ce_",
            "ce_correlationid",
            "content-type",
            "Content-Type",
            "context",
            "correlation_id",
            "causation_id",
            "schema_version",
            "occurred_at",
            "aggregate_id",
            "traceparent",
        ])
        .prop_map(str::to_string),
        any::<String>(),
    ]
}

fn header_value() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        Just(None),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(Some),
        prop::sample::select(vec![
            "1.0",
            "application/cloudevents+json",
            "application/json",
            "text/plain",
            "6f1c1d2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f",
            "2024-05-01T10:00:00Z",
            "4294967296",
            "",
        ])
        .prop_map(|v| Some(v.as_bytes().to_vec())),
    ]
}

fn headers() -> impl Strategy<Value = Vec<Header>> {
    prop::collection::vec((header_key(), header_value()), 0..8)
}

/// JSON objects built from the keys decoding looks at, with values of any type.
fn suspicious_object() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        prop::sample::select(vec![
            "id",
            "event_id",
            "eventId",
            "type",
            "event_type",
            "specversion",
            "source",
            "occurred_at",
            "timestamp",
            "schema_version",
            "context",
            "aggregate_id",
            "correlation_id",
            "causation_id",
            "data",
            "data_base64",
            "payload",
        ])
        .prop_map(str::to_string),
        text(),
    ];
    let value = prop_oneof![
        json_value(),
        Just(Value::from("6f1c1d2e-8a4b-4c3d-9e5f-0a1b2c3d4e5f")),
        Just(Value::from("2024-05-01T10:00:00Z")),
        Just(Value::from("1.0")),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
    ];
    prop::collection::btree_map(key, value, 0..12)
        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
}

/// What a reader works out once per record (the glance and the summary, from
/// one read) is what the separate calls say, on a topic of a context, on its
/// dead-letter topic and on a topic of none.
fn assert_read_once_is_glance_and_summary(value: Option<&[u8]>, headers: &[Header]) {
    let topics = TopicMap::default();
    let summary = decode(value, headers).summary(160);
    for topic in ["debate.events", "debate.events.dlq", "nowhere"] {
        assert_eq!(
            glance_with_summary_on(value, headers, topic, &topics, 160),
            (glance_on(value, headers, topic, &topics), summary.clone()),
            "{topic}"
        );
    }
}

fn assert_consistent(value: Option<&[u8]>, headers: &[Header]) {
    let outcome = decode(value, headers);
    let kind = outcome.kind();
    // The compact header store decodes the same, and the one-pass glance says
    // what the full decode says.
    assert_eq!(decode(value, &Headers::from(headers)), outcome);
    assert_eq!(glance(value, headers), Glance::from(&outcome));
    assert_read_once_is_glance_and_summary(value, headers);
    // Every accessor is total too.
    let _ = (
        outcome.event_json(),
        outcome.event_type(),
        outcome.context(),
        outcome.event_id(),
    );
    let _ = (outcome.correlation_id(), outcome.causation_id());
    for max in [0, 1, 7, 80] {
        assert!(outcome.summary(max).chars().count() <= max);
    }
    match (&outcome.decoded, kind) {
        (Decoded::Tombstone, RecordKind::Tombstone) => assert!(value.is_none()),
        (Decoded::Raw(bytes), RecordKind::Raw) => {
            assert_eq!(Some(bytes.as_slice()), value);
            assert!(outcome.error.is_some(), "raw always says why");
        }
        (Decoded::Envelope(_), RecordKind::Envelope)
        | (Decoded::CloudEvent(_), RecordKind::CloudEvent)
        | (Decoded::Json(_) | Decoded::DeepJson(_), RecordKind::Json) => {}
        (decoded, kind) => panic!("kind {kind:?} does not match {decoded:?}"),
    }
}

/// The floats that once failed, and the edges of the double range, round-trip
/// exactly whatever the random cases pick.
#[test]
fn encode_then_decode_keeps_every_float_exactly() {
    let floats = [
        4.843_364_962_307_113_5e-42,
        5e-324,
        f64::MIN_POSITIVE,
        2.225_073_858_507_201e-308,
        0.1 + 0.2,
        1.000_000_000_000_000_2,
        123_456_789.123_456_78,
        -9_007_199_254_740_993.0,
        f64::MAX,
        f64::MIN,
        -0.0,
    ];
    for f in floats {
        let env = Envelope::new("debate", "X", "a", serde_json::json!({ "f": f }));
        let encoded = encode(&env);
        let Decoded::Envelope(back) = decode(Some(&encoded.value), &[]).decoded else {
            panic!("{f:e} did not decode as an envelope");
        };
        let got = back.data["f"].as_f64();
        assert_eq!(
            got.map(f64::to_bits),
            Some(f.to_bits()),
            "{f:e} came back as {got:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_writes_exactly_the_text_of_to_json(env in envelope()) {
        // The encoder writes the envelope directly; `to_json` is the reference.
        let text = String::from_utf8(encode(&env).value).unwrap();
        prop_assert_eq!(text, env.to_json().to_string());
    }

    #[test]
    fn encode_then_decode_round_trips_any_envelope(env in envelope()) {
        let encoded = encode(&env);
        let headers: Vec<Header> = encoded.headers.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
        let outcome = decode(Some(&encoded.value), &headers);
        prop_assert_eq!(outcome.error.clone(), None);
        let glanced = glance(Some(&encoded.value), &headers);
        prop_assert_eq!(&glanced, &Glance::from(&outcome));
        prop_assert_eq!(glanced.kind, RecordKind::Envelope);
        assert_read_once_is_glance_and_summary(Some(&encoded.value), &headers);
        assert_read_once_is_glance_and_summary(Some(&encoded.value), &[]);
        prop_assert_eq!(outcome.decoded, Decoded::Envelope(env.clone()));
        // The value alone is enough.
        prop_assert_eq!(decode(Some(&encoded.value), &[]).decoded, Decoded::Envelope(env.clone()));
        // Serde and the canonical JSON agree, and encoding is deterministic.
        prop_assert_eq!(serde_json::to_value(&env).ok(), Some(env.to_json()));
        prop_assert_eq!(encode(&env), encoded);
    }

    #[test]
    fn decode_never_panics_on_bytes_and_headers(
        value in prop::option::of(prop::collection::vec(any::<u8>(), 0..512)),
        headers in headers(),
    ) {
        assert_consistent(value.as_deref(), &headers);
    }

    #[test]
    fn decode_never_panics_on_json_objects(object in suspicious_object(), headers in headers()) {
        let bytes = object.to_string().into_bytes();
        assert_consistent(Some(&bytes), &headers);
        assert_consistent(Some(&bytes), &[]);
    }

    #[test]
    fn decode_never_panics_on_any_json(value in json_value(), headers in headers()) {
        assert_consistent(Some(value.to_string().as_bytes()), &headers);
    }

    #[test]
    fn hex_dump_shows_at_most_max_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300), max in 0usize..400) {
        let dump = hex_dump(&bytes, max);
        let shown = bytes.len().min(max);
        let data_lines = dump.lines().filter(|l| !l.starts_with('…')).count();
        prop_assert_eq!(data_lines, shown.div_ceil(16));
        prop_assert_eq!(dump.contains("more byte"), bytes.len() > max);
    }
}

/// A data policy over the fields, headers and key the generated envelopes
/// below carry, so they hit.
fn policy(index: usize) -> impl Strategy<Value = eventdeck::domain::policy::PolicySpec> {
    use eventdeck::domain::policy::PolicySpec;
    let paths = prop::collection::vec(
        prop::sample::select(vec![
            "data.card",
            "**.card",
            "data.*",
            "data.items[*].card",
            "**.value",
            "data.items[0]",
            "aggregate_id",
            "card",
            "data",
            "**",
        ]),
        0..3,
    );
    let action = prop::sample::select(vec!["mask", "hash", "remove", "replace"]);
    (
        paths,
        action,
        prop::option::of(prop::sample::select(vec!["correlation_id", "c*", "x-*"])),
        any::<bool>(),
        prop::bool::weighted(0.15),
        prop::option::of(prop::sample::select(vec!["Order*", "Other"])),
    )
        .prop_map(
            move |(paths, action, header, key, allow, event_type)| PolicySpec {
                // A deny-list names at least one target.
                key: key || (paths.is_empty() && header.is_none()),
                name: format!("p{index}"),
                fields: paths.into_iter().map(str::to_string).collect(),
                headers: header.into_iter().map(str::to_string).collect(),
                action: Some(action.into()),
                mode: allow.then(|| "allow".to_string()),
                event_type: event_type.map(str::to_string),
                with: (action == "replace").then(|| "[gone]".to_string()),
                ..PolicySpec::default()
            },
        )
}

/// `data` trees over the keys the policies above name.
fn policy_data() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec!["card", "value", "items", "n", "name"]);
    json_leaf().prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map(key.clone().prop_map(str::to_string), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// The data policies' fast path for canonical envelopes (masked and read
    /// in one pass) shows exactly what the general path shows: the same
    /// hits, glance, summary, headers, key and value (as JSON: the fast path
    /// keeps the fields in the order read).
    #[test]
    fn the_policies_fast_path_shows_what_the_general_path_shows(
        data in policy_data(),
        extra in prop::option::of(policy_data()),
        event_type in prop::sample::select(vec!["OrderPlaced", "Other"]),
        specs in (policy(0), policy(1)),
        key in prop::option::of("[a-z0-9-]{0,12}"),
    ) {
        use eventdeck::domain::policy::Policies;
        use eventdeck::domain::schema::NoRegistry;
        use eventdeck::kafka::{Arrived, ConsumedRecord};
        let policies = Policies::new(&[specs.0, specs.1], b"salt".to_vec()).expect("valid");
        let env = Envelope::new("orders", event_type, "o-1", data);
        let encoded = encode(&env);
        let mut value: Value = serde_json::from_slice(&encoded.value).expect("json");
        // Sometimes a field besides the envelope's (the fast path leaves it
        // to the general one).
        if let (Some(extra), Some(map)) = (extra, value.as_object_mut()) {
            map.insert("card".into(), extra);
        }
        let record = ConsumedRecord {
            topic: "orders".into(),
            partition: 0,
            offset: 7,
            timestamp_ms: Some(1),
            key: key.map(String::into_bytes),
            value: Some(serde_json::to_vec(&value).expect("bytes")),
            headers: encoded.headers.iter().map(|(k, v)| (k.as_str(), Some(v.as_slice()))).collect(),
        };
        let topics = TopicMap::default();
        let fast = Arrived::read_shown(record.clone(), &topics, None, &policies);
        let general = match record.masked_general(&policies, &topics, &NoRegistry) {
            Some((shown, hits)) => {
                let mut a = Arrived::read(shown, &topics);
                a.original = Some(eventdeck::kafka::Original::from(record.clone()));
                a.hits = hits;
                a
            }
            None => Arrived::read(record.clone(), &topics),
        };
        prop_assert_eq!(&fast.hits, &general.hits);
        prop_assert_eq!(&fast.glance, &general.glance);
        prop_assert_eq!(&fast.summary, &general.summary);
        // Both give back the record as read when something was hidden (the
        // fast path keeps only the parts it replaced).
        let as_read = fast.as_read();
        prop_assert_eq!(&as_read, &general.as_read());
        prop_assert_eq!(as_read.as_ref(), general.original.is_some().then_some(&record));
        prop_assert_eq!(&fast.record.key, &general.record.key);
        prop_assert_eq!(&fast.record.headers, &general.record.headers);
        let json = |r: &ConsumedRecord| r.value.as_deref().map(|v| serde_json::from_slice::<Value>(v).ok());
        prop_assert_eq!(json(&fast.record), json(&general.record));
    }
}
