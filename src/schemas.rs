//! What the Schemas tab and `eventdeck schemas` show of a schema registry:
//! subjects with their latest version, format, compatibility level and the
//! topics that use them; one version's text pretty-printed; a line diff
//! between two versions. The registry calls block ([`RegistryClient`]); the
//! console makes them on its schemas worker, the commands on a blocking
//! thread. Both call the functions here.

use serde::Serialize;

use crate::domain::deep::{self, Event};
use crate::domain::schema::{Field, SchemaFormat};
use crate::schema_registry::{RegistryClient, SchemaReference};

/// Indentation per level of pretty-printed JSON, in spaces.
const INDENT: usize = 2;

/// One subject, as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectSummary {
    /// The subject.
    pub subject: String,
    /// Its latest version.
    pub latest: u32,
    /// The latest version's schema id.
    pub id: u32,
    /// The latest version's language: `avro`, `protobuf`, `json`.
    pub format: SchemaFormat,
    /// Its compatibility level (the registry's global default when the
    /// subject has none of its own).
    pub compatibility: String,
    /// Topics that use it by the topic name strategy (`<topic>-value`,
    /// `<topic>-key`), among the cluster's topics; `None` when the cluster's
    /// topic list could not be read.
    pub topics: Option<Vec<String>>,
}

/// One version of a subject, as `schemas show` and the open subject show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionView {
    /// The subject.
    pub subject: String,
    /// Every version of the subject, oldest first.
    pub versions: Vec<u32>,
    /// The version shown.
    pub version: u32,
    /// Its schema id.
    pub id: u32,
    /// Its language.
    pub format: SchemaFormat,
    /// The subject's compatibility level.
    pub compatibility: String,
    /// The schemas it references.
    pub references: Vec<SchemaReference>,
    /// The schema text, pretty-printed ([`pretty`]).
    pub schema: String,
}

impl VersionView {
    /// Its references as one line (`name → subject version n; …`), or `-`.
    pub fn references_text(&self) -> String {
        if self.references.is_empty() {
            return "-".to_string();
        }
        self.references
            .iter()
            .map(|r| format!("{} → {} version {}", r.name, r.subject, r.version))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl VersionView {
    /// The version before the one shown, if any.
    pub fn previous(&self) -> Option<u32> {
        self.versions
            .iter()
            .copied()
            .filter(|v| *v < self.version)
            .max()
    }

    /// The version after the one shown, if any.
    pub fn next(&self) -> Option<u32> {
        self.versions
            .iter()
            .copied()
            .filter(|v| *v > self.version)
            .min()
    }
}

/// What a line of a diff is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffOp {
    /// In both versions.
    Equal,
    /// Only in the older one.
    Delete,
    /// Only in the newer one.
    Insert,
}

impl DiffOp {
    /// ` `, `-`, `+`: the unified diff's mark.
    pub fn mark(self) -> char {
        match self {
            Self::Equal => ' ',
            Self::Delete => '-',
            Self::Insert => '+',
        }
    }
}

/// One line of a diff, without its newline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    /// Which side it is on.
    pub op: DiffOp,
    /// The line.
    pub text: String,
}

/// A diff between two versions of a subject's pretty-printed text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaDiff {
    /// The subject.
    pub subject: String,
    /// The older side.
    pub from: DiffSide,
    /// The newer side.
    pub to: DiffSide,
    /// Every line of both, in order.
    pub lines: Vec<DiffLine>,
}

/// One side of a [`SchemaDiff`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffSide {
    /// The version.
    pub version: u32,
    /// Its schema id.
    pub id: u32,
}

impl SchemaDiff {
    /// Lines added and removed.
    pub fn counts(&self) -> (usize, usize) {
        let count = |op| self.lines.iter().filter(|l| l.op == op).count();
        (count(DiffOp::Insert), count(DiffOp::Delete))
    }
}

