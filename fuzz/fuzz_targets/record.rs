//! The record decoder on any key, value and headers: every kind (envelope,
//! CloudEvent binary and structured, JSON, deep JSON, raw, tombstone), the
//! glance lists keep, the summary line, the `tail --format json` line, the hex
//! view and the pretty-printed JSON of the detail view.
//!
//! Input: [`eventdeck_fuzz::RecordInput`]. Besides not panicking it checks what
//! the code promises: a glance is the decode reduced, and a tail line is JSON.
#![no_main]

use std::sync::OnceLock;

use eventdeck::domain::{self, Decoded, Glance, TopicMap};
use eventdeck::tui::json::{highlight, highlight_deep};
use eventdeck::tui::theme::Theme;
use eventdeck_fuzz::RecordInput;
use libfuzzer_sys::fuzz_target;

fn theme() -> &'static Theme {
    static THEME: OnceLock<Theme> = OnceLock::new();
    THEME.get_or_init(Theme::dark)
}

fuzz_target!(|data: &[u8]| {
    let input = RecordInput::parse(data);
    let record = input.into_record();
    // The default map: debate, ... with `<context>.events` topics and `.dlq`.
    let topics = TopicMap::default();

    let decoded = record.decode();
    assert_eq!(
        record.glance(),
        Glance::from(&decoded),
        "glance is decode reduced"
    );
    let settled = record.decode_in(&topics);
    assert_eq!(
        record.glance_in(&topics),
        Glance::from(&settled),
        "glance_in is decode_in reduced"
    );

    for outcome in [&decoded, &settled] {
        let _ = outcome.kind();
        let _ = outcome.event_json();
        let _ = (outcome.event_type(), outcome.context(), outcome.event_id());
        let _ = (outcome.correlation_id(), outcome.causation_id());
        for chars in [0, 1, 2, 40, 200] {
            let s = outcome.summary(chars);
            assert!(
                s.chars().count() <= chars,
                "summary fits {chars} chars: {s:?}"
            );
            assert!(!s.contains(['\n', '\r']), "summary is one line: {s:?}");
        }
        let line = record.to_json(outcome).to_string();
        if let Err(e) = domain::deep::walk(line.as_bytes(), |_| {}) {
            panic!("tail line is not JSON ({e}): {line}");
        }
        if let Some(rule) = &outcome.context_rule {
            let _ = rule.to_string();
        }
        match &outcome.decoded {
            Decoded::Envelope(env) => {
                let _ = highlight(&env.to_json(), theme());
            }
            Decoded::CloudEvent(_) => {
                if let Some(v) = outcome.event_json() {
                    let _ = highlight(&v, theme());
                }
            }
            Decoded::Json(v) => {
                let _ = highlight(v, theme());
            }
            Decoded::DeepJson(deep) => {
                let _ = highlight_deep(deep, theme());
            }
            Decoded::Raw(_) | Decoded::Tombstone => {}
        }
    }

    let _ = record.headers_json();
    let _ = record.key_text();
    let _ = record.time();
    if let Some(tp) = record.header(domain::codec::HEADER_TRACEPARENT) {
        let _ = domain::trace_id(&tp);
    }
    if let Some(v) = &record.value {
        for max in [0, 1, 16, 4096] {
            let _ = domain::codec::hex_dump(v, max);
        }
    }
});
