//! Snapshots of every pane and overlay at 120×40 and 80×24, drawn on ratatui's
//! `TestBackend`: what a user sees, character for character.

mod support;
use eventdeck::tui::App;
use fixtures::{app, mixed};
use support::tui as fixtures;

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
    app.press("5 down down down down down down enter");
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

/// The form names a registry schema; once fetched, the data is checked
/// against it as it is typed, every problem under the editor.
#[test]
fn inject_form_validates_the_data_against_a_registry_schema() {
    use eventdeck::domain::schema::{Schema, SchemaFormat, SchemaText, WriteSchema};
    use eventdeck::tui::event::WorkerMsg;
    let mut app = app();
    app.press("5 down down down down down enter");
    app.type_text("votes-value");
    app.press("enter");
    let asked = schema_fetches(&mut app);
    assert_eq!(asked, ["votes-value"]);
    let text = SchemaText {
        id: 41,
        format: SchemaFormat::Avro,
        text: r#"{"type": "record", "name": "Vote", "fields": [
            {"name": "decision", "type": "string"},
            {"name": "votes", "type": "int"},
            {"name": "state", "type": {"type": "enum", "name": "State", "symbols": ["OPEN", "CLOSED"]}}]}"#
            .into(),
        references: vec![],
        subjects: vec![("votes-value".into(), 2)],
    };
    app.apply(WorkerMsg::WriteSchema {
        spec: "votes-value".into(),
        result: Ok(WriteSchema {
            subject: "votes-value".into(),
            version: 2,
            id: 41,
            schema: std::sync::Arc::new(Schema::parse(&text).expect("parses")),
        }),
    });
    app.panes.inject.set_data(
        "{\n  \"decision\": \"adopt\",\n  \"votes\": \"three\",\n  \"state\": \"SHUT\"\n}",
    );
    assert_eq!(app.panes.inject.schema_problems().len(), 2);
    snap("inject_schema_problems", &app);
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

// ------------------------------------------------------------- the help overlay

/// Every help line in `text` is whole, or cut and ending in `…`: a description
/// never runs into the next column (`record's5correlation`).
fn help_lines_are_whole_or_marked(text: &str, descriptions: &[&str]) -> Result<(), String> {
    for d in descriptions.iter().filter(|d| d.chars().count() >= 4) {
        let chars: Vec<char> = d.chars().collect();
        // The longest start of `d` (4 characters at least) on screen, and the
        // character after each place it is found.
        let found = (4..=chars.len()).rev().find_map(|n| {
            let head: String = chars[..n].iter().collect();
            let nexts: Vec<Option<char>> = text
                .lines()
                .flat_map(|line| {
                    line.match_indices(&head)
                        .map(|(at, _)| line[at + head.len()..].chars().next())
                        .collect::<Vec<_>>()
                })
                .collect();
            (!nexts.is_empty()).then_some((n, nexts))
        });
        let Some((n, nexts)) = found else {
            // Not shown: only allowed when the overlay says how many are not.
            if text
                .lines()
                .any(|l| l.contains("… ") && l.contains(" more"))
            {
                continue;
            }
            return Err(format!("'{d}' is missing"));
        };
        let whole = n == chars.len();
        let ok = nexts.iter().any(|next| {
            if whole {
                matches!(next, None | Some(' ') | Some('│'))
            } else {
                *next == Some('…')
            }
        });
        if !ok {
            return Err(format!("'{d}' is cut without a mark (next: {nexts:?})"));
        }
    }
    Ok(())
}

#[test]
fn help_entries_never_overlap_at_any_size() {
    use eventdeck::tui::keymap::{KeyMap, Mode};
    use eventdeck::tui::strings::describe_in;
    let map = KeyMap::defaults();
    for (tab_keys, mode) in [("5", Mode::Inject), ("1", Mode::Streams), ("3", Mode::Dlq)] {
        let mut app = app();
        app.press(tab_keys);
        app.press("?");
        let mut descriptions: Vec<&str> = map
            .bindings_of(mode)
            .into_iter()
            .chain(map.bindings_of(Mode::Global))
            .map(|b| describe_in(mode, b.action))
            .collect();
        descriptions.sort();
        descriptions.dedup();
        for (w, h) in [(60, 15), (80, 24), (90, 30), (120, 40)] {
            let text = fixtures::screen(&app, w, h);
            if let Err(e) = help_lines_are_whole_or_marked(&text, &descriptions) {
                panic!("{mode:?} at {w}x{h}: {e}\n{text}");
            }
        }
    }
}

// ---------------------------------------------------------------------- colours