/// The topics among `topics` that use `subject` by the topic name strategy:
/// `<topic>-value` and `<topic>-key` (Confluent's default
/// `TopicNameStrategy`).
pub fn topics_by_strategy(subject: &str, topics: &[String]) -> Vec<String> {
    [Field::Value, Field::Key]
        .iter()
        .filter_map(|f| subject.strip_suffix(&format!("-{}", f.as_str())))
        .filter(|t| topics.iter().any(|name| name == t))
        .map(str::to_string)
        .collect()
}

/// Every subject with its latest version, format and compatibility level,
/// and the topics among `topics` (`None`: not known) that use it by name.
pub fn list(
    client: &RegistryClient,
    topics: Option<&[String]>,
) -> Result<Vec<SubjectSummary>, String> {
    let global = client.global_compatibility()?;
    let mut out = Vec::new();
    for subject in client.subjects()? {
        let latest = client.subject_version(&subject, None)?;
        // Confluent answers a subject without a level of its own with 404;
        // the global level asked once above stands in for it.
        let compatibility = client
            .compatibility(&subject)
            .unwrap_or_else(|_| global.clone());
        out.push(SubjectSummary {
            topics: topics.map(|t| topics_by_strategy(&subject, t)),
            subject,
            latest: latest.version,
            id: latest.schema.id,
            format: latest.schema.format,
            compatibility,
        });
    }
    Ok(out)
}

/// Version `version` of `subject` (`None`: the latest), pretty-printed.
pub fn show(
    client: &RegistryClient,
    subject: &str,
    version: Option<u32>,
) -> Result<VersionView, String> {
    let versions = client.versions(subject)?;
    let v = client.subject_version(subject, version)?;
    Ok(VersionView {
        subject: v.subject,
        versions,
        version: v.version,
        id: v.schema.id,
        format: v.schema.format,
        compatibility: client.compatibility(subject)?,
        references: v.references,
        schema: pretty(v.schema.format, &v.schema.text),
    })
}

/// The diff from version `from` to version `to` of `subject`.
pub fn diff_versions(
    client: &RegistryClient,
    subject: &str,
    from: Option<u32>,
    to: Option<u32>,
) -> Result<SchemaDiff, String> {
    let a = client.subject_version(subject, from)?;
    let b = client.subject_version(subject, to)?;
    Ok(SchemaDiff {
        subject: subject.to_string(),
        from: DiffSide {
            version: a.version,
            id: a.schema.id,
        },
        to: DiffSide {
            version: b.version,
            id: b.schema.id,
        },
        lines: diff(
            &pretty(a.schema.format, &a.schema.text),
            &pretty(b.schema.format, &b.schema.text),
        ),
    })
}

/// The line diff from `old` to `new` (every line, in order).
pub fn diff(old: &str, new: &str) -> Vec<DiffLine> {
    similar::TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| DiffLine {
            op: match c.tag() {
                similar::ChangeTag::Equal => DiffOp::Equal,
                similar::ChangeTag::Delete => DiffOp::Delete,
                similar::ChangeTag::Insert => DiffOp::Insert,
            },
            text: c.value().trim_end_matches(['\n', '\r']).to_string(),
        })
        .collect()
}

/// A schema's text for reading: Avro and JSON Schema documents pretty-printed
/// as JSON (members in their written order, two spaces per level), Protobuf
/// as written. Text that is not JSON is shown as written.
pub fn pretty(format: SchemaFormat, text: &str) -> String {
    match format {
        SchemaFormat::Protobuf => text.to_string(),
        SchemaFormat::Avro | SchemaFormat::Json => {
            pretty_json(text).unwrap_or_else(|_| text.to_string())
        }
    }
}

