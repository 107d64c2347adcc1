//! Fixtures for console tests: settings without any config file, a publisher that
//! records what it is asked to send, deterministic records, and a screen dump of
//! the app drawn on ratatui's `TestBackend`.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use eventdeck::config::{CliOverrides, Settings};
use eventdeck::domain::{Envelope, encode};
use eventdeck::kafka::{ConsumedRecord, Delivery};
use eventdeck::publish::{PublishFuture, PublishRequest, Published, Publisher};
use eventdeck::tui::event::{AdminReply, AdminRequest};
use eventdeck::tui::event::{Command, WorkerMsg};
use eventdeck::tui::workers::admin::answer;
use eventdeck::tui::{App, AppServices};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use uuid::Uuid;

/// A publisher that remembers requests and answers "delivered at partition 0,
/// offset = how many came before".
pub struct FakePublisher {
    pub name: &'static str,
    pub sent: Mutex<Vec<PublishRequest>>,
}

impl FakePublisher {
    pub fn new(name: &'static str) -> Arc<Self> {
        Arc::new(Self {
            name,
            sent: Mutex::new(Vec::new()),
        })
    }
}

impl Publisher for FakePublisher {
    fn publish(&self, req: PublishRequest) -> PublishFuture {
        let mut sent = self.sent.lock().expect("lock");
        let offset = sent.len() as i64;
        let topic = req.topic.clone();
        sent.push(req);
        Box::pin(async move {
            Ok(Published::Delivered(Delivery {
                topic,
                partition: 0,
                offset,
            }))
        })
    }
    fn name(&self) -> &'static str {
        self.name
    }
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Settings from a config file that only names a data dir of the test's own,
/// and no environment.
pub fn settings() -> Settings {
    let dir = std::env::temp_dir().join(format!("eventdeck-tui-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // One file per call: tests run in parallel threads of one process, and a
    // file being rewritten reads as empty.
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let path = dir.join(format!("config-{n}.toml"));
    // The data dir is the test's own, not the user's (whose mode may draw a
    // warning on the screen).
    let data = toml_string(&dir.join("data").display().to_string());
    std::fs::write(&path, format!("data_dir = {data}\n")).expect("write config");
    let cli = CliOverrides {
        config: Some(path),
        brokers: Some("127.0.0.1:9092".into()),
        ..Default::default()
    };
    Settings::load_with_env(&cli, &|_| None).expect("settings")
}

/// Services over the default context topics with a fake "bridge" publisher.
pub fn services_with(settings: Settings) -> (AppServices, Arc<FakePublisher>) {
    let publisher = FakePublisher::new("bridge");
    let raw = FakePublisher::new("direct");
    let topics = settings.topics.topics().map(str::to_string).collect();
    (
        AppServices {
            settings,
            publisher: publisher.clone(),
            raw_publisher: Some(raw),
            topics,
            status: None,
            scenario_rate: None,
            start: eventdeck::kafka::StartAt::End,
            title: "test-cluster:9092".into(),
            known_groups: Vec::new(),
            handlers: None,
        },
        publisher,
    )
}

/// A fresh app over default settings.
pub fn app() -> App {
    App::new(&services_with(settings()).0)
}

/// A fixed time: 2026-11-27T10:00:00Z plus `secs`.
pub fn at(secs: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(1_795_773_600 + secs, 0)
        .single()
        .expect("time")
}

/// An envelope record with ids derived from `n`, so snapshots are stable.
pub fn envelope(n: u64, context: &str, event_type: &str, key: &str, data: Value) -> ConsumedRecord {
    let mut env = Envelope::new(context, event_type, key, data).with_occurred_at(at(n as i64));
    env.event_id = Uuid::from_u128(0x1000 + u128::from(n));
    env.correlation_id = Some(Uuid::from_u128(0xc000 + u128::from(n % 3)));
    let enc = encode(&env);
    ConsumedRecord {
        topic: format!("{context}.events"),
        partition: (n % 3) as i32,
        offset: n as i64,
        timestamp_ms: Some(at(n as i64).timestamp_millis()),
        key: Some(key.as_bytes().to_vec()),
        value: Some(enc.value),
        headers: enc.headers.into_iter().map(|(k, v)| (k, Some(v))).collect(),
    }
}

/// A record whose value is not JSON.
pub fn raw(n: u64, topic: &str, bytes: &[u8]) -> ConsumedRecord {
    ConsumedRecord {
        topic: topic.into(),
        partition: 0,
        offset: n as i64,
        timestamp_ms: Some(at(n as i64).timestamp_millis()),
        key: Some(b"raw-key".to_vec()),
        value: Some(bytes.to_vec()),
        headers: vec![("source".into(), Some(b"legacy".to_vec()))].into(),
    }
}

/// A tombstone.
pub fn tombstone(n: u64, topic: &str) -> ConsumedRecord {
    ConsumedRecord {
        topic: topic.into(),
        partition: 1,
        offset: n as i64,
        timestamp_ms: Some(at(n as i64).timestamp_millis()),
        key: Some(b"gone".to_vec()),
        value: None,
        headers: Default::default(),
    }
}

/// A busy mix of records across every context, plus a raw one and a tombstone.
pub fn mixed(n: u64) -> Vec<ConsumedRecord> {
    let kinds = [
        (
            "debate",
            "DecisionMade",
            json!({"decision": "adopt event sourcing", "votes": 7}),
        ),
        (
            "implementation",
            "TaskCreated",
            json!({"task": "write the outbox", "points": 3}),
        ),
        (
            "performance",
            "ThresholdBreached",
            json!({"metric": "p99_ms", "value": 412.5}),
        ),
        (
            "testing",
            "TestRunCompleted",
            json!({"passed": 120, "failed": 2}),
        ),
        (
            "evolution",
            "ImprovementProposed",
            json!({"title": "batch the writes"}),
        ),
    ];
    (0..n)
        .map(|i| match i % 11 {
            7 => raw(i, "evolution.events", b"legacy,csv,line\x00\x01"),
            10 => tombstone(i, "implementation.events"),
            _ => {
                let (ctx, ty, data) = &kinds[(i % 5) as usize];
                envelope(i, ctx, ty, &format!("agg-{}", i % 4), data.clone())
            }
        })
        .collect()
}

/// The app drawn at `w`×`h`, as text (trailing spaces trimmed).
pub fn screen(app: &App, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    terminal.draw(|f| app.render(f)).expect("draw");
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Screen sizes every pane snapshot is taken at.
pub const SIZES: [(u16, u16); 3] = [(120, 40), (80, 24), (60, 15)];

/// Wide enough that nothing on any screen needs cutting.
pub const WIDE: u16 = 400;

/// The pieces of `narrow` that carry a digit (`19628`, `40m25s`, `debate-12`,
/// `2@41`) and are not on `wide`, the same screen drawn [`WIDE`] columns wide:
/// a number cut short. Text cut and marked with `…` (`agg-1…`) is allowed, and
/// so is `+3 more` (a narrow screen counting what it leaves out); a number is
/// never cut, marked or not.
pub fn cut_numbers(narrow: &str, wide: &str) -> Vec<String> {
    fn tokens(s: &str) -> Vec<(String, Option<char>)> {
        let part = |c: char| c.is_alphanumeric() || "._:@[]-/+%".contains(c);
        let mut out = Vec::new();
        let mut cur = String::new();
        for c in s.chars().chain(std::iter::once('\n')) {
            if part(c) {
                cur.push(c);
                continue;
            }
            if !cur.is_empty() {
                out.push((std::mem::take(&mut cur), Some(c)));
            }
        }
        out
    }
    let whole: std::collections::HashSet<String> =
        tokens(wide).into_iter().map(|(t, _)| t).collect();
    let counts_left_out: std::collections::HashSet<String> = narrow
        .split(" more")
        .filter_map(|before| before.rsplit(' ').next())
        .filter(|t| t.starts_with('+'))
        .map(str::to_string)
        .collect();
    tokens(narrow)
        .into_iter()
        .filter(|(t, _)| t.chars().any(|c| c.is_ascii_digit()))
        .filter(|(t, _)| !counts_left_out.contains(t))
        .filter(|(t, next)| {
            let text = t.chars().any(char::is_alphabetic);
            // A number starts with a digit (or a sign): `]0…` is cut text.
            let numeric = t
                .trim_start_matches(['-', '+'])
                .starts_with(|c: char| c.is_ascii_digit());
            match next {
                Some('…') => !text && numeric,
                _ => !whole.contains(t),
            }
        })
        .map(|(t, next)| format!("{t}{}", next.map(String::from).unwrap_or_default()))
        .collect()
}

/// Snapshots the app at each of [`SIZES`] as `{name}@{w}x{h}` in
/// `tests/snapshots`; `filters` blank what changes from run to run.
#[allow(dead_code)] // not every test binary that includes this module snapshots
pub fn snap_filtered(name: &str, app: &App, filters: Vec<(&str, &str)>) {
    for (w, h) in SIZES {
        let text = screen(app, w, h);
        // The help overlay hides part of the pane under it (a time is covered,
        // not cut); its own lines are checked in tui_panes.rs.
        if !name.starts_with("help_") {
            let cut = cut_numbers(&text, &screen(app, WIDE, h));
            assert!(
                cut.is_empty(),
                "{name}@{w}x{h}: numbers cut: {cut:?}\n{text}"
            );
        }
        insta::with_settings!({
            filters => filters.clone(),
            snapshot_path => "../snapshots",
            snapshot_suffix => format!("{w}x{h}"),
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!(name, text);
        });
    }
}

/// [`snap_filtered`] with nothing to blank.
#[allow(dead_code)]
pub fn snap(name: &str, app: &App) {
    snap_filtered(name, app, Vec::new());
}

/// The admin requests among the commands the app asked for (the others are
/// dropped).
pub fn admin_requests(app: &mut App) -> Vec<AdminRequest> {
    app.take_commands()
        .into_iter()
        .filter_map(|c| match c {
            Command::Admin(r) => Some(*r),
            _ => None,
        })
        .collect()
}

/// Applies an admin reply as the admin worker sends it.
pub fn admin_reply(app: &mut App, reply: AdminReply) {
    app.apply(WorkerMsg::Admin(Box::new(reply)));
}

/// Answers every admin request the app asked for with the worker the console
/// runs (`workers::admin::answer`) and applies the replies, until the app asks
/// for nothing more; returns the replies.
pub async fn drive_ops(app: &mut App, settings: &Settings) -> Vec<AdminReply> {
    let mut replies = Vec::new();
    for _ in 0..10 {
        let reqs = admin_requests(app);
        if reqs.is_empty() {
            return replies;
        }
        for r in reqs {
            let reply = answer(settings, r).await;
            replies.push(reply.clone());
            admin_reply(app, reply);
        }
    }
    replies
}
