//! What the data-policy benches share: the budget's five policies, and
//! envelopes like the ingest bench's.

/// The budget's 5 policies: 3 JSON paths into every envelope (a mask, a
/// hash, a deep wildcard), 1 header and the key.
pub fn five_policies() -> eventdeck::domain::policy::Policies {
    use eventdeck::domain::policy::{Policies, PolicySpec};
    let spec = |name: &str, action: &str| PolicySpec {
        name: name.into(),
        action: Some(action.into()),
        ..PolicySpec::default()
    };
    let specs = vec![
        PolicySpec {
            fields: vec!["data.question".into()],
            ..spec("question", "mask")
        },
        PolicySpec {
            fields: vec!["data.decision".into()],
            ..spec("decision", "hash")
        },
        PolicySpec {
            fields: vec!["**.value".into()],
            ..spec("values", "remove")
        },
        PolicySpec {
            headers: vec!["correlation_id".into()],
            ..spec("correlation", "mask")
        },
        PolicySpec {
            key: true,
            keep_last: Some(4),
            ..spec("key", "mask")
        },
    ];
    Policies::new(&specs, b"bench-salt".to_vec()).expect("valid policies")
}

/// The ingest bench's `i`th envelope, as its producer writes it: the
/// value, the headers and the key.
#[allow(dead_code)] // Only the microbench reads records from here.
pub fn envelope_record(i: u64) -> eventdeck::kafka::ConsumedRecord {
    use eventdeck::domain::{Envelope, encode};
    let env = Envelope::new(
        ["debate", "testing", "performance"][(i % 3) as usize],
        ["DecisionMade", "TestRunCompleted", "MetricRecorded"][(i % 3) as usize],
        format!("agg-{}", i % 1000),
        serde_json::json!({"n": i, "question": "Adopt event sourcing for orders?", "decision": "adopt", "value": 181.5}),
    );
    let encoded = encode(&env);
    eventdeck::kafka::ConsumedRecord {
        topic: "bench".into(),
        partition: 0,
        offset: i as i64,
        timestamp_ms: Some(0),
        key: Some(env.aggregate_id.into_bytes()),
        value: Some(encoded.value),
        headers: encoded
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), Some(v.as_slice())))
            .collect(),
    }
}