/// `text` (one JSON document) pretty-printed like `serde_json`'s pretty
/// printer, but with object members in their written order (a `Value`
/// would sort them: an Avro record would list `fields` before its `name`).
/// Read as a stream of events, so any depth is safe.
pub fn pretty_json(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() * 2);
    // Per open container: is it still empty?
    let mut open: Vec<bool> = Vec::new();
    let mut after_key = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', depth * INDENT));
    };
    deep::walk(text.as_bytes(), |event| {
        let closing = matches!(event, Event::EndArray | Event::EndObject);
        if closing {
            let was_empty = open.pop().unwrap_or(true);
            if !was_empty {
                newline(&mut out, open.len());
            }
            out.push(if event == Event::EndObject { '}' } else { ']' });
            return;
        }
        // A key, or a value that is not an object member's: on its own line.
        if !after_key && let Some(empty) = open.last_mut() {
            if !*empty {
                out.push(',');
            }
            *empty = false;
            newline(&mut out, open.len());
        }
        after_key = false;
        match event {
            Event::ObjectKey(k) => {
                out.push_str(&deep::quoted(&k));
                out.push_str(": ");
                after_key = true;
            }
            Event::String(s) => out.push_str(&deep::quoted(&s)),
            Event::Number(n) => out.push_str(&n),
            Event::Boolean(b) => out.push_str(if b { "true" } else { "false" }),
            Event::Null => out.push_str("null"),
            Event::StartObject => {
                out.push('{');
                open.push(true);
            }
            Event::StartArray => {
                out.push('[');
                open.push(true);
            }
            Event::EndArray | Event::EndObject | Event::Eof => {}
        }
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_pretty_printed_in_its_written_order() {
        let text = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"tags","type":{"type":"array","items":"string"},"default":[]}],"doc":{}}"#;
        assert_eq!(
            pretty_json(text).unwrap(),
            r#"{
  "type": "record",
  "name": "Order",
  "fields": [
    {
      "name": "id",
      "type": "string"
    },
    {
      "name": "tags",
      "type": {
        "type": "array",
        "items": "string"
      },
      "default": []
    }
  ],
  "doc": {}
}"#
        );
        // serde_json prints the same, members sorted aside.
        let value: serde_json::Value =
            serde_json::from_str(r#"{"a":[1,{"b":null}],"c":"x"}"#).unwrap();
        assert_eq!(
            pretty_json(r#"{"a":[1,{"b":null}],"c":"x"}"#).unwrap(),
            serde_json::to_string_pretty(&value).unwrap()
        );
        assert_eq!(pretty_json(r#""string""#).unwrap(), r#""string""#);
        assert!(pretty_json("{").is_err());
    }

    #[test]
    fn protobuf_and_text_that_is_not_json_stay_as_written() {
        let proto = "syntax = \"proto3\";\nmessage A { int32 x = 1; }\n";
        assert_eq!(pretty(SchemaFormat::Protobuf, proto), proto);
        assert_eq!(pretty(SchemaFormat::Avro, "not json"), "not json");
        assert_eq!(
            pretty(SchemaFormat::Json, r#"{"type":"object"}"#),
            "{\n  \"type\": \"object\"\n}"
        );
    }

    #[test]
    fn a_diff_marks_every_line() {
        let lines = diff("a\nb\nc\n", "a\nc\nd\n");
        let marked: Vec<String> = lines
            .iter()
            .map(|l| format!("{}{}", l.op.mark(), l.text))
            .collect();
        assert_eq!(marked, [" a", "-b", " c", "+d"]);
    }

    #[test]
    fn topics_use_a_subject_by_their_name() {
        let topics = vec!["orders".to_string(), "payments".into(), "orders-key".into()];
        assert_eq!(topics_by_strategy("orders-value", &topics), ["orders"]);
        assert_eq!(topics_by_strategy("orders-key", &topics), ["orders"]);
        assert!(topics_by_strategy("shipping-value", &topics).is_empty());
        assert!(topics_by_strategy("orders", &topics).is_empty());
        assert!(topics_by_strategy("com.acme.Order", &topics).is_empty());
    }

    #[test]
    fn a_version_knows_its_neighbours() {
        let v = VersionView {
            subject: "s".into(),
            versions: vec![1, 2, 4],
            version: 2,
            id: 9,
            format: SchemaFormat::Avro,
            compatibility: "NONE".into(),
            references: vec![],
            schema: String::new(),
        };
        assert_eq!((v.previous(), v.next()), (Some(1), Some(4)));
    }
}
