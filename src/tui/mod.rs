//! The console: one app loop owns the terminal; terminal input, worker messages and
//! record batches arrive over channels, change state, and a frame is drawn at most
//! every `1 / max_fps` and only when something changed.
//!
//! Map: [`runtime`] (the loop, starting the [`workers`]), [`app`] (the router
//! and the global parts: header, prompt, palette, toasts), [`tabs`] (the one
//! registration of the panes), [`panes`] (one component per tab),
//! [`action`] and [`keymap`] (what keys mean), [`event`] (every message that
//! crosses between the app, the panes and the workers), [`dialog`] and
//! [`help`] (overlays), [`widgets`] (lists and text views the panes share),
//! [`theme`], [`strings`], [`json`] (coloured JSON), [`terminal`] (the only
//! code that touches terminal modes).

pub mod action;
pub mod app;
pub mod dialog;
pub mod event;
pub(crate) mod fit;
pub mod frame_stats;
pub mod help;
pub mod json;
pub mod keymap;
pub mod panes;
pub mod runtime;
pub mod strings;
pub mod tab;
pub mod tabs;
pub mod terminal;
pub mod theme;
pub mod widgets;
pub mod workers;

use std::sync::Arc;

use crate::config::Settings;
use crate::publish::Publisher;

pub use app::App;
pub use runtime::run;

/// What the console runs against. The demo passes its embedded broker, bridge and
/// scenario; `eventdeck` with no subcommand passes the configured cluster.
pub struct AppServices {
    /// Connection and UI settings.
    pub settings: Settings,
    /// Where the inject form sends ("via bridge" when `publisher.name() == "bridge"`).
    pub publisher: Arc<dyn Publisher>,
    /// Where "raw to a topic" sends (a `DirectPublisher`), if anywhere.
    pub raw_publisher: Option<Arc<dyn Publisher>>,
    /// What Streams tails at start.
    pub topics: Vec<String>,
    /// Where Streams starts reading: the end for a real cluster (what happens
    /// from now on), the beginning for the demo (everything is fresh).
    pub start: crate::kafka::StartAt,
    /// Extra status text for the header ("bridge: 120 ev/s · outbox 0 · DLQ 3").
    pub status: Option<tokio::sync::watch::Receiver<String>>,
    /// The demo's events per second; `+`/`-` adjust it when present.
    pub scenario_rate: Option<tokio::sync::watch::Sender<u32>>,
    /// The header's title: "demo (embedded broker)" or the cluster label.
    pub title: String,
    /// Consumer groups the Lag pane polls when the broker cannot list groups
    /// (the demo's embedded broker): the groups eventdeck itself runs.
    pub known_groups: Vec<String>,
    /// The local handlers `:replay ... to-handlers` re-delivers to (the demo's
    /// bridge); `None` where no handlers run in the console.
    pub handlers: Option<crate::bridge::Redeliverer>,
}
