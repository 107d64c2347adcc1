//! The causation graph between bounded contexts, built from what is observed on
//! the wire — never hard-coded — and the trace of one correlation id: every event
//! that shares it, as a tree of cause → effects with the time between hops and
//! dead-lettered branches marked. Pure logic, bounded memory.

use std::collections::{BTreeMap, HashSet, VecDeque};

/// The graph's maps are hit several times per record with 36-character ids;
/// foldhash is several times faster than SipHash there, and these keys come
/// from the wire only as lookups into our own bounded maps.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

use serde::Serialize;

/// What the graph needs to know about one observed event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observed {
    /// Event id.
    pub event_id: String,
    /// Its context.
    pub context: String,
    /// Its type.
    pub event_type: String,
    /// Correlation id.
    pub correlation_id: Option<String>,
    /// The event that caused it.
    pub causation_id: Option<String>,
    /// When it occurred (ms since the epoch).
    pub time_ms: i64,
    /// Where it was read: topic, partition, offset.
    pub coordinates: Option<(String, i32, i64)>,
}

impl Observed {
    /// The graph's view of a decoded record; `None` for records that are not
    /// events (plain JSON, raw, tombstones) or carry no id.
    pub fn from_glance(
        rec: &crate::kafka::ConsumedRecord,
        glance: &crate::domain::Glance,
    ) -> Option<Self> {
        Some(Self {
            event_id: glance.event_id.clone()?,
            context: glance.context.clone().unwrap_or_else(|| rec.topic.clone()),
            event_type: glance.event_type.as_deref().unwrap_or("-").to_string(),
            correlation_id: glance.correlation_id.clone(),
            causation_id: glance.causation_id.clone(),
            time_ms: glance
                .occurred_ms
                .unwrap_or_else(|| rec.timestamp_ms.unwrap_or_default()),
            coordinates: Some((rec.topic.clone(), rec.partition, rec.offset)),
        })
    }
}

/// Events remembered to resolve causation links and traces: the last 20k
/// events, about twice what one Streams ring keeps. With unique ids on every
/// event (benches/console_firehose.rs), 50k cost the console ~50 MB of RSS,
/// which pushed 10M events to 199 MB against the 200 MB budget.
pub const REMEMBERED_EVENTS: usize = 20_000;
/// Edge observations kept for the rate (the last minute at most).
const RATE_SAMPLES: usize = 2_000;
/// The window of the edge rate.
const RATE_WINDOW_MS: i64 = 10_000;

/// One edge A → B.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EdgeStats {
    /// Events in B caused by events in A.
    pub count: u64,
    /// (cause type, effect type) → count.
    pub event_types: BTreeMap<(String, String), u64>,
    /// Effects of A in B that were dead-lettered, or causes that failed in B.
    pub dead_letters: u64,
    #[serde(skip)]
    recent: VecDeque<i64>,
}

impl EdgeStats {
    /// Events per second over the last ten seconds before `now_ms`.
    pub fn rate(&self, now_ms: i64) -> f64 {
        let n = self
            .recent
            .iter()
            .filter(|&&t| t > now_ms - RATE_WINDOW_MS && t <= now_ms)
            .count();
        n as f64 / (RATE_WINDOW_MS as f64 / 1000.0)
    }
}

/// A dead letter seen for an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadMark {
    /// The handler that failed, if known.
    pub handler: Option<String>,
    /// Why.
    pub error: Option<String>,
}

impl DeadMark {
    /// `✗ DLQ: cause (handler)`, as the trace shows it.
    pub fn label(&self) -> String {
        let mut s = String::from("✗ DLQ");
        if let Some(e) = &self.error {
            s.push_str(": ");
            s.push_str(e);
        }
        if let Some(h) = &self.handler {
            s.push_str(&format!(" ({h})"));
        }
        s
    }
}

