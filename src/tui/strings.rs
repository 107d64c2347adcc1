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

/// The toast when Flows shows an edge's effects in Streams.
pub fn flows_show_in_streams(from: &str, to: &str, filter: &str) -> String {
    format!("Streams: effects of {from} → {to} ({filter})")
}
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
/// Between the fields of the header's status text (the bridge's figures): the
/// header drops them whole, from the last, when the screen is narrow.
pub const STATUS_SEPARATOR: &str = " · ";
/// Read-only badge.
pub const READ_ONLY: &str = "READ-ONLY";

/// Shown in an empty Streams list.
pub const STREAMS_EMPTY: &str = "No records yet. Waiting for new records on the topics above \
     (b re-reads from the beginning, o seeks to an offset or time).";
/// Shown when the filter hides everything.
pub const STREAMS_NO_MATCH: &str = "No record matches the filter (esc clears it).";
/// Column titles of the Streams list.
pub const STREAMS_COLUMNS: [&str; 6] = ["time", "context", "type", "key", "p@off", "summary"];
/// The end of the stream bar when a narrow screen leaves topics out.
pub fn streams_not_shown(n: usize) -> String {
    format!(" · +{n} more")
}
/// A stream whose topic does not exist (it retries).
pub const STREAM_MISSING: &str = "no such topic (:topic init creates it)";
/// The status line when no cluster was named and the default is not there.
pub fn no_cluster(tried: &str) -> String {
    format!(
        "No cluster configured (tried {tried}): `eventdeck demo` runs one built in; \
         or --brokers HOST:PORT, KAFKA_BOOTSTRAP_SERVERS, or a profile in the config file"
    )
}

/// The palette's `topic init` confirm dialog.
pub const INIT_TOPICS_TITLE: &str = "Create the context topics";
/// What `topic init` does.
pub const INIT_TOPICS_WHAT: &str =
    "Creates each of these topics that does not exist yet (the others stay as they are):";
/// With what settings.
pub const INIT_TOPICS_HOW: &str = "3 partitions each, replication factor 3 (or one per broker when there are fewer), as `eventdeck topics init` does.";
/// Said when the order changes.
pub const STREAMS_ORDER: &str = "Streams ordered";
/// The mark before an aborted record's event type in the Streams list.
pub const TXN_ABORTED_MARK: &str = "✗ ";
/// The mark before the type of a record whose transaction is still open.
pub const TXN_OPEN_MARK: &str = "… ";
/// The record view's line for a record of an aborted transaction.
pub const DETAIL_TXN_ABORTED: &str =
    "ABORTED: its transaction was aborted; read_committed readers never see it";
/// The record view's line for a record whose transaction was still open.
pub const DETAIL_TXN_OPEN: &str = "transaction still open when read (read_uncommitted)";
/// The record view's label before each field a data policy hid.
pub const DETAIL_MASKED: &str = "masked";
/// The header badge while `--unmask` has turned the data policies off.
pub const UNMASKED_BADGE: &str = " UNMASKED ";

/// Re-inject refused for a record a data policy masks: its form would carry
/// `***` (or, filled from the original, the hidden values on screen);
/// `forbidden` when one of the policies says `no_reinject`.
pub fn reinject_masked(policies: &[&str], forbidden: bool) -> String {
    if forbidden {
        return format!(
            "re-inject refused: policy {} hides fields of this record and forbids re-injecting it (no_reinject)",
            policies.join(", ")
        );
    }
    format!(
        "re-inject refused: policy {} hides fields of this record, and its form would show `***` in their place",
        policies.join(", ")
    )
}

/// The re-inject dialog's title for a record the policies hide part of.
pub const REINJECT_ORIGINAL_TITLE: &str = "Re-inject the original bytes";

/// What the re-inject dialog says it will do: `from` sent to `to` as read,
/// the fields `policies` hide still hidden here.
pub fn reinject_original_lines(
    from: &str,
    to: &str,
    policies: &[&str],
    hidden: usize,
) -> Vec<String> {
    vec![
        format!("{from} → {to}, sent as read: key, value, headers"),
        "(dead-letter headers left out); nothing goes into the Inject form.".to_string(),
        format!(
            "{hidden} hidden field(s) stay hidden (policy {}).",
            policies.join(", ")
        ),
    ]
}

/// The toast once the original bytes of a record were sent again.
pub fn reinjected_original(from: &str, to: &str, partition: i32, offset: i64) -> String {
    format!("Re-injected {from} as read to {to}[{partition}]@{offset}")
}