/// The app drawn at `w`×`h`: the buffer, cell styles included.
fn buffer(app: &App, w: u16, h: u16) -> ratatui::buffer::Buffer {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("terminal");
    terminal.draw(|f| app.render(f)).expect("draw");
    terminal.backend().buffer().clone()
}

/// Each row as runs of `fg/bg×cells`: what colours the screen is made of.
fn style_runs(buf: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut runs: Vec<(String, usize)> = Vec::new();
        for x in 0..buf.area.width {
            let c = &buf[(x, y)];
            let style = format!("{:?}/{:?}", c.fg, c.bg);
            match runs.last_mut() {
                Some((s, n)) if *s == style => *n += 1,
                _ => runs.push((style, 1)),
            }
        }
        let line: Vec<String> = runs.iter().map(|(s, n)| format!("{s}×{n}")).collect();
        out.push_str(&line.join(" "));
        out.push('\n');
    }
    out
}

#[test]
fn the_light_theme_paints_its_background_so_dark_text_reads_on_a_dark_terminal() {
    let screens: [(&str, &str); 10] = [
        ("streams", "1"),
        ("detail", "1 enter"),
        ("lag", "2"),
        ("dlq", "3"),
        ("flows", "4"),
        ("inject", "5"),
        ("editing", "5 enter"),
        ("audit", "8"),
        ("help", "1 ?"),
        ("palette", "1 :"),
    ];
    for (name, keys) in screens {
        let mut app = app();
        app.ingest(mixed(30));
        app.press("T");
        assert_eq!(app.theme().name, "light");
        app.press(keys);
        for (w, h) in [(60, 15), (80, 24), (120, 40)] {
            let buf = buffer(&app, w, h);
            for y in 0..h {
                for x in 0..w {
                    let c = &buf[(x, y)];
                    let at = format!("{name} at {w}x{h}, cell ({x},{y}) {:?}", c.symbol());
                    // The terminal's own background (dark, say) never shows through.
                    assert_ne!(c.bg, ratatui::style::Color::Reset, "{at}");
                    assert_ne!(c.fg, ratatui::style::Color::Reset, "{at}");
                    if c.symbol().trim().is_empty() {
                        continue;
                    }
                    assert_ne!(c.fg, c.bg, "{at}: text in its background's colour");
                }
            }
        }
    }
    // The colours of one screen, cell by cell.
    let mut app = app();
    app.ingest(mixed(30));
    app.press("T");
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("light_theme_styles@80x24", style_runs(&buffer(&app, 80, 24)));
    });
}

#[test]
fn the_dark_theme_uses_the_terminals_own_colours_for_body_text() {
    let mut app = app();
    app.ingest(mixed(30));
    let buf = buffer(&app, 80, 24);
    // A row of the list that is not selected: its key cell is in the terminal's colours.
    let theme = app.theme();
    assert_eq!(theme.fg, ratatui::style::Color::Reset);
    assert_eq!(theme.bg, ratatui::style::Color::Reset);
    let text_cells = (0..80)
        .map(|x| &buf[(x, 5)])
        .filter(|c| c.fg == ratatui::style::Color::Reset)
        .count();
    assert!(text_cells > 0);
}

/// Registry schemas for the record-view snapshots, parsed here from their
/// text (no registry, no network): an Avro record (id 21) and a Protobuf
/// file importing a well-known type (id 22).
mod schema_stub {
    use std::sync::Arc;

    use eventdeck::domain::schema::{
        Lookup, Schema, SchemaFormat, SchemaId, SchemaSource, SchemaText,
    };
    use eventdeck::kafka::ConsumedRecord;
    use prost_reflect::prost::Message as _;
    use serde_json::json;

