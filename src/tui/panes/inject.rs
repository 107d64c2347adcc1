//! The Inject pane: a form that builds one event (context or topic, event type
//! from the registry with its template, key, headers, correlation id, and `data`
//! in a JSON editor validated on every keystroke) and sends it through the bridge
//! or raw to the topic. Results land in the form and in a bounded history.

use std::cell::Cell;
use std::collections::VecDeque;

use crossterm::event::{KeyCode, KeyEvent, MouseEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui_textarea::TextArea;
use serde_json::Value;
use uuid::Uuid;

use super::streams::Entry;
use super::{Cx, Effect, Pane, View};
use crate::dlq::redrive::is_dead_letter_header;
use crate::domain::schema::{Problem, SchemaSource, WriteSchema};
use crate::domain::{Decoded, Envelope, EventTypeRegistry, TopicMap};
use crate::publish::{Committed, PublishError, PublishRequest, Published};
use crate::tui::action::Action;
use crate::tui::event::{Command, WorkerMsg};
use crate::tui::event::{Route, SendRequest};
use crate::tui::keymap::Mode;
use crate::tui::strings;
use crate::tui::theme::Theme;
use crate::tui::widgets::clip;

/// Sent events remembered in the history.
const HISTORY_LEN: usize = 100;
/// Width of the field labels.
const LABEL_WIDTH: u16 = 20;

/// A form field, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Bridge or raw.
    Route,
    /// Context name or topic.
    Target,
    /// Event type.
    Type,
    /// Record key.
    Key,
    /// Extra headers.
    Headers,
    /// Correlation id.
    Correlation,
    /// The registry schema the value is written with (`SUBJECT[:VERSION]`).
    Schema,
    /// The `data` JSON.
    Data,
}

const FIELDS: [Field; 8] = [
    Field::Route,
    Field::Target,
    Field::Type,
    Field::Key,
    Field::Headers,
    Field::Correlation,
    Field::Schema,
    Field::Data,
];

/// Where the JSON stops being valid (1-based, like editors count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Line.
    pub line: usize,
    /// Column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// One sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Request id (matches the reply).
    pub id: u64,
    /// When it was sent, `HH:MM:SS`.
    pub time: String,
    /// Route label.
    pub route: &'static str,
    /// Target topic.
    pub topic: String,
    /// Event type.
    pub event_type: String,
    /// `None` while in flight; then where it landed or why it failed.
    pub outcome: Option<Result<String, String>>,
}

/// What a re-inject filled the form with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reinject {
    /// The topic the form sends to.
    pub topic: String,
    /// True when the record is a dead letter.
    pub dead_letter: bool,
    /// For a dead letter: true when its headers name the original topic.
    pub original_known: bool,
    /// Headers the one-line field cannot hold, not carried over.
    pub headers_left_out: usize,
}

/// The registry schema the form writes with.
#[derive(Debug, Clone)]
enum SchemaChoice {
    /// None: the value is JSON.
    None,
    /// Being fetched.
    Fetching(String),
    /// Fetched, for what the field said then.
    Ready {
        /// What was asked for.
        spec: String,
        /// The schema.
        schema: Box<WriteSchema>,
    },
    /// Could not be had.
    Failed {
        /// What was asked for.
        spec: String,
        /// Why not.
        why: String,
    },
}

/// The form's state.
pub struct InjectState {
    /// The focused field.
    pub focus: Field,
    /// Typing into the focused field.
    pub editing: bool,
    /// Where sends go.
    pub route: Route,
    main_name: &'static str,
    has_raw: bool,
    topics: TopicMap,
    registry: EventTypeRegistry,
    target: TextArea<'static>,
    event_type: TextArea<'static>,
    key: TextArea<'static>,
    headers: TextArea<'static>,
    correlation: TextArea<'static>,
    schema: TextArea<'static>,
    data: TextArea<'static>,
    json_error: Option<JsonError>,
    /// On the all-or-none route: why the data is not a list of events.
    list_error: Option<&'static str>,
    /// The schema the value is written with.
    schema_choice: SchemaChoice,
    /// A schema to fetch, for the runtime ([`InjectState::take_schema_request`]).
    schema_request: Option<String>,
    /// How the data does not fit the schema (empty when it fits, or there
    /// is none).
    schema_problems: Vec<Problem>,
    /// Where a re-injected record came from, shown beside the target until
    /// the target is changed.
    reinjected: Option<Reinjected>,
    /// The template last put in `data`; while `data` still reads the same, a
    /// new event type may replace it. Anything else is the user's and stays.
    template: Option<String>,
    history: VecDeque<Sent>,
    next_id: u64,
    /// Screen rows of the fields as last drawn (for mouse clicks).
    field_rows: Cell<[(u16, u16); 8]>,
}

/// The record a re-inject filled the form from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reinjected {
    /// The topic the form's target was set to.
    target: String,
    /// True when the record is a dead letter.
    dead_letter: bool,
}

/// Headers a re-inject does not carry over: the envelope's mirrored metadata
/// (written anew for the new event), the bridge's loop-prevention origin (it
/// names the bridge that sent the original) and the marker of an effect's new
/// correlation. Dead-letter headers of every family are dropped too
/// ([`is_dead_letter_header`]), as a redrive drops them.
const NOT_CARRIED: [&str; 11] = [
    crate::domain::codec::HEADER_EVENT_ID,
    crate::domain::codec::HEADER_EVENT_TYPE,
    crate::domain::codec::HEADER_SCHEMA_VERSION,
    crate::domain::codec::HEADER_CONTEXT,
    crate::domain::codec::HEADER_AGGREGATE_ID,
    crate::domain::codec::HEADER_OCCURRED_AT,
    crate::domain::codec::HEADER_CORRELATION_ID,
    crate::domain::codec::HEADER_CAUSATION_ID,
    crate::domain::codec::HEADER_CONTENT_TYPE,
    crate::bridge::ORIGIN_HEADER,
    crate::bus::CORRELATION_STARTED,
];

/// The headers of `record` a re-inject sends again, as the form's
/// `key=value, …` text. A value the one-line field cannot hold (not UTF-8, or
/// with a comma or line break) is left out and counted.
fn carried_headers(record: &crate::kafka::ConsumedRecord) -> (String, usize) {
    let mut left_out = 0;
    let pairs: Vec<String> = record
        .headers
        .iter()
        .filter(|(k, _)| {
            !is_dead_letter_header(k) && !NOT_CARRIED.iter().any(|n| n.eq_ignore_ascii_case(k))
        })
        .filter_map(|(k, v)| {
            let text = std::str::from_utf8(v.unwrap_or_default()).ok();
            match text.filter(|t| !t.contains([',', '\n', '\r']) && !k.contains([',', '='])) {
                Some(t) => Some(format!("{k}={t}")),
                None => {
                    left_out += 1;
                    None
                }
            }
        })
        .collect();
    (pairs.join(", "), left_out)
}