/// The toast after switching the isolation level.
pub fn reading_at(level: &str) -> String {
    format!("Reading every stream again at {level}")
}
/// The stream bar while the list is ordered by record time.
pub const STREAMS_BY_TIME: &str = "by time";
/// The stream bar while the list is in arrival order.
pub const STREAMS_BY_ARRIVAL: &str = "by arrival";
/// A stream that failed otherwise and retries.
pub const STREAM_RETRYING: &str = "retrying";
/// Filter prompt.
pub const FILTER_PROMPT: &str = "filter: ";
/// The Streams bar when the filter names a field there is not.
pub fn filter_unknown_fields(fields: &[String]) -> String {
    format!(
        "unknown filter field {}: use type: ctx: corr: key: topic: or free text",
        fields
            .iter()
            .map(|f| format!("'{f}:'"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
/// Filter syntax help shown while typing.
pub const FILTER_HELP: &str =
    "free text over key, value, headers · type:T ctx:C corr:ID key:K topic:T";
/// Palette prompt.
pub const PALETTE_PROMPT: &str = ":";
/// Palette help.
pub const PALETTE_HELP: &str = "seek beginning|end|OFFSET|-N|TIME · filter EXPR · replay ctx=C from=T to-topic=T|to-handlers · topic … · reset … · group delete … · audit · theme dark|light · tab NAME · export · any action name";

/// Detail view section titles.
pub const DETAIL_TITLE: &str = "Record";
/// Headers section.
pub const DETAIL_HEADERS: &str = "Headers";
/// Event section.
pub const DETAIL_EVENT: &str = "Event";
/// After [`DETAIL_EVENT`] for JSON nested deeper than a tree is built for.
pub fn detail_deep_json(depth: usize) -> String {
    format!(
        "  nested {depth} levels; indentation stops at level {}",
        crate::tui::json::DEEP_INDENT_LEVELS
    )
}
/// Raw section.
pub const DETAIL_RAW: &str = "Raw value";
/// Decode error label.
pub const DETAIL_DECODE_ERROR: &str = "Decode error";
/// Record view: the registry schema the value names (id, subject, …).
pub const DETAIL_SCHEMA: &str = "schema";
/// Record view: the registry schema the key names.
pub const DETAIL_KEY_SCHEMA: &str = "key schema";
/// Record view: the key as its schema decoded it.
pub const DETAIL_KEY_DECODED: &str = "key";
/// Record view: why the key did not decode with its schema.
pub const DETAIL_KEY_ERROR: &str = "Key decode error";
/// Record view: an event read from a schema record, its value as decoded.
pub const DETAIL_SCHEMA_VALUE: &str = "Value, as its schema decodes it";
/// Toast: the configured schema registry cannot be used (bad CA file, …).
pub fn schema_registry_unusable(e: &str) -> String {
    format!("schema registry: {e} (schema records show raw)")
}
/// Inject: the label of the line saying where a send goes.
pub const FIELD_GOES_TO: &str = "Goes to";

/// Inject: the target resolves to a dead-letter topic.
pub const INJECT_TO_DLQ: &str = " (a dead-letter topic)";

/// Inject: after the topic a re-injected dead letter goes to (the toast
/// names the dead letter).
pub const INJECT_TO_ORIGINAL: &str = " · the dead letter's original";

/// Toast after `r`: what the form was filled from and where it sends.
/// `original` is the original topic of a dead letter when its headers name
/// one (`None` for a dead letter that does not), `dead_letter` false for any
/// other record.
pub fn reinject_filled(
    event_type: &str,
    from: &str,
    dead_letter: bool,
    original: Option<&str>,
    headers_left_out: usize,
) -> String {
    let mut text = match (dead_letter, original) {
        (true, Some(topic)) => {
            format!("Dead letter {from} → its original topic {topic}: edit, then send")
        }
        (true, None) => format!("Dead letter {from} names no original topic: say where it goes"),
        (false, _) => format!("Re-inject {event_type} from {from}: edit, then send"),
    };
    if headers_left_out > 0 {
        text.push_str(&format!(
            " ({headers_left_out} header(s) left out: not one-line text)"
        ));
    }
    text
}

/// An id or context the event does not carry (never made up from another).
pub const DETAIL_NONE: &str = "none";

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
/// All-or-none route: the data field's list in one Kafka transaction.
pub const ROUTE_TRANSACTION: &str = "all or none: a list in one Kafka transaction";
/// The data field's label on the all-or-none route.
pub const FIELD_DATA_LIST: &str = "data (JSON array: one event's data per element)";
/// An all-or-none send whose data is not a list of events.
pub const TXN_NEEDS_LIST: &str =
    "Send disabled: all or none sends a JSON array, one element per event's data";
/// An all-or-none send with an empty list.
pub const TXN_EMPTY_LIST: &str = "Send disabled: the array is empty (one element per event)";
/// Valid JSON marker.
pub const JSON_OK: &str = "✓ valid JSON";
/// Label of the inject form's schema field.
pub const FIELD_SCHEMA: &str = "Schema";
/// The schema field when empty: the value is written as JSON.
pub const SCHEMA_NONE: &str = "none: JSON (or SUBJECT[:VERSION])";
/// While the form's schema is being fetched.
pub const SCHEMA_FETCHING: &str = "fetching the schema…";
/// A send while the form's schema is still being fetched.
pub const SCHEMA_STILL_FETCHING: &str = "The schema is still being fetched; send again in a moment";
/// A schema field without a registry to fetch from.
pub const NO_SCHEMA_REGISTRY: &str = "no schema registry is configured: start eventdeck with --schema-registry URL (or SCHEMA_REGISTRY_URL)";

/// What the schema field says once the schema is there.
pub fn schema_ready(version: u32, format: &str, id: u32, whole_envelope: bool) -> String {
    let what = if whole_envelope {
        "writes the envelope"
    } else {
        "writes data"
    };
    format!("✓ v{version} {format} id {id} · {what}")
}

/// The validation line when the data fits the schema.
pub fn schema_fits(label: &str) -> String {
    format!("✓ valid JSON, fits {label}")
}

/// A send refused because the data does not fit the schema.
pub fn schema_does_not_fit(label: &str, first: &str, more: usize) -> String {
    if more == 0 {
        format!("Send disabled: the data does not fit {label}: {first}")
    } else {
        format!("Send disabled: the data does not fit {label}: {first} (and {more} more)")
    }
}

/// A send refused because the schema could not be had.
pub fn schema_unusable(spec: &str, why: &str) -> String {
    format!("Send disabled: schema {spec}: {why}")
}
/// History title.
pub const HISTORY: &str = "Sent";
/// History when empty.
pub const HISTORY_EMPTY: &str = "Nothing sent yet.";
/// Sending in progress.
pub const SENDING: &str = "sending…";

/// Toast: another event type was chosen but `data` was edited, so it stays.
pub fn inject_data_kept(event_type: &str) -> String {
    format!("Your edited data is kept; t puts the {event_type} template in its place")
}

/// A header with nothing before the `=`.
pub fn inject_header_no_name(h: &str) -> String {
    format!("Not sent: header '{h}' has no name (write name=value)")
}

/// Toasts.
pub const SEND_DISABLED: &str = "Not sent: the data is not valid JSON";
/// Nothing selected.
pub const NOTHING_SELECTED: &str = "No record selected";
/// No scenario.
pub const NO_SCENARIO: &str = "No scenario runs here (+/- adjust the demo's rate)";
/// Copied.
pub const COPIED: &str = "Copied the record to the clipboard (OSC 52)";
/// No raw publisher.
pub const NO_RAW: &str = "Raw sends are not available here";

/// Lag pane: group list column titles, in [`crate::tui::panes::lag::SortColumn`] order.
pub const LAG_COLUMNS: [&str; 9] = [
    "GROUP",
    "TYPE",
    "STATE",
    "MEMBERS",
    "TOTAL LAG",
    "MAX LAG",
    "LAG (s)",
    "STATUS",
    "DRAIN",
];
/// The same, for narrow screens.
pub const LAG_COLUMNS_SHORT: [&str; 9] = [
    "GROUP", "TYPE", "STATE", "MBRS", "TOTAL", "MAX", "LAG s", "STATUS", "DRAIN",
];
/// Lag pane: the trend column.
pub const LAG_TREND: &str = "TREND";
/// Lag pane: partition columns, as `kafka-consumer-groups --describe` names them.
pub const LAG_PARTITION_COLUMNS: [&str; 9] = [
    "TOPIC",
    "PART",
    "CURRENT-OFFSET",
    "LOG-END-OFFSET",
    "LAG",
    "LAG (s)",
    "CONSUMER-ID",
    "HOST",
    "CLIENT-ID",
];
/// The same, for narrow screens.
pub const LAG_PARTITION_COLUMNS_SHORT: [&str; 9] = [
    "TOPIC", "PART", "CURRENT", "LOG-END", "LAG", "LAG (s)", "CONSUMER", "HOST", "CLIENT",
];
/// Lag pane: a poll answered with no group.
pub const LAG_EMPTY: &str = "No consumer groups on this cluster yet. Groups appear here \
     once a consumer joins or commits.";
/// Lag pane: the drilled group is gone from the last poll.
pub const LAG_GROUP_GONE: &str = "This group has no partitions in the last poll (esc goes back).";

/// Lag pane title over the group list.
pub fn lag_title(groups: usize, interval_ms: u64) -> String {
    format!(
        " Consumer lag · {groups} group(s) · polled every {} ",
        duration(Some(interval_ms as f64 / 1000.0))
    )
}

/// Lag pane title over one group.
pub fn lag_group_title(group: &str) -> String {
    format!(" Consumer lag › {group} (esc: back to groups) ")
}

/// The line above a group's partitions.
pub fn lag_group_summary(g: &crate::lag::GroupLag) -> String {
    let dash = |v: Option<i64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
    format!(
        "state {} · {} member(s) · total lag {} · max lag {} · lag {} · drain {} · status ",
        g.state,
        g.members,
        dash(g.total_lag),
        dash(g.max_lag),
        age(g.lag_seconds, g.lag_seconds_source),
        duration(g.drain_seconds),
    )
}

/// Before the first poll answered.
pub fn lag_waiting(interval_ms: u64) -> String {
    format!(
        "Polling consumer groups (every {})… lag in seconds needs two polls.",
        duration(Some(interval_ms as f64 / 1000.0))
    )
}

/// A failed poll.
pub fn lag_error(e: &str) -> String {
    format!("✗ lag poll failed: {e} (retrying; last figures kept)")
}

/// A partition whose committed offset is below the log start.
pub fn lag_deleted_unread(topic: &str, partition: i32, n: i64) -> String {
    format!("{topic}[{partition}]: {n} records deleted by retention before this group read them")
}

/// After the LAG of a partition whose whole lag is transaction markers.
pub const LAG_MARKERS_MARK: &str = "(markers)";

/// The drill-down's note on partitions whose whole lag is transaction markers.
pub fn lag_txn_markers(n: i64, partitions: usize) -> String {
    let s = if n == 1 { "" } else { "s" };
    let ps = if partitions == 1 { "" } else { "s" };
    format!(
        "{n} transaction marker{s} on {partitions} partition{ps} marked (markers): \
         nothing left to read there; LAG counts them, as kafka-consumer-groups does"
    )
}

/// Lag pane: Enter with no group.
pub const LAG_NOTHING_SELECTED: &str = "No group selected";
/// DLQ: the dead letter names no original record.
pub const NO_ORIGINAL: &str = "This dead letter does not say where the original record is";

/// DLQ pane: cause list columns.
pub const DLQ_CAUSE_COLUMNS: [&str; 5] = ["COUNT", "ERROR KIND", "MESSAGE", "DLQ TOPIC", "FAMILY"];
/// DLQ pane: record list columns.
pub const DLQ_RECORD_COLUMNS: [&str; 7] = [
    "",
    "P@OFFSET",
    "ORIGINAL",
    "KEY",
    "HANDLER/GROUP",
    "TRY",
    "FAILED AT",
];
/// DLQ pane: the filter hides every dead letter.
pub const DLQ_NO_MATCH: &str = "No dead letter matches the filter (esc clears it).";
/// DLQ detail: the value section.
pub const DLQ_VALUE: &str = "Value";
/// DLQ detail: no stack trace header.
pub const DLQ_NO_STACK: &str = "Stack trace: none in the headers";
/// Toast: `t` on a dead letter whose headers carry no stack trace.
pub const DLQ_NO_STACK_TO_TOGGLE: &str = "This dead letter has no stack trace in its headers";
/// Marks a dead letter redriven from this console.
pub const DLQ_REDRIVEN_MARK: &str = "↻";
/// Redrive dialog titles.
pub const REDRIVE_PREVIEW_TITLE: &str = " Redrive: dry run (nothing sent yet) ";
/// While sending.
pub const REDRIVE_RUNNING_TITLE: &str = " Redrive: sending ";
/// The outcome.
pub const REDRIVE_DONE_TITLE: &str = " Redrive: done ";
/// Read-only warning inside the preview.
pub const REDRIVE_READ_ONLY_NOTE: &str =
    "READ-ONLY session: confirming will be refused (nothing is sent).";
/// A preview with nothing to send.
pub const REDRIVE_NOTHING: &str = "Nothing can be redriven (esc closes).";
/// Preview keys.
pub const REDRIVE_CONFIRM_KEYS: &str = "y / enter: redrive now    n / esc: cancel";
/// Running keys.
pub const REDRIVE_RUNNING_KEYS: &str =
    "esc hides this dialog; the redrive goes on (progress in the title)";
/// Outcome keys.
pub const REDRIVE_CLOSE_KEYS: &str = "enter / esc: close";
/// Outcome: audited.
pub const REDRIVE_AUDITED: &str = "Audit entry written (audit.jsonl in the data dir).";
/// Toast: nothing to redrive.
pub const REDRIVE_NONE: &str =
    "Nothing to redrive here (select a record, mark some with space, or A for all matching)";

/// DLQ pane title over the causes.
pub fn dlq_title(records: usize, topics: &[String], filter: &str, matching: usize) -> String {
    let topics = match topics.len() {
        0 => "no DLQ topic yet".to_string(),
        1 | 2 => topics.join(", "),
        n => format!("{n} DLQ topics"),
    };
    if filter.is_empty() {
        format!(" Dead letters · {records} in {topics} ")
    } else {
        format!(" Dead letters · {matching} of {records} match '{filter}' · {topics} ")
    }
}

/// DLQ pane title over one cause.
pub fn dlq_cause_title(kind: &str, n: usize, marked: usize, redriven: usize) -> String {
    if redriven == 0 {
        return format!(" Dead letters › {kind} · {n} record(s) · {marked} marked ");
    }
    format!(
        " Dead letters › {kind} · {n} record(s) · {marked} marked · {redriven} redriven ({DLQ_REDRIVEN_MARK}) "
    )
}

/// DLQ detail: the record was redriven from this console.
pub const DLQ_REDRIVEN: &str = "redriven from this console to its original topic";

/// DLQ pane: nothing yet.
pub fn dlq_empty(topics: &[String]) -> String {
    if topics.is_empty() {
        "No dead-letter topic found yet (topics named *.dlq, or as configured). \
         They are picked up as soon as they exist."
            .to_string()
    } else {
        format!(
            "No dead letters in {}. Failed records appear here live.",
            topics.join(", ")
        )
    }
}

/// DLQ reader problem.
pub fn dlq_problem(p: &str) -> String {
    format!("✗ reading the DLQ topics: {p} (retrying)")
}

/// DLQ detail: the stack trace fold line.
pub fn dlq_stack(lines: usize, open: bool) -> String {
    if open {
        format!("▾ Stack trace ({lines} lines; t collapses)")
    } else {
        format!("▸ Stack trace ({lines} lines; t expands)")
    }
}

/// Redrive preview: first line.
pub fn redrive_preview_head(n: usize) -> String {
    format!("Redrive {n} dead letter(s) to their original topic(s):")
}

/// Redrive preview: unroutable records.
pub fn redrive_skipped(n: usize) -> String {
    format!("  {n} without an original topic: skipped")
}

/// Redrive preview: what is kept.
pub fn redrive_kept(rate: u32) -> String {
    format!("Original key, value and headers kept (dead-letter headers removed); at most {rate}/s.")
}

/// Redrive progress line.
pub fn redrive_running(total: usize, rate: u32) -> String {
    format!("Sending {total} record(s) at most {rate}/s…")
}

/// Redrive outcome line.
pub fn redrive_outcome(delivered: usize, failed: usize) -> String {
    if failed == 0 {
        format!("✓ delivered {delivered} record(s) to their original topic(s)")
    } else {
        format!("✗ delivered {delivered}, failed {failed}")
    }
}

/// Redrive could not run.
pub fn redrive_failed(e: &str) -> String {
    format!("✗ redrive failed: {e}")
}

/// Toast: the original topic is not read by Streams.
pub fn original_not_tailed(topic: &str) -> String {
    format!("{topic} is not one of the topics Streams reads")
}

/// Toast: no original offset, so Streams is filtered by topic and key.
pub fn original_by_key(topic: &str, key: &str, in_memory: bool) -> String {
    format!(
        "No original offset in the dead letter: filtered to {topic} and key {key}{}",
        not_in_memory_hint(in_memory)
    )
}

/// Toast: the event failed in a local handler as it was published, so no
/// Kafka position names it; Streams is filtered to its topic and event id
/// (the filter bar shows both).
pub fn original_local(in_memory: bool) -> String {
    format!(
        "Failed in a local handler as published (no offset): filtered by event id{}",
        not_in_memory_hint(in_memory)
    )
}

/// The hint after a filter that finds nothing among the records in memory.
fn not_in_memory_hint(in_memory: bool) -> &'static str {
    if in_memory {
        ""
    } else {
        " · not in memory: press b to read from the beginning"
    }
}

/// Toast: jumped to the original.
pub fn original_opened(topic: &str, partition: i32, offset: i64) -> String {
    format!(
        "Read from Kafka: the original is {topic}[{partition}]@{offset}; Streams reads from there"
    )
}

/// Under the help overlay.
pub const HELP_REBIND: &str = " rebind in config: [ui.keys] \"streams.p\" = \"pause\" ";

/// The help overlay's last line when the screen is too small for every entry.
pub fn help_more(n: usize) -> String {
    format!("… {n} more")
}

/// What an action does in `mode`, for the help overlay: the list keys say
/// first and last row outside Streams (where Bottom also follows).
pub fn describe_in(mode: crate::tui::keymap::Mode, action: Action) -> &'static str {
    use crate::tui::keymap::Mode;
    match (mode, action) {
        (Mode::Streams, _) => describe(action),
        (Mode::Find, Action::Back) => "cancel the search",
        (Mode::Cluster, Action::Refresh) => "ask the cluster now",
        (Mode::SchemaVersion, Action::PrevChoice) => "older version",
        (Mode::SchemaVersion, Action::NextChoice) => "newer version",
        (Mode::SchemaVersion, Action::Refresh) => "ask the registry again",
        (Mode::Schemas, Action::Refresh) => "ask the registry again",
        (_, Action::Top) => "first row",
        (_, Action::Bottom) => "last row",
        _ => describe(action),
    }
}

/// What an action does, for the help overlay and the palette (in Streams;
/// [`describe_in`] says it for the mode on screen).
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
        Action::Top => "top (oldest kept)",
        Action::Bottom => "bottom (newest, follow)",
        Action::Pause => "pause/resume",
        Action::Follow => "follow",
        Action::ToggleOrder => "time/arrival order",
        Action::Isolation => "read_committed/read_uncommitted",
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
        Action::Route => "send route",
        Action::NewCorrelation => "new correlation id",
        Action::ReuseCorrelation => "reuse selected correlation id",
        Action::Confirm => "apply",
        Action::SortNext => "sort by next column",
        Action::SortPrev => "sort: previous column",
        Action::SortReverse => "reverse sort order",
        Action::Mark => "mark/unmark, move down",
        Action::Redrive => "redrive selection",
        Action::RedriveAll => "redrive all matching",
        Action::OpenOriginal => "original in Streams",
        Action::ToggleStack => "toggle stack trace",
        Action::TabTopics => "Topics tab",
        Action::TabGroups => "Groups tab",
        Action::TabAudit => "Audit tab",
        Action::Refresh => "refresh",
        Action::CreateTopic => "create a topic",
        Action::Delete => "delete (type the name)",
        Action::EmptyTopic => "empty (type the name)",
        Action::AddPartitions => "add partitions",
        Action::EditConfig => "edit a config",
        Action::ResetOffsets => "reset offsets (dry run first)",
        Action::ShowInStreams => "show the edge in Streams",
        Action::Trace => "trace correlation",
        Action::RunReplay => "run the replay",
        Action::ClearField => "clear the field",
        Action::Template => "data from the type's template",
        Action::TabFind => "Find tab",
        Action::TabAcls => "ACLs tab",
        Action::Find => "search whole topics (:find)",
        Action::TabCluster => "Cluster tab",
        Action::TabSchemas => "Schemas tab",
        Action::Diff => "diff with the previous version",
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
        Action::SortNext => "sort",
        Action::SortReverse => "reverse",
        Action::Mark => "mark",
        Action::Redrive => "redrive",
        Action::RedriveAll => "redrive all",
        Action::OpenOriginal => "original",
        Action::ToggleStack => "stack trace",
        Action::CreateTopic => "create",
        Action::Delete => "delete",
        Action::EmptyTopic => "empty",
        Action::AddPartitions => "partitions",
        Action::EditConfig => "config",
        Action::ResetOffsets => "reset",
        Action::ShowInStreams => "show in Streams",
        Action::Trace => "trace",
        Action::RunReplay => "replay",
        Action::ClearField => "clear",
        Action::Template => "template",
        Action::Find => "find",
        Action::Diff => "diff",
        other => describe(other),
    }
}

