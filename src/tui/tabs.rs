//! Every pane, built from the one list in [`super::tab`]: the [`Panes`]
//! struct (a field per tab) and the only place a tab is matched to its pane.

use super::panes::Pane;
use super::panes::acls::AclsState;
use super::panes::audit::AuditState;
use super::panes::cluster::ClusterState;
use super::panes::dlq::DlqState;
use super::panes::find::FindState;
use super::panes::flows::FlowsState;
use super::panes::groups::GroupsState;
use super::panes::inject::InjectState;
use super::panes::lag::LagState;
use super::panes::schemas::SchemasState;
use super::panes::streams::StreamsState;
use super::panes::topics::TopicsState;
use super::tab::with_panes;
pub use super::tab::{TABS, Tab};

macro_rules! define_panes {
    ($($(#[$doc:meta])* $tab:ident ($action:ident) => $field:ident: $ty:ty),* $(,)?) => {
        /// Every pane, one per tab.
        pub struct Panes {
            $($(#[$doc])* pub $field: $ty),*
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

with_panes!(define_panes);

impl Panes {
    /// The tab whose title is `name` (any case).
    pub fn tab_named(&self, name: &str) -> Option<Tab> {
        TABS.iter()
            .copied()
            .find(|t| self.get(*t).title().eq_ignore_ascii_case(name))
    }
}