fn single_line(text: &str, placeholder: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![text.to_string()]);
    t.set_cursor_line_style(Style::default());
    t.set_placeholder_text(placeholder.to_string());
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

fn text_of(t: &TextArea<'_>) -> String {
    t.lines().join("\n")
}

fn set_text(t: &mut TextArea<'static>, text: &str, placeholder: &str) {
    let mut fresh = TextArea::new(text.lines().map(str::to_string).collect());
    fresh.set_cursor_line_style(Style::default());
    fresh.set_placeholder_text(placeholder.to_string());
    fresh.set_cursor_style(t.cursor_style());
    *t = fresh;
}

impl InjectState {
    /// A form for these contexts and event types; `main_name` names the main
    /// publisher ("bridge" or "direct"); `has_raw` says whether raw sends exist.
    pub fn new(
        topics: TopicMap,
        registry: EventTypeRegistry,
        main_name: &'static str,
        has_raw: bool,
    ) -> Self {
        let first_ctx = topics.contexts().next().unwrap_or("debate").to_string();
        let mut s = Self {
            focus: Field::Target,
            editing: false,
            route: Route::Main,
            main_name,
            has_raw,
            topics,
            registry,
            target: single_line(&first_ctx, ""),
            event_type: single_line("", ""),
            key: single_line("", strings::KEY_DEFAULT),
            headers: single_line("", "source=eventdeck"),
            correlation: single_line("", strings::CORRELATION_NEW),
            schema: single_line("", strings::SCHEMA_NONE),
            data: TextArea::new(vec!["{}".into()]),
            json_error: None,
            list_error: None,
            schema_choice: SchemaChoice::None,
            schema_request: None,
            schema_problems: Vec::new(),
            reinjected: None,
            template: Some("{}".into()),
            history: VecDeque::new(),
            next_id: 1,
            field_rows: Cell::new([(0, 0); 8]),
        };
        s.data.set_cursor_line_style(Style::default());
        s.choose_type_index(0);
        s.set_editing(false);
        s
    }

    /// Sent events, newest last.
    pub fn history(&self) -> &VecDeque<Sent> {
        &self.history
    }

    /// The JSON error, if the data is invalid.
    pub fn json_error(&self) -> Option<&JsonError> {
        self.json_error.as_ref()
    }

    /// The data editor's text.
    pub fn data_text(&self) -> String {
        text_of(&self.data)
    }

    /// Replaces the data editor's text.
    pub fn set_data(&mut self, text: &str) {
        set_text(&mut self.data, text, "");
        self.validate();
    }

    /// The target field's text.
    pub fn target_text(&self) -> String {
        text_of(&self.target)
    }

    /// Sets a single-line field (for re-inject and tests).
    pub fn set_field(&mut self, field: Field, text: &str) {
        match field {
            Field::Route => {}
            Field::Target => set_text(&mut self.target, text, ""),
            Field::Type => set_text(&mut self.event_type, text, ""),
            Field::Key => set_text(&mut self.key, text, strings::KEY_DEFAULT),
            Field::Headers => set_text(&mut self.headers, text, "source=eventdeck"),
            Field::Correlation => set_text(&mut self.correlation, text, strings::CORRELATION_NEW),
            Field::Schema => {
                set_text(&mut self.schema, text, strings::SCHEMA_NONE);
                self.schema_edited();
            }
            Field::Data => self.set_data(text),
        }
    }

    /// The schema field was changed: fetch what it names (unless that is
    /// what the form has), or write JSON again when it is empty.
    fn schema_edited(&mut self) {
        let spec = text_of(&self.schema).trim().to_string();
        let same = match &self.schema_choice {
            SchemaChoice::None => spec.is_empty(),
            SchemaChoice::Fetching(asked) => spec == *asked,
            // `orders-value` asked for and `orders-value:3` (its latest) had:
            // naming the version had is the same; a bare subject after a
            // version is the latest, asked again.
            SchemaChoice::Ready {
                spec: asked,
                schema,
            } => spec == *asked || spec == format!("{}:{}", schema.subject, schema.version),
            // The registry may be back: asked again.
            SchemaChoice::Failed { .. } => false,
        };
        if same {
            return;
        }
        self.schema_choice = if spec.is_empty() {
            SchemaChoice::None
        } else {
            self.schema_request = Some(spec.clone());
            SchemaChoice::Fetching(spec)
        };
        self.validate();
    }

    /// The schema the runtime should fetch for the form, once.
    pub fn take_schema_request(&mut self) -> Option<String> {
        self.schema_request.take()
    }

    /// A fetched schema (or why not), when it is the one the form still
    /// names.
    pub fn schema_fetched(&mut self, spec: &str, result: Result<WriteSchema, String>) {
        if !matches!(&self.schema_choice, SchemaChoice::Fetching(s) if s == spec) {
            return;
        }
        self.schema_choice = match result {
            Ok(w) => SchemaChoice::Ready {
                spec: spec.to_string(),
                schema: Box::new(w),
            },
            Err(why) => SchemaChoice::Failed {
                spec: spec.to_string(),
                why,
            },
        };
        self.validate();
    }

    /// How the data does not fit the form's schema (empty when it fits).
    pub fn schema_problems(&self) -> &[Problem] {
        &self.schema_problems
    }

    /// Starts or stops typing into the focused field. Typing starts at the end
    /// of what is there, so it adds to it.
    pub fn set_editing(&mut self, editing: bool) {
        if self.editing && !editing && self.focus == Field::Schema {
            self.schema_edited();
        }
        self.editing = editing && self.focus != Field::Route;
        let on = Style::new().add_modifier(Modifier::REVERSED);
        let (focus, editing) = (self.focus, self.editing);
        if editing && let Some(t) = self.area_mut(focus) {
            t.move_cursor(ratatui_textarea::CursorMove::Bottom);
            t.move_cursor(ratatui_textarea::CursorMove::End);
        }
        for f in FIELDS {
            let style = if self.editing && f == self.focus {
                on
            } else {
                Style::default()
            };
            if let Some(t) = self.area_mut(f) {
                t.set_cursor_style(style);
            }
        }
    }

