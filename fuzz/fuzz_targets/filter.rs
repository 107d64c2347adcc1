//! The filter grammar (`eventdeck::filter`, the Streams filter) (`type:… ctx:… corr:… key:… topic:… words`) on
//! any text, matched against any record as the Streams pane holds it.
//!
//! Input: the filter text, a 0x1E byte, then a record
//! ([`eventdeck_fuzz::RecordInput`]).
#![no_main]

use eventdeck::domain::{Headers, TopicMap};
use eventdeck::kafka::ConsumedRecord;
use eventdeck::filter::Filter;
use eventdeck::tui::panes::streams::Entry;
use eventdeck_fuzz::{PART, RecordInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (text, record) = match data.iter().position(|b| *b == PART) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let input = RecordInput::parse(record);
    let mut headers = Headers::default();
    for (name, value) in &input.headers {
        headers.push(name, value.as_deref());
    }
    let record = ConsumedRecord {
        topic: input.topic,
        partition: 0,
        offset: 0,
        timestamp_ms: input.timestamp_ms,
        key: input.key,
        value: input.value,
        headers,
    };
    let entry = Entry::new(0, record, &TopicMap::default());
    let filter = Filter::parse(text);
    let _ = filter.unknown_fields();
    let matched = filter.matches(&entry.subject());
    if filter.is_empty() {
        assert!(matched, "an empty filter matches everything");
    }
    // Terms are ANDed: a filter repeated matches what it matched once.
    let twice = Filter::parse(&format!("{text} {text}"));
    assert_eq!(
        twice.matches(&entry.subject()),
        matched,
        "repeating the terms changes nothing"
    );
});
