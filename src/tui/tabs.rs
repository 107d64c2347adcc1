//! The one registration of the panes: each line names a tab, the action that
//! brings it on screen, the field that holds its pane and the pane's type. The
//! tab order is the number-key order. This is the only place a tab is matched
//! to its pane.

use super::action::Action;
use super::panes::Pane;
use super::panes::audit::AuditState;
use super::panes::dlq::DlqState;
use super::panes::flows::FlowsState;
use super::panes::groups::GroupsState;
use super::panes::inject::InjectState;
use super::panes::lag::LagState;
use super::panes::streams::StreamsState;
use super::panes::topics::TopicsState;

macro_rules! panes {
    ($($(#[$doc:meta])* $tab:ident ($action:ident) => $field:ident: $ty:ty),* $(,)?) => {
        /// The tabs, in number-key order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Tab {
            $($(#[$doc])* $tab),*
        }

        /// Every tab, in order.
        pub const TABS: &[Tab] = &[$(Tab::$tab),*];

        /// Every pane, one per tab.
        pub struct Panes {
            $($(#[$doc])* pub $field: $ty),*
        }

        impl Tab {
            /// The tab an action brings on screen (`TabStreams` → Streams).
            pub fn for_action(action: Action) -> Option<Tab> {
                match action {
                    $(Action::$action => Some(Tab::$tab),)*
                    _ => None,
                }
            }
        }

        impl Panes {
            /// The pane of a tab.
            pub fn get(&self, tab: Tab) -> &dyn Pane {
                match tab {
                    $(Tab::$tab => &self.$field),*
                }
            }

            /// The pane of a tab, to change.
            pub fn get_mut(&mut self, tab: Tab) -> &mut dyn Pane {
                match tab {
                    $(Tab::$tab => &mut self.$field),*
                }
            }

            /// Every pane, in tab order.
            pub fn each_mut(&mut self) -> [&mut dyn Pane; TABS.len()] {
                [$(&mut self.$field as &mut dyn Pane),*]
            }
        }
    };
}

panes! {
    /// Live records.
    Streams(TabStreams) => streams: StreamsState,
    /// Consumer lag.
    Lag(TabLag) => lag: LagState,
    /// Dead-letter queues.
    Dlq(TabDlq) => dlq: DlqState,
    /// Flows between contexts.
    Flows(TabFlows) => flows: FlowsState,
    /// The inject form.
    Inject(TabInject) => inject: InjectState,
    /// Topic administration.
    Topics(TabTopics) => topics: TopicsState,
    /// Consumer-group administration.
    Groups(TabGroups) => groups: GroupsState,
    /// The audit log.
    Audit(TabAudit) => audit: AuditState,
}

impl Panes {
    /// The tab whose title is `name` (any case).
    pub fn tab_named(&self, name: &str) -> Option<Tab> {
        TABS.iter()
            .copied()
            .find(|t| self.get(*t).title().eq_ignore_ascii_case(name))
    }
}