    fn area_mut(&mut self, f: Field) -> Option<&mut TextArea<'static>> {
        match f {
            Field::Route => None,
            Field::Target => Some(&mut self.target),
            Field::Type => Some(&mut self.event_type),
            Field::Key => Some(&mut self.key),
            Field::Headers => Some(&mut self.headers),
            Field::Correlation => Some(&mut self.correlation),
            Field::Schema => Some(&mut self.schema),
            Field::Data => Some(&mut self.data),
        }
    }

    /// Moves focus by `delta` fields, keeping the editing state.
    pub fn move_focus(&mut self, delta: isize) {
        if self.focus == Field::Schema {
            self.schema_edited();
        }
        let i = FIELDS.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = FIELDS.len() as isize;
        let next = (i as isize + delta).rem_euclid(n) as usize;
        self.focus = FIELDS[next];
        let editing = self.editing;
        self.set_editing(editing);
    }

    /// Focuses the field drawn at screen row `y`, if any; true when one was hit.
    pub fn click(&mut self, y: u16) -> bool {
        let rows = self.field_rows.get();
        let Some(i) = rows
            .iter()
            .position(|(top, h)| *h > 0 && y >= *top && y < top + h)
        else {
            return false;
        };
        if self.focus == Field::Schema {
            self.schema_edited();
        }
        self.focus = FIELDS[i];
        let editing = self.editing;
        self.set_editing(editing);
        true
    }

    /// A key typed into the focused field. Enter ends editing a one-line field.
    pub fn handle_key(&mut self, key: KeyEvent) {
        if key.code == KeyCode::Enter && self.focus != Field::Data {
            self.set_editing(false);
            return;
        }
        let focus = self.focus;
        if let Some(t) = self.area_mut(focus) {
            t.input(key);
        }
        if focus == Field::Data {
            self.validate();
        }
    }

    /// Empties the field being edited (undo brings it back).
    pub fn clear_field(&mut self) {
        let focus = self.focus;
        if let Some(t) = self.area_mut(focus) {
            t.select_all();
            t.cut();
        }
        if focus == Field::Data {
            self.validate();
        }
    }

    /// Pasted text into the focused field.
    pub fn handle_paste(&mut self, text: &str) {
        let focus = self.focus;
        let text = if focus == Field::Data {
            text.to_string()
        } else {
            text.replace(['\n', '\r'], " ")
        };
        if let Some(t) = self.area_mut(focus) {
            t.insert_str(text);
        }
        if focus == Field::Data {
            self.validate();
        }
    }

    fn validate(&mut self) {
        self.schema_problems.clear();
        self.list_error = None;
        self.json_error = match serde_json::from_str::<Value>(&text_of(&self.data)) {
            Ok(data) => {
                // One event's data, or on the all-or-none route each element
                // of the list (its problems' paths start with its index).
                let items: Vec<(Option<usize>, Value)> = if self.route == Route::Transaction {
                    match events_of(data) {
                        Ok(items) => items
                            .into_iter()
                            .enumerate()
                            .map(|(i, d)| (Some(i), d))
                            .collect(),
                        Err(e) => {
                            self.list_error = Some(e);
                            Vec::new()
                        }
                    }
                } else {
                    vec![(None, data)]
                };
                if let SchemaChoice::Ready { schema: w, .. } = &self.schema_choice {
                    for (i, data) in items {
                        // The event as a send would write it (ids made up: a
                        // schema's uuid fields take any).
                        let mut envelope = Envelope::new(
                            self.context(),
                            text_of(&self.event_type).trim(),
                            "preview",
                            data,
                        );
                        envelope = envelope.with_correlation_id(Uuid::nil());
                        if let Err(problems) = w.encode_event(&envelope) {
                            self.schema_problems
                                .extend(problems.into_iter().map(|mut p| {
                                    if let Some(i) = i {
                                        p.path = if p.path.is_empty() {
                                            format!("[{i}]")
                                        } else {
                                            format!("[{i}].{}", p.path)
                                        };
                                    }
                                    p
                                }));
                        }
                    }
                }
                None
            }
            Err(e) => Some(JsonError {
                line: e.line(),
                column: e.column(),
                message: {
                    let m = e.to_string();
                    // serde appends " at line L column C"; we show those separately.
                    match m.rfind(" at line ") {
                        Some(i) => m[..i].to_string(),
                        None => m,
                    }
                },
            }),
        };
    }

    /// Cycles the choice of a selector field (route, context, event type).
    /// Returns a notice when `data` was edited and so kept, not replaced by
    /// the new type's template.
    pub fn choose(&mut self, delta: isize) -> Option<String> {
        match self.focus {
            Field::Route if self.has_raw => {
                const ROUTES: [Route; 3] = [Route::Main, Route::Raw, Route::Transaction];
                let untouched = self.template.as_deref() == Some(self.data_text().as_str());
                let i = ROUTES.iter().position(|r| *r == self.route).unwrap_or(0);
                self.route = ROUTES[(i as isize + delta).rem_euclid(3) as usize];
                // The data field means one event's data or a list of them:
                // an untouched template takes the route's shape.
                if untouched {
                    self.load_template();
                } else {
                    self.validate();
                }
            }
            Field::Target => {
                let contexts: Vec<String> = self.topics.contexts().map(str::to_string).collect();
                if contexts.is_empty() {
                    return None;
                }
                let cur = self.target_text();
                let i = contexts.iter().position(|c| *c == cur);
                let next = match i {
                    Some(i) => (i as isize + delta).rem_euclid(contexts.len() as isize) as usize,
                    None => 0,
                };
                set_text(&mut self.target, &contexts[next], "");
                return self.choose_type_index(0);
            }
            Field::Type => {
                let types = self.types();
                if types.is_empty() {
                    return None;
                }
                let cur = text_of(&self.event_type);
                let i = types.iter().position(|t| *t == cur);
                let next = match i {
                    Some(i) => (i as isize + delta).rem_euclid(types.len() as isize) as usize,
                    None => 0,
                };
                return self.choose_type_index(next);
            }
            _ => {}
        }
        None
    }

    /// Toggles the route.
    pub fn toggle_route(&mut self) {
        let focus = self.focus;
        self.focus = Field::Route;
        let _ = self.choose(1);
        self.focus = focus;
    }

    fn context(&self) -> String {
        let t = self.target_text();
        let topic = self.topics.resolve(t.trim());
        self.topics
            .context_for_topic(&topic)
            .unwrap_or(t.trim())
            .to_string()
    }

    fn types(&self) -> Vec<String> {
        self.registry
            .types_for(&self.context())
            .into_iter()
            .map(|i| i.event_type.clone())
            .collect()
    }

    /// Picks the `i`th event type of the context. Its template replaces `data`
    /// only while `data` is untouched; an edit is kept and a notice returned.
    fn choose_type_index(&mut self, i: usize) -> Option<String> {
        let types = self.types();
        let t = types.get(i)?;
        set_text(&mut self.event_type, t, "");
        let untouched = match &self.template {
            Some(tpl) => *tpl == self.data_text(),
            None => self.data_text().trim().is_empty(),
        };
        if untouched {
            self.load_template();
            return None;
        }
        Some(strings::inject_data_kept(t))
    }

    /// Puts the chosen event type's template in `data`, replacing it.
    pub fn load_template(&mut self) {
        let t = text_of(&self.event_type);
        let template = self
            .registry
            .get(t.trim())
            .map(|info| info.template.clone())
            .unwrap_or(Value::Object(Default::default()));
        // All or none: a list of one such event to add to.
        let template = if self.route == Route::Transaction {
            Value::Array(vec![template])
        } else {
            template
        };
        let pretty = serde_json::to_string_pretty(&template).unwrap_or_else(|_| "{}".into());
        self.set_data(&pretty);
        self.template = Some(pretty);
    }

    /// A fresh correlation id (the field is cleared; one is made at send).
    pub fn new_correlation(&mut self) {
        set_text(&mut self.correlation, "", strings::CORRELATION_NEW);
    }

    /// Fills the form from a record, to send it again: to its own topic, or
    /// for a dead letter (on a DLQ topic, or with dead-letter headers of any
    /// family) to the original topic its headers name. The record's headers
    /// come along without the dead-letter ones, as a redrive sends them.
    /// Returns where the form now sends it and, for a dead letter, a note.
    pub fn fill_from(&mut self, e: &Entry, schemas: &dyn SchemaSource) -> Reinject {
        let decoded = e.record.decode_with(&self.topics, schemas);
        // A record written with a registry schema is sent with it again
        // (the version it names); any other as JSON.
        let spec = decoded
            .schema
            .as_ref()
            .filter(|_| decoded.error.is_none())
            .and_then(|r| Some(format!("{}:{}", r.subject.as_ref()?, r.version?)))
            .unwrap_or_default();
        set_text(&mut self.schema, &spec, strings::SCHEMA_NONE);
        self.schema_edited();
        let letter = crate::dlq::decode(&e.record.headers);
        let is_dead = letter.family.is_some() || self.topics.is_dlq(&e.record.topic);
        let original = if is_dead {
            letter.original_topic.clone()
        } else {
            None
        };
        let topic = original.clone().unwrap_or_else(|| e.record.topic.clone());
        let target = self
            .topics
            .context_for_topic(&topic)
            .filter(|c| self.topics.topic_for(c) == Some(topic.as_str()))
            .map_or_else(|| topic.clone(), str::to_string);
        set_text(&mut self.target, &target, "");
        let (headers, left_out) = carried_headers(&e.record);
        set_text(&mut self.headers, &headers, "source=eventdeck");
        self.reinjected = Some(Reinjected {
            target: target.clone(),
            dead_letter: is_dead,
        });
        let key = e.record.key_text().unwrap_or_default();
        set_text(&mut self.key, &key, strings::KEY_DEFAULT);
        let pretty = |data: &Value| serde_json::to_string_pretty(data).unwrap_or_default();
        let (ty, data) = match &decoded.decoded {
            Decoded::Envelope(env) => (env.event_type.clone(), pretty(&env.data)),
            Decoded::CloudEvent(ce) => (
                ce.event_type.clone(),
                pretty(ce.data.as_ref().unwrap_or(&Value::Null)),
            ),
            Decoded::Json(v) => (String::new(), pretty(v)),
            // Too deep for an event's data (a `Value`): its compact text, as
            // it is; sending it says why it cannot be sent.
            Decoded::DeepJson(deep) => (String::new(), deep.as_str().to_string()),
            Decoded::Raw(b) => (
                String::new(),
                pretty(&Value::String(String::from_utf8_lossy(b).into_owned())),
            ),
            Decoded::Tombstone => (String::new(), pretty(&Value::Null)),
        };
        set_text(&mut self.event_type, &ty, "");
        self.set_data(&data);
        // The record's data is not a template: another type keeps it.
        self.template = None;
        let corr = decoded.correlation_id().unwrap_or_default();
        set_text(&mut self.correlation, &corr, strings::CORRELATION_NEW);
        self.focus = Field::Data;
        self.set_editing(false);
        Reinject {
            topic,
            dead_letter: is_dead,
            original_known: original.is_some(),
            headers_left_out: left_out,
        }
    }

    /// The topic a send goes to now, as the form resolves its target.
    pub fn destination(&self) -> String {
        self.topics.resolve(self.target_text().trim())
    }

    /// What the target line says after the value: the topic it resolves to,
    /// a warning when that is a dead-letter topic, and where a re-injected
    /// record came from.
    fn destination_note(&self) -> (String, bool) {
        let topic = self.destination();
        let mut note = topic.clone();
        let warn = self.topics.is_dlq(&topic);
        if warn {
            note.push_str(strings::INJECT_TO_DLQ);
        }
        // A dead letter sent back where it came from (while the target is
        // the one the re-inject set).
        if !warn
            && self
                .reinjected
                .as_ref()
                .is_some_and(|r| r.dead_letter && r.target == self.target_text())
        {
            note.push_str(strings::INJECT_TO_ORIGINAL);
        }
        (note, warn)
    }

    /// Reuses a correlation id.
    pub fn reuse_correlation(&mut self, id: &str) {
        set_text(&mut self.correlation, id, strings::CORRELATION_NEW);
    }

    fn route_label(&self) -> &'static str {
        match (self.route, self.main_name) {
            (Route::Raw, _) => strings::ROUTE_RAW,
            (Route::Transaction, _) => strings::ROUTE_TRANSACTION,
            (Route::Main, "bridge") => strings::ROUTE_BRIDGE,
            (Route::Main, _) => strings::ROUTE_DIRECT,
        }
    }

    fn route_short(&self) -> &'static str {
        match (self.route, self.main_name) {
            (Route::Raw, _) => "raw",
            (Route::Transaction, _) => "txn",
            (Route::Main, "bridge") => "bridge",
            (Route::Main, _) => "direct",
        }
    }

    /// Builds the request from the form. No I/O. Errors are one line each.
    /// On the all-or-none route, the list's first event (see
    /// [`InjectState::build_all`]).
    pub fn build(&self) -> Result<PublishRequest, String> {
        let mut all = self.build_all()?;
        Ok(all.swap_remove(0))
    }

    /// Builds the form's requests: one, or on the all-or-none route one for
    /// each element of the data list, in order and sharing one correlation
    /// id (the field's, or a new one): one flow. No I/O; never empty.
    pub fn build_all(&self) -> Result<Vec<PublishRequest>, String> {
        if let Some(e) = &self.json_error {
            return Err(format!(
                "{} (line {}, column {}: {})",
                strings::SEND_DISABLED,
                e.line,
                e.column,
                e.message
            ));
        }
        let target = self.target_text().trim().to_string();
        if target.is_empty() {
            return Err(strings::INJECT_NO_TARGET.into());
        }
        let topic = self.topics.resolve(&target);
        let context = self.context();
        let event_type = text_of(&self.event_type).trim().to_string();
        if event_type.is_empty() {
            return Err(strings::INJECT_NO_TYPE.into());
        }
        let data: Value = serde_json::from_str(&self.data_text())
            .map_err(|e| format!("{}: {e}", strings::SEND_DISABLED))?;
        let corr = text_of(&self.correlation).trim().to_string();
        let mut correlation = if corr.is_empty() {
            None
        } else {
            Some(Uuid::parse_str(&corr).map_err(|e| strings::correlation_not_uuid(&corr, &e))?)
        };
        if self.route != Route::Transaction {
            return Ok(vec![self.event(
                &topic,
                &context,
                &event_type,
                data,
                correlation,
            )?]);
        }
        let items = events_of(data).map_err(str::to_string)?;
        correlation.get_or_insert_with(Uuid::new_v4);
        let many = items.len() > 1;
        items
            .into_iter()
            .enumerate()
            .map(|(i, data)| {
                self.event(&topic, &context, &event_type, data, correlation)
                    .map_err(|e| if many { format!("[{i}]: {e}") } else { e })
            })
            .collect()
    }

    /// One event of the form's, with this data.
    fn event(
        &self,
        topic: &str,
        context: &str,
        event_type: &str,
        data: Value,
        correlation: Option<Uuid>,
    ) -> Result<PublishRequest, String> {
        let topic = topic.to_string();
        let key = text_of(&self.key).trim().to_string();
        let key = (!key.is_empty()).then_some(key);
        let aggregate = key.clone().unwrap_or_else(|| Uuid::new_v4().to_string());
        let mut envelope = Envelope::new(context, event_type, aggregate, data);
        if let Some(id) = correlation {
            envelope = envelope.with_correlation_id(id);
        }
        let headers = text_of(&self.headers)
            .split([',', '\n'])
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(|h| match h.split_once('=') {
                Some((k, _)) if k.trim().is_empty() => Err(strings::inject_header_no_name(h)),
                Some((k, v)) => Ok((k.trim().to_string(), v.trim().to_string())),
                None => Err(strings::header_not_key_value(h)),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let value = match &self.schema_choice {
            SchemaChoice::None => None,
            SchemaChoice::Fetching(_) => return Err(strings::SCHEMA_STILL_FETCHING.into()),
            SchemaChoice::Failed { spec, why } => return Err(strings::schema_unusable(spec, why)),
            SchemaChoice::Ready { schema: w, .. } => {
                Some(w.encode_event(&envelope).map_err(|problems| {
                    let first = problems
                        .first()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    strings::schema_does_not_fit(
                        &w.label(),
                        &first,
                        problems.len().saturating_sub(1),
                    )
                })?)
            }
        };
        Ok(PublishRequest {
            topic,
            envelope,
            key,
            headers,
            value,
        })
    }

    /// Builds the request and records it in the history as in flight.
    pub fn begin_send(&mut self, now: &str) -> Result<SendRequest, String> {
        // `^S` while typing in the Schema field: what it says now decides
        // (a new schema is fetched first, and the send waits for it).
        if self.focus == Field::Schema {
            self.schema_edited();
        }
        let mut all = self.build_all()?;
        let also = all.split_off(1);
        let request = all.swap_remove(0);
        // A value written with a registry schema is sent straight to Kafka
        // (the bridge's outbox keeps envelopes).
        let route = if self.route == Route::Transaction {
            Route::Transaction
        } else if request.value.is_some() && self.has_raw {
            Route::Raw
        } else {
            self.route
        };
        let id = self.next_id;
        self.next_id += 1;
        self.history.push_back(Sent {
            id,
            time: now.to_string(),
            route: if route == self.route {
                self.route_short()
            } else {
                "raw"
            },
            topic: request.topic.clone(),
            event_type: if also.is_empty() {
                request.envelope.event_type.clone()
            } else {
                format!("{} ×{}", request.envelope.event_type, also.len() + 1)
            },
            outcome: None,
        });
        while self.history.len() > HISTORY_LEN {
            self.history.pop_front();
        }
        Ok(SendRequest {
            id,
            route,
            request,
            also,
        })
    }

    /// Records a send's outcome; returns its one-line description.
    pub fn finish(&mut self, id: u64, result: &Result<Published, PublishError>) -> String {
        let text = match result {
            Ok(Published::Delivered(d)) => Ok(strings::delivered(&d.topic, d.partition, d.offset)),
            Ok(Published::Queued { outbox_depth }) => Ok(strings::queued(*outbox_depth)),
            Err(e) => Err(e.to_string()),
        };
        self.record_outcome(id, text)
    }

    /// Records an all-or-none send's outcome; returns its one-line
    /// description.
    pub fn finish_txn(&mut self, id: u64, result: &Result<Committed, PublishError>) -> String {
        let text = match result {
            Ok(c) => Ok(strings::committed_txn(
                c.event_ids.len(),
                &c.transactional_id,
            )),
            Err(e) => Err(format!("nothing was published: {e}")),
        };
        self.record_outcome(id, text)
    }

    /// Puts a send's outcome on its history line; the line for the toast.
    fn record_outcome(&mut self, id: u64, text: Result<String, String>) -> String {
        let line = match &text {
            Ok(t) => format!("✓ {t}"),
            Err(e) => format!("✗ {e}"),
        };
        if let Some(s) = self.history.iter_mut().find(|s| s.id == id) {
            s.outcome = Some(text);
        }
        line
    }

    fn render_form(&self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        // Up to three lines of schema problems under the editor.
        let problem_rows = self.schema_problems.len().clamp(1, 3) as u16;
        let rows = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(problem_rows),
            Constraint::Length(1),
        ])
        .split(area);
        // rows[7] says where a send goes; it is not a field.
        self.field_rows.set([
            (rows[0].y, rows[0].height),
            (rows[1].y, rows[1].height),
            (rows[2].y, rows[2].height),
            (rows[3].y, rows[3].height),
            (rows[4].y, rows[4].height),
            (rows[5].y, rows[5].height),
            (rows[6].y, rows[6].height),
            (rows[8].y, rows[8].height),
        ]);
        let fields: [(Field, &str); 7] = [
            (Field::Route, strings::FIELD_ROUTE),
            (Field::Target, strings::FIELD_TARGET),
            (Field::Type, strings::FIELD_TYPE),
            (Field::Key, strings::FIELD_KEY),
            (Field::Headers, strings::FIELD_HEADERS),
            (Field::Correlation, strings::FIELD_CORRELATION),
            (Field::Schema, strings::FIELD_SCHEMA),
        ];
        for (i, (field, label)) in fields.into_iter().enumerate() {
            let row = rows[i];
            let focused = self.focus == field;
            let label_style = if focused {
                theme.strong()
            } else {
                theme.dimmed()
            };
            let marker = if focused { "▶ " } else { "  " };
            frame.render_widget(
                Paragraph::new(Line::styled(format!("{marker}{label}"), label_style)),
                Rect {
                    width: LABEL_WIDTH.min(row.width),
                    ..row
                },
            );
            let value_area = Rect {
                x: row.x + LABEL_WIDTH.min(row.width),
                width: row.width.saturating_sub(LABEL_WIDTH),
                ..row
            };
            if self.editing && focused {
                if let Some(t) = self.area(field) {
                    frame.render_widget(t, value_area);
                }
                continue;
            }
            let line = match field {
                Field::Route => Line::from(vec![
                    Span::styled("‹ ", theme.dimmed()),
                    Span::styled(self.route_label(), theme.text()),
                    Span::styled(" ›", theme.dimmed()),
                ]),
                Field::Target | Field::Type => {
                    let text = self.area(field).map(text_of).unwrap_or_default();
                    let color = if field == Field::Target {
                        theme.context_color(&self.context())
                    } else {
                        theme.fg
                    };
                    Line::from(vec![
                        Span::styled("‹ ", theme.dimmed()),
                        Span::styled(text, Style::new().fg(color)),
                        Span::styled(" ›", theme.dimmed()),
                    ])
                }
                Field::Schema => self.schema_line(theme),
                _ => {
                    let text = self.area(field).map(text_of).unwrap_or_default();
                    if text.is_empty() {
                        let ph = match field {
                            Field::Key => strings::KEY_DEFAULT,
                            Field::Correlation => strings::CORRELATION_NEW,
                            _ => "",
                        };
                        Line::styled(ph, theme.dimmed())
                    } else {
                        Line::styled(text, theme.text())
                    }
                }
            };
            let line = crate::tui::fit::line(line, usize::from(value_area.width));
            frame.render_widget(Paragraph::new(line), value_area);
        }
        self.render_destination(frame, rows[7], theme);
        // The JSON editor.
        let focused = self.focus == Field::Data;
        let border = if self.json_error.is_some() || self.list_error.is_some() {
            Style::new().fg(theme.error)
        } else if focused {
            Style::new().fg(theme.accent)
        } else {
            theme.dimmed()
        };
        let label = if self.route == Route::Transaction {
            strings::FIELD_DATA_LIST
        } else {
            strings::FIELD_DATA
        };
        let title = if focused {
            format!("▶ {label}")
        } else {
            label.to_string()
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(border)
            .title(title);
        let inner = block.inner(rows[8]);
        frame.render_widget(block, rows[8]);
        frame.render_widget(&self.data, inner);
        let width = usize::from(rows[9].width);
        let validation: Vec<Line<'_>> = match (&self.json_error, &self.schema_choice) {
            (Some(e), _) => vec![Line::styled(
                format!("✗ line {}, column {}: {}", e.line, e.column, e.message),
                Style::new().fg(theme.error),
            )],
            (None, _) if let Some(e) = self.list_error => {
                vec![Line::styled(format!("✗ {e}"), Style::new().fg(theme.error))]
            }
            (None, SchemaChoice::Ready { schema: w, .. }) if self.schema_problems.is_empty() => {
                vec![Line::styled(
                    strings::schema_fits(&w.label()),
                    Style::new().fg(theme.ok),
                )]
            }
            (None, SchemaChoice::Ready { .. }) => {
                let shown = usize::from(problem_rows);
                let more = self.schema_problems.len().saturating_sub(shown);
                self.schema_problems
                    .iter()
                    .take(shown)
                    .enumerate()
                    .map(|(i, p)| {
                        let tail = if i + 1 == shown && more > 0 {
                            format!("  (+{more} more)")
                        } else {
                            String::new()
                        };
                        Line::styled(format!("✗ {p}{tail}"), Style::new().fg(theme.error))
                    })
                    .collect()
            }
            (None, _) => vec![Line::styled(strings::JSON_OK, Style::new().fg(theme.ok))],
        };
        let validation: Vec<Line<'_>> = validation
            .into_iter()
            .map(|l| crate::tui::fit::line(l, width))
            .collect();
        frame.render_widget(Paragraph::new(validation), rows[9]);
        let result = match self.history.back() {
            None => Line::raw(""),
            Some(s) => match &s.outcome {
                None => Line::styled(strings::SENDING, Style::new().fg(theme.warn)),
                Some(Ok(t)) => Line::styled(
                    format!("✓ {} {} · {t}", s.event_type, s.route),
                    Style::new().fg(theme.ok),
                ),
                Some(Err(e)) => Line::styled(
                    format!("✗ {} · {e}", s.event_type),
                    Style::new().fg(theme.error),
                ),
            },
        };
        let result = crate::tui::fit::line(result, usize::from(rows[10].width));
        frame.render_widget(Paragraph::new(result), rows[10]);
    }

    /// The schema field's line: what it names and where that stands.
    fn schema_line(&self, theme: &Theme) -> Line<'static> {
        let text = text_of(&self.schema);
        if text.trim().is_empty() {
            return Line::styled(strings::SCHEMA_NONE, theme.dimmed());
        }
        let (note, style) = match &self.schema_choice {
            SchemaChoice::None => (String::new(), theme.dimmed()),
            SchemaChoice::Fetching(_) => (
                strings::SCHEMA_FETCHING.to_string(),
                Style::new().fg(theme.warn),
            ),
            SchemaChoice::Ready { schema: w, .. } => (
                strings::schema_ready(
                    w.version,
                    w.schema
                        .reference
                        .format
                        .map_or("?", crate::domain::schema::SchemaFormat::as_str),
                    w.id,
                    w.schema.wants_envelope(),
                ),
                Style::new().fg(theme.ok),
            ),
            SchemaChoice::Failed { why, .. } => (format!("✗ {why}"), Style::new().fg(theme.error)),
        };
        Line::from(vec![
            Span::styled(text, theme.text()),
            Span::raw("  "),
            Span::styled(note, style),
        ])
    }

    /// The "goes to" line: the topic a send goes to now, and where a
    /// re-injected record came from.
    fn render_destination(&self, frame: &mut Frame<'_>, row: Rect, theme: &Theme) {
        let (note, warn) = self.destination_note();
        let style = if warn {
            Style::new().fg(theme.warn)
        } else {
            theme.text()
        };
        let label_width = LABEL_WIDTH.min(row.width);
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("  {}", strings::FIELD_GOES_TO),
                theme.dimmed(),
            )),
            Rect {
                width: label_width,
                ..row
            },
        );
        let value = Rect {
            x: row.x + label_width,
            width: row.width - label_width,
            ..row
        };
        let note = clip(&note, usize::from(value.width));
        frame.render_widget(Paragraph::new(Line::styled(note, style)), value);
    }

    fn area(&self, f: Field) -> Option<&TextArea<'static>> {
        match f {
            Field::Route => None,
            Field::Target => Some(&self.target),
            Field::Type => Some(&self.event_type),
            Field::Key => Some(&self.key),
            Field::Headers => Some(&self.headers),
            Field::Correlation => Some(&self.correlation),
            Field::Schema => Some(&self.schema),
            Field::Data => Some(&self.data),
        }
    }

    fn render_history(&self, frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.dimmed())
            .title(strings::HISTORY);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if self.history.is_empty() {
            frame.render_widget(
                Paragraph::new(Line::styled(strings::HISTORY_EMPTY, theme.dimmed())),
                inner,
            );
            return;
        }
        let rows = usize::from(inner.height);
        let lines: Vec<Line<'_>> = self
            .history
            .iter()
            .rev()
            .take(rows)
            .map(|s| {
                let (mark, style) = match &s.outcome {
                    None => ("…", Style::new().fg(theme.warn)),
                    Some(Ok(_)) => ("✓", Style::new().fg(theme.ok)),
                    Some(Err(_)) => ("✗", Style::new().fg(theme.error)),
                };
                let detail = match &s.outcome {
                    Some(Ok(t)) => t.as_str(),
                    Some(Err(e)) => e.as_str(),
                    None => strings::SENDING,
                };
                crate::tui::fit::line(
                    Line::from(vec![
                        Span::styled(format!("{mark} "), style),
                        Span::styled(format!("{} ", s.time), theme.dimmed()),
                        Span::styled(format!("{} ", s.event_type), theme.text()),
                        Span::styled(format!("{} · {detail}", s.route), theme.dimmed()),
                    ]),
                    usize::from(inner.width),
                )
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

impl Pane for InjectState {
    fn title(&self) -> &'static str {
        strings::TAB_INJECT
    }

    fn mode(&self) -> Mode {
        if self.editing {
            Mode::Edit
        } else {
            Mode::Inject
        }
    }

    fn handle(&mut self, action: Action, cx: &mut Cx<'_>) {
        match action {
            Action::Back => self.set_editing(false),
            Action::NextField => self.move_focus(1),
            Action::PrevField => self.move_focus(-1),
            Action::Edit => self.set_editing(true),
            Action::PrevChoice | Action::NextChoice => {
                let delta = if action == Action::NextChoice { 1 } else { -1 };
                if let Some(notice) = self.choose(delta) {
                    cx.info(notice);
                }
            }
            Action::ClearField => self.clear_field(),
            Action::Template => self.load_template(),
            Action::Route => {
                if self.has_raw {
                    self.toggle_route();
                } else {
                    cx.info(strings::NO_RAW);
                }
            }
            Action::NewCorrelation => self.new_correlation(),
            Action::ReuseCorrelation => cx.effect(Effect::ReuseCorrelation),
            Action::Send => self.send(cx),
            _ => {}
        }
    }

    fn apply(&mut self, msg: WorkerMsg, cx: &mut Cx<'_>) -> Option<WorkerMsg> {
        let (id, result) = match msg {
            WorkerMsg::Published { id, result } => (id, result),
            WorkerMsg::CommittedTxn { id, result } => {
                cx.effect(Effect::AuditChanged);
                let line = self.finish_txn(id, &result);
                if result.is_err() {
                    cx.error(line);
                } else {
                    cx.info(line);
                }
                return None;
            }
            WorkerMsg::WriteSchema { spec, result } => {
                self.schema_fetched(&spec, result);
                return None;
            }
            other => return Some(other),
        };
        cx.effect(Effect::AuditChanged);
        let line = self.finish(id, &result);
        if result.is_err() {
            cx.error(line);
        } else {
            cx.info(line);
        }
        None
    }

    fn click(&mut self, m: MouseEvent, _cx: &mut Cx<'_>) -> bool {
        InjectState::click(self, m.row)
    }

    fn key(&mut self, ev: KeyEvent) {
        self.handle_key(ev);
    }

    fn paste(&mut self, text: &str) {
        self.handle_paste(text);
    }

    fn render(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let (form, history) = if area.width >= 110 {
            let cols = Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)])
                .split(area);
            (cols[0], cols[1])
        } else {
            let rows = Layout::vertical([Constraint::Min(12), Constraint::Length(5)]).split(area);
            (rows[0], rows[1])
        };
        self.render_form(frame, form, view.theme);
        self.render_history(frame, history, view.theme);
    }
}

