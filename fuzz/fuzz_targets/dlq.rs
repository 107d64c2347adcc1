//! The DLQ header families (eventdeck's, Kafka Connect's, Spring Kafka's,
//! Spring Cloud Stream's, SmallRye's) on any headers, and what the DLQ pane and
//! `eventdeck dlq` do with a dead letter: group by cause, filter, plan a
//! redrive, strip the family's headers, print it as JSON.
//!
//! Input: [`eventdeck_fuzz::RecordInput`]; its topic part is the filter text.
#![no_main]

use eventdeck::dlq::redrive::{DlqRecord, is_dead_letter_header, matches_filter, plan};
use eventdeck::dlq::{self, group_by_cause};
use eventdeck::domain::Headers;
use eventdeck::kafka::ConsumedRecord;
use eventdeck_fuzz::RecordInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = RecordInput::parse(data);
    let pairs = input.headers.clone();
    let letter = dlq::decode(&pairs);

    // The same headers as the consumer hands them over.
    let mut headers = Headers::default();
    for (name, value) in &input.headers {
        headers.push(name, value.as_deref());
    }
    assert_eq!(
        dlq::decode(&headers),
        letter,
        "Headers and pairs decode alike"
    );

    let _ = letter.heap_bytes();
    let _ = letter.is_local();
    let _ = letter.cause();
    let _ = letter.family.map(dlq::Family::label);
    if let Err(e) = serde_json::to_string(&letter) {
        panic!("a dead letter serialises: {e}");
    }
    let stripped = input
        .headers
        .iter()
        .filter(|(name, _)| !is_dead_letter_header(name))
        .count();
    let _ = stripped;

    let record = DlqRecord {
        record: ConsumedRecord {
            topic: "fuzz.dlq".into(),
            partition: 0,
            offset: 0,
            timestamp_ms: input.timestamp_ms,
            key: input.key,
            value: input.value,
            headers,
        },
        letter: letter.clone(),
        original: None,
    };
    let _ = record.heap_bytes();
    let filter = input.topic;
    let _ = matches_filter(&record, &filter);
    assert!(matches_filter(&record, ""), "an empty filter matches all");

    let groups = group_by_cause([&letter, &letter, &dlq::DeadLetter::default()]);
    assert_eq!(groups.iter().map(|g| g.count).sum::<usize>(), 3);

    let p = plan(vec![record.clone()], None);
    assert_eq!(p.items.len() + p.skipped, 1);
    let p = plan(vec![record], Some(&filter));
    assert_eq!(p.items.len(), 1);
});
