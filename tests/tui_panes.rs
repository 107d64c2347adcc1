//! Snapshots of every pane and overlay at 120×40 and 80×24, drawn on ratatui's
//! `TestBackend`: what a user sees, character for character.

#[path = "common/tui.rs"]
mod fixtures;

use eventdeck::tui::App;
use fixtures::{app, mixed};

/// Snapshots the app at both sizes, with send times blanked.
fn snap(name: &str, app: &App) {
    fixtures::snap_filtered(
        name,
        app,
        vec![(r"([✓✗…] )\d\d:\d\d:\d\d ", "$1[hh:mm:ss] ")],
    );
}

#[test]
fn streams_empty_says_what_it_waits_for() {
    snap("streams_empty", &app());
}

#[test]
fn streams_populated_shows_one_row_per_record() {
    let mut app = app();
    app.ingest(mixed(60));
    snap("streams_populated", &app);
}

#[test]
fn streams_filter_prompt_and_matches() {
    let mut app = app();
    app.ingest(mixed(60));
    app.press("/");
    app.type_text("ctx:debate agg-1");
    snap("streams_filter_typing", &app);
}

#[test]
fn streams_detail_of_an_envelope_is_pretty_and_lists_headers() {
    let mut app = app();
    app.ingest(mixed(12));
    app.press("k k k k k enter");
    snap("streams_detail_envelope", &app);
}

#[test]
fn streams_detail_of_raw_bytes_shows_text_hex_and_the_decode_error() {
    let mut app = app();
    app.ingest(mixed(8));
    app.press("enter");
    snap("streams_detail_raw", &app);
}

#[test]
fn streams_evictions_are_counted_in_the_stream_bar() {
    let mut settings = fixtures::settings();
    settings.ui.ring_size = 5;
    let mut app = App::new(&fixtures::services_with(settings).0);
    app.ingest(mixed(60));
    snap("streams_evicted", &app);
}

#[test]
fn inject_form_starts_from_the_first_context_and_its_template() {
    let mut app = app();
    app.press("5");
    snap("inject_default", &app);
}

#[test]
fn inject_form_with_a_json_error_shows_line_and_column() {
    let mut app = app();
    app.press("5 down down down down down enter");
    app.type_text("\n  \"oops\" 12,\n");
    snap("inject_json_error", &app);
}

#[test]
fn inject_form_after_a_send_shows_the_result_and_history() {
    let mut app = app();
    app.press("5 s");
    for cmd in app.take_commands() {
        if let eventdeck::tui::event::Command::Publish(req) = cmd {
            app.apply(eventdeck::tui::event::WorkerMsg::Published {
                id: req.id,
                result: Ok(eventdeck::publish::Published::Delivered(
                    eventdeck::kafka::Delivery {
                        topic: req.request.topic.clone(),
                        partition: 2,
                        offset: 41,
                    },
                )),
            });
        }
    }
    snap("inject_sent", &app);
}

#[test]
fn help_overlay_is_generated_from_the_key_table() {
    let mut app = app();
    app.ingest(mixed(30));
    app.press("?");
    snap("help_streams", &app);
}

#[test]
fn help_overlay_in_the_inject_form() {
    let mut app = app();
    app.press("5 ?");
    snap("help_inject", &app);
}

#[test]
fn palette_prompt() {
    let mut app = app();
    app.press(":");
    app.type_text("seek 2026-11-27T10:00:00Z");
    snap("palette", &app);
}
