//! The Cluster tab as a user sees and drives it (from constructed reports;
//! tests/cluster_faults.rs has it on real Kafka with a broker killed), and the
//! tab line: every tab reachable by its key, the palette and Tab/Shift-Tab,
//! and the tab on screen always shown, at any width.

mod support;
use std::collections::BTreeMap;

use eventdeck::kafka::cluster::{ClusterHealth, PartitionIssue, TopicSkew};
use eventdeck::kafka::ffi::Node;
use eventdeck::tui::App;
use eventdeck::tui::event::{ClusterUpdate, Command, WorkerMsg};
use eventdeck::tui::tabs::{TABS, Tab};
use fixtures::{app, at, screen, snap};
use support::tui as fixtures;

fn node(id: i32, rack: Option<&str>) -> Node {
    Node {
        id,
        host: "127.0.0.1".into(),
        port: 39091 + id as u16,
        rack: rack.map(str::to_string),
    }
}

fn issue(
    topic: &str,
    partition: i32,
    leader: i32,
    replicas: &[i32],
    isr: &[i32],
) -> PartitionIssue {
    PartitionIssue {
        topic: topic.into(),
        partition,
        leader,
        replicas: replicas.to_vec(),
        isr: isr.to_vec(),
        min_isr: None,
    }
}

fn healthy() -> ClusterHealth {
    ClusterHealth {
        cluster_id: Some("MkU3OEVBNTcwNTJENDM2Qg".into()),
        controller: Some(node(1, Some("eu-west-1a"))),
        brokers: vec![
            node(1, Some("eu-west-1a")),
            node(2, Some("eu-west-1b")),
            node(3, Some("eu-west-1c")),
        ],
        topics: 12,
        partitions: 84,
        offline: Vec::new(),
        under_replicated: Vec::new(),
        under_min_isr: Vec::new(),
        leader_skew: Vec::new(),
        note: None,
    }
}

/// Broker 2 down: the RF-1 topic it led is offline, the RF-3 one
/// under-replicated (one partition under its min ISR of 3), leaders moved.
fn broker_down() -> ClusterHealth {
    let mut h = healthy();
    h.brokers.retain(|n| n.id != 2);
    h.offline = vec![issue("payments.audit", 0, -1, &[2], &[])];
    h.under_replicated = vec![
        issue("debate.events", 0, 1, &[2, 1, 3], &[1, 3]),
        issue("debate.events", 1, 3, &[3, 2, 1], &[3, 1]),
        issue("debate.events", 2, 1, &[1, 3, 2], &[1, 3]),
        issue("payments.audit", 0, -1, &[2], &[]),
    ];
    h.under_min_isr = vec![PartitionIssue {
        min_isr: Some(3),
        ..issue("debate.events", 0, 1, &[2, 1, 3], &[1, 3])
    }];
    h.leader_skew = vec![TopicSkew {
        topic: "debate.events".into(),
        leaders: BTreeMap::from([(1, 2), (3, 1)]),
        not_preferred: 1,
    }];
    h
}

fn report(app: &mut App, h: ClusterHealth) {
    app.apply(WorkerMsg::Cluster(ClusterUpdate {
        at: at(0),
        result: Ok(Box::new(h)),
    }));
}

fn asked_for_cluster(app: &mut App) -> bool {
    app.take_commands()
        .iter()
        .any(|c| matches!(c, Command::RefreshCluster))
}

#[test]
fn cluster_tab_healthy() {
    let mut app = app();
    app.press("0");
    assert_eq!(app.tab(), Tab::Cluster);
    assert!(asked_for_cluster(&mut app), "the first visit asks");
    report(&mut app, healthy());
    assert!(app.panes.cluster.healthy());
    snap("cluster_healthy", &app);
}

#[test]
fn cluster_tab_with_a_broker_down() {
    let mut app = app();
    app.press("0");
    report(&mut app, healthy());
    report(&mut app, broker_down());
    assert_eq!(app.panes.cluster.down(), [2]);
    assert!(!app.panes.cluster.healthy());
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("1 broker(s) down · 1 offline · 4 under-replicated · 1 under min ISR"),
        "{text}"
    );
    assert!(text.contains("127.0.0.1:39093 DOWN"), "{text}");
    snap("cluster_broker_down", &app);
}

#[test]
fn cluster_unreachable_is_said_in_the_pane_and_the_last_report_stays() {
    let mut app = app();
    app.press("0");
    report(&mut app, healthy());
    app.apply(WorkerMsg::Cluster(ClusterUpdate {
        at: at(10),
        result: Err("the cluster did not answer within 10s (127.0.0.1:39092)".into()),
    }));
    assert!(!app.should_quit());
    let text = screen(&app, 120, 40);
    assert!(
        text.contains("cluster poll failed: the cluster did not answer"),
        "{text}"
    );
    assert!(
        text.contains("127.0.0.1:39092"),
        "the last report stays: {text}"
    );
    snap("cluster_unreachable", &app);
}

