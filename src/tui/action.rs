//! What the user means, independent of the key that said it. Serde, so the config
//! file's `[ui.keys]` can bind any key to any action by name (`"streams.p" = "pause"`)
//! and the command palette can run any action by the same name.

use serde::{Deserialize, Serialize};

/// One user intention. Handlers turn these into state changes; nothing draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave the console.
    Quit,
    /// Show or hide the help overlay.
    Help,
    /// Open the command palette.
    Palette,
    /// Switch to the Streams tab.
    TabStreams,
    /// Switch to the Lag tab.
    TabLag,
    /// Switch to the DLQ tab.
    TabDlq,
    /// Switch to the Flows tab.
    TabFlows,
    /// Switch to the Inject tab.
    TabInject,
    /// Next tab.
    NextTab,
    /// Previous tab.
    PrevTab,
    /// Switch between the dark and the light theme.
    Theme,
    /// Raise the demo scenario's event rate.
    RateUp,
    /// Lower the demo scenario's event rate.
    RateDown,
    /// Move the selection up one row.
    Up,
    /// Move the selection down one row.
    Down,
    /// Up one page.
    PageUp,
    /// Down one page.
    PageDown,
    /// Jump to the oldest record kept.
    Top,
    /// Jump to the newest record and follow.
    Bottom,
    /// Pause or resume reading.
    Pause,
    /// Keep the newest record selected, or stop doing so.
    Follow,
    /// Order the list by record time, or by arrival.
    ToggleOrder,
    /// Read the streams again at read_uncommitted (aborted records marked),
    /// or back at read_committed.
    Isolation,
    /// Type a filter.
    Filter,
    /// Remove the filter.
    ClearFilter,
    /// Re-read every stream from the beginning.
    SeekBeginning,
    /// Read only new records from now on.
    SeekEnd,
    /// Seek to an offset or a time (opens the palette with `seek `).
    Seek,
    /// Open the selected record.
    Open,
    /// Close the detail view, overlay or prompt.
    Back,
    /// Copy the selected record to the clipboard (OSC 52).
    Copy,
    /// Write the records shown (after the filter) to a JSON-lines file.
    Export,
    /// Open the selected record in the Inject form.
    Reinject,
    /// Next form field.
    NextField,
    /// Previous form field.
    PrevField,
    /// Edit the focused form field.
    Edit,
    /// Previous choice in a selector field.
    PrevChoice,
    /// Next choice in a selector field.
    NextChoice,
    /// Send the event.
    Send,
    /// Switch between sending through the bridge and raw to the topic.
    Route,
    /// A fresh correlation id.
    NewCorrelation,
    /// Reuse the correlation id of the record selected in Streams.
    ReuseCorrelation,
    /// Accept what was typed.
    Confirm,
    /// Sort by the next column.
    SortNext,
    /// Sort by the previous column.
    SortPrev,
    /// Reverse the sort order.
    SortReverse,
    /// Mark or unmark the selected record.
    Mark,
    /// Redrive the marked records, or the selected one (a dry-run preview first).
    Redrive,
    /// Redrive every dead letter matching the filter (a dry-run preview first).
    RedriveAll,
    /// Jump to the original record in Streams.
    OpenOriginal,
    /// Show or hide the stack trace.
    ToggleStack,
    /// Switch to the Topics tab.
    TabTopics,
    /// Switch to the Groups tab.
    TabGroups,
    /// Switch to the Audit tab.
    TabAudit,
    /// Ask the cluster again (Topics, Groups, Audit, Cluster).
    Refresh,
    /// Create a topic (opens the palette with `topic create `).
    CreateTopic,
    /// Delete the selected topic or group, after typing its name.
    Delete,
    /// Delete every record of the selected topic, after typing its name.
    EmptyTopic,
    /// Add partitions to the selected topic (opens the palette).
    AddPartitions,
    /// Set or remove a config of the selected topic (opens the palette).
    EditConfig,
    /// Reset the selected group's offsets (opens the palette; a dry run first).
    ResetOffsets,
    /// Filter Streams to the selected flow edge.
    ShowInStreams,
    /// Open the trace of the selected record's correlation id.
    Trace,
    /// Run the replay previewed in the popup.
    RunReplay,
    /// Empty the form field being edited.
    ClearField,
    /// Put the event type's template in `data`, replacing what is there.
    Template,
    /// Switch to the Find tab.
    TabFind,
    /// Start a search (opens the palette with `find `).
    Find,
    /// Switch to the Cluster tab.
    TabCluster,
    /// Switch to the ACLs tab.
    TabAcls,
    /// Switch to the Schemas tab.
    TabSchemas,
    /// Show the difference from the previous version (the Schemas tab).
    Diff,
}

impl Action {
    /// Every action, in the order the help overlay lists them.
    pub const ALL: [Action; 72] = [
        Action::Quit,
        Action::Help,
        Action::Palette,
        Action::TabStreams,
        Action::TabLag,
        Action::TabDlq,
        Action::TabFlows,
        Action::TabInject,
        Action::NextTab,
        Action::PrevTab,
        Action::Theme,
        Action::RateUp,
        Action::RateDown,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Pause,
        Action::Follow,
        Action::ToggleOrder,
        Action::Isolation,
        Action::Filter,
        Action::ClearFilter,
        Action::SeekBeginning,
        Action::SeekEnd,
        Action::Seek,
        Action::Open,
        Action::Back,
        Action::Copy,
        Action::Export,
        Action::Reinject,
        Action::NextField,
        Action::PrevField,
        Action::Edit,
        Action::PrevChoice,
        Action::NextChoice,
        Action::Send,
        Action::Route,
        Action::NewCorrelation,
        Action::ReuseCorrelation,
        Action::Confirm,
        Action::SortNext,
        Action::SortPrev,
        Action::SortReverse,
        Action::Mark,
        Action::Redrive,
        Action::RedriveAll,
        Action::OpenOriginal,
        Action::ToggleStack,
        Action::TabTopics,
        Action::TabGroups,
        Action::TabAudit,
        Action::Refresh,
        Action::CreateTopic,
        Action::Delete,
        Action::EmptyTopic,
        Action::AddPartitions,
        Action::EditConfig,
        Action::ResetOffsets,
        Action::ShowInStreams,
        Action::Trace,
        Action::RunReplay,
        Action::ClearField,
        Action::Template,
        Action::TabFind,
        Action::Find,
        Action::TabCluster,
        Action::TabAcls,
        Action::TabSchemas,
        Action::Diff,
    ];

    /// The action's config and palette name (`pause`, `seek_beginning`, …).
    pub fn name(self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => s,
            _ => format!("{self:?}"),
        }
    }

    /// The action called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(name.trim().to_string())).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_by_name() {
        for a in Action::ALL {
            assert_eq!(Action::from_name(&a.name()), Some(a), "{a:?}");
        }
        assert_eq!(
            Action::from_name("seek_beginning"),
            Some(Action::SeekBeginning)
        );
        assert_eq!(Action::from_name("nope"), None);
    }
}
