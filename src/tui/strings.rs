//! Every text the console shows: titles, hints, placeholders and error wording.

use super::action::Action;

/// The app's name in the header.
pub const APP: &str = "eventdeck";
/// Tab titles, in tab order.
pub const TAB_STREAMS: &str = "Streams";
/// Lag tab title.
pub const TAB_LAG: &str = "Lag";
/// DLQ tab title.
pub const TAB_DLQ: &str = "DLQ";
/// Flows tab title.
pub const TAB_FLOWS: &str = "Flows";
/// Inject tab title.
pub const TAB_INJECT: &str = "Inject";

/// What the Lag pane says until it is built.
pub const LAG_PLACEHOLDER: &str = "Consumer lag arrives with the next release (eventdeck lag): \
     per group and partition, lag in messages and seconds, OK/WARN/STALL/STOP.";
/// What the DLQ pane says until it is built.
pub const DLQ_PLACEHOLDER: &str = "Dead-letter queues arrive with the next release (eventdeck dlq): \
     failed records with their error headers, and redrive.";
/// What the Flows pane says until it is built.
pub const FLOWS_PLACEHOLDER: &str = "Flows between bounded contexts arrive with the next release: \
     the causation graph built from what is observed on the wire.";
/// The Flows graph's title.
pub const FLOWS_TITLE: &str = "Flows between contexts";
/// The Flows edge table's title.
pub const FLOWS_EDGES_TITLE: &str = " Edges (enter: show in Streams) ";
/// Column titles of the Flows edge table.
pub const FLOWS_COLUMNS: [&str; 5] = [" from → to", "event types", "count", "rate", "DLQ"];
/// Shown while no edge has been observed.
pub const FLOWS_EMPTY: &str = "No causation observed yet: an edge A → B appears when an event \
     of B names an event of A as its cause (causation_id).";
/// Toast when Enter is pressed without an edge.
pub const FLOWS_NO_EDGE: &str = "No edge selected";
/// The trace's title.
pub const TRACE_TITLE: &str = "Trace of correlation";
/// Under the trace.
pub const TRACE_FOOTER: &str = " esc back · j/k scroll ";
/// A trace with no event remembered.
pub const TRACE_EMPTY: &str = "No event with this correlation id is remembered.";
/// Marks the event the trace was opened from.
pub const TRACE_FOCUS: &str = "◀ selected";
/// The selected record has no correlation id.
pub const TRACE_NO_CORRELATION: &str = "This record has no correlation id to trace";
/// The replay popup's title.
pub const REPLAY_TITLE: &str = " Replay ";
/// The palette's replay syntax.
pub const REPLAY_USAGE: &str =
    "replay ctx=C|topic=T from=TIME|-15m [to=TIME] to-topic=T|to-handlers [rate=N]";
/// While the range is read.
pub const REPLAY_PLANNING: &str = "Reading the range (dry run):";
/// An empty range.
pub const REPLAY_NOTHING: &str = "Nothing in this range to replay (esc closes).";
/// Before the outcome.
pub const REPLAY_DONE: &str = "Replayed:";
/// Before an error.
pub const REPLAY_FAILED: &str = "Replay failed:";
/// The popup closed while a replay runs.
pub const REPLAY_BACKGROUND: &str = "The replay goes on; its outcome will show here";
/// Read-only refusal.
pub const REPLAY_READ_ONLY: &str = "Read-only mode: replay is refused";
/// No local handlers in this console.
pub const REPLAY_NO_HANDLERS: &str = "No local handlers run in this console (the demo has them); \
     use `eventdeck replay --to-handlers` or to-topic=";
/// Said under each placeholder.
pub const PLACEHOLDER_HINT: &str =
    "Meanwhile: 1 Streams shows every context topic live; 5 Inject sends events.";

/// Connection states in the header.
pub const CONN_CONNECTING: &str = "connecting";
/// Connected.
pub const CONN_CONNECTED: &str = "connected";
/// Disconnected; the client keeps retrying.
pub const CONN_DISCONNECTED: &str = "disconnected, reconnecting";
/// Read-only badge.
pub const READ_ONLY: &str = "READ-ONLY";

/// Shown in an empty Streams list.
pub const STREAMS_EMPTY: &str = "No records yet. Waiting for new records on the topics above \
     (b re-reads from the beginning, o seeks to an offset or time).";
/// Shown when the filter hides everything.
pub const STREAMS_NO_MATCH: &str = "No record matches the filter (esc clears it).";
/// Column titles of the Streams list.
pub const STREAMS_COLUMNS: [&str; 6] = ["time", "context", "type", "key", "p@off", "summary"];
/// A stream whose topic does not exist (it retries).
pub const STREAM_MISSING: &str = "no such topic";
/// A stream that failed otherwise and retries.
pub const STREAM_RETRYING: &str = "retrying";
/// Filter prompt.
pub const FILTER_PROMPT: &str = "filter: ";
/// Filter syntax help shown while typing.
pub const FILTER_HELP: &str =
    "free text over key, value, headers · type:T ctx:C corr:ID key:K topic:T";