/// The flow graph and trace index.
#[derive(Debug, Default)]
pub struct FlowGraph {
    events: HashMap<String, Observed>,
    order: VecDeque<String>,
    /// Per correlation id, its events in observation order (so the oldest,
    /// forgotten first, is always at the front).
    by_correlation: HashMap<String, VecDeque<String>>,
    /// Effects whose cause has not been seen yet, by the cause's id: linking
    /// them when the cause arrives is a lookup, not a scan of the correlation.
    waiting: HashMap<String, Vec<String>>,
    nodes: BTreeMap<String, u64>,
    edges: BTreeMap<(String, String), EdgeStats>,
    dead: HashMap<String, DeadMark>,
    /// `dead`'s keys in the order they were marked: marks for events never
    /// seen (or already forgotten) go, oldest first, past [`REMEMBERED_EVENTS`].
    dead_order: VecDeque<String>,
}

impl FlowGraph {
    /// Records an event; links it to its cause when the cause was seen (in
    /// either order: an effect read before its cause is linked when the cause
    /// arrives).
    pub fn observe(&mut self, ev: Observed) {
        if self.events.contains_key(&ev.event_id) {
            return;
        }
        // Keys are looked up before they are cloned: this runs per record, and
        // the same few contexts, edges and correlations come back again and again.
        match self.nodes.get_mut(&ev.context) {
            Some(n) => *n += 1,
            None => {
                self.nodes.insert(ev.context.clone(), 1);
            }
        }
        if let Some(c) = &ev.causation_id {
            match self.events.get(c) {
                Some(cause) => {
                    let (from, cause_type) = (cause.context.clone(), cause.event_type.clone());
                    self.link(&from, &cause_type, &ev);
                }
                None => self
                    .waiting
                    .entry(c.clone())
                    .or_default()
                    .push(ev.event_id.clone()),
            }
        }
        // Effects that arrived first.
        let waiting: Vec<Observed> = self
            .waiting
            .remove(&ev.event_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.events.get(&id).cloned())
            .collect();
        for effect in waiting {
            self.link(&ev.context, &ev.event_type, &effect);
        }
        if let Some(c) = &ev.correlation_id {
            match self.by_correlation.get_mut(c) {
                Some(ids) => ids.push_back(ev.event_id.clone()),
                None => {
                    self.by_correlation
                        .insert(c.clone(), VecDeque::from([ev.event_id.clone()]));
                }
            }
        }
        self.order.push_back(ev.event_id.clone());
        self.events.insert(ev.event_id.clone(), ev);
        while self.order.len() > REMEMBERED_EVENTS {
            self.forget_oldest();
        }
    }

    fn link(&mut self, from: &str, cause_type: &str, effect: &Observed) {
        let key = (from.to_string(), effect.context.clone());
        let edge = self.edges.entry(key).or_default();
        edge.count += 1;
        let pair = edge
            .event_types
            .iter_mut()
            .find(|((c, e), _)| c == cause_type && *e == effect.event_type);
        match pair {
            Some((_, n)) => *n += 1,
            None => {
                edge.event_types
                    .insert((cause_type.to_string(), effect.event_type.clone()), 1);
            }
        }
        edge.recent.push_back(effect.time_ms);
        while edge.recent.len() > RATE_SAMPLES {
            edge.recent.pop_front();
        }
        if self.dead.contains_key(&effect.event_id) {
            edge.dead_letters += 1;
        }
    }

    fn forget_oldest(&mut self) {
        let Some(id) = self.order.pop_front() else {
            return;
        };
        let Some(ev) = self.events.remove(&id) else {
            return;
        };
        self.dead.remove(&id);
        if let Some(c) = &ev.correlation_id
            && let Some(ids) = self.by_correlation.get_mut(c)
        {
            // Forgotten in observation order: it is the front.
            if ids.front() == Some(&id) {
                ids.pop_front();
            } else {
                ids.retain(|x| x != &id);
            }
            if ids.is_empty() {
                self.by_correlation.remove(c);
            }
        }
        if let Some(c) = &ev.causation_id
            && let Some(w) = self.waiting.get_mut(c)
        {
            w.retain(|x| x != &id);
            if w.is_empty() {
                self.waiting.remove(c);
            }
        }
    }

