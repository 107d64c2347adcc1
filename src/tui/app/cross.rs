//! What crosses between panes: a seek (every stream restarts), the trace of
//! a Streams record (built from the Flows graph), re-injecting a record
//! (Streams into the Inject form) and a dead letter's original (DLQ into
//! Streams). The panes ask with an `Effect`; the app has both panes at hand.

use super::App;
use crate::kafka::StartAt;
use crate::tui::event::{Command, OriginalRecord};
use crate::tui::panes::Original;
use crate::tui::panes::trace::TraceState;
use crate::tui::strings;
use crate::tui::tab::Tab;

impl App {
    /// Every stream restarts at `start` (a new generation: reports of the old
    /// one are ignored).
    pub(super) fn seek(&mut self, start: StartAt, label: &str) {
        self.generation += 1;
        let streams = &mut self.panes.streams;
        streams.clear(label.to_string());
        streams.start = start;
        streams.paused = false;
        self.commands.push(Command::Seek(start));
        self.toast_info(strings::seeking(label));
    }

    /// The record list on screen: the Find pane's results, or Streams.
    fn record_list(&mut self) -> &mut crate::tui::panes::streams::StreamsState {
        if self.tab == Tab::Find {
            &mut self.panes.find.results
        } else {
            &mut self.panes.streams
        }
    }

    pub(super) fn open_trace(&mut self, detail: bool) {
        let streams = &*self.record_list();
        let Some(e) = streams.entry(detail) else {
            return self.toast_info(strings::NOTHING_SELECTED);
        };
        let Some(corr) = e.correlation.clone() else {
            return self.toast_info(strings::TRACE_NO_CORRELATION);
        };
        let focus = e.event_id.clone();
        let trace = TraceState::open(self.panes.flows.graph(), &corr, focus, &self.theme);
        self.record_list().trace = Some(trace);
    }

    pub(super) fn reinject(&mut self, detail: bool) {
        let Some(e) = self.record_list().entry(detail).cloned() else {
            return self.toast_info(strings::NOTHING_SELECTED);
        };
        if !e.masked.is_empty() {
            let mut names: Vec<&str> = e.masked.iter().map(|h| &*h.policy).collect();
            names.dedup();
            if self.settings.policies.forbids_reinject(&e.masked) {
                return self.toast_error(strings::reinject_masked(&names, true));
            }
            // The form would show `***`: the record goes again as it was
            // read instead (nothing typed into the form, nothing shown).
            return self.confirm_original(&e, &names);
        }
        let filled = self
            .panes
            .inject
            .fill_from(&e, self.panes.streams.schemas());
        self.switch_tab(Tab::Inject);
        let from = format!(
            "{}[{}]@{}",
            e.record.topic, e.record.partition, e.record.offset
        );
        let original = filled.original_known.then_some(filled.topic.as_str());
        let text = strings::reinject_filled(
            &e.event_type,
            &from,
            filled.dead_letter,
            original,
            filled.headers_left_out,
        );
        if filled.dead_letter && !filled.original_known {
            self.toast_error(text);
        } else {
            self.toast_info(text);
        }
    }

    /// Asks (type the topic's name) before sending a masked record again as
    /// it was read: to its own topic, or a dead letter's to its original.
    fn confirm_original(&mut self, e: &crate::tui::panes::streams::Entry, names: &[&str]) {
        // The copy kept, else the shown record: its place, and its
        // dead-letter headers (a record whose dead-letter headers a policy
        // hid keeps its copy), say where it goes; it is read again from
        // Kafka to be sent.
        let (read, record) = match e.as_read() {
            Some(read) => {
                let kept = OriginalRecord::Kept(Box::new(read.clone()));
                (read, kept)
            }
            None => {
                let at = OriginalRecord::InKafka {
                    topic: e.record.topic.clone(),
                    partition: e.record.partition,
                    offset: e.record.offset,
                    timestamp_ms: e.record.timestamp_ms,
                    isolation: self.record_list().isolation,
                };
                (e.record.clone(), at)
            }
        };
        let letter = crate::dlq::decode(&read.headers);
        let dead = letter.family.is_some() || self.topic_map.is_dlq(&read.topic);
        let topic = match (dead, letter.original_topic) {
            (true, Some(t)) => t,
            (true, None) => return self.toast_error(strings::reinject_masked(names, false)),
            (false, _) => read.topic.clone(),
        };
        let from = format!("{}[{}]@{}", read.topic, read.partition, read.offset);
        self.dialog = Some(crate::tui::dialog::Dialog::Typed(
            crate::tui::dialog::TypedConfirm {
                title: strings::REINJECT_ORIGINAL_TITLE.to_string(),
                lines: strings::reinject_original_lines(&from, &topic, names, e.masked.len()),
                expected: topic.clone(),
                typed: String::new(),
                request: crate::tui::event::AdminRequest::ReinjectOriginal {
                    record,
                    topic,
                    policies: names.iter().map(|n| n.to_string()).collect(),
                },
            },
        ));
        self.dirty = true;
    }

    /// A dead letter's original in Streams: read from its offset when the
    /// dead letter names one, else filtered by event id or key among what
    /// Streams holds.
    pub(super) fn open_original(&mut self, o: Original) {
        let topic = o.topic;
        if !self
            .panes
            .streams
            .streams()
            .iter()
            .any(|s| s.topic == topic)
        {
            return self.toast_error(strings::original_not_tailed(&topic));
        }
        match (o.offset, o.event_id, o.key) {
            (Some(offset), _, _) => {
                self.switch_tab(Tab::Streams);
                self.seek(StartAt::Offset(offset), &format!("offset {offset}"));
                self.panes.streams.set_filter(&format!("topic:{topic}"));
                self.toast_info(strings::original_opened(&topic, o.partition, offset));
            }
            (None, Some(id), _) => {
                // What the filter below matches, on the exact topic (the
                // filter's `topic:` also matches the DLQ's longer name).
                let in_memory = self.panes.streams.holds(|e| {
                    e.record.topic == topic
                        && e.record
                            .value
                            .as_deref()
                            .is_some_and(|v| v.windows(id.len()).any(|w| w == id.as_bytes()))
                });
                self.switch_tab(Tab::Streams);
                self.panes
                    .streams
                    .set_filter(&format!("topic:{topic} {id}"));
                self.toast_info(strings::original_local(in_memory));
            }
            (None, None, Some(key)) => {
                let in_memory = self.panes.streams.holds(|e| {
                    e.record.topic == topic && e.record.key_text().as_deref() == Some(&key)
                });
                self.switch_tab(Tab::Streams);
                self.panes
                    .streams
                    .set_filter(&format!("topic:{topic} key:{key}"));
                self.toast_info(strings::original_by_key(&topic, &key, in_memory));
            }
            (None, None, None) => self.toast_error(strings::NO_ORIGINAL),
        }
    }
}