#[test]
fn without_admin_apis_the_tab_says_so_and_asks_nothing() {
    let mut settings = fixtures::settings();
    settings.caps = eventdeck::kafka::BrokerCaps::EMBEDDED;
    let mut app = App::new(&fixtures::services_with(settings).0);
    app.press("0");
    assert!(!asked_for_cluster(&mut app));
    app.press("r");
    assert!(!asked_for_cluster(&mut app));
    assert!(!app.panes.cluster.healthy(), "no report, no verdict");
    let text = screen(&app, 120, 40);
    assert!(text.contains("This broker has no admin APIs"), "{text}");
}

#[test]
fn r_asks_the_cluster_again() {
    let mut app = app();
    app.press("0");
    report(&mut app, healthy());
    let _ = app.take_commands();
    app.press("r");
    assert!(asked_for_cluster(&mut app));
    // A second visit does not ask again (the worker polls by itself).
    app.press("1 0");
    assert!(!asked_for_cluster(&mut app));
}

#[test]
fn every_tab_is_reachable_by_the_palette_and_by_tab_cycling() {
    let mut app = app();
    for tab in TABS {
        let name = app.panes.get(*tab).title().to_ascii_lowercase();
        app.press("1");
        app.press(":");
        app.type_text(&name);
        app.press("enter");
        assert_eq!(app.tab(), *tab, ":{name}");
    }
    app.press("1");
    let mut seen = Vec::new();
    for _ in TABS {
        seen.push(app.tab());
        app.press("tab");
    }
    assert_eq!(app.tab(), Tab::Streams, "Tab comes back round");
    assert_eq!(seen, TABS);
    app.press("shift+tab");
    assert_eq!(app.tab(), *TABS.last().expect("tabs"));
}

/// The tab line (the screen's second row) at `w` columns.
fn tab_line(app: &App, w: u16) -> String {
    screen(app, w, 15)
        .lines()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_tab_on_screen_is_always_on_the_tab_line() {
    let mut app = app();
    for w in [30u16, 40, 60, 80, 100, 120] {
        for tab in TABS {
            app.press("1");
            while app.tab() != *tab {
                app.press("tab");
            }
            let title = app.panes.get(*tab).title();
            let line = tab_line(&app, w);
            assert!(line.contains(title), "{w} cols, {title}: {line:?}");
            assert!(
                fixtures::cut_numbers(&line, &tab_line(&app, fixtures::WIDE)).is_empty(),
                "{w} cols: a tab number cut: {line:?}"
            );
        }
    }
    // Wide enough, every title; narrower, the others by their key alone but
    // for the nearest ones that fit whole.
    app.press("0");
    let wide = tab_line(&app, 120);
    for tab in TABS {
        assert!(wide.contains(app.panes.get(*tab).title()), "{wide}");
    }
    // The ACLs and Schemas tabs have no key of their own (tab cycling,
    // `:acls` and `:schemas` reach them): their labels are their titles
    // alone, the last one cut when it does not fit.
    assert_eq!(
        tab_line(&app, 60),
        " 1   2   3   4   5   6   7   8   9   0 Cluster   ACLs   S…"
    );
}

#[test]
fn narrower_still_the_tab_line_is_a_window_with_an_ellipsis_and_clicks_follow_it() {
    let mut app = app();
    let line = tab_line(&app, 30);
    assert!(line.starts_with(" 1 Streams "), "{line:?}");
    assert!(
        line.trim_end().ends_with('…'),
        "tabs left out are marked: {line:?}"
    );
    app.press("0");
    let line = tab_line(&app, 30);
    assert!(
        line.starts_with('…') && line.contains("0 Cluster"),
        "{line:?}"
    );
    // At 80 columns the others are numbers: a click on ` 3 ` opens DLQ.
    let line = tab_line(&app, 80);
    let x = line.find(" 3 ").expect("DLQ's label") as u16 + 1;
    let _ = screen(&app, 80, 24);
    app.handle_event(eventdeck::tui::event::Event::Mouse(
        crossterm::event::MouseEvent {
            kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column: x,
            row: 1,
            modifiers: crossterm::event::KeyModifiers::NONE,
        },
    ));
    assert_eq!(app.tab(), Tab::Dlq);
}

#[test]
fn the_tab_line_shows_the_key_each_tab_is_bound_to() {
    let mut settings = fixtures::settings();
    settings.ui.keys.insert("F2".into(), "tab_cluster".into());
    settings.ui.keys.insert("0".into(), "none".into());
    let app = App::new(&fixtures::services_with(settings).0);
    let line = tab_line(&app, 120);
    assert!(line.ends_with(" F2 Cluster   ACLs   Schemas"), "{line:?}");
}
