//! CloudEvents on Kafka: the binary (`ce_*` headers) and structured (JSON body) modes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::headers::HeaderView;
use super::headers::{HEADER_CONTENT_TYPE, header_str};
use super::json_text::{Parsed, parse_any_json, short_json};

/// `mode` of a CloudEvent read from `ce_*` headers with the value as `data`.
pub const MODE_BINARY: &str = "binary";
/// `mode` of a CloudEvent read from an `application/cloudevents+json` body.
pub const MODE_STRUCTURED: &str = "structured";

/// Media type of a structured-mode CloudEvent.
pub const CONTENT_TYPE_CLOUDEVENTS_JSON: &str = "application/cloudevents+json";

/// A CloudEvent (spec 1.0), kept as loosely typed as it arrived.
///
/// Missing required attributes are empty strings (the decode outcome's `error`
/// names them). `correlationid`, `causationid` and `traceparent` are the
/// extensions eventdeck follows flows by; every other extension is in `extensions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudEvent {
    /// `id` attribute.
    pub id: String,
    /// `source` attribute (a URI-reference; not a bounded context).
    pub source: String,
    /// `specversion` attribute, normally `1.0`.
    pub specversion: String,
    /// `type` attribute.
    #[serde(rename = "type")]
    pub event_type: String,
    /// `time` attribute, as written (not validated).
    pub time: Option<String>,
    /// `subject` attribute.
    pub subject: Option<String>,
    /// `datacontenttype`; in binary mode, the record's `content-type` header.
    pub datacontenttype: Option<String>,
    /// `dataschema` attribute.
    pub dataschema: Option<String>,
    /// The payload: JSON when it is JSON, else its UTF-8-lossy text as a JSON
    /// string; a structured event's `data_base64` is kept as the base64 string.
    pub data: Option<Value>,
    /// `correlationid` extension.
    pub correlationid: Option<String>,
    /// `causationid` extension.
    pub causationid: Option<String>,
    /// `traceparent` extension (W3C trace context).
    pub traceparent: Option<String>,
    /// Every other extension attribute (binary mode: always strings).
    #[serde(default)]
    pub extensions: BTreeMap<String, Value>,
    /// [`MODE_BINARY`] or [`MODE_STRUCTURED`].
    pub mode: String,
}

const REQUIRED: [&str; 4] = ["id", "type", "source", "specversion"];

/// True for `application/cloudevents+json`, any case, parameters allowed.
pub(crate) fn is_structured_content_type(content_type: &str) -> bool {
    media_type(content_type).eq_ignore_ascii_case(CONTENT_TYPE_CLOUDEVENTS_JSON)
}

/// True for `application/json`, `text/json` and any `+json` type.
pub(crate) fn is_json_content_type(content_type: &str) -> bool {
    let media = media_type(content_type).to_ascii_lowercase();
    media == "application/json" || media == "text/json" || media.ends_with("+json")
}

fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

/// The `ce_*` (or `ce-*`) attributes of a record, when they make it a binary-mode
/// CloudEvent: `ce_specversion`, or at least `ce_id` and `ce_type`.
pub(crate) fn binary_attributes(
    headers: &(impl HeaderView + ?Sized),
) -> Option<BTreeMap<String, String>> {
    let mut attrs = BTreeMap::new();
    for (key, value) in headers.pairs() {
        let Some(value) = value else { continue };
        let Some(name) = ce_attribute_name(key) else {
            continue;
        };
        // Later headers win, as with the Java client's `lastHeader()`.
        attrs.insert(name, String::from_utf8_lossy(value).into_owned());
    }
    let is_cloudevent = attrs.contains_key("specversion")
        || (attrs.contains_key("id") && attrs.contains_key("type"));
    is_cloudevent.then_some(attrs)
}

/// True for a header named `ce_…` or `ce-…` (any case).
pub(crate) fn has_ce_prefix(key: &str) -> bool {
    key.as_bytes()
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"ce_") || p.eq_ignore_ascii_case(b"ce-"))
}