    pub const AVRO: &str = r#"{"type": "record", "name": "Order", "namespace": "shop",
      "fields": [{"name": "id", "type": "string"}, {"name": "qty", "type": "int"},
        {"name": "note", "type": ["null", "string"]},
        {"name": "placed", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}"#;

    pub const PROTO: &str = r#"syntax = "proto3";
        package shop;
        import "google/protobuf/timestamp.proto";
        message Order {
          string id = 1; google.protobuf.Timestamp placed = 2;
          repeated Line lines = 3; int64 units = 4;
          message Line { string sku = 1; uint32 qty = 2; }
        }"#;

    /// The console with Streams reading through [`stub`].
    pub fn app() -> eventdeck::tui::App {
        let mut app = super::app();
        app.panes.streams.set_schemas(Some(Arc::new(stub())));
        app
    }

    /// Answers ids 21 and 22; any other id is unknown.
    pub struct Stub(pub Vec<(u32, Arc<Schema>)>);

    impl SchemaSource for Stub {
        fn lookup(&self, id: SchemaId) -> Lookup {
            self.0
                .iter()
                .find(|(i, _)| SchemaId::Id(*i) == id)
                .map_or_else(
                    || Lookup::Failed("the schema registry has no such schema".into()),
                    |(_, s)| Lookup::Ready(Arc::clone(s)),
                )
        }
    }

    pub fn stub() -> Stub {
        let parse = |id, format, text: &str| {
            Arc::new(
                Schema::parse(&SchemaText {
                    id,
                    format,
                    text: text.into(),
                    references: vec![],
                    subjects: vec![("orders-value".into(), id - 20)],
                })
                .expect("schema"),
            )
        };
        Stub(vec![
            (21, parse(21, SchemaFormat::Avro, AVRO)),
            (22, parse(22, SchemaFormat::Protobuf, PROTO)),
        ])
    }

    /// A record on `orders` framed for schema `id`.
    pub fn framed(n: u64, id: u32, payload: &[u8]) -> ConsumedRecord {
        let mut value = vec![0];
        value.extend(id.to_be_bytes());
        value.extend(payload);
        let mut record = super::fixtures::raw(n, "orders", &value);
        record.key = Some(format!("o-{n}").into_bytes());
        record.headers = Default::default();
        record
    }

    /// `{"id": "o-1", "qty": 2, "note": "rush", "placed": …}` in Avro.
    pub fn avro_payload() -> Vec<u8> {
        // id "o-1" (length 3: zigzag 6), qty 2 (4), note: branch 1 (2) then
        // "rush" (8), placed 1714557600123 ms (zigzag varint).
        let mut bytes = vec![0x06, b'o', b'-', b'1', 0x04, 0x02, 0x08];
        bytes.extend(b"rush");
        let mut placed = (1_714_557_600_123_i64 << 1) as u64;
        while placed >= 0x80 {
            bytes.push((placed as u8 & 0x7f) | 0x80);
            placed >>= 7;
        }
        bytes.push(placed as u8);
        bytes
    }

    /// A `shop.Order` in Protobuf, after the message indexes `[0]`.
    pub fn protobuf_payload() -> Vec<u8> {
        let mut files = protox::file::ChainFileResolver::new();
        files.add(Single(
            protox::file::File::from_source("order.proto", PROTO).expect("proto"),
        ));
        files.add(protox::file::GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(files);
        compiler.open_file("order.proto").expect("compiles");
        let order = compiler
            .descriptor_pool()
            .get_message_by_name("shop.Order")
            .expect("shop.Order");
        let message = prost_reflect::DynamicMessage::deserialize(
            order,
            json!({"id": "o-2", "placed": "2024-05-01T10:00:00.250Z",
                   "lines": [{"sku": "a", "qty": 2}, {"sku": "b"}], "units": "9007199254740993"}),
        )
        .expect("message");
        let mut payload = vec![0x00];
        payload.extend(message.encode_to_vec());
        payload
    }

    struct Single(protox::file::File);

    impl protox::file::FileResolver for Single {
        fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
            if name == self.0.name() {
                Ok(self.0.clone())
            } else {
                Err(protox::Error::file_not_found(name))
            }
        }
    }
}

#[test]
fn streams_detail_of_schema_records_shows_the_schema_and_the_decoded_value() {
    let mut app = schema_stub::app();
    app.ingest([
        schema_stub::framed(1, 21, &schema_stub::avro_payload()),
        schema_stub::framed(2, 22, &schema_stub::protobuf_payload()),
        schema_stub::framed(3, 23, b"\x02x"),
    ]);
    // The rows: the decoded values (an unknown id stays raw). Not a
    // snapshot: at the narrow sizes the summaries are cut inside numbers.
    let rows = fixtures::screen(&app, 120, 40);
    for row in [
        r#"(json) o-1 0@1   {"id":"o-1","note":"rush","placed":"2024-05-01T10:00:00.123Z","qty":2}"#,
        r#"(json) o-2 0@2   {"id":"o-2","lines":[{"qty":2,"sku":"a"},{"sku":"b"}],"#,
        "(raw)  o-3 0@3",
    ] {
        assert!(rows.contains(row), "{row}\n{rows}");
    }
    app.press("k k enter");
    snap("streams_detail_avro", &app);
    app.press("esc j enter");
    snap("streams_detail_protobuf", &app);
}

/// A registry record a data policy masked is shown as the JSON left of it;
/// its record view still names the schema it was written with, and shows
/// nothing of what the policy hid.
#[test]
fn the_record_view_of_a_masked_schema_record_still_names_its_schema() {
    let mut settings = fixtures::settings();
    settings.policies = eventdeck::domain::policy::Policies::new(
        &[eventdeck::domain::policy::PolicySpec {
            name: "notes".into(),
            fields: vec!["note".into()],
            ..Default::default()
        }],
        b"salt".to_vec(),
    )
    .expect("policies");
    let mut app = App::new(&fixtures::services_with(settings).0);
    app.panes
        .streams
        .set_schemas(Some(std::sync::Arc::new(schema_stub::stub())));
    app.ingest([schema_stub::framed(1, 21, &schema_stub::avro_payload())]);
    app.press("enter");
    let detail = fixtures::screen(&app, 120, 40);
    assert!(
        detail.contains("schema id 21  subject orders-value  version 1  format avro"),
        "{detail}"
    );
    assert!(
        detail.contains("value note  ⟨masked: policy notes⟩"),
        "{detail}"
    );
    assert!(!detail.contains("rush"), "{detail}");
}

/// Re-inject of a record written with a registry schema keeps the schema:
/// the form names its subject and version, fetches it, and sends the
/// decoded value written with it again.
#[test]
fn reinject_of_a_schema_record_keeps_its_schema() {
    use eventdeck::domain::schema::WriteSchema;
    use eventdeck::tui::event::{Command, WorkerMsg};
    use std::sync::Arc;
    let mut app = app();
    let stub = schema_stub::stub();
    let avro = Arc::clone(&stub.0[0].1);
    app.panes.streams.set_schemas(Some(Arc::new(stub)));
    app.ingest([schema_stub::framed(1, 21, &schema_stub::avro_payload())]);
    app.press("r");
    let asked = schema_fetches(&mut app);
    assert_eq!(
        asked,
        ["orders-value:1"],
        "the record's subject and version"
    );
    app.apply(WorkerMsg::WriteSchema {
        spec: "orders-value:1".into(),
        result: Ok(WriteSchema {
            subject: "orders-value".into(),
            version: 1,
            id: 21,
            schema: avro,
        }),
    });
    assert!(app.panes.inject.schema_problems().is_empty());
    // A plain record names no event type; the form asks for one.
    app.panes
        .inject
        .set_field(eventdeck::tui::panes::inject::Field::Type, "OrderPlaced");
    app.press("s");
    let sent: Vec<Vec<u8>> = app
        .take_commands()
        .into_iter()
        .filter_map(|c| match c {
            Command::Publish(req) => req.request.value.clone(),
            _ => None,
        })
        .collect();
    let mut original = vec![0, 0, 0, 0, 21];
    original.extend(schema_stub::avro_payload());
    assert_eq!(sent, [original], "the same bytes as the record's");
}

/// The Streams filter's free words match a schema record's decoded value
/// (its fields are not in its bytes as text).
#[test]
fn the_streams_filter_matches_the_decoded_fields_of_schema_records() {
    let mut app = schema_stub::app();
    app.ingest([
        schema_stub::framed(1, 21, &schema_stub::avro_payload()),
        schema_stub::framed(2, 22, &schema_stub::protobuf_payload()),
    ]);
    app.panes.streams.set_filter("\"qty\":2 rush");
    assert_eq!(
        app.panes.streams.visible_len(),
        1,
        "the Avro order (qty 2, note rush)"
    );
    app.panes.streams.set_filter("9007199254740993");
    assert_eq!(
        app.panes.streams.visible_len(),
        1,
        "the Protobuf order's units"
    );
    app.panes.streams.set_filter("\"qty\":5");
    assert_eq!(app.panes.streams.visible_len(), 0);
}

/// A key written with a registry schema shows decoded in the Streams list.
#[test]
fn a_schema_key_shows_decoded_in_the_key_column() {
    let mut app = schema_stub::app();
    let mut record = schema_stub::framed(1, 21, &schema_stub::avro_payload());
    let mut key = vec![0, 0, 0, 0, 21];
    key.extend(schema_stub::avro_payload());
    record.key = Some(key);
    app.ingest([record]);
    let screen = fixtures::screen(&app, 160, 30);
    assert!(screen.contains(r#"{"id":"o-1","note":"rush""#), "{screen}");
}

/// The schemas the inject form asked the runtime to fetch since the last call.
fn schema_fetches(app: &mut App) -> Vec<String> {
    app.take_commands()
        .into_iter()
        .filter_map(|c| match c {
            eventdeck::tui::event::Command::FetchWriteSchema(spec) => Some(spec),
            _ => None,
        })
        .collect()
}
