//! The fields a registry schema tags (`"confluent:tags": ["PII"]`,
//! `"x-sensitive": true`), with where each is in the value the schema decodes
//! to: what a data policy's `tagged` names. Worked out once per schema, when
//! it is parsed, from its document (Avro and JSON Schema are JSON documents);
//! Protobuf field options are not read.

use std::collections::HashMap;

use serde_json::Value;

use crate::domain::policy::{JsonPath, PathStep, SENSITIVE_TAG, TaggedField};

/// How deep a schema is followed: a recursive type, or one nested absurdly
/// deep, stops here instead of overflowing the stack.
const MAX_DEPTH: usize = 64;

/// Tagged fields found at most (a schema listing more is cut here).
const MAX_TAGGED: usize = 1_000;

/// Schema nodes visited at most: a named type used in many places is walked
/// at each, so a hostile schema could otherwise take exponential time.
const MAX_STEPS: usize = 200_000;

/// What a walk found, and how far it has gone.
#[derive(Default)]
struct Out {
    fields: Vec<TaggedField>,
    steps: usize,
}

impl Out {
    /// Counts one more node; false once the walk has gone far enough.
    fn step(&mut self) -> bool {
        self.steps += 1;
        self.steps <= MAX_STEPS
    }
}

/// The tags a field's (or property's) attributes give it.
fn tags_of(attributes: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut tags: Vec<String> = match attributes.get("confluent:tags") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    if attributes.get("x-sensitive") == Some(&Value::Bool(true)) {
        tags.push(SENSITIVE_TAG.to_string());
    }
    tags
}

fn push(out: &mut Out, path: &[PathStep], tags: Vec<String>) {
    if !tags.is_empty() && out.fields.len() < MAX_TAGGED {
        out.fields.push(TaggedField {
            path: JsonPath::from_steps(path),
            tags,
        });
    }
}

/// The tagged fields of an Avro schema (and the documents it references).
pub(super) fn avro(text: &str, references: &[&str]) -> Vec<TaggedField> {
    let Ok(root) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let docs: Vec<Value> = references
        .iter()
        .filter_map(|r| serde_json::from_str(r).ok())
        .collect();
    let mut names = HashMap::new();
    for doc in docs.iter().chain([&root]) {
        collect_avro_names(doc, None, &mut names, 0);
    }
    let mut out = Out::default();
    let mut path = Vec::new();
    let mut stack = Vec::new();
    walk_avro(
        &root, None, &names, &mut path, &mut stack, &mut out, 0, false,
    );
    out.fields
}

/// A named type's full name: `namespace.name` unless the name has a dot.
fn full_name(def: &serde_json::Map<String, Value>, namespace: Option<&str>) -> Option<String> {
    let name = def.get("name")?.as_str()?;
    if name.contains('.') {
        return Some(name.to_string());
    }
    match def.get("namespace").and_then(Value::as_str).or(namespace) {
        Some(ns) if !ns.is_empty() => Some(format!("{ns}.{name}")),
        _ => Some(name.to_string()),
    }
}

/// The namespace of a named type's definition, for the names inside it.
fn namespace_of(def: &serde_json::Map<String, Value>, outer: Option<&str>) -> Option<String> {
    let full = full_name(def, outer)?;
    full.rsplit_once('.').map(|(ns, _)| ns.to_string())
}

fn collect_avro_names<'a>(
    schema: &'a Value,
    namespace: Option<&str>,
    names: &mut HashMap<String, (&'a Value, Option<String>)>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match schema {
        Value::Array(branches) => {
            for b in branches {
                collect_avro_names(b, namespace, names, depth + 1);
            }
        }
        Value::Object(def) => {
            let ns = match def.get("type").and_then(Value::as_str) {
                Some("record" | "error" | "enum" | "fixed") => {
                    let ns = namespace_of(def, namespace);
                    if let Some(full) = full_name(def, namespace) {
                        names.insert(full.clone(), (schema, ns.clone()));
                        // Also by its short name, as a schema may refer to it.
                        if let Some((_, short)) = full.rsplit_once('.') {
                            names
                                .entry(short.to_string())
                                .or_insert((schema, ns.clone()));
                        }
                    }
                    ns
                }
                _ => namespace.map(str::to_string),
            };
            if let Some(Value::Array(fields)) = def.get("fields") {
                for f in fields {
                    if let Some(t) = f.get("type") {
                        collect_avro_names(t, ns.as_deref(), names, depth + 1);
                    }
                }
            }
            for k in ["items", "values", "type"] {
                if let Some(t) = def.get(k).filter(|t| !t.is_string()) {
                    collect_avro_names(t, ns.as_deref(), names, depth + 1);
                }
            }
        }
        _ => {}
    }
}