impl InjectState {
    /// `s`: the form becomes a publish request for the runtime (after the
    /// read-only gate), or the toast says what is wrong with it.
    fn send(&mut self, cx: &mut Cx<'_>) {
        if !cx.gate(crate::audit::action::INJECT) {
            return;
        }
        if self.route != Route::Main && !self.has_raw {
            return cx.error(strings::NO_RAW);
        }
        let now = chrono::Utc::now().format("%H:%M:%S").to_string();
        match self.begin_send(&now) {
            Ok(req) => {
                self.set_editing(false);
                cx.command(Command::Publish(Box::new(req)));
            }
            Err(e) => cx.error(e),
        }
    }
}

/// The events of an all-or-none send: the elements of a non-empty array.
fn events_of(data: Value) -> Result<Vec<Value>, &'static str> {
    match data {
        Value::Array(items) if items.is_empty() => Err(strings::TXN_EMPTY_LIST),
        Value::Array(items) => Ok(items),
        _ => Err(strings::TXN_NEEDS_LIST),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn form() -> InjectState {
        let mut topics = TopicMap::default();
        topics.set_topic("debate", "debate.events");
        InjectState::new(topics, EventTypeRegistry::with_defaults(), "bridge", true)
    }

    #[test]
    fn template_fills_data_and_a_good_form_builds() {
        let f = form();
        assert!(f.json_error().is_none());
        let req = f.build().expect("builds");
        assert_eq!(req.topic, "debate.events");
        assert_eq!(req.envelope.context, "debate");
        assert!(!req.envelope.event_type.is_empty());
    }

    #[test]
    fn invalid_json_reports_line_and_column_and_blocks_send() {
        let mut f = form();
        f.set_data("{\n  \"a\": 1,\n  oops\n}");
        let e = f.json_error().expect("invalid");
        assert_eq!((e.line, e.column), (3, 3));
        assert!(f.build().is_err());
    }

    #[test]
    fn the_all_or_none_route_sends_each_element_of_a_list_as_one_flow() {
        let mut f = form();
        // Route: bridge → raw → all or none → bridge.
        f.toggle_route();
        assert_eq!(f.route, Route::Raw);
        f.toggle_route();
        assert_eq!(f.route, Route::Transaction);
        // The untouched template became a list of one event's data.
        assert_eq!(f.list_error, None);
        assert_eq!(f.build_all().expect("a list of one").len(), 1);
        f.set_data(r#"{"n": 1}"#);
        assert_eq!(f.list_error, Some(strings::TXN_NEEDS_LIST));
        assert_eq!(f.build().unwrap_err(), strings::TXN_NEEDS_LIST);
        f.set_data("[]");
        assert_eq!(f.build_all().unwrap_err(), strings::TXN_EMPTY_LIST);
        f.set_data(r#"[{"n": 1}, {"n": 2}, {"n": 3}]"#);
        assert_eq!(f.list_error, None);
        let all = f.build_all().expect("builds");
        assert_eq!(all.len(), 3);
        let data: Vec<&Value> = all.iter().map(|r| &r.envelope.data).collect();
        assert_eq!(data, [&json!({"n": 1}), &json!({"n": 2}), &json!({"n": 3})]);
        let flow = all[0].envelope.correlation_id.expect("a new flow");
        assert!(all.iter().all(|r| r.envelope.correlation_id == Some(flow)));
        let ids: std::collections::HashSet<_> = all.iter().map(|r| r.envelope.event_id).collect();
        assert_eq!(ids.len(), 3, "an event id each");
        // The send carries the whole list, in order, and the history names it.
        let sent = f.begin_send("12:00:00").expect("sends");
        assert_eq!(sent.route, Route::Transaction);
        assert_eq!(sent.request.envelope.data, json!({"n": 1}));
        assert_eq!(sent.also.len(), 2);
        assert_eq!(sent.also[1].envelope.data, json!({"n": 3}));
        let h = f.history().back().unwrap();
        assert_eq!(h.route, "txn");
        assert!(h.event_type.ends_with(" ×3"), "{}", h.event_type);
        // Back to one event: the same list is one event's data again.
        f.toggle_route();
        assert_eq!(f.route, Route::Main);
        assert_eq!(f.list_error, None);
        assert_eq!(f.build_all().expect("builds").len(), 1);
    }

    #[test]
    fn a_list_is_checked_against_the_schema_element_by_element() {
        let mut f = form();
        f.toggle_route();
        f.toggle_route();
        f.set_field(Field::Schema, "votes-value");
        f.schema_fetched("votes-value", Ok(votes_schema()));
        f.set_data(r#"[{"decision": "a", "votes": 1}, {"decision": "b", "votes": "many"}]"#);
        let problems = f.schema_problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].path.starts_with("[1]"), "{}", problems[0]);
        let refused = f.build_all().unwrap_err();
        assert!(refused.starts_with("[1]: "), "{refused}");
        f.set_data(r#"[{"decision": "a", "votes": 1}, {"decision": "b", "votes": 2}]"#);
        let all = f.build_all().expect("builds");
        assert!(
            all.iter().all(|r| r.value.is_some()),
            "each written with the schema"
        );
    }

    #[test]
    fn bad_correlation_and_headers_are_reported() {
        let mut f = form();
        f.set_field(Field::Correlation, "nope");
        assert!(f.build().unwrap_err().contains("not a UUID"));
        f.set_field(Field::Correlation, "");
        f.set_field(Field::Headers, "a=1, b");
        assert!(f.build().unwrap_err().contains("'b'"));
    }

    /// `votes-value:2`, an Avro record of `decision` (string) and `votes`
    /// (int), as the runtime hands it over.
    fn votes_schema() -> WriteSchema {
        use crate::domain::schema::{Schema, SchemaFormat, SchemaText};
        let text = SchemaText {
            id: 41,
            format: SchemaFormat::Avro,
            text: r#"{"type": "record", "name": "Vote", "fields": [
                {"name": "decision", "type": "string"}, {"name": "votes", "type": "int"}]}"#
                .into(),
            references: vec![],
            subjects: vec![("votes-value".into(), 2)],
        };
        WriteSchema {
            subject: "votes-value".into(),
            version: 2,
            id: 41,
            schema: std::sync::Arc::new(Schema::parse(&text).unwrap()),
        }
    }

    #[test]
    fn a_schema_is_fetched_once_then_the_data_is_checked_against_it_and_written_with_it() {
        let mut f = form();
        f.set_field(Field::Schema, "votes-value");
        assert_eq!(f.take_schema_request().as_deref(), Some("votes-value"));
        assert_eq!(f.take_schema_request(), None, "asked once");
        assert_eq!(f.build().unwrap_err(), strings::SCHEMA_STILL_FETCHING);
        // An answer for a schema the form no longer names is ignored.
        f.schema_fetched("other-value", Ok(votes_schema()));
        assert!(matches!(f.schema_choice, SchemaChoice::Fetching(_)));
        f.schema_fetched("votes-value", Ok(votes_schema()));
        f.set_data(r#"{"decision": "adopt"}"#);
        let problems: Vec<String> = f
            .schema_problems()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(problems, ["missing field `votes` (int)"]);
        let refused = f.build().unwrap_err();
        assert!(
            refused
                .contains("does not fit votes-value:2 (avro, id 41): missing field `votes` (int)"),
            "{refused}"
        );
        f.set_data(r#"{"decision": "adopt", "votes": 3}"#);
        assert!(f.schema_problems().is_empty());
        let sent = f.begin_send("10:00:00").expect("builds");
        assert_eq!(
            sent.route,
            Route::Raw,
            "a schema record goes straight to Kafka"
        );
        let value = sent.request.value.expect("written with the schema");
        assert_eq!(&value[..5], &[0, 0, 0, 0, 41], "Confluent framing, id 41");
        assert_eq!(
            votes_schema().schema.decode(&value[5..]).unwrap(),
            serde_json::json!({"decision": "adopt", "votes": 3})
        );
        // Naming what the form has (its latest was version 2) asks nothing.
        f.set_field(Field::Schema, "votes-value:2");
        assert_eq!(f.take_schema_request(), None);
        // `^S` while the field is being typed in: what it says now decides.
        f.focus = Field::Schema;
        set_text(&mut f.schema, "other-value", strings::SCHEMA_NONE);
        assert_eq!(
            f.begin_send("10:00:01").unwrap_err(),
            strings::SCHEMA_STILL_FETCHING
        );
        assert_eq!(f.take_schema_request().as_deref(), Some("other-value"));
        // Emptied: JSON again.
        f.set_field(Field::Schema, "");
        assert!(f.build().expect("builds").value.is_none());
    }

    #[test]
    fn a_schema_that_cannot_be_had_blocks_the_send_with_the_reason() {
        let mut f = form();
        f.set_field(Field::Schema, "nope-value");
        f.schema_fetched(
            "nope-value",
            Err("the schema registry has no subject nope-value".into()),
        );
        let refused = f.build().unwrap_err();
        assert!(
            refused.contains("schema nope-value: the schema registry has no subject"),
            "{refused}"
        );
    }
}