/// Palette prompt.
pub const PALETTE_PROMPT: &str = ":";
/// Palette help.
pub const PALETTE_HELP: &str = "seek beginning|end|OFFSET|-N|TIME · filter EXPR · replay ctx=C from=T to-topic=T|to-handlers · theme dark|light · tab NAME · export · any action name";

/// Detail view section titles.
pub const DETAIL_TITLE: &str = "Record";
/// Headers section.
pub const DETAIL_HEADERS: &str = "Headers";
/// Event section.
pub const DETAIL_EVENT: &str = "Event";
/// Raw section.
pub const DETAIL_RAW: &str = "Raw value";
/// Decode error label.
pub const DETAIL_DECODE_ERROR: &str = "Decode error";

/// Inject form labels.
pub const FIELD_ROUTE: &str = "Send";
/// Target field label.
pub const FIELD_TARGET: &str = "Context / topic";
/// Type field label.
pub const FIELD_TYPE: &str = "Event type";
/// Key field label.
pub const FIELD_KEY: &str = "Key";
/// Headers field label.
pub const FIELD_HEADERS: &str = "Headers (k=v, …)";
/// Correlation field label.
pub const FIELD_CORRELATION: &str = "Correlation id";
/// Data field label.
pub const FIELD_DATA: &str = "data (JSON)";
/// Placeholder of an empty correlation field.
pub const CORRELATION_NEW: &str = "(new)";
/// Placeholder of an empty key field.
pub const KEY_DEFAULT: &str = "(the aggregate id: a new UUID)";
/// Route names.
pub const ROUTE_BRIDGE: &str = "via bridge (local handlers and reactions run)";
/// Direct route when the main publisher is not the bridge.
pub const ROUTE_DIRECT: &str = "to Kafka (direct)";
/// Raw route.
pub const ROUTE_RAW: &str = "raw to the topic (no handlers)";
/// Valid JSON marker.
pub const JSON_OK: &str = "✓ valid JSON";
/// History title.
pub const HISTORY: &str = "Sent";
/// History when empty.
pub const HISTORY_EMPTY: &str = "Nothing sent yet.";
/// Sending in progress.
pub const SENDING: &str = "sending…";

/// Toasts.
pub const SEND_DISABLED: &str = "Not sent: the data is not valid JSON";
/// Read-only refusal.
pub const READ_ONLY_REFUSED: &str = "Read-only mode: sending events is refused";
/// Nothing selected.
pub const NOTHING_SELECTED: &str = "No record selected";
/// No scenario.
pub const NO_SCENARIO: &str = "No scenario runs here (+/- adjust the demo's rate)";
/// Copied.
pub const COPIED: &str = "Copied the record to the clipboard (OSC 52)";
/// No raw publisher.
pub const NO_RAW: &str = "Raw sends are not available here";

/// One line saying what an action does, for the help overlay.
pub fn describe(action: Action) -> &'static str {
    match action {
        Action::Quit => "quit",
        Action::Help => "help",
        Action::Palette => "command palette",
        Action::TabStreams => "Streams tab",
        Action::TabLag => "Lag tab",
        Action::TabDlq => "DLQ tab",
        Action::TabFlows => "Flows tab",
        Action::TabInject => "Inject tab",
        Action::NextTab => "next tab",
        Action::PrevTab => "previous tab",
        Action::Theme => "dark/light theme",
        Action::RateUp => "scenario faster",
        Action::RateDown => "scenario slower",
        Action::Up => "up",
        Action::Down => "down",
        Action::PageUp => "page up",
        Action::PageDown => "page down",
        Action::Top => "oldest kept",
        Action::Bottom => "newest, follow",
        Action::Pause => "pause/resume",
        Action::Follow => "follow",
        Action::Filter => "filter",
        Action::ClearFilter => "clear filter",
        Action::SeekBeginning => "from beginning",
        Action::SeekEnd => "from end",
        Action::Seek => "seek offset/time",
        Action::Open => "open",
        Action::Back => "back",
        Action::Copy => "copy (OSC 52)",
        Action::Export => "export JSON lines",
        Action::Reinject => "re-inject",
        Action::NextField => "next field",
        Action::PrevField => "previous field",
        Action::Edit => "edit field",
        Action::PrevChoice => "previous choice",
        Action::NextChoice => "next choice",
        Action::Send => "send",
        Action::Route => "bridge/raw",
        Action::NewCorrelation => "new correlation id",
        Action::ReuseCorrelation => "reuse selected record's correlation",
        Action::Confirm => "apply",
        Action::ShowInStreams => "show the edge in Streams",
        Action::Trace => "trace correlation",
        Action::RunReplay => "run the replay",
    }
}

/// A short label for the hint bar.
pub fn hint(action: Action) -> &'static str {
    match action {
        Action::ReuseCorrelation => "reuse corr",
        Action::NewCorrelation => "new corr",
        Action::SeekBeginning => "beginning",
        Action::SeekEnd => "end",
        Action::Seek => "seek",
        Action::Palette => "cmd",
        Action::NextChoice => "choose",
        Action::ShowInStreams => "show in Streams",
        Action::Trace => "trace",
        Action::RunReplay => "replay",
        other => describe(other),
    }
}