// ------------------------------------------------ Topics, Groups, Audit (issue 6)

/// Tab title.
pub const TAB_TOPICS: &str = "Topics";
/// Tab title.
pub const TAB_GROUPS: &str = "Groups";
/// Tab title.
pub const TAB_AUDIT: &str = "Audit";
/// Topic list columns.
pub const TOPIC_COLUMNS: [&str; 6] = [
    "TOPIC",
    "PARTITIONS",
    "RF",
    "EST. RECORDS",
    "UNDER-REPL",
    "LAST RECORD (UTC)",
];
/// Group list columns.
pub const GROUP_COLUMNS: [&str; 5] = ["GROUP", "TYPE", "STATE", "MEMBERS", "PROTOCOL"];
/// Audit columns.
pub const AUDIT_COLUMNS: [&str; 6] = [
    "TIME (UTC)",
    "USER",
    "PRINCIPAL",
    "ACTION",
    "PARAMS",
    "OUTCOME",
];
/// An audit entry opened.
pub const AUDIT_ENTRY_TITLE: &str = " Audit entry (esc back) ";
/// Audit columns on narrow screens.
pub const AUDIT_COLUMNS_SHORT: [&str; 6] =
    ["TIME", "USER", "PRINCIPAL", "ACTION", "PARAMS", "OUTCOME"];