    /// Marks an event as dead-lettered (from a DLQ record carrying it).
    pub fn mark_dead(&mut self, event_id: &str, mark: DeadMark) {
        if self.dead.insert(event_id.to_string(), mark).is_some() {
            return;
        }
        self.dead_order.push_back(event_id.to_string());
        while self.dead_order.len() > REMEMBERED_EVENTS {
            if let Some(old) = self.dead_order.pop_front() {
                self.dead.remove(&old);
            }
        }
        let Some(ev) = self.events.get(event_id) else {
            return;
        };
        let Some(cause) = ev.causation_id.as_ref().and_then(|c| self.events.get(c)) else {
            return;
        };
        if let Some(edge) = self
            .edges
            .get_mut(&(cause.context.clone(), ev.context.clone()))
        {
            edge.dead_letters += 1;
        }
    }

    /// Events remembered now (at most [`REMEMBERED_EVENTS`]).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when no event was observed (or all were forgotten).
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The event with this id, if it is remembered.
    pub fn event(&self, event_id: &str) -> Option<&Observed> {
        self.events.get(event_id)
    }

    /// Contexts seen, with event counts.
    pub fn nodes(&self) -> &BTreeMap<String, u64> {
        &self.nodes
    }

    /// Edges (from, to) with their stats.
    pub fn edges(&self) -> &BTreeMap<(String, String), EdgeStats> {
        &self.edges
    }

    /// The trace of a correlation id: its root events with their effects.
    pub fn trace(&self, correlation_id: &str) -> Vec<TraceNode> {
        let Some(ids) = self.by_correlation.get(correlation_id) else {
            return Vec::new();
        };
        let members: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let mut children: HashMap<&str, Vec<&Observed>> = HashMap::default();
        let mut roots = Vec::new();
        for ev in ids.iter().filter_map(|id| self.events.get(id)) {
            match ev.causation_id.as_deref().filter(|c| members.contains(c)) {
                Some(cause) => children.entry(cause).or_default().push(ev),
                None => roots.push(ev),
            }
        }
        roots.sort_by_key(|e| e.time_ms);
        roots
            .into_iter()
            .map(|r| self.build(r, None, &children, 0))
            .collect()
    }

    fn build(
        &self,
        ev: &Observed,
        parent_time: Option<i64>,
        children: &HashMap<&str, Vec<&Observed>>,
        depth: usize,
    ) -> TraceNode {
        let mut kids: Vec<&Observed> = children
            .get(ev.event_id.as_str())
            .cloned()
            .unwrap_or_default();
        kids.sort_by_key(|e| e.time_ms);
        TraceNode {
            event: ev.clone(),
            since_cause_ms: parent_time.map(|t| ev.time_ms - t),
            dead: self.dead.get(&ev.event_id).cloned(),
            // Depth is bounded by the events of one correlation id; the guard
            // only protects against a causation cycle in hostile input.
            children: if depth > 64 {
                Vec::new()
            } else {
                kids.into_iter()
                    .map(|k| self.build(k, Some(ev.time_ms), children, depth + 1))
                    .collect()
            },
        }
    }
}

/// One event in a trace tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceNode {
    /// The event.
    pub event: Observed,
    /// Time since its cause, when it has one in the trace.
    pub since_cause_ms: Option<i64>,
    /// Dead-lettered, and why.
    pub dead: Option<DeadMark>,
    /// Its effects.
    pub children: Vec<TraceNode>,
}

impl TraceNode {
    /// Renders the tree as indented lines (`├─`/`└─`), for the pane and tests.
    pub fn lines(nodes: &[TraceNode]) -> Vec<String> {
        fn walk(n: &TraceNode, prefix: &str, last: bool, root: bool, out: &mut Vec<String>) {
            let branch = if root {
                ""
            } else if last {
                "└─ "
            } else {
                "├─ "
            };
            let hop = n
                .since_cause_ms
                .map_or(String::new(), |ms| format!("  +{ms} ms"));
            let dead = n
                .dead
                .as_ref()
                .map_or(String::new(), |d| format!("  {}", d.label()));
            out.push(format!(
                "{prefix}{branch}{} {}{hop}{dead}",
                n.event.context, n.event.event_type
            ));
            let child_prefix = if root {
                prefix.to_string()
            } else if last {
                format!("{prefix}   ")
            } else {
                format!("{prefix}│  ")
            };
            for (i, c) in n.children.iter().enumerate() {
                walk(c, &child_prefix, i + 1 == n.children.len(), false, out);
            }
        }
        let mut out = Vec::new();
        for n in nodes {
            walk(n, "", true, true, &mut out);
        }
        out
    }
}