#[allow(clippy::too_many_arguments)]
fn walk_avro<'a>(
    schema: &'a Value,
    namespace: Option<&str>,
    names: &HashMap<String, (&'a Value, Option<String>)>,
    path: &mut Vec<PathStep>,
    stack: &mut Vec<String>,
    out: &mut Out,
    depth: usize,
    deep: bool,
) {
    if depth > MAX_DEPTH || !out.step() {
        return;
    }
    let walk = |schema: &'a Value,
                namespace: Option<&str>,
                path: &mut Vec<PathStep>,
                stack: &mut Vec<String>,
                out: &mut Out,
                deep: bool| {
        walk_avro(schema, namespace, names, path, stack, out, depth + 1, deep);
    };
    match schema {
        // A union: its value is the chosen branch's, at the same place.
        Value::Array(branches) => {
            for b in branches {
                walk(b, namespace, path, stack, out, deep);
            }
        }
        Value::String(name) => {
            let found = names
                .get(name.as_str())
                .or_else(|| namespace.and_then(|ns| names.get(&format!("{ns}.{name}"))));
            if let Some((def, ns)) = found {
                walk(def, ns.as_deref(), path, stack, out, deep);
            }
        }
        Value::Object(def) => match def.get("type") {
            Some(Value::String(t)) if t == "record" || t == "error" => {
                let ns = namespace_of(def, namespace);
                let full = full_name(def, namespace).unwrap_or_default();
                let Some(Value::Array(fields)) = def.get("fields") else {
                    return;
                };
                // A record met again inside itself: its fields are tagged at
                // any depth below here (`**`), once.
                let again = stack.contains(&full);
                if again && deep {
                    return;
                }
                if again {
                    path.push(PathStep::AnyDepth);
                }
                stack.push(full);
                for f in fields {
                    let (Some(field), Some(name)) =
                        (f.as_object(), f.get("name").and_then(Value::as_str))
                    else {
                        continue;
                    };
                    path.push(PathStep::Field(name.to_string()));
                    push(out, path, tags_of(field));
                    if let Some(t) = field.get("type") {
                        walk(t, ns.as_deref(), path, stack, out, deep || again);
                    }
                    path.pop();
                }
                stack.pop();
                if again {
                    path.pop();
                }
            }
            Some(Value::String(t)) if t == "array" => {
                if let Some(items) = def.get("items") {
                    path.push(PathStep::AnyElement);
                    walk(items, namespace, path, stack, out, deep);
                    path.pop();
                }
            }
            Some(Value::String(t)) if t == "map" => {
                if let Some(values) = def.get("values") {
                    path.push(PathStep::AnyMember);
                    walk(values, namespace, path, stack, out, deep);
                    path.pop();
                }
            }
            // `{"type": {...}}`, `{"type": [...]}` or `{"type": "Name"}`: the
            // type inside.
            Some(inner @ (Value::Object(_) | Value::Array(_) | Value::String(_))) => {
                walk(inner, namespace, path, stack, out, deep);
            }
            _ => {}
        },
        _ => {}
    }
}

/// The tagged properties of a JSON Schema document.
pub(super) fn json_schema(schema: &Value) -> Vec<TaggedField> {
    let mut out = Out::default();
    let mut path = Vec::new();
    let mut stack = Vec::new();
    walk_json(schema, schema, &mut path, &mut stack, &mut out, 0);
    out.fields
}

/// A local `$ref` (`#/definitions/Card`, `#/$defs/Card`) in `root`.
fn local_ref<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    root.pointer(reference.strip_prefix('#')?)
}