/// A request is in flight.
pub const OPS_LOADING: &str = "loading…";
/// The broker has no admin APIs.
pub const NO_ADMIN_API: &str = "ⓘ This broker has no admin APIs (the demo's embedded broker): \
topic and consumer-group administration needs a real Kafka cluster (eventdeck --brokers HOST:PORT).";
/// Configs cannot be read on this broker.
pub const NO_ADMIN_CONFIGS: &str =
    "Configs: this broker has no DescribeConfigs (the demo's embedded broker).";
/// No topics.
pub const TOPICS_EMPTY: &str = "No topics on this cluster (n creates one).";
/// No groups.
pub const GROUPS_EMPTY: &str = "No consumer groups on this cluster.";
/// No audit entries.
pub const AUDIT_EMPTY: &str =
    "No audited mutations yet (audit.jsonl in the data dir is empty or missing).";
/// Group describe: members heading.
pub const GROUP_MEMBERS: &str = "MEMBERS (CONSUMER-ID, HOST, CLIENT-ID, ASSIGNMENT)";
/// Group describe: no members.
pub const GROUP_NO_MEMBERS: &str = "none (inactive: offsets can be reset)";
/// Typed confirmation: not yet.
pub const CONFIRM_DISABLED: &str = "enter is disabled until the name matches · esc cancels";
/// Typed confirmation: ready.
pub const CONFIRM_READY: &str = "enter: do it now (cannot be undone) · esc cancels";
/// Reset preview: what it is.
pub const RESET_DRY_RUN: &str = "Dry run: nothing is committed until you confirm.";
/// The line under a reset plan cut to the screen's height.
pub fn reset_rows_not_shown(hidden: usize, total: usize) -> String {
    format!("… and {hidden} more ({total} partitions in all are reset)")
}