/// The `(topic, partition, offset)`s already counted, as runs of consecutive
/// offsets per partition: re-reading a topic (from the beginning, or a seek
/// back) must not count a record twice, and a reader goes through a partition
/// in offset order, so a handful of runs covers everything read.
///
/// Offsets a partition does not have (compacted away, or taken by transaction
/// markers) leave gaps a reader never fills, so a partition keeps at most
/// [`SeenOffsets::MAX_RUNS`] runs: past that its two lowest runs become one,
/// the gap between them counted as seen (a reader reading in order has passed
/// it, and had it held records they were read then). Memory stays bounded
/// whatever the topic looks like.
#[derive(Debug, Default)]
pub struct SeenOffsets {
    /// Per topic and partition: run start → run end (inclusive).
    runs: std::collections::HashMap<String, std::collections::HashMap<i32, BTreeMap<i64, i64>>>,
}

impl SeenOffsets {
    /// Runs kept per partition at most.
    pub const MAX_RUNS: usize = 1024;

    /// Records the offset; true when it was not seen before.
    pub fn insert(&mut self, topic: &str, partition: i32, offset: i64) -> bool {
        let runs = match self.runs.get_mut(topic) {
            Some(parts) => parts.entry(partition).or_default(),
            None => self
                .runs
                .entry(topic.to_string())
                .or_default()
                .entry(partition)
                .or_default(),
        };
        let before = runs.range(..=offset).next_back().map(|(&s, &e)| (s, e));
        if let Some((_, end)) = before
            && end >= offset
        {
            return false;
        }
        let after = offset
            .checked_add(1)
            .and_then(|next| runs.get(&next).copied());
        match (before, after) {
            (Some((start, end)), Some(after_end)) if end + 1 == offset => {
                runs.remove(&(offset + 1));
                runs.insert(start, after_end);
            }
            (Some((start, end)), None) if end + 1 == offset => {
                runs.insert(start, offset);
            }
            (_, Some(after_end)) => {
                runs.remove(&(offset + 1));
                runs.insert(offset, after_end);
            }
            _ => {
                runs.insert(offset, offset);
                if runs.len() > Self::MAX_RUNS
                    && let (Some((start, _)), Some((_, end))) = (runs.pop_first(), runs.pop_first())
                {
                    runs.insert(start, end);
                }
            }
        }
        true
    }

