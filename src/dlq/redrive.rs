//! Reading DLQ topics and redriving their records: a plan first (what goes
//! where, a dry run changes nothing), then delivery at a rate limit with the
//! original key, value and headers (our DLQ headers stripped), and an audit entry.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Serialize;
use serde_json::json;

use super::{DeadLetter, decode};
use crate::audit::{self, Source, action};
use crate::config::Settings;
use crate::domain::TopicMap;
use crate::domain::policy::Policies;
use crate::domain::schema::NoRegistry;
use crate::kafka::produce::DEFAULT_DELIVERY_TIMEOUT;
use crate::kafka::{ConsumedRecord, EventProducer, KafkaError};
use crate::mutate::MutationError;

/// A DLQ record with its dead-letter information decoded.
#[derive(Debug, Clone)]
pub struct DlqRecord {
    /// The DLQ record itself.
    pub record: ConsumedRecord,
    /// What its headers say.
    pub letter: DeadLetter,
    /// The record as read when the data policies hid part of it
    /// ([`DlqRecord::shown`]): `record` and `letter` are then what may be
    /// shown, and this is what a redrive sends ([`plan`] takes it).
    pub original: Option<Box<ConsumedRecord>>,
}

impl DlqRecord {
    /// A dead letter as read, its headers decoded.
    pub fn new(record: ConsumedRecord) -> Self {
        Self {
            letter: decode(&record.headers),
            record,
            original: None,
        }
    }

    /// The dead letter as the data policies let it be shown
    /// ([`ConsumedRecord::masked`]; its letter read from the shown headers),
    /// the record as read kept for writing back.
    pub fn shown(self, policies: &Policies, topics: &TopicMap) -> Self {
        match self.record.masked(policies, topics, &NoRegistry) {
            Some((shown, _)) => Self {
                letter: decode(&shown.headers),
                record: shown,
                original: Some(Box::new(self.original.map_or(self.record, |o| *o))),
            },
            None => self,
        }
    }

    /// The dead letter as read (what a redrive sends), whatever was shown.
    pub fn into_original(self) -> Self {
        match self.original {
            Some(original) => Self::new(*original),
            None => self,
        }
    }

    /// Bytes it holds, itself included (for memory budgets).
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.record.heap_bytes()
            + self.letter.heap_bytes()
            + self.original.as_ref().map_or(0, |o| o.heap_bytes())
    }
}

/// Reads every record of the DLQ topics, from the beginning to the current end.
pub async fn read_all(
    settings: &Settings,
    topics: &[String],
) -> Result<Vec<DlqRecord>, KafkaError> {
    let records = crate::kafka::consume::read_from_beginning(settings, topics, None).await?;
    Ok(records.into_iter().map(DlqRecord::new).collect())
}

/// True when the dead letter mentions `filter` (case-insensitive) in its error
/// kind or message, original topic, handler, key or value. The DLQ pane's `/` and
/// `eventdeck dlq redrive --filter` use this one definition.
pub fn matches_filter(r: &DlqRecord, filter: &str) -> bool {
    let f = filter.trim().to_lowercase();
    if f.is_empty() {
        return true;
    }
    let l = &r.letter;
    [
        l.error_kind.as_deref(),
        l.error_message.as_deref(),
        l.original_topic.as_deref(),
        l.handler.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::to_string)
    .chain(r.record.key_text())
    .chain(
        r.record
            .value
            .as_ref()
            .map(|v| String::from_utf8_lossy(v).into_owned()),
    )
    .any(|s| s.to_lowercase().contains(&f))
}

/// What a redrive would do.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Records per target topic.
    pub targets: BTreeMap<String, usize>,
    /// Records that cannot be redriven (no original topic and no `--to-topic`).
    pub skipped: usize,
    /// The one target asked for instead of each record's original topic.
    pub to_topic: Option<String>,
    /// The records, as (DLQ topic, partition, offset, target).
    #[serde(skip)]
    pub items: Vec<(DlqRecord, String)>,
}

/// Builds the plan for `records`: each goes to `to_topic`, else its original topic.
pub fn plan(records: Vec<DlqRecord>, to_topic: Option<&str>) -> Plan {
    let mut targets = BTreeMap::new();
    let mut items = Vec::new();
    let mut skipped = 0;
    for r in records {
        // Writing back is never masked: the plan holds the records as read
        // (and their original topic as their own headers name it).
        let r = r.into_original();
        let target = to_topic
            .map(str::to_string)
            .or_else(|| r.letter.original_topic.clone());
        match target {
            Some(t) => {
                *targets.entry(t.clone()).or_default() += 1;
                items.push((r, t));
            }
            None => skipped += 1,
        }
    }
    Plan {
        targets,
        skipped,
        to_topic: to_topic.map(str::to_string),
        items,
    }
}

/// Header names that belong to a dead-letter family, stripped on redrive so the
/// original headers come back as they were (in `domain`, so the record reader
/// can ask too).
pub use crate::domain::headers::is_dead_letter_header;

/// How a redrive went.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Outcome {
    /// Records delivered.
    pub delivered: usize,
    /// Records that failed, with why.
    pub failed: Vec<String>,
}