/// Reset preview: keys.
pub const RESET_CONFIRM_KEYS: &str = "y / enter: commit these offsets    n / esc: cancel";
/// Toast: the typed name does not match.
pub const CONFIRM_MISMATCH: &str = "The name does not match: nothing done (esc cancels)";
/// Toast: nothing selected in Topics.
pub const NO_TOPIC_SELECTED: &str = "No topic selected";
/// Toast: nothing selected in Groups.
pub const NO_GROUP_SELECTED: &str = "No group selected";
/// Palette help for the ops verbs.
pub const ADMIN_PALETTE_HELP: &str = "topic init · topic create NAME [partitions=N] [rf=R] [k=v…] · topic delete|empty NAME · \
topic partitions NAME N · topic config NAME k=v|k= · reset GROUP --to-earliest|--to-latest|--to-offset N|--shift-by N|--to-datetime T|--by-duration D [TOPIC[:P,…]] · group delete NAME · audit";

/// Topics pane title.
pub fn topics_title(n: usize) -> String {
    format!(" Topics ({n}) ")
}

/// Topic describe title.
pub fn topic_title(name: &str) -> String {
    format!(" Topic {name} (esc back) ")
}

/// Topic describe: the summary line.
pub fn topic_summary(d: &crate::kafka::admin::TopicDetail) -> String {
    format!(
        "{} partition(s) · replication factor {} · ~{} record(s) between the watermarks",
        d.partitions.len(),
        d.replication_factor,
        d.estimated_count
    )
}

/// Topic describe: the configs heading.
pub fn topic_configs_head(n: usize, overrides: usize) -> String {
    format!("CONFIGS ({n}; {overrides} set on the topic, marked *; c edits)")
}

/// Groups pane title.
pub fn groups_title(n: usize) -> String {
    format!(" Consumer groups ({n}) ")
}

/// Group describe title.
pub fn group_title(name: &str) -> String {
    format!(" Group {name} (esc back) ")
}

/// Group describe: the summary line.
pub fn group_summary(state: &str, members: usize, protocol: &str) -> String {
    format!("state {state} · {members} member(s) · protocol {protocol}")
}

/// Audit title, with the hash chain's mark: ✓ intact, ✗ and the first
/// broken line, nothing while no line is chained.
pub fn audit_title(n: usize, chain: Option<&crate::audit::Verdict>) -> String {
    let mark = match chain {
        Some(v) => match &v.broken {
            Some(b) => format!(" · chain ✗ line {}", b.line),
            None if v.chained_from.is_some() => " · chain ✓".to_string(),
            None => String::new(),
        },
        None => String::new(),
    };
    format!(" Audit log ({n}, newest first){mark} ")
}

/// Typed confirmation: the instruction.
pub fn type_to_confirm(name: &str) -> String {
    format!("Type the name to confirm: {name}")
}

/// Reset dialog title.
pub fn reset_title(group: &str) -> String {
    format!(" Reset offsets of {group} ")
}

/// Toast: a request is on its way.
pub fn admin_started(what: &str) -> String {
    format!("{what}…")
}

/// Toast: a mutating action refused by the read-only gate (`audit::authorize`).
pub fn read_only_refused(e: &crate::audit::ReadOnly) -> String {
    format!(
        "Read-only mode: {} is a mutating action and is refused",
        e.action
    )
}

/// Seconds as a short duration: `4.2s`, `3m20s`, `2h05m`; `-` when unknown.
pub fn duration(secs: Option<f64>) -> String {
    let Some(s) = secs else {
        return "-".into();
    };
    if s < 60.0 {
        return format!("{s:.1}s");
    }
    let s = s.round() as u64;
    if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else if s < 100 * 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}d", s / 86_400)
    }
}

/// A lag in seconds as [`duration`], marked `~` when it is an estimate (the
/// record at the committed offset is gone, so its age was interpolated).
pub fn age(secs: Option<f64>, source: Option<crate::lag::SecondsSource>) -> String {
    match source {
        Some(crate::lag::SecondsSource::Interpolated) => format!("~{}", duration(secs)),
        _ => duration(secs),
    }
}

/// The toast after `x`.
pub fn exported(n: usize, path: &std::path::Path) -> String {
    format!("Exported {n} records to {}", path.display())
}

/// The toast when an export could not be written.
pub fn export_failed(e: &str) -> String {
    format!("Export failed: {e}")
}