    /// Runs kept in all (for tests: reading in order keeps one per partition).
    pub fn runs(&self) -> usize {
        self.runs
            .values()
            .flat_map(|parts| parts.values())
            .map(BTreeMap::len)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn seen_offsets_count_each_record_once_whatever_the_order() {
        let mut seen = SeenOffsets::default();
        for o in 10..20 {
            assert!(seen.insert("t", 0, o));
        }
        assert_eq!(seen.runs(), 1);
        // Re-read from the beginning: older records are new, the rest are not.
        for o in 0..20 {
            assert_eq!(seen.insert("t", 0, o), o < 10, "offset {o}");
        }
        assert_eq!(seen.runs(), 1, "the two runs merged");
        assert!(seen.insert("t", 1, 15), "another partition is its own");
        assert!(seen.insert("u", 0, 15), "another topic is its own");
        assert!(seen.insert("t", 0, 30));
        assert!(seen.insert("t", 0, 28));
        assert!(seen.insert("t", 0, 29), "fills the gap between two runs");
        assert!(!seen.insert("t", 0, 28));
        assert_eq!(seen.runs(), 4);
    }

    #[test]
    fn seen_offsets_stay_bounded_over_a_partition_full_of_gaps() {
        // Every other offset, as a transactional topic's markers leave them.
        let mut seen = SeenOffsets::default();
        for o in (0..2_000_000i64).step_by(2) {
            assert!(seen.insert("t", 0, o), "offset {o} is new");
        }
        assert_eq!(seen.runs(), SeenOffsets::MAX_RUNS);
        // The newest records are still known, one by one, and so are the
        // oldest (merged into one run).
        assert!(!seen.insert("t", 0, 1_999_998));
        assert!(!seen.insert("t", 0, 0));
        assert!(
            seen.insert("t", 0, 1_999_997),
            "a gap among the newest runs is still a gap"
        );
        assert!(seen.runs() <= SeenOffsets::MAX_RUNS);
    }

    use super::*;

    fn ev(id: &str, ctx: &str, ty: &str, cause: Option<&str>, t: i64) -> Observed {
        Observed {
            event_id: id.into(),
            context: ctx.into(),
            event_type: ty.into(),
            correlation_id: Some("corr-1".into()),
            causation_id: cause.map(str::to_string),
            time_ms: t,
            coordinates: None,
        }
    }

    fn scripted() -> FlowGraph {
        let mut g = FlowGraph::default();
        g.observe(ev("t1", "testing", "TestRunCompleted", None, 1_000));
        g.observe(ev("m1", "performance", "MetricRecorded", Some("t1"), 1_040));
        g.observe(ev(
            "i1",
            "evolution",
            "ImprovementTriggered",
            Some("m1"),
            1_100,
        ));
        // The effect is read before its cause (different topics).
        g.observe(ev(
            "p1",
            "implementation",
            "PullRequestOpened",
            Some("i1"),
            1_180,
        ));
        g.observe(ev("d1", "debate", "DecisionMade", None, 2_000));
        g.observe(ev("k1", "implementation", "TaskCreated", Some("d1"), 2_030));
        g.observe(ev("k2", "implementation", "TaskCreated", Some("d1"), 2_050));
        g.mark_dead(
            "k2",
            DeadMark {
                handler: Some("auditor".into()),
                error: Some("boom".into()),
            },
        );
        g
    }

    #[test]
    fn edges_come_from_observed_causation_only() {
        let g = scripted();
        let edges: Vec<(&str, &str, u64)> = g
            .edges()
            .iter()
            .map(|((a, b), s)| (a.as_str(), b.as_str(), s.count))
            .collect();
        assert_eq!(
            edges,
            [
                ("debate", "implementation", 2),
                ("evolution", "implementation", 1),
                ("performance", "evolution", 1),
                ("testing", "performance", 1),
            ]
        );
        let d = &g.edges()[&("debate".to_string(), "implementation".to_string())];
        assert_eq!(d.dead_letters, 1);
        assert_eq!(
            d.event_types[&("DecisionMade".into(), "TaskCreated".into())],
            2
        );
        assert!((d.rate(3_000) - 0.2).abs() < 1e-9);
        assert_eq!(g.nodes()["implementation"], 3);
    }

    #[test]
    fn effects_read_before_their_cause_are_linked_late() {
        let mut g = FlowGraph::default();
        g.observe(ev("b", "implementation", "TaskCreated", Some("a"), 20));
        assert!(g.edges().is_empty());
        g.observe(ev("a", "debate", "DecisionMade", None, 10));
        assert_eq!(g.edges().len(), 1);
    }

    #[test]
    fn trace_is_a_tree_with_hop_times_and_dead_branches() {
        let g = scripted();
        let lines = TraceNode::lines(&g.trace("corr-1"));
        assert_eq!(
            lines,
            [
                "testing TestRunCompleted",
                "└─ performance MetricRecorded  +40 ms",
                "   └─ evolution ImprovementTriggered  +60 ms",
                "      └─ implementation PullRequestOpened  +80 ms",
                "debate DecisionMade",
                "├─ implementation TaskCreated  +30 ms",
                "└─ implementation TaskCreated  +50 ms  ✗ DLQ: boom (auditor)",
            ]
        );
        assert!(g.trace("unknown").is_empty());
    }

    #[test]
    fn a_dead_letter_read_before_its_event_counts_once_on_the_edge() {
        let mut g = FlowGraph::default();
        g.observe(ev("d", "debate", "DecisionMade", None, 0));
        let mark = DeadMark {
            handler: Some("audit-log".into()),
            error: None,
        };
        // The DLQ topic is read first, then the event itself, then the DLQ again
        // (a seek to the beginning).
        g.mark_dead("k", mark.clone());
        g.observe(ev("k", "implementation", "TaskCreated", Some("d"), 5));
        g.mark_dead("k", mark);
        let e = &g.edges()[&("debate".to_string(), "implementation".to_string())];
        assert_eq!((e.count, e.dead_letters), (1, 1));
        assert_eq!(
            TraceNode::lines(&g.trace("corr-1"))[1],
            "└─ implementation TaskCreated  +5 ms  ✗ DLQ (audit-log)"
        );
    }

    #[test]
    fn one_hot_correlation_stays_linear_and_bounded() {
        // Every event shares one correlation id (a producer that reuses it):
        // linking, forgetting and tracing must not scan the whole correlation.
        let mut g = FlowGraph::default();
        let n = REMEMBERED_EVENTS + 10_000;
        for i in 0..n {
            let cause = (i % 2 == 1).then(|| format!("e{}", i - 1));
            let (ctx, ty) = if i % 2 == 0 {
                ("debate", "DecisionMade")
            } else {
                ("implementation", "TaskCreated")
            };
            g.observe(ev(&format!("e{i}"), ctx, ty, cause.as_deref(), i as i64));
        }
        assert_eq!(g.len(), REMEMBERED_EVENTS);
        assert_eq!(g.by_correlation["corr-1"].len(), REMEMBERED_EVENTS);
        let e = &g.edges()[&("debate".to_string(), "implementation".to_string())];
        assert_eq!(e.count, (n / 2) as u64);
        assert_eq!(g.trace("corr-1").len(), REMEMBERED_EVENTS / 2);
        assert!(g.waiting.is_empty());
    }

    #[test]
    fn effects_waiting_for_a_cause_never_seen_are_forgotten_with_them() {
        let mut g = FlowGraph::default();
        for i in 0..(REMEMBERED_EVENTS + 10) {
            let cause = format!("missing{i}");
            g.observe(ev(
                &format!("e{i}"),
                "implementation",
                "TaskCreated",
                Some(&cause),
                0,
            ));
        }
        assert_eq!(g.waiting.len(), REMEMBERED_EVENTS);
    }

    #[test]
    fn memory_is_bounded_by_the_remembered_events() {
        let mut g = FlowGraph::default();
        for i in 0..(REMEMBERED_EVENTS + 500) {
            let mut e = ev(&format!("e{i}"), "debate", "DecisionMade", None, i as i64);
            e.correlation_id = Some(format!("c{i}"));
            g.observe(e);
        }
        assert_eq!(g.events.len(), REMEMBERED_EVENTS);
        assert_eq!(g.by_correlation.len(), REMEMBERED_EVENTS);
        assert!(g.trace("c0").is_empty(), "the oldest is forgotten");
    }

    #[test]
    fn dead_marks_for_events_never_seen_stay_bounded() {
        // A DLQ whose events this console never reads (another topic, or
        // older than the streams): the marks must not pile up forever.
        let mut g = FlowGraph::default();
        let mark = DeadMark {
            handler: None,
            error: Some("boom".into()),
        };
        for i in 0..REMEMBERED_EVENTS + 500 {
            g.mark_dead(&format!("never-seen-{i}"), mark.clone());
        }
        assert_eq!(g.dead.len(), REMEMBERED_EVENTS);
        assert!(!g.dead.contains_key("never-seen-0"), "the oldest mark goes");
        assert!(
            g.dead
                .contains_key(&format!("never-seen-{}", REMEMBERED_EVENTS + 499))
        );
    }
}
