//! The tabs: the one list of panes (in number-key order) and the [`Tab`]
//! names it gives. `tabs.rs` builds the panes from the same list, so a pane
//! is registered on one line here and nowhere else.

use super::action::Action;

/// Calls `$m!` with every pane: its tab, the action that brings it on
/// screen, the field that holds it and its type (named in `tui::tabs`).
macro_rules! with_panes {
    ($m:ident) => {
        $m! {
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
            /// Searches over whole topics.
            Find(TabFind) => find: FindState,
            /// Cluster health: brokers, partitions at risk, leader skew.
            Cluster(TabCluster) => cluster: ClusterState,
            /// Access control lists.
            Acls(TabAcls) => acls: AclsState,
            /// Schema registry subjects and versions.
            Schemas(TabSchemas) => schemas: SchemasState,
        }
    };
}
pub(crate) use with_panes;

macro_rules! define_tab {
    ($($(#[$doc:meta])* $tab:ident ($action:ident) => $field:ident: $ty:ty),* $(,)?) => {
        /// The tabs, in number-key order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Tab {
            $($(#[$doc])* $tab),*
        }

        /// Every tab, in order.
        pub const TABS: &[Tab] = &[$(Tab::$tab),*];

        impl Tab {
            /// The tab an action brings on screen (`TabStreams` → Streams).
            pub fn for_action(action: Action) -> Option<Tab> {
                match action {
                    $(Action::$action => Some(Tab::$tab),)*
                    _ => None,
                }
            }

            /// The action that brings this tab on screen.
            pub fn action(self) -> Action {
                match self {
                    $(Tab::$tab => Action::$action,)*
                }
            }
        }
    };
}

with_panes!(define_tab);