/// The toast after a seek.
pub fn seeking(label: &str) -> String {
    format!("Reading every stream from {label}")
}

/// `:tab NAME` with no such tab.
pub fn no_such_tab(name: &str) -> String {
    format!("No tab called '{name}'")
}

/// A palette command nobody answers.
pub fn unknown_command(verb: &str) -> String {
    format!("Unknown command '{verb}' ({PALETTE_HELP})")
}

/// What a confirmed offset reset is doing.
pub fn committing_reset(group: &str) -> String {
    format!("committing the new offsets of {group}")
}

/// What a reset plan is doing.
pub fn planning_reset(group: &str) -> String {
    format!("planning the reset of {group}")
}

/// The status line while the cluster does not answer.
pub fn cluster_unreachable(e: &str) -> String {
    format!("cluster unreachable: {e}")
}

/// `:group` with anything but `delete NAME`.
pub const GROUP_PALETTE_USAGE: &str = "use: group delete NAME";

/// The delete-group dialog's title.
pub fn delete_group_title(name: &str) -> String {
    format!("Delete group {name}")
}

/// What deleting a group does, one line each.
pub fn delete_group_lines(name: &str) -> Vec<String> {
    vec![
        format!("Consumer group {name} and its committed offsets will be deleted."),
        "Kafka refuses this while the group has active members.".into(),
    ]
}

/// The delete-topic dialog's title.
pub fn delete_topic_title(name: &str) -> String {
    format!("Delete topic {name}")
}

/// What deleting a topic does, one line each.
pub fn delete_topic_lines(name: &str) -> Vec<String> {
    vec![
        format!("Topic {name} and every record in it will be deleted."),
        "Consumers and producers of it will see it vanish.".into(),
    ]
}

/// The empty-topic dialog's title.
pub fn empty_topic_title(name: &str) -> String {
    format!("Empty topic {name}")
}

/// What emptying a topic does, one line each.
pub fn empty_topic_lines(name: &str) -> Vec<String> {
    vec![
        format!("Every record of {name} will be deleted (DeleteRecords up to the log end)."),
        "The topic and its configs stay.".into(),
    ]
}

/// What `:topic create` is doing.
pub fn creating_topic(name: &str) -> String {
    format!("creating topic {name}")
}

/// What `:topic partitions` is doing.
pub fn growing_topic(name: &str, total: usize) -> String {
    format!("growing {name} to {total} partitions")
}

/// What `:topic config` is doing.
pub fn setting_config(key: &str, topic: &str) -> String {
    format!("setting {key} on {topic}")
}

/// `:topic partitions NAME X` with X not a count.
pub fn not_a_partition_count(text: &str) -> String {
    format!("'{text}' is not a partition count")
}

/// `:topic config NAME X` with X not `KEY=VALUE`.
pub fn not_a_config(text: &str) -> String {
    format!("'{text}' is not KEY=VALUE (KEY= removes it)")
}

/// `:topic` with a verb it does not know.
pub const TOPIC_PALETTE_UNKNOWN: &str = "unknown topic command";

/// The inject form with neither a context nor a topic.
pub const INJECT_NO_TARGET: &str = "Say where the event goes: a context or a topic";
/// The inject form with no event type.
pub const INJECT_NO_TYPE: &str = "The event type is empty";

/// A correlation id that is not a UUID.
pub fn correlation_not_uuid(text: &str, e: &dyn std::fmt::Display) -> String {
    format!("Correlation id '{text}' is not a UUID: {e}")
}

/// A header the form cannot read.
pub fn header_not_key_value(text: &str) -> String {
    format!("Header '{text}' is not key=value")
}

/// Where a send landed.
pub fn delivered(topic: &str, partition: i32, offset: i64) -> String {
    format!("delivered to {topic} partition {partition} offset {offset}")
}

/// An all-or-none send that Kafka committed.
pub fn committed_txn(events: usize, transactional_id: &str) -> String {
    format!("committed {events} events in one transaction ({transactional_id})")
}

/// A send kept in the bridge's outbox.
pub fn queued(outbox_depth: u64) -> String {
    format!("queued in the outbox (Kafka unreachable; {outbox_depth} waiting)")
}

/// The trace's last line when events are left out.
pub fn trace_more(n: usize) -> String {
    format!("… {n} more events not shown")
}

/// The replay popup's line when partitions are left out.
pub fn replay_more_partitions(n: usize) -> String {
    format!("  +{n} more partitions")
}

/// A topic created from the console.
pub fn created_topic(name: &str, partitions: i32, rf: i32) -> String {
    format!("created topic {name} ({partitions} partition(s), RF {rf})")
}

/// A topic deleted from the console.
pub fn deleted_topic(name: &str) -> String {
    format!("deleted topic {name}")
}

/// A topic emptied from the console.
pub fn emptied_topic(name: &str, deleted: i64) -> String {
    format!("emptied topic {name}: {deleted} record(s) deleted")
}

/// A topic grown from the console.
pub fn grew_topic(name: &str, before: usize, total: usize) -> String {
    format!("topic {name}: {before} → {total} partitions")
}

/// A topic config set (`Some`) or its override removed (`None`).
pub fn config_set(topic: &str, key: &str, value: Option<&str>) -> String {
    match value {
        Some(v) => format!("topic {topic}: {key}={v}"),
        None => format!("topic {topic}: {key} override removed"),
    }
}

/// An offset reset committed from the console.
pub fn reset_done(group: &str, partitions: usize) -> String {
    format!("group {group}: offsets reset on {partitions} partition(s)")
}

/// A consumer group deleted from the console.
pub fn deleted_group(name: &str) -> String {
    format!("deleted consumer group {name}")
}

// The labels of a dead letter's fields in its detail view.
/// The dead letter's "DLQ record" field.
pub const DLQ_FIELD_DLQ_RECORD: &str = "DLQ record";
/// The dead letter's "Family" field.
pub const DLQ_FIELD_FAMILY: &str = "Family";
/// The dead letter's "Original" field.
pub const DLQ_FIELD_ORIGINAL: &str = "Original";
/// The dead letter's "Original time" field.
pub const DLQ_FIELD_ORIGINAL_TIME: &str = "Original time";
/// The dead letter's "Consumer group" field.
pub const DLQ_FIELD_CONSUMER_GROUP: &str = "Consumer group";
/// The dead letter's "Handler" field.
pub const DLQ_FIELD_HANDLER: &str = "Handler";
/// The dead letter's "Error kind" field.
pub const DLQ_FIELD_ERROR_KIND: &str = "Error kind";
/// The dead letter's "Message" field.
pub const DLQ_FIELD_MESSAGE: &str = "Message";
/// The dead letter's "Attempts" field.
pub const DLQ_FIELD_ATTEMPTS: &str = "Attempts";
/// The dead letter's "Failed at" field.
pub const DLQ_FIELD_FAILED_AT: &str = "Failed at";
/// The dead letter's "Key" field.
pub const DLQ_FIELD_KEY: &str = "Key";