/// Redrives a planned set of dead letters on a person's behalf — `eventdeck
/// dlq redrive` and the DLQ pane both call this: the read-only gate, then
/// delivery at `rate` ([`execute`]), then one audit line. Audit params: the
/// DLQ topics, the filter the records were chosen with (if any), the target
/// override, the rate, the count per target, the records skipped and every
/// record redriven as `topic[partition]@offset`; outcome `{delivered, failed}`.
pub async fn redrive(
    settings: &Settings,
    source: Source,
    plan: &Plan,
    filter: Option<&str>,
    rate: u32,
    progress: impl FnMut(usize, usize),
) -> Result<Outcome, MutationError> {
    audit::authorize(settings, action::DLQ_REDRIVE)?;
    let producer = EventProducer::new(settings, DEFAULT_DELIVERY_TIMEOUT)?;
    let outcome = execute(&producer, plan, rate, progress).await;
    let dlq_topics: BTreeSet<&str> = plan
        .items
        .iter()
        .map(|(r, _)| r.record.topic.as_str())
        .collect();
    let params = json!({
        "dlq_topics": dlq_topics,
        "filter": filter.filter(|f| !f.trim().is_empty()),
        "to_topic": plan.to_topic,
        "rate": rate,
        "targets": plan.targets,
        "skipped": plan.skipped,
        "records": plan.items.iter().map(|(r, _)| format!(
            "{}[{}]@{}", r.record.topic, r.record.partition, r.record.offset
        )).collect::<Vec<_>>(),
    });
    let result = json!({"delivered": outcome.delivered, "failed": outcome.failed.len()});
    audit::record(settings, source, action::DLQ_REDRIVE, params, result).map_err(|error| {
        MutationError::NotAudited {
            what: format!("{} delivered", outcome.delivered),
            error,
        }
    })?;
    Ok(outcome)
}

/// Delivers the plan at most `rate` records per second, calling `progress`
/// after each record with (done, total).
pub async fn execute(
    producer: &EventProducer,
    plan: &Plan,
    rate: u32,
    mut progress: impl FnMut(usize, usize),
) -> Outcome {
    let mut outcome = Outcome::default();
    let pause = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let total = plan.items.len();
    let mut tick = tokio::time::interval(pause);
    for (i, (r, target)) in plan.items.iter().enumerate() {
        tick.tick().await;
        let headers: Vec<(String, Option<Vec<u8>>)> = r
            .record
            .headers
            .iter()
            .filter(|(k, _)| !is_dead_letter_header(k))
            .map(|(k, v)| (k.to_string(), v.map(<[u8]>::to_vec)))
            .collect();
        match producer
            .send_raw(
                target,
                r.record.key.as_deref(),
                r.record.value.as_deref(),
                &headers,
            )
            .await
        {
            Ok(_) => outcome.delivered += 1,
            Err(e) => outcome.failed.push(format!(
                "{}[{}]@{}: {e}",
                r.record.topic, r.record.partition, r.record.offset
            )),
        }
        progress(i + 1, total);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shown_dead_letter_hides_what_policies_say_and_the_plan_takes_the_original() {
        let spec = crate::domain::policy::PolicySpec {
            name: "p".into(),
            fields: vec!["secret".into()],
            headers: vec!["x-original-topic".into()],
            ..Default::default()
        };
        let policies = Policies::new(&[spec], Vec::new()).expect("valid");
        let value = br#"{"secret":"s3cr3t-value","n":1}"#.to_vec();
        let read = ConsumedRecord {
            topic: "orders.dlq".into(),
            partition: 0,
            offset: 4,
            timestamp_ms: None,
            key: Some(b"k".to_vec()),
            value: Some(value.clone()),
            headers: vec![("x-original-topic".to_string(), Some(b"orders".to_vec()))].into(),
        };
        let shown = DlqRecord::new(read.clone()).shown(&policies, &TopicMap::default());
        let text = String::from_utf8_lossy(shown.record.value.as_deref().unwrap_or_default());
        assert!(!text.contains("s3cr3t"), "{text}");
        assert_eq!(shown.letter.original_topic.as_deref(), Some("***"));
        assert_eq!(shown.original.as_deref(), Some(&read));
        // Shown twice, the original is still the record as read.
        let twice = shown.clone().shown(&policies, &TopicMap::default());
        assert_eq!(twice.original.as_deref(), Some(&read));
        let p = plan(vec![twice], None);
        assert_eq!(p.targets.keys().collect::<Vec<_>>(), ["orders"]);
        assert_eq!(p.items[0].0.record, read);
        assert!(p.items[0].0.original.is_none());
    }

    fn rec(offset: i64, original: Option<&str>) -> DlqRecord {
        DlqRecord {
            record: ConsumedRecord {
                topic: "x.dlq".into(),
                partition: 0,
                offset,
                timestamp_ms: None,
                key: None,
                value: Some(b"{}".to_vec()),
                headers: crate::domain::Headers::default(),
            },
            letter: DeadLetter {
                original_topic: original.map(str::to_string),
                ..Default::default()
            },
            original: None,
        }
    }

    #[test]
    fn plan_targets_originals_or_the_override_and_counts_the_unroutable() {
        let p = plan(
            vec![
                rec(0, Some("a")),
                rec(1, Some("b")),
                rec(2, Some("a")),
                rec(3, None),
            ],
            None,
        );
        assert_eq!(
            p.targets,
            BTreeMap::from([("a".into(), 2), ("b".into(), 1)])
        );
        assert_eq!(p.skipped, 1);
        let p = plan(vec![rec(0, Some("a")), rec(3, None)], Some("retry"));
        assert_eq!(p.targets, BTreeMap::from([("retry".into(), 2)]));
        assert_eq!(p.skipped, 0);
    }

    #[test]
    fn dead_letter_headers_are_recognised() {
        assert!(is_dead_letter_header("eventdeck.dlq.error.kind"));
        assert!(is_dead_letter_header("kafka_dlt-original-offset"));
        assert!(!is_dead_letter_header("correlation_id"));
        assert!(!is_dead_letter_header("traceparent"));
    }
}
