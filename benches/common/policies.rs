//! What the data-policy benches share: the budget's five policies, and
//! the envelopes' data they hit.

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

/// The `data` of the ingest bench's `i`th envelope: the fields the five
/// policies name (`question`, `decision`, `value`) are in every one.
pub fn event_data(i: u64) -> serde_json::Value {
    serde_json::json!({"n": i, "question": "Adopt event sourcing for orders?", "decision": "adopt", "value": 181.5})
}