/// `ce_id` → `id`. The Kafka binding says `ce_`; some HTTP-minded stacks write `ce-`.
fn ce_attribute_name(key: &str) -> Option<String> {
    if !has_ce_prefix(key) {
        return None;
    }
    // The first three bytes are ASCII, so index 3 is a char boundary.
    let name = key.get(3..)?;
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

/// A binary-mode CloudEvent: attributes from headers, the value as `data`.
pub(crate) fn decode_binary(
    value: &[u8],
    mut attrs: BTreeMap<String, String>,
    headers: &(impl HeaderView + ?Sized),
) -> (CloudEvent, Option<String>) {
    let mut problems = Vec::new();
    let mut missing = Vec::new();
    let [id, event_type, source, specversion] = REQUIRED.map(|name| {
        attrs.remove(name).unwrap_or_else(|| {
            missing.push(format!("ce_{name}"));
            String::new()
        })
    });
    if !missing.is_empty() {
        problems.push(format!(
            "CloudEvent (binary) is missing {}",
            missing.join(", ")
        ));
    }
    let datacontenttype = header_str(headers, HEADER_CONTENT_TYPE)
        .map(|ct| ct.into_owned())
        .or_else(|| attrs.remove("datacontenttype"));
    let data = binary_data(value, datacontenttype.as_deref(), &mut problems);
    let traceparent = attrs
        .remove("traceparent")
        .or_else(|| header_str(headers, "traceparent").map(|t| t.into_owned()));
    let event = CloudEvent {
        id,
        event_type,
        source,
        specversion,
        time: attrs.remove("time"),
        subject: attrs.remove("subject"),
        datacontenttype,
        dataschema: attrs.remove("dataschema"),
        data,
        correlationid: attrs.remove("correlationid"),
        causationid: attrs.remove("causationid"),
        traceparent,
        extensions: attrs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
        mode: MODE_BINARY.to_string(),
    };
    (event, join(problems))
}

fn binary_data(
    value: &[u8],
    content_type: Option<&str>,
    problems: &mut Vec<String>,
) -> Option<Value> {
    if value.is_empty() {
        return None;
    }
    let lossy_text = || Value::String(String::from_utf8_lossy(value).into_owned());
    let declared_json = content_type.is_some_and(is_json_content_type);
    // Only JSON (declared, or undeclared and looking like it) is parsed: a
    // `text/plain` body of `42` is the text "42", not a number.
    if content_type.is_some() && !declared_json {
        return Some(lossy_text());
    }
    match parse_any_json(value) {
        Ok(Parsed::Tree(json)) => Some(json),
        Ok(Parsed::Deep(deep)) => {
            problems.push(format!(
                "data is JSON nested {} levels deep, deeper than an event's data is read (128): kept as text",
                deep.depth()
            ));
            Some(lossy_text())
        }
        Err(error) => {
            if declared_json {
                problems.push(format!("data is not valid JSON: {error}"));
            }
            Some(lossy_text())
        }
    }
}

/// True for a JSON object shaped like a structured CloudEvent: non-null
/// `specversion`, `id` and `type`.
pub(crate) fn looks_structured(map: &Map<String, Value>) -> bool {
    ["specversion", "id", "type"]
        .iter()
        .all(|key| map.get(*key).is_some_and(|v| !v.is_null()))
}

/// A structured-mode CloudEvent: every attribute in the JSON object.
pub(crate) fn decode_structured(mut map: Map<String, Value>) -> (CloudEvent, Option<String>) {
    let mut problems = Vec::new();
    let mut missing = Vec::new();
    let [id, event_type, source, specversion] =
        REQUIRED.map(|name| match take_string(&mut map, name, &mut problems) {
            Some(text) => text,
            None => {
                missing.push(name);
                String::new()
            }
        });
    if !missing.is_empty() {
        problems.push(format!(
            "CloudEvent (structured) is missing {}",
            missing.join(", ")
        ));
    }
    let mut optional = |name: &str| take_string(&mut map, name, &mut problems);
    let time = optional("time");
    let subject = optional("subject");
    let datacontenttype = optional("datacontenttype");
    let dataschema = optional("dataschema");
    let correlationid = optional("correlationid");
    let causationid = optional("causationid");
    let traceparent = optional("traceparent");
    let data = map.remove("data").filter(|d| !d.is_null());
    let data_base64 = map.remove("data_base64").filter(|d| !d.is_null());
    if data.is_some() && data_base64.is_some() {
        problems.push("CloudEvent has both data and data_base64; showing data".to_string());
    }
    let event = CloudEvent {
        id,
        event_type,
        source,
        specversion,
        time,
        subject,
        datacontenttype,
        dataschema,
        data: data.or(data_base64),
        correlationid,
        causationid,
        traceparent,
        extensions: map.into_iter().collect(),
        mode: MODE_STRUCTURED.to_string(),
    };
    (event, join(problems))
}

/// Removes attribute `name`; a non-string scalar is kept as its JSON text and noted.
fn take_string(
    map: &mut Map<String, Value>,
    name: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    match map.remove(name)? {
        Value::Null => None,
        Value::String(text) => Some(text),
        other => {
            problems.push(format!(
                "CloudEvent {name} {} is not a string",
                short_json(&other)
            ));
            Some(other.to_string())
        }
    }
}

fn join(problems: Vec<String>) -> Option<String> {
    (!problems.is_empty()).then(|| problems.join("; "))
}