/// `ctx=` naming no configured context.
pub fn unknown_context(name: &str) -> String {
    format!("unknown context '{name}'")
}

/// `:replay … rate=N` with N not a positive number.
pub fn replay_bad_rate(text: &str) -> String {
    format!("rate={text}: not a positive number")
}

/// A `:replay` word it does not know.
pub fn replay_not_understood(word: &str) -> String {
    format!("'{word}' is not understood ({REPLAY_USAGE})")
}

/// `:replay` without what, from when or where to.
pub fn replay_missing(what: &str) -> String {
    format!("{what} ({REPLAY_USAGE})")
}
/// `:replay` without a context or topic.
pub const REPLAY_NO_WHAT: &str = "say what to replay: ctx= or topic=";
/// `:replay` without `from=`.
pub const REPLAY_NO_FROM: &str = "say from when: from=";
/// `:replay` without a target.
pub const REPLAY_NO_WHERE: &str = "say where to: to-topic= or to-handlers";
/// `:replay` with `to=` not after `from=`.
pub const REPLAY_TO_BEFORE_FROM: &str = "to= must be after from=";

/// A relative time that is not `-Ns`, `-Nm` or `-Nh`.
pub fn not_relative_time(text: &str) -> String {
    format!("'{text}': not -Ns, -Nm or -Nh")
}

/// A time that is neither RFC 3339 nor relative.
pub fn not_a_time(text: &str, e: &dyn std::fmt::Display) -> String {
    format!("'{text}' is not an RFC 3339 time or -15m: {e}")
}

// ------------------------------------------------------------ Find (issue 17)

/// Tab title.
pub const TAB_FIND: &str = "Find";
/// The Find pane before any search.
pub const FIND_EMPTY: &str =
    "No search yet. Type :find TOPIC --key K | --where PATH=VALUE | --text T (F in Streams).";
/// The search's state, while it reads.
pub const FIND_RUNNING: &str = "searching";
/// The search's state, read to the end.
pub const FIND_DONE: &str = "done";
/// The search's state, cancelled.
pub const FIND_CANCELLED: &str = "cancelled";
/// The search's state, failed.
pub const FIND_FAILED: &str = "failed";

/// The progress line: records read of the total, rate, time left, matches.
pub fn find_progress(
    scanned: u64,
    total: u64,
    rate: u64,
    eta_secs: Option<u64>,
    matches: u64,
) -> String {
    let eta = eta_secs.map_or_else(|| "-".to_string(), |s| format!("{s}s"));
    format!("{scanned} of {total} records · {rate}/s · ETA {eta} · {matches} matches")
}

/// Where a key lookup reads first.
pub fn find_key_plan(parts: &str, others: usize) -> String {
    if others == 0 {
        format!("key read in {parts}")
    } else {
        let noun = if others == 1 {
            "partition"
        } else {
            "partitions"
        };
        format!("key read in {parts}; {others} other {noun} not read")
    }
}

/// The Find pane's list while nothing has matched yet.
pub const FIND_NO_MATCH_YET: &str = "No match yet.";

/// The Find pane's list when the search ended with nothing matched.
pub fn find_no_match(scanned: u64) -> String {
    let noun = if scanned == 1 { "record" } else { "records" };
    format!("No match in {scanned} {noun} read.")
}

/// The search stopped at its limit.
pub fn find_capped(limit: usize) -> String {
    format!("stopped at the limit of {limit} matches: more may match (--limit)")
}

/// A second pass starts.
pub fn find_second_pass(partitions: usize) -> String {
    format!("reading the other {partitions} partitions")
}

/// A group's summary line with its type: classic groups read as they always
/// did; a consumer-protocol (KIP-848) group adds its type and assignor.
pub fn group_summary_typed(
    state: &str,
    members: usize,
    protocol: &str,
    group_type: &str,
    assignor: &str,
) -> String {
    let base = group_summary(state, members, protocol);
    match group_type {
        "consumer" if assignor.is_empty() => format!("{base} · type consumer (KIP-848)"),
        "consumer" => format!("{base} · type consumer (KIP-848) · assignor {assignor}"),
        _ => base,
    }
}

// ------------------------------------------------- Cluster (issue 20, part 3)

/// Tab title.
pub const TAB_CLUSTER: &str = "Cluster";

/// The Cluster pane's frame title: what was counted, once a report is in.
pub fn cluster_title(counts: Option<(usize, usize, usize)>) -> String {
    match counts {
        Some((brokers, topics, partitions)) => format!(
            " Cluster · {brokers} broker(s) · {topics} topic(s) · {partitions} partition(s) "
        ),
        None => " Cluster ".to_string(),
    }
}

/// Before the first report.
pub const CLUSTER_WAITING: &str = "asking the cluster…";

/// The health line of a cluster with nothing wrong.
pub const CLUSTER_HEALTHY: &str = "✓ healthy: every partition has a live leader and its full ISR";

/// The health line of a cluster with faults: each count named.
pub fn cluster_unhealthy(
    offline: usize,
    under_replicated: usize,
    under_min_isr: usize,
    down: usize,
) -> String {
    let mut parts = Vec::new();
    if down > 0 {
        parts.push(format!("{down} broker(s) down"));
    }
    parts.push(format!("{offline} offline"));
    parts.push(format!("{under_replicated} under-replicated"));
    parts.push(format!("{under_min_isr} under min ISR"));
    format!("✗ {}", parts.join(" · "))
}

/// A poll failed: the last report stays, and says how old it is.
pub fn cluster_failed(e: &str) -> String {
    format!("cluster poll failed: {e} (retrying; last report kept)")
}

/// When the report on screen was read, and how it is refreshed.
pub fn cluster_as_of(time: &str, every_secs: u64) -> String {
    format!("as of {time} UTC · every {every_secs}s · r asks now")
}

/// Label of the cluster id line.
pub const CLUSTER_ID: &str = "cluster id";
/// Label of the controller line.
pub const CLUSTER_CONTROLLER: &str = "controller";
/// What DescribeCluster did not say.
pub const CLUSTER_UNKNOWN: &str = "unknown";
/// Brokers section.
pub const CLUSTER_BROKERS: &str = "BROKERS";
/// Broker table columns.
pub const CLUSTER_BROKER_COLUMNS: [&str; 4] = ["ID", "RACK", "ENDPOINT", "STATE"];
/// A live broker.
pub const CLUSTER_BROKER_UP: &str = "up";
/// A broker seen earlier in this session, or named in a replica set, that
/// is not live now.
pub const CLUSTER_BROKER_DOWN: &str = "DOWN";
/// Offline partitions section.
pub const CLUSTER_OFFLINE: &str = "OFFLINE (no live leader)";
/// Under-replicated partitions section.
pub const CLUSTER_UNDER_REPLICATED: &str = "UNDER-REPLICATED (ISR < replicas)";
/// Under-min-ISR partitions section.
pub const CLUSTER_UNDER_MIN_ISR: &str = "UNDER MIN ISR (ISR < min.insync.replicas)";
/// Partition table columns.
pub const CLUSTER_PARTITION_COLUMNS: [&str; 5] =
    ["TOPIC", "PARTITION", "LEADER", "REPLICAS", "ISR"];