fn walk_json<'a>(
    root: &'a Value,
    schema: &'a Value,
    path: &mut Vec<PathStep>,
    stack: &mut Vec<&'a str>,
    out: &mut Out,
    depth: usize,
) {
    if depth > MAX_DEPTH || !out.step() {
        return;
    }
    let Value::Object(def) = schema else {
        return;
    };
    if let Some(reference) = def.get("$ref").and_then(Value::as_str)
        && !stack.contains(&reference)
        && let Some(target) = local_ref(root, reference)
    {
        stack.push(reference);
        walk_json(root, target, path, stack, out, depth + 1);
        stack.pop();
    }
    if let Some(Value::Object(props)) = def.get("properties") {
        for (name, prop) in props {
            path.push(PathStep::Field(name.clone()));
            if let Value::Object(attributes) = prop {
                push(out, path, tags_of(attributes));
            }
            walk_json(root, prop, path, stack, out, depth + 1);
            path.pop();
        }
    }
    if let Some(items) = def.get("items") {
        path.push(PathStep::AnyElement);
        match items {
            Value::Array(each) => {
                for i in each {
                    walk_json(root, i, path, stack, out, depth + 1);
                }
            }
            one => walk_json(root, one, path, stack, out, depth + 1),
        }
        path.pop();
    }
    if let Some(values @ Value::Object(attributes)) = def.get("additionalProperties") {
        path.push(PathStep::AnyMember);
        push(out, path, tags_of(attributes));
        walk_json(root, values, path, stack, out, depth + 1);
        path.pop();
    }
    for k in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(each)) = def.get(k) {
            for s in each {
                walk_json(root, s, path, stack, out, depth + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(found: &[TaggedField]) -> Vec<(String, Vec<String>)> {
        found
            .iter()
            .map(|f| (f.path.as_str().to_string(), f.tags.clone()))
            .collect()
    }

    #[test]
    fn avro_fields_tagged_by_property_in_nested_records_arrays_maps_and_unions() {
        let schema = json!({
            "type": "record", "name": "Order", "namespace": "shop",
            "fields": [
                {"name": "id", "type": "string"},
                {"name": "email", "type": "string", "confluent:tags": ["PII"]},
                {"name": "customer", "type": ["null", {
                    "type": "record", "name": "Customer",
                    "fields": [{"name": "ssn", "type": "string", "x-sensitive": true},
                               {"name": "next", "type": ["null", "Customer"]}]}]},
                {"name": "cards", "type": {"type": "array", "items": {
                    "type": "record", "name": "Card",
                    "fields": [{"name": "number", "type": "string",
                                "confluent:tags": ["PCI", "PII"]}]}}},
                {"name": "notes", "type": {"type": "map", "values": "shop.Card"}}
            ]
        });
        let found = avro(&schema.to_string(), &[]);
        assert_eq!(
            paths(&found),
            [
                ("email".into(), vec!["PII".to_string()]),
                ("customer.ssn".into(), vec!["sensitive".to_string()]),
                ("customer.next.**.ssn".into(), vec!["sensitive".to_string()]),
                ("cards[*].number".into(), vec!["PCI".into(), "PII".into()]),
                ("notes.*.number".into(), vec!["PCI".into(), "PII".into()]),
            ]
        );
        assert!(avro("not json", &[]).is_empty());
    }

    #[test]
    fn a_schema_that_names_one_type_everywhere_is_walked_in_bounded_time() {
        // T0 has two fields of T1 (one defining it, one naming it), T1
        // two of T2, ...: 2^40 paths to T40's tagged field.
        let mut schema = json!({"type": "record", "name": "T40", "fields": [
            {"name": "s", "type": "string", "x-sensitive": true}]});
        for i in (0..40).rev() {
            schema = json!({"type": "record", "name": format!("T{i}"), "fields": [
                {"name": "a", "type": schema}, {"name": "b", "type": format!("T{}", i + 1)}]});
        }
        let start = std::time::Instant::now();
        let found = avro(&schema.to_string(), &[]);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        assert!(!found.is_empty() && found.len() <= MAX_TAGGED);
        schema = json!({"type": "array", "items": schema});
        let _ = avro(&schema.to_string(), &[]);
        let _ = json_schema(&schema);
    }

    #[test]
    fn json_schema_properties_tagged_by_keyword_through_refs_and_items() {
        let schema = json!({
            "type": "object",
            "properties": {
                "email": {"type": "string", "x-sensitive": true},
                "name": {"type": "string"},
                "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
                "self": {"$ref": "#"}
            },
            "$defs": {"Item": {"type": "object", "properties": {
                "card": {"type": "string", "confluent:tags": ["PCI"]}}}}
        });
        assert_eq!(
            paths(&json_schema(&schema)),
            [
                ("email".into(), vec!["sensitive".to_string()]),
                ("items[*].card".into(), vec!["PCI".to_string()]),
                ("self.email".into(), vec!["sensitive".to_string()]),
                ("self.items[*].card".into(), vec!["PCI".to_string()]),
            ]
        );
    }
}
