//! The filter grammar (`eventdeck::filter`, the Streams filter) (`type:… ctx:… corr:… key:… topic:… words`) on
//! any text, matched against any record as the Streams pane holds it.
//!
//! Input: the filter text, a 0x1E byte, then a record
//! ([`eventdeck_fuzz::RecordInput`]).
#![no_main]

use eventdeck::domain::TopicMap;
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
    let record = input.into_record();
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