/// The min-ISR column of the under-min-ISR table.
pub const CLUSTER_MIN_ISR: &str = "MIN-ISR";
/// A section with nothing in it.
pub const CLUSTER_NONE: &str = "none";
/// Leader skew section.
pub const CLUSTER_SKEW: &str = "LEADER SKEW (leader not the preferred replica)";
/// Leader skew columns.
pub const CLUSTER_SKEW_COLUMNS: [&str; 3] =
    ["TOPIC", "NOT-PREFERRED", "LEADERS (broker:partitions)"];
/// Rows left out of a long section.
pub fn cluster_more(n: usize) -> String {
    format!("+{n} more (eventdeck cluster --json lists all)")
}

// ------------------------------------------------------------ ACLs (issue 20)

/// Tab title.
pub const TAB_ACLS: &str = "ACLs";
/// ACL list columns.
pub const ACL_COLUMNS: [&str; 7] = [
    "PRINCIPAL",
    "HOST",
    "OPERATION",
    "PERMISSION",
    "RESOURCE",
    "NAME",
    "PATTERN",
];
/// No ACLs at all.
pub const ACLS_EMPTY: &str = "No ACLs on this cluster.";
/// The filter matches none.
pub const ACLS_NONE_MATCH: &str = "No ACL matches the filter (esc clears it).";
/// Toast: nothing selected.
pub const NO_ACL_SELECTED: &str = "No ACL selected";

/// ACLs pane title: how many shown of how many, and the filter.
pub fn acls_title(shown: usize, total: usize, filter: &str) -> String {
    if filter.is_empty() {
        format!(" ACLs ({total}) ")
    } else {
        format!(" ACLs ({shown} of {total} · /{filter}) ")
    }
}

/// The delete-ACL dialog's title.
pub fn delete_acl_title(principal: &str) -> String {
    format!("Delete an ACL of {principal}")
}

/// What deleting an ACL does, one line each (`rule` in `kafka-acls`' words).
pub fn delete_acl_lines(rule: &str) -> Vec<String> {
    vec![
        format!("This ACL will be deleted: {rule}."),
        "An ALLOW deleted takes that access away; a DENY deleted may grant it.".into(),
    ]
}

/// Toast: ACLs were created.
pub fn created_acls(n: usize) -> String {
    format!("created {n} ACL(s)")
}

/// The create-ACL dialog's title.
pub fn create_acls_title(n: usize) -> String {
    format!("Create {n} ACL(s)")
}

/// What creating ACLs does, one line each (`rules` in `kafka-acls`' words).
pub fn create_acls_lines(rules: &[String]) -> Vec<String> {
    let mut out = vec!["These ACLs will be created:".to_string()];
    out.extend(rules.iter().map(|r| format!("  {r}")));
    out
}

/// The palette's ACL verbs.
pub const ACL_PALETTE_USAGE: &str = "acl create --allow-principal|--deny-principal P --operation OP --topic T|--group G|--cluster|--transactional-id X [--pattern-type prefixed] [--host H]";

/// Toast: an ACL was deleted.
pub fn deleted_acls(n: usize) -> String {
    format!("deleted {n} ACL(s)")
}

// ------------------------------------------------- Schemas (issue 15, item 5)

/// Tab title.
pub const TAB_SCHEMAS: &str = "Schemas";
/// Subject list columns.
pub const SCHEMA_COLUMNS: [&str; 7] = [
    "SUBJECT",
    "VERSION",
    "ID",
    "FORMAT",
    "COMPATIBILITY",
    "TOPICS (BY NAME)",
    "SEEN ON",
];
/// No registry configured: how to configure one.
pub const SCHEMAS_NOT_CONFIGURED: &str = "No schema registry is configured. Start eventdeck \
with --schema-registry URL (Confluent's API, e.g. http://127.0.0.1:8081/apis/ccompat/v7 for \
Apicurio), or set SCHEMA_REGISTRY_URL, or url under [schema_registry] in the config file.";
/// No subjects.
pub const SCHEMAS_EMPTY: &str = "No subjects in this schema registry (eventdeck schemas \
register SUBJECT FILE --type avro|protobuf|json adds one).";
/// The filter matches none.
pub const SCHEMAS_NONE_MATCH: &str = "No subject matches the filter (esc clears it).";
/// Toast: nothing selected.
pub const NO_SUBJECT_SELECTED: &str = "No subject selected";
/// A topic column's value when the cluster's topics could not be read.
pub const SCHEMAS_TOPICS_UNKNOWN: &str = "?";

/// Schemas pane title: subjects shown of how many, the filter, the registry.
pub fn schemas_title(shown: usize, total: usize, filter: &str, url: &str) -> String {
    if filter.is_empty() {
        format!(" Schemas ({total}) · {url} ")
    } else {
        format!(" Schemas ({shown} of {total} · /{filter}) · {url} ")
    }
}

/// An open subject's title.
pub fn schema_title(subject: &str, version: Option<u32>, diff: bool) -> String {
    let version = version.map_or_else(|| "latest".to_string(), |v| format!("version {v}"));
    let what = if diff { "diff" } else { "schema" };
    format!(" {subject} · {version} · {what} (esc back, ←/→ versions, d diff) ")
}

/// The open version's facts, one line.
pub fn schema_facts(version: u32, versions: &str, id: u32, format: &str, compat: &str) -> String {
    format!("version {version} of [{versions}] · id {id} · {format} · compatibility {compat}")
}

/// The references line.
pub fn schema_references(refs: &str) -> String {
    format!("references: {refs}")
}

/// The topics line of an open subject.
pub fn schema_topics(by_name: &str, on_wire: &str) -> String {
    format!("topics by name: {by_name} · seen on the wire: {on_wire}")
}

/// The head of a diff.
pub fn schema_diff_head(
    from: u32,
    from_id: u32,
    to: u32,
    to_id: u32,
    added: usize,
    removed: usize,
) -> String {
    format!(
        "version {from} (id {from_id}) → version {to} (id {to_id}): {added} line(s) added, {removed} removed"
    )
}

/// Toast: the first version has nothing before it.
pub fn schema_no_previous(version: u32) -> String {
    format!("version {version} is the subject's first: nothing to diff with")
}

/// Toast: no older or newer version.
pub const SCHEMA_NO_MORE_VERSIONS: &str = "No version further that way";
