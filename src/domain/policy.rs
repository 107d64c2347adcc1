//! Data policies: what of a record the person at the terminal may see. A
//! policy matches records (topic, context, event type, schema subject) and
//! masks, removes, hashes or replaces fields of the decoded value (JSON paths
//! with wildcards), headers (names or globs) and the key. Pure: no Kafka, no
//! UI. The shown record is built from what [`Policies::apply`] leaves; the
//! bytes as read are never changed (writing back sends those).

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::headers::Headers;
use super::lenient::ENVELOPE_FIELDS;
use compact_str::CompactString;

/// Hex characters of a salted SHA-256 kept by the `hash` action: 64 bits,
/// enough that two different values of one field do not collide in practice.
pub const HASH_HEX_CHARS: usize = 16;

/// What `hash` puts before the hex, so a hashed value reads as one.
pub const HASH_PREFIX: &str = "sha256:";

/// What `mask` shows in place of a value.
pub const MASK: &str = "***";

/// The length of what the `hash` action shows.
const HASH_CHARS: usize = HASH_PREFIX.len() + HASH_HEX_CHARS;

thread_local! {
    /// [`Policies::apply_to_data`]'s path buffer, kept between records.
    static PATH_BUFFER: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
}

/// The envelope's payload field ([`Policies::apply_to_data`]).
const DATA: &str = "data";

/// A policy as written in the config file (`[[policies]]`, or
/// `[[profiles.NAME.policies]]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// The name the record view and `policies check` show.
    pub name: String,
    /// Topic glob (`orders.*`); omitted: every topic.
    pub topic: Option<String>,
    /// Context glob; omitted: every context (and records without one).
    pub context: Option<String>,
    /// Event type glob; omitted: every type (and records without one).
    pub event_type: Option<String>,
    /// Schema subject glob (`orders-value`); omitted: every record.
    pub subject: Option<String>,
    /// JSON paths into the decoded value: `data.customer.email`,
    /// `data.items[*].card`, `**.password` (`*` one level, `**` any).
    #[serde(default)]
    pub fields: Vec<String>,
    /// Fields of the value named by what their registry schema says of them:
    /// tag names or globs (`PII`, `sensitive`). A field carries the tags of
    /// Confluent's `"confluent:tags": [...]`, and the tag `sensitive` when it
    /// says `"x-sensitive": true` (Avro field properties, JSON Schema
    /// keywords). Only records decoded with a registry schema have them.
    #[serde(default)]
    pub tagged: Vec<String>,
    /// Header names or globs (`token`, `x-auth-*`).
    #[serde(default)]
    pub headers: Vec<String>,
    /// The key too.
    #[serde(default)]
    pub key: bool,
    /// `mask` (default), `remove`, `hash` or `replace`.
    pub action: Option<String>,
    /// `mask`: the last N characters stay visible.
    pub keep_last: Option<usize>,
    /// `replace`: the text shown instead.
    pub with: Option<String>,
    /// `deny` (default: the listed targets are hidden) or `allow` (everything
    /// not listed is hidden).
    pub mode: Option<String>,
    /// Records this policy hits cannot be re-injected from the console.
    #[serde(default)]
    pub no_reinject: bool,
}

/// A policy that cannot be used, naming it and the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy '{policy}': {field}: {message}")]
pub struct PolicyError {
    /// The policy's name (or `#N` for one without a name).
    pub policy: String,
    /// The field at fault (`fields`, `topic`, `action`, …).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// What is done to a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `***`, followed by the last `keep_last` characters.
    Mask {
        /// Characters left visible at the end (0: none).
        keep_last: usize,
    },
    /// Gone: a field leaves its object (an element its array), a header
    /// the record, the key is null.
    Remove,
    /// `sha256:` and a prefix of the salted SHA-256 of the value: equal values
    /// still equal each other (and a filter matches the hash).
    Hash,
    /// A fixed text.
    Replace(String),
}

/// Which targets an action applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The listed targets.
    Deny,
    /// Everything but the listed targets.
    Allow,
}

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
    /// Any array element (`[*]`).
    AnyIndex,
    /// Any member or element, one level (`*`).
    Any,
    /// Any number of levels, none included (`**`).
    Deep,
}

/// A JSON path with wildcards, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    segs: Vec<Seg>,
}

impl JsonPath {
    /// Parses `data.items[*].card`, `**.password`, `a.*.b`, `list[0]`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut segs = Vec::new();
        if text.trim().is_empty() {
            return Err("an empty path".into());
        }
        for part in text.split('.') {
            let (name, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            match name {
                "" if rest.is_empty() => return Err(format!("'{text}' has an empty step")),
                "" => {}
                "**" => segs.push(Seg::Deep),
                "*" => segs.push(Seg::Any),
                n if n.contains('*') => {
                    return Err(format!(
                        "'{text}': a step is a name, `*` or `**` (not '{n}')"
                    ));
                }
                n => segs.push(Seg::Key(n.to_string())),
            }
            while !rest.is_empty() {
                let Some(close) = rest.find(']') else {
                    return Err(format!("'{text}' has a '[' without ']'"));
                };
                let inner = &rest[1..close];
                segs.push(match inner {
                    "*" => Seg::AnyIndex,
                    n => Seg::Index(
                        n.parse()
                            .map_err(|_| format!("'{text}': [{n}] is neither [*] nor an index"))?,
                    ),
                });
                rest = &rest[close + 1..];
                if !rest.is_empty() && !rest.starts_with('[') {
                    return Err(format!("'{text}': text after ']' ('{rest}')"));
                }
            }
        }
        Ok(Self {
            text: text.to_string(),
            segs,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// A path built step by step (a schema's field names need no parsing,
    /// and may hold a `.`).
    pub fn from_steps(steps: &[PathStep]) -> Self {
        let mut text = String::new();
        let segs = steps
            .iter()
            .map(|step| match step {
                PathStep::Field(name) => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(name);
                    Seg::Key(name.clone())
                }
                PathStep::AnyElement => {
                    text.push_str("[*]");
                    Seg::AnyIndex
                }
                PathStep::AnyMember => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push('*');
                    Seg::Any
                }
                PathStep::AnyDepth => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str("**");
                    Seg::Deep
                }
            })
            .collect();
        Self { text, segs }
    }
}

/// One step of a path a schema describes ([`JsonPath::from_steps`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// A record field or object property, by name.
    Field(String),
    /// Every element of an array.
    AnyElement,
    /// Every value of a map (an object of any members).
    AnyMember,
    /// Any number of levels (`**`).
    AnyDepth,
}

/// The tag `"x-sensitive": true` gives a field.
pub const SENSITIVE_TAG: &str = "sensitive";

/// A field of a registry schema that carries tags: where it is in the value
/// the schema decodes to, and its tags. Worked out once per schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedField {
    /// Where the field is in the decoded value.
    pub path: JsonPath,
    /// Its tags (`PII`, [`SENSITIVE_TAG`]).
    pub tags: Vec<String>,
}

/// One step of a concrete position in a value.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Where a path pattern can be after the steps taken so far: (path, segment).
type States = smallvec::SmallVec<[(usize, usize); 4]>;

/// Where `paths` start, before any step.
fn start_states(paths: &[JsonPath]) -> States {
    closure(paths, (0..paths.len()).map(|i| (i, 0)).collect())
}

/// `states` with every `**` also taken as zero levels.
fn closure(paths: &[JsonPath], mut states: States) -> States {
    let mut i = 0;
    while i < states.len() {
        let (p, pos) = states[i];
        if paths[p].segs.get(pos) == Some(&Seg::Deep) && !states.contains(&(p, pos + 1)) {
            states.push((p, pos + 1));
        }
        i += 1;
    }
    states
}

/// The states after one more step.
fn advance(paths: &[JsonPath], states: &States, step: Step<'_>) -> States {
    let mut next = States::new();
    for &(p, pos) in states {
        let Some(seg) = paths[p].segs.get(pos) else {
            continue;
        };
        let moved = match (seg, step) {
            (Seg::Deep, _) => {
                if !next.contains(&(p, pos)) {
                    next.push((p, pos));
                }
                continue;
            }
            (Seg::Any, _) => true,
            (Seg::Key(k), Step::Key(s)) => k == s,
            (Seg::Index(i), Step::Index(j)) => *i == j,
            (Seg::AnyIndex, Step::Index(_)) => true,
            _ => false,
        };
        if moved && !next.contains(&(p, pos + 1)) {
            next.push((p, pos + 1));
        }
    }
    closure(paths, next)
}

fn complete(paths: &[JsonPath], states: &States) -> bool {
    states.iter().any(|&(p, pos)| pos == paths[p].segs.len())
}

/// `complete(paths, &advance(paths, states, step))`, without building the
/// states: what a leaf needs to know (most members of a value are leaves).
fn lands(paths: &[JsonPath], states: &States, step: Step<'_>) -> bool {
    // From `pos`, over `**`s taken as zero levels, to the path's end.
    let ends = |segs: &[Seg], mut pos: usize| loop {
        match segs.get(pos) {
            None => return true,
            Some(Seg::Deep) => pos += 1,
            Some(_) => return false,
        }
    };
    states.iter().any(|&(p, pos)| {
        let segs = &paths[p].segs;
        match (segs.get(pos), step) {
            // `**` takes the step and stays.
            (Some(Seg::Deep), _) => ends(segs, pos),
            (Some(Seg::Any), _) | (Some(Seg::AnyIndex), Step::Index(_)) => ends(segs, pos + 1),
            (Some(Seg::Key(k)), Step::Key(s)) if k == s => ends(segs, pos + 1),
            (Some(Seg::Index(i)), Step::Index(j)) if *i == j => ends(segs, pos + 1),
            _ => false,
        }
    })
}

/// A value the walk does not go into: a scalar or an empty container.
fn is_leaf(v: &Value) -> bool {
    match v {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => true,
    }
}

/// `path` one member further down: `.key`, or `key` at the top.
fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

/// `path` one array item further down: `[i]`.
fn push_index(path: &mut String, i: usize) {
    // Writing to a String cannot fail.
    let _ = write!(path, "[{i}]");
}

/// The glob for a match field or a header name.
fn pattern(policy: &str, field: &str, text: &str) -> Result<glob::Pattern, PolicyError> {
    glob::Pattern::new(text).map_err(|e| PolicyError {
        policy: policy.to_string(),
        field: field.to_string(),
        message: format!("'{text}' is not a glob: {e}"),
    })
}

/// A header-name glob; a name without `*`, `?` or `[` is compared as it is
/// (every header of every record is matched against it).
#[derive(Debug, Clone)]
enum NameGlob {
    Exact(String),
    Glob(glob::Pattern),
}

impl NameGlob {
    fn new(policy: &str, text: &str) -> Result<Self, PolicyError> {
        if text.contains(['*', '?', '[']) {
            pattern(policy, "headers", text).map(Self::Glob)
        } else {
            Ok(Self::Exact(text.to_string()))
        }
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Self::Exact(text) => text == name,
            Self::Glob(g) => g.matches(name),
        }
    }
}

/// A policy, checked and ready to apply.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Its name (copied into every hit it makes: inline when short, so a
    /// hit costs no allocation and no count shared between the reader that
    /// makes it and the thread that drops it).
    pub name: CompactString,
    topic: Option<glob::Pattern>,
    context: Option<glob::Pattern>,
    event_type: Option<glob::Pattern>,
    subject: Option<glob::Pattern>,
    fields: Vec<JsonPath>,
    tagged: Vec<glob::Pattern>,
    headers: Vec<NameGlob>,
    key: bool,
    /// What it does to its targets.
    pub action: Action,
    /// Deny- or allow-list.
    pub mode: Mode,
    /// Records it hits are not re-injected from the console.
    pub no_reinject: bool,
    /// Where its field paths start (worked out once: every record walked
    /// starts there).
    start: States,
    /// Where they are at a canonical envelope's `data` (worked out once, for
    /// [`Policies::apply_to_data`]).
    start_data: States,
    /// True when, on a canonical envelope, it can only hide fields inside
    /// `data` ([`Policies::apply_to_data`]): a deny-list none of whose paths
    /// ends at the envelope itself, at `data`, or at one of
    /// [`ENVELOPE_FIELDS`].
    inside_data: bool,
}

impl Policy {
    /// Checks a policy from the config file; `index` names one without a name.
    pub fn from_spec(spec: &PolicySpec, index: usize) -> Result<Self, PolicyError> {
        let name = if spec.name.trim().is_empty() {
            format!("#{}", index + 1)
        } else {
            spec.name.clone()
        };
        let err = |field: &str, message: String| PolicyError {
            policy: name.clone(),
            field: field.to_string(),
            message,
        };
        if spec.name.trim().is_empty() {
            return Err(err("name", "every policy needs a name".into()));
        }
        let glob = |field: &str, text: &Option<String>| {
            text.as_deref()
                .map(|t| pattern(&name, field, t))
                .transpose()
        };
        let fields = spec
            .fields
            .iter()
            .map(|f| JsonPath::parse(f).map_err(|m| err("fields", m)))
            .collect::<Result<Vec<_>, _>>()?;
        let headers = spec
            .headers
            .iter()
            .map(|h| NameGlob::new(&name, h))
            .collect::<Result<Vec<_>, _>>()?;
        let tagged = spec
            .tagged
            .iter()
            .map(|t| pattern(&name, "tagged", t))
            .collect::<Result<Vec<_>, _>>()?;
        let action =
            match spec.action.as_deref().unwrap_or("mask") {
                "mask" => Action::Mask {
                    keep_last: spec.keep_last.unwrap_or(0),
                },
                "remove" => Action::Remove,
                "hash" => Action::Hash,
                "replace" => Action::Replace(spec.with.clone().ok_or_else(|| {
                    err("with", "action \"replace\" needs `with = \"TEXT\"`".into())
                })?),
                other => {
                    return Err(err(
                        "action",
                        format!("'{other}' is not one of mask, remove, hash, replace"),
                    ));
                }
            };
        if spec.keep_last.is_some() && !matches!(action, Action::Mask { .. }) {
            return Err(err(
                "keep_last",
                "only the mask action keeps characters".into(),
            ));
        }
        if spec.with.is_some() && !matches!(action, Action::Replace(_)) {
            return Err(err("with", "only the replace action takes a text".into()));
        }
        let mode = match spec.mode.as_deref().unwrap_or("deny") {
            "deny" => Mode::Deny,
            "allow" => Mode::Allow,
            other => {
                return Err(err("mode", format!("'{other}' is neither deny nor allow")));
            }
        };
        if mode == Mode::Deny
            && fields.is_empty()
            && tagged.is_empty()
            && headers.is_empty()
            && !spec.key
        {
            return Err(err(
                "fields",
                "a deny-list policy names at least one target (fields, tagged, headers or key = true)"
                    .into(),
            ));
        }
        let start = start_states(&fields);
        let start_data = advance(&fields, &start, Step::Key(DATA));
        let at = |key: &str| complete(&fields, &advance(&fields, &start, Step::Key(key)));
        let inside_data = mode == Mode::Deny
            && !complete(&fields, &start)
            && !at(DATA)
            && !ENVELOPE_FIELDS.iter().any(|k| at(k));
        Ok(Self {
            topic: glob("topic", &spec.topic)?,
            context: glob("context", &spec.context)?,
            event_type: glob("event_type", &spec.event_type)?,
            subject: glob("subject", &spec.subject)?,
            name: name.into(),
            fields,
            tagged,
            headers,
            key: spec.key,
            action,
            mode,
            no_reinject: spec.no_reinject,
            start,
            start_data,
            inside_data,
        })
    }

    /// A copy with `more` paths besides its own (the fields a schema's tags
    /// name), its start states worked out again.
    fn with_fields(&self, more: Vec<JsonPath>) -> Self {
        let mut p = self.clone();
        p.fields.extend(more);
        p.start = start_states(&p.fields);
        p.start_data = advance(&p.fields, &p.start, Step::Key(DATA));
        // What `inside_data` says was judged on the policy's own paths.
        p.inside_data = false;
        p
    }

    /// True when the policy may apply to a record of `topic` (its other
    /// match fields need the record decoded).
    pub fn may_apply_to_topic(&self, topic: &str) -> bool {
        self.topic.as_ref().is_none_or(|p| p.matches(topic))
    }

    /// True when the policy applies to a record so described.
    pub fn applies_to(&self, meta: &Meta<'_>) -> bool {
        let on = |p: &Option<glob::Pattern>, v: Option<&str>| match p {
            None => true,
            Some(p) => v.is_some_and(|v| p.matches(v)),
        };
        self.may_apply_to_topic(meta.topic)
            && on(&self.context, meta.context)
            && on(&self.event_type, meta.event_type)
            && on(&self.subject, meta.subject)
    }

    /// True when the policy hides a header named `name` (a deny-list's
    /// glob matches it, or an allow-list's globs do not).
    fn hides_header(&self, name: &str) -> bool {
        self.headers.iter().any(|g| g.matches(name)) == (self.mode == Mode::Deny)
    }

    /// True when the policy hides the key (a deny-list's `key`, an
    /// allow-list without it).
    fn hides_key(&self) -> bool {
        self.key == (self.mode == Mode::Deny)
    }

    /// True when the policy has value targets (or, as an allow-list, hides
    /// every value field not listed).
    fn touches_value(&self) -> bool {
        self.mode == Mode::Allow || !self.fields.is_empty()
    }

    /// True when the policy names fields by their schema's tags.
    pub fn by_tags(&self) -> bool {
        !self.tagged.is_empty()
    }

    /// The paths of the fields `tags` names that this policy's `tagged`
    /// matches (none when it has no `tagged`).
    fn tagged_paths(&self, tags: &[TaggedField]) -> Vec<JsonPath> {
        if self.tagged.is_empty() {
            return Vec::new();
        }
        tags.iter()
            .filter(|f| {
                f.tags
                    .iter()
                    .any(|t| self.tagged.iter().any(|g| g.matches(t)))
            })
            .map(|f| f.path.clone())
            .collect()
    }
}

/// What a record is, for matching policies.
#[derive(Debug, Clone, Copy, Default)]
pub struct Meta<'a> {
    /// Its topic.
    pub topic: &'a str,
    /// Its context, when known.
    pub context: Option<&'a str>,
    /// Its event type, when known.
    pub event_type: Option<&'a str>,
    /// The subject of its registry schema, when known.
    pub subject: Option<&'a str>,
    /// The tagged fields of its registry schema ([`TaggedField`]).
    pub tags: &'a [TaggedField],
    /// True when the value names a registry schema it could not be decoded
    /// with (yet): a policy naming fields by tags hides it whole.
    pub schema_unread: bool,
}

/// A record's value, as policies see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Decoded JSON (also a schema record decoded with its schema).
    Json(Value),
    /// Bytes that are not JSON, or JSON nested too deep to be a `Value`:
    /// a policy with value targets hides them whole (fields cannot be told
    /// apart, so nothing of them is shown).
    Opaque(Vec<u8>),
    /// No value (a tombstone).
    Absent,
}

/// A record's parts as policies see them; [`Policies::apply`] changes them
/// into what may be shown.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// The value.
    pub value: Body,
    /// Headers in wire order.
    pub headers: Headers,
    /// The key bytes.
    pub key: Option<Vec<u8>>,
}

/// What was hidden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A field of the value, by its concrete path (`data.items[0].card`);
    /// empty for the whole value. (Inline up to 24 bytes: a record keeps its
    /// hits, and most paths and header names need no allocation then.)
    Value(CompactString),
    /// A header, by name.
    Header(CompactString),
    /// The key.
    Key,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Value(p) if p.is_empty() => f.write_str("value (whole)"),
            Self::Value(p) => write!(f, "value {p}"),
            Self::Header(h) => write!(f, "header {h}"),
            Self::Key => f.write_str("key"),
        }
    }
}

/// One target a policy hid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The policy's name.
    pub policy: CompactString,
    /// What it hid.
    pub target: Target,
}

impl Hit {
    /// How the record view marks it: `⟨masked: policy pii-email⟩`.
    pub fn mark(&self) -> String {
        format!("⟨masked: policy {}⟩", self.policy)
    }
}

/// Every policy of the active profile, with the salt the `hash` action uses.
/// What [`Policies::apply_to_data`] found: the hits, and the headers and key
/// to show where a policy hid one (`None`: as read).
#[derive(Debug)]
pub struct DataShown {
    /// What the policies hid, in order.
    pub hits: Vec<Hit>,
    /// The headers to show, when a policy hid one.
    pub headers: Option<Headers>,
    /// The key to show (`Some(None)`: removed), when a policy hid it.
    pub key: Option<Option<Vec<u8>>>,
}

#[derive(Clone, Default)]
pub struct Policies {
    list: Vec<Policy>,
    salt: Vec<u8>,
}

impl fmt::Debug for Policies {
    /// The names only: the salt is a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.list.iter().map(|p| &p.name))
            .finish()
    }
}

impl Policies {
    /// Checks `specs` (in order: the file's, then the profile's).
    pub fn new(specs: &[PolicySpec], salt: Vec<u8>) -> Result<Self, PolicyError> {
        let list = specs
            .iter()
            .enumerate()
            .map(|(i, s)| Policy::from_spec(s, i))
            .collect::<Result<Vec<_>, _>>()?;
        let mut seen = std::collections::BTreeSet::new();
        for p in &list {
            if !seen.insert(&*p.name) {
                return Err(PolicyError {
                    policy: p.name.to_string(),
                    field: "name".into(),
                    message: "two policies have this name".into(),
                });
            }
        }
        Ok(Self { list, salt })
    }

    /// No policy at all (also what `--unmask` leaves).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The policies, in the order they apply.
    pub fn iter(&self) -> impl Iterator<Item = &Policy> {
        self.list.iter()
    }

    /// The policy named `name`.
    pub fn get(&self, name: &str) -> Option<&Policy> {
        self.list.iter().find(|p| &*p.name == name)
    }

    /// True when some policy may apply to a record of `topic`: when none
    /// can, the record is shown as read without being decoded for it.
    pub fn may_apply_to_topic(&self, topic: &str) -> bool {
        self.list.iter().any(|p| p.may_apply_to_topic(topic))
    }

    /// True when a policy that may apply to a record of `topic` matches on
    /// what only decoding tells (context, event type, schema subject).
    pub fn match_decoded(&self, topic: &str) -> bool {
        self.list.iter().any(|p| {
            p.may_apply_to_topic(topic)
                && (p.context.is_some()
                    || p.event_type.is_some()
                    || p.subject.is_some()
                    || p.by_tags())
        })
    }

    /// True when some policy could hide a header of a dead-letter family
    /// ([`super::headers::is_dead_letter_header`]): an allow-list, a glob,
    /// or such a name.
    pub fn may_hide_dead_letter_header(&self) -> bool {
        self.list.iter().any(|p| {
            p.mode == Mode::Allow
                || p.headers.iter().any(|g| match g {
                    NameGlob::Exact(name) => super::headers::is_dead_letter_header(name),
                    NameGlob::Glob(_) => true,
                })
        })
    }

    /// True when some policy names fields by their schema's tags.
    pub fn by_tags(&self) -> bool {
        self.list.iter().any(Policy::by_tags)
    }

    /// True when a hit comes from a policy that forbids re-injecting.
    pub fn forbids_reinject(&self, hits: &[Hit]) -> bool {
        hits.iter()
            .any(|h| self.get(&h.policy).is_some_and(|p| p.no_reinject))
    }

    /// Applies every policy that matches `meta` to `view`, in order, and
    /// says what each hid.
    pub fn apply(&self, meta: &Meta<'_>, view: &mut View) -> Vec<Hit> {
        let mut hits = Vec::new();
        for p in self.list.iter().filter(|p| p.applies_to(meta)) {
            let tagged = p.tagged_paths(meta.tags);
            let hides_unread = p.by_tags() && meta.schema_unread && p.fields.is_empty();
            if !tagged.is_empty() || hides_unread {
                // The policy's fields and the schema's fields its tags name
                // (the schema's paths were worked out once, with it).
                let mut fields = tagged;
                if hides_unread && p.mode == Mode::Deny {
                    // The tagged fields cannot be told apart yet: the value
                    // is hidden whole (a path that matches it all).
                    fields.push(JsonPath::from_steps(&[]));
                }
                self.apply_one(&p.with_fields(fields), view, &mut hits);
            } else {
                self.apply_one(p, view, &mut hits);
            }
        }
        hits
    }

    /// [`Policies::apply`] to a canonical envelope of which only `data` is a
    /// tree: `data` is that tree, and the envelope's other fields are
    /// [`ENVELOPE_FIELDS`] (scalars), and no other. `None`, with
    /// nothing changed, when a policy that applies could hide one of those
    /// fields or `data` as a whole, or lists what may be seen (an allow-list
    /// hides every field it does not list): the caller then applies the
    /// policies to the whole value. Otherwise the hits, as `apply` would
    /// give them for the whole envelope, and the headers and key to show
    /// where a policy hid one (they are copied only then).
    pub fn apply_to_data(
        &self,
        meta: &Meta<'_>,
        data: &mut Value,
        headers: &Headers,
        key: Option<&[u8]>,
    ) -> Option<DataShown> {
        if !self.stay_in_data(meta) {
            return None;
        }
        let applying = || self.list.iter().filter(|p| p.applies_to(meta));
        let mut shown_headers = applying()
            .any(|p| {
                headers
                    .iter()
                    .any(|(name, value)| value.is_some() && p.hides_header(name))
            })
            .then(|| headers.clone());
        let mut shown_key =
            (key.is_some() && applying().any(Policy::hides_key)).then(|| key.map(<[u8]>::to_vec));
        let hits =
            self.apply_to_data_with(meta, data, shown_headers.as_mut(), shown_key.as_mut())?;
        Some(DataShown {
            hits,
            headers: shown_headers,
            key: shown_key,
        })
    }

    /// [`Policies::apply_to_data`] with the headers and key hidden where
    /// they are (the record's own, when nothing needs them as read): no
    /// copy of either is made. `None`, with nothing changed, as there.
    pub fn apply_to_data_in_place(
        &self,
        meta: &Meta<'_>,
        data: &mut Value,
        headers: &mut Headers,
        key: &mut Option<Vec<u8>>,
    ) -> Option<Vec<Hit>> {
        self.apply_to_data_with(meta, data, Some(headers), Some(key))
    }

    /// True when every policy that applies to `meta` hides only fields
    /// inside `data` (besides headers and the key), none by schema tags:
    /// what [`Policies::apply_to_data`] can apply.
    fn stay_in_data(&self, meta: &Meta<'_>) -> bool {
        self.list.iter().filter(|p| p.applies_to(meta)).all(|p| {
            let hides_unread = p.by_tags() && meta.schema_unread && p.fields.is_empty();
            p.inside_data && !hides_unread && p.tagged_paths(meta.tags).is_empty()
        })
    }

    /// [`Policies::apply_to_data`] hiding headers in `headers` and the key
    /// in `key`, each left alone when `None` (no policy hides one).
    fn apply_to_data_with(
        &self,
        meta: &Meta<'_>,
        data: &mut Value,
        mut headers: Option<&mut Headers>,
        mut key: Option<&mut Option<Vec<u8>>>,
    ) -> Option<Vec<Hit>> {
        if !self.stay_in_data(meta) {
            return None;
        }
        let applying = || self.list.iter().filter(|p| p.applies_to(meta));
        let mut hits = Vec::with_capacity(self.list.len());
        // One path buffer for every policy's walk, kept by the thread for
        // the next record (a reader's thread reads one record after another).
        let mut path = PATH_BUFFER.with(|b| b.take());
        for p in applying() {
            if p.touches_value() {
                path.clear();
                path.push_str(DATA);
                if self.walk(p, data, &p.start_data, &mut path, &mut hits) {
                    *data = Value::Null;
                }
            }
            if let Some(headers) = headers.as_deref_mut() {
                self.hide_headers(p, headers, &mut hits);
            }
            if let Some(key) = key.as_deref_mut() {
                self.hide_key(p, key, &mut hits);
            }
        }
        path.clear();
        PATH_BUFFER.with(|b| b.set(path));
        Some(hits)
    }

    fn apply_one(&self, p: &Policy, view: &mut View, hits: &mut Vec<Hit>) {
        self.apply_one_under(p, view, hits, None, &mut String::new());
    }

    /// Applies `p`; `view.value`, when JSON, is the field `under` of the
    /// value the paths start at (the whole value when `None`).
    fn apply_one_under(
        &self,
        p: &Policy,
        view: &mut View,
        hits: &mut Vec<Hit>,
        under: Option<&str>,
        path: &mut String,
    ) {
        let hit = |target| Hit {
            policy: p.name.clone(),
            target,
        };
        // The value.
        match &mut view.value {
            Body::Json(v) if p.touches_value() => {
                path.clear();
                path.push_str(under.unwrap_or_default());
                let states = match under {
                    Some(DATA) => &p.start_data,
                    Some(key) => &advance(&p.fields, &p.start, Step::Key(key)),
                    None => &p.start,
                };
                if self.walk(p, v, states, path, hits) {
                    // The whole value was a target and is removed.
                    *v = Value::Null;
                }
            }
            Body::Opaque(bytes) if p.touches_value() => {
                match self.act_bytes(&p.action, bytes) {
                    Some(shown) => *bytes = shown.into_owned(),
                    None => bytes.clear(),
                }
                hits.push(hit(Target::Value(CompactString::default())));
            }
            _ => {}
        }
        self.hide_headers(p, &mut view.headers, hits);
        self.hide_key(p, &mut view.key, hits);
    }

    /// Hides in `headers` (in place) each header `p` targets, and pushes
    /// each onto `hits`.
    fn hide_headers(&self, p: &Policy, headers: &mut Headers, hits: &mut Vec<Hit>) {
        if p.mode == Mode::Deny && p.headers.is_empty() {
            return;
        }
        let mut index = 0;
        while let Some((name, value)) = headers.at(index) {
            let Some(bytes) = value.filter(|_| p.hides_header(name)) else {
                index += 1;
                continue;
            };
            hits.push(Hit {
                policy: p.name.clone(),
                target: Target::Header(CompactString::new(name)),
            });
            match self.act_bytes(&p.action, bytes) {
                Some(shown) => {
                    headers.set_value(index, Some(&shown));
                    index += 1;
                }
                // The next header takes its place.
                None => headers.remove(index),
            }
        }
    }

    /// Hides `key` (in place; `None`: removed) when `p` targets it, and
    /// pushes it onto `hits`.
    fn hide_key(&self, p: &Policy, key: &mut Option<Vec<u8>>, hits: &mut Vec<Hit>) {
        let Some(bytes) = key.as_mut().filter(|_| p.hides_key()) else {
            return;
        };
        hits.push(Hit {
            policy: p.name.clone(),
            target: Target::Key,
        });
        if p.action == Action::Remove {
            *key = None;
            return;
        }
        // Text is acted on in its own buffer; other bytes as text, lossily.
        match String::from_utf8(std::mem::take(bytes)) {
            Ok(mut text) => {
                self.act_in_place(&p.action, &mut text);
                *bytes = text.into_bytes();
            }
            Err(e) => {
                let read = e.into_bytes();
                *key = self.act_bytes(&p.action, &read).map(Cow::into_owned);
            }
        }
    }

    /// Applies `p` under `node` (at `path`, pattern `states`); true when
    /// `node` itself is to be removed. Every target hidden is pushed onto
    /// `hits`.
    fn walk(
        &self,
        p: &Policy,
        node: &mut Value,
        states: &States,
        path: &mut String,
        hits: &mut Vec<Hit>,
    ) -> bool {
        let listed = complete(&p.fields, states);
        match p.mode {
            Mode::Deny if listed => return self.act_here(p, node, path, hits),
            // Nothing can match below: the subtree stays as it is.
            Mode::Deny if states.is_empty() => return false,
            // Listed: the whole subtree may be seen.
            Mode::Allow if listed => return false,
            _ => {}
        }
        let len = path.len();
        match node {
            Value::Object(map) if !map.is_empty() => {
                let mut step = |k: &str, child: &mut Value, path: &mut String| {
                    // A leaf is a target or not, as the step lands.
                    if is_leaf(child) {
                        let listed = lands(&p.fields, states, Step::Key(k));
                        if listed == (p.mode == Mode::Allow) {
                            return false;
                        }
                        push_key(path, k);
                        let gone = self.act_here(p, child, path, hits);
                        path.truncate(len);
                        return gone;
                    }
                    let next = advance(&p.fields, states, Step::Key(k));
                    // Nothing can match below: as the call would say.
                    if p.mode == Mode::Deny && next.is_empty() {
                        return false;
                    }
                    push_key(path, k);
                    let gone = self.walk(p, child, &next, path, hits);
                    path.truncate(len);
                    gone
                };
                // One path whose next step is a name: in a deny-list only
                // that member can match, so it is looked up, not searched.
                if p.mode == Mode::Deny
                    && let [(i, pos)] = states.as_slice()
                    && let Some(Seg::Key(k)) = p.fields[*i].segs.get(*pos)
                {
                    if let Some(child) = map.get_mut(k.as_str())
                        && step(k, child, path)
                    {
                        map.remove(k.as_str());
                    }
                    return false;
                }
                map.retain(|k, child| !step(k, child, path));
                false
            }
            Value::Array(items) if !items.is_empty() => {
                let mut gone = Vec::new();
                for (i, child) in items.iter_mut().enumerate() {
                    if is_leaf(child) {
                        let listed = lands(&p.fields, states, Step::Index(i));
                        if listed != (p.mode == Mode::Allow) {
                            push_index(path, i);
                            if self.act_here(p, child, path, hits) {
                                gone.push(i);
                            }
                            path.truncate(len);
                        }
                        continue;
                    }
                    let next = advance(&p.fields, states, Step::Index(i));
                    if p.mode == Mode::Deny && next.is_empty() {
                        continue;
                    }
                    push_index(path, i);
                    if self.walk(p, child, &next, path, hits) {
                        gone.push(i);
                    }
                    path.truncate(len);
                }
                for i in gone.into_iter().rev() {
                    items.remove(i);
                }
                false
            }
            // A leaf (or an empty container) not listed: in an allow-list,
            // hidden.
            _ if p.mode == Mode::Allow => self.act_here(p, node, path, hits),
            _ => false,
        }
    }

    /// Applies the action to `node`; true when it is to be removed.
    fn act_here(&self, p: &Policy, node: &mut Value, path: &str, hits: &mut Vec<Hit>) -> bool {
        hits.push(Hit {
            policy: p.name.clone(),
            target: Target::Value(CompactString::new(path)),
        });
        match &p.action {
            Action::Remove => true,
            action => {
                // The text's own buffer is written over, not copied.
                let mut text = match &mut *node {
                    Value::String(s) => std::mem::take(s),
                    other => other.to_string(),
                };
                self.act_in_place(action, &mut text);
                *node = Value::String(text);
                false
            }
        }
    }

    /// The action on bytes (text, lossy): `None` when removed; borrowed
    /// when what it shows does not depend on them (a plain mask, a
    /// replacement), so nothing is read or copied then.
    fn act_bytes<'s>(&'s self, action: &'s Action, bytes: &[u8]) -> Option<Cow<'s, [u8]>> {
        match action {
            Action::Remove => None,
            Action::Mask { keep_last: 0 } => Some(Cow::Borrowed(MASK.as_bytes())),
            Action::Replace(with) => Some(Cow::Borrowed(with.as_bytes())),
            // Hashed as read, without a copy to write over.
            Action::Hash => Some(Cow::Owned(
                self.hash(&String::from_utf8_lossy(bytes)).into_bytes(),
            )),
            action => Some(Cow::Owned(
                self.act_text(action, &String::from_utf8_lossy(bytes))
                    .into_bytes(),
            )),
        }
    }

    /// What an action leaves of `text` (`Remove` leaves nothing: empty).
    fn act_text(&self, action: &Action, text: &str) -> String {
        // Room for a mask in front of the text: one allocation (a hash makes
        // its own room).
        let mut shown = String::with_capacity(text.len() + MASK.len());
        shown.push_str(text);
        self.act_in_place(action, &mut shown);
        shown
    }

    /// `text` made what the action leaves of it, in its own buffer.
    fn act_in_place(&self, action: &Action, text: &mut String) {
        match action {
            Action::Mask { keep_last } => {
                // Where the last `keep_last` characters start; keeping as
                // many characters as the value has would show it all.
                let tail = keep_last
                    .checked_sub(1)
                    .and_then(|n| text.char_indices().nth_back(n))
                    .map(|(i, _)| i);
                match tail {
                    Some(i) if i > 0 => {
                        text.reserve(MASK.len().saturating_sub(i));
                        text.replace_range(..i, MASK);
                    }
                    _ => {
                        text.clear();
                        text.push_str(MASK);
                    }
                }
            }
            Action::Hash => {
                let digest = self.digest(text);
                text.clear();
                text.reserve(HASH_CHARS);
                push_hash(text, &digest);
            }
            Action::Replace(with) => {
                text.clear();
                text.push_str(with);
            }
            Action::Remove => text.clear(),
        }
    }

    /// `sha256:` and the first [`HASH_HEX_CHARS`] hex characters of
    /// SHA-256(salt, 0, text): what the `hash` action shows for `text`.
    pub fn hash(&self, text: &str) -> String {
        let mut shown = String::with_capacity(HASH_CHARS);
        push_hash(&mut shown, &self.digest(text));
        shown
    }

    /// SHA-256(salt, 0, text).
    fn digest(&self, text: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(&self.salt);
        h.update([0u8]);
        h.update(text.as_bytes());
        h.finalize().into()
    }
}

/// Appends what the `hash` action shows for `digest` ([`Policies::hash`]).
fn push_hash(out: &mut String, digest: &[u8; 32]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str(HASH_PREFIX);
    for n in digest
        .iter()
        .flat_map(|b| [b >> 4, b & 0xf])
        .take(HASH_HEX_CHARS)
    {
        out.push(char::from(HEX[usize::from(n)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(name: &str, fields: &[&str]) -> PolicySpec {
        PolicySpec {
            name: name.into(),
            fields: fields.iter().map(|s| s.to_string()).collect(),
            ..PolicySpec::default()
        }
    }

    fn policies(specs: &[PolicySpec]) -> Policies {
        Policies::new(specs, b"salt".to_vec()).expect("valid policies")
    }

    fn view(value: Value) -> View {
        View {
            value: Body::Json(value),
            headers: [
                ("token", Some(&b"tok-123"[..])),
                ("x-auth-user", Some(&b"alice"[..])),
                ("event_type", Some(&b"OrderPlaced"[..])),
            ]
            .into_iter()
            .collect(),
            key: Some(b"4111111111111111".to_vec()),
        }
    }

    /// The value of header `i` of `view`.
    fn header(view: &View, i: usize) -> Option<&[u8]> {
        view.headers.iter().nth(i).and_then(|h| h.1)
    }

    fn meta(topic: &str) -> Meta<'_> {
        Meta {
            topic,
            ..Meta::default()
        }
    }

    fn json_of(v: &View) -> &Value {
        match &v.value {
            Body::Json(v) => v,
            other => panic!("not JSON: {other:?}"),
        }
    }

    #[test]
    fn paths_parse_and_bad_ones_say_why() {
        assert!(JsonPath::parse("data.items[*].card").is_ok());
        assert!(JsonPath::parse("**.password").is_ok());
        assert!(JsonPath::parse("a[0][1].b").is_ok());
        for bad in ["", "a..b", "a[x]", "a[1", "a[1]b", "pass*word"] {
            assert!(JsonPath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_bad_policy_names_itself_and_the_field() {
        let mut s = spec("pii", &["a..b"]);
        let e = Policies::new(std::slice::from_ref(&s), vec![]).unwrap_err();
        assert_eq!((e.policy.as_str(), e.field.as_str()), ("pii", "fields"));
        s.fields = vec!["a".into()];
        s.action = Some("scramble".into());
        let e = Policies::new(std::slice::from_ref(&s), vec![]).unwrap_err();
        assert!(e.to_string().starts_with("policy 'pii': action:"), "{e}");
        s.action = Some("replace".into());
        let e = Policies::new(std::slice::from_ref(&s), vec![]).unwrap_err();
        assert_eq!(e.field, "with");
        s.action = None;
        s.topic = Some("[".into());
        let e = Policies::new(std::slice::from_ref(&s), vec![]).unwrap_err();
        assert_eq!(e.field, "topic");
        let e = Policies::new(&[spec("x", &[])], vec![]).unwrap_err();
        assert!(e.message.contains("at least one target"), "{e}");
        let e = Policies::new(&[spec("x", &["a"]), spec("x", &["b"])], vec![]).unwrap_err();
        assert_eq!(e.field, "name");
    }

    #[test]
    fn deny_list_masks_removes_hashes_and_replaces_named_fields() {
        let v = json!({"data": {"customer": {"email": "a@b.c", "name": "Al"},
            "items": [{"card": "4111111111111111"}, {"card": "5500000000000004"}],
            "deep": {"x": {"password": "pw1"}}, "password": "pw0"}});
        let mut s1 = spec("email", &["data.customer.email"]);
        s1.action = Some("hash".into());
        let mut s2 = spec("cards", &["data.items[*].card"]);
        s2.keep_last = Some(4);
        let mut s3 = spec("pw", &["**.password"]);
        s3.action = Some("remove".into());
        let mut s4 = spec("name", &["data.customer.name"]);
        s4.action = Some("replace".into());
        s4.with = Some("<name>".into());
        let ps = policies(&[s1, s2, s3, s4]);
        let mut view = view(v);
        let hits = ps.apply(&meta("t"), &mut view);
        let out = json_of(&view);
        assert_eq!(out["data"]["customer"]["email"], json!(ps.hash("a@b.c")));
        assert_eq!(out["data"]["items"][0]["card"], "***1111");
        assert_eq!(out["data"]["items"][1]["card"], "***0004");
        assert!(out["data"]["deep"]["x"].get("password").is_none());
        assert!(out["data"].get("password").is_none());
        assert_eq!(out["data"]["customer"]["name"], "<name>");
        let paths: Vec<String> = hits.iter().map(|h| h.target.to_string()).collect();
        assert_eq!(
            paths,
            [
                "value data.customer.email",
                "value data.items[0].card",
                "value data.items[1].card",
                "value data.deep.x.password",
                "value data.password",
                "value data.customer.name"
            ]
        );
        assert_eq!(hits[0].mark(), "⟨masked: policy email⟩");
        // Headers and key are untouched by value-only policies.
        assert_eq!(view.key.as_deref(), Some(&b"4111111111111111"[..]));
    }

    #[test]
    fn hashes_are_salted_and_equal_values_hash_equal() {
        let a = policies(&[spec("p", &["x"])]);
        let b = Policies::new(&[spec("p", &["x"])], b"other".to_vec()).expect("valid");
        assert_eq!(a.hash("v"), a.hash("v"));
        assert_ne!(a.hash("v"), a.hash("w"));
        assert_ne!(a.hash("v"), b.hash("v"));
        assert_eq!(a.hash("v").len(), HASH_PREFIX.len() + HASH_HEX_CHARS);
    }

    #[test]
    fn named_fields_are_removed_and_a_missing_one_is_no_hit() {
        let v = json!({"data": {"card": "4111", "customer": {"email": "a@b.c", "n": 1},
            "note": "x", "keep": 2}});
        // One path, and two in one policy (looked up, and searched).
        let mut card = spec("card", &["data.card"]);
        card.action = Some("remove".into());
        let mut two = spec("two", &["data.customer.email", "data.note"]);
        two.action = Some("remove".into());
        let missing = spec("missing", &["data.absent", "data.keep.below"]);
        let ps = policies(&[card, two, missing]);
        let mut view = view(v);
        let hits = ps.apply(&meta("t"), &mut view);
        assert_eq!(
            json_of(&view)["data"],
            json!({"customer": {"n": 1}, "keep": 2})
        );
        let paths: Vec<String> = hits.iter().map(|h| h.target.to_string()).collect();
        assert_eq!(
            paths,
            [
                "value data.card",
                "value data.customer.email",
                "value data.note"
            ]
        );
    }

    #[test]
    fn the_hash_is_sha256_of_salt_zero_and_text_in_lowercase_hex() {
        // Python: hashlib.sha256(b"salt" + b"\x00" + "v€".encode()).hexdigest()
        let ps = policies(&[spec("p", &["x"])]);
        assert_eq!(ps.hash("v€"), "sha256:f63460eb4a565795");
    }

    #[test]
    fn bytes_are_acted_on_as_their_text_and_a_plain_mask_or_a_replacement_copies_nothing() {
        let ps = policies(&[spec("p", &["x"])]);
        let actions = [
            Action::Mask { keep_last: 0 },
            Action::Mask { keep_last: 2 },
            Action::Hash,
            Action::Replace("gone".into()),
        ];
        for bytes in [&b"secret"[..], b"\xff\xfe not UTF-8", b""] {
            for action in &actions {
                let shown = ps.act_bytes(action, bytes).expect("not removed");
                let text = ps.act_text(action, &String::from_utf8_lossy(bytes));
                assert_eq!(&*shown, text.as_bytes(), "{action:?} of {bytes:?}");
                let borrowed = matches!(shown, Cow::Borrowed(_));
                let plain = matches!(action, Action::Mask { keep_last: 0 } | Action::Replace(_));
                assert_eq!(borrowed, plain, "{action:?}");
            }
            assert_eq!(ps.act_bytes(&Action::Remove, bytes), None);
        }
    }

    #[test]
    fn a_mask_keeps_the_last_characters_not_bytes_and_never_all() {
        let ps = policies(&[spec("p", &["x"])]);
        let mask = |keep_last, text| ps.act_text(&Action::Mask { keep_last }, text);
        assert_eq!(mask(0, "secret"), "***");
        assert_eq!(mask(2, "secret"), "***et");
        assert_eq!(mask(2, "ab€ü"), "***€ü");
        assert_eq!(mask(5, "secret"), "***ecret");
        // Keeping as many characters as there are, or more, would show all.
        assert_eq!(mask(6, "secret"), "***");
        assert_eq!(mask(9, "secret"), "***");
        assert_eq!(mask(1, ""), "***");
    }

    #[test]
    fn headers_by_glob_and_the_key() {
        let mut s = spec("h", &[]);
        s.headers = vec!["token".into(), "x-auth-*".into()];
        s.key = true;
        s.keep_last = Some(4);
        let ps = policies(&[s]);
        let mut view = view(json!({}));
        let hits = ps.apply(&meta("t"), &mut view);
        assert_eq!(header(&view, 0), Some(&b"***-123"[..]));
        assert_eq!(header(&view, 1), Some(&b"***lice"[..]));
        assert_eq!(header(&view, 2), Some(&b"OrderPlaced"[..]));
        assert_eq!(view.key.as_deref(), Some(&b"***1111"[..]));
        assert_eq!(hits.len(), 3);
        let mut r = spec("r", &[]);
        r.headers = vec!["token".into()];
        r.key = true;
        r.action = Some("remove".into());
        let mut view2 = self::view(json!({}));
        policies(&[r]).apply(&meta("t"), &mut view2);
        assert_eq!(view2.headers.len(), 2);
        assert_eq!(view2.key, None);
        // Two headers removed in a row: what is left keeps its order, and
        // the hits are in wire order.
        let mut both = spec("both", &[]);
        both.headers = vec!["token".into(), "x-auth-*".into()];
        both.action = Some("remove".into());
        let mut view3 = self::view(json!({}));
        let hits = policies(&[both]).apply(&meta("t"), &mut view3);
        assert_eq!(
            view3.headers.to_pairs(),
            vec![("event_type".to_string(), Some(b"OrderPlaced".to_vec()))]
        );
        let targets: Vec<String> = hits.iter().map(|h| h.target.to_string()).collect();
        assert_eq!(targets, ["header token", "header x-auth-user"]);
    }

    #[test]
    fn allow_list_hides_everything_not_listed() {
        let mut s = spec("allow", &["event_type", "data.order_id"]);
        s.mode = Some("allow".into());
        s.headers = vec!["event_*".into()];
        let ps = policies(&[s]);
        let mut view = view(json!({"event_type": "OrderPlaced",
            "data": {"order_id": 7, "email": "a@b.c", "lines": [1, 2]}}));
        let hits = ps.apply(&meta("t"), &mut view);
        assert_eq!(
            json_of(&view),
            &json!({"event_type": "OrderPlaced",
                "data": {"order_id": 7, "email": "***", "lines": ["***", "***"]}})
        );
        assert_eq!(header(&view, 0), Some(&b"***"[..]));
        assert_eq!(header(&view, 2), Some(&b"OrderPlaced"[..]));
        assert_eq!(view.key.as_deref(), Some(&b"***"[..]));
        assert_eq!(hits.len(), 3 + 2 + 1);
    }

    #[test]
    fn policies_match_by_topic_context_type_and_subject() {
        let mut s = spec("p", &["secret"]);
        s.topic = Some("orders.*".into());
        s.context = Some("billing".into());
        s.event_type = Some("Order*".into());
        s.subject = Some("orders-value".into());
        let ps = policies(&[s]);
        let full = Meta {
            topic: "orders.events",
            context: Some("billing"),
            event_type: Some("OrderPlaced"),
            subject: Some("orders-value"),
            ..Meta::default()
        };
        assert!(ps.iter().all(|p| p.applies_to(&full)));
        for miss in [
            Meta {
                topic: "payments",
                ..full
            },
            Meta {
                context: None,
                ..full
            },
            Meta {
                event_type: Some("Shipped"),
                ..full
            },
            Meta {
                subject: Some("x"),
                ..full
            },
        ] {
            let mut v = view(json!({"secret": 1}));
            assert!(ps.apply(&miss, &mut v).is_empty(), "{miss:?}");
            assert_eq!(json_of(&v)["secret"], 1);
        }
        assert!(ps.may_apply_to_topic("orders.x"));
        assert!(!ps.may_apply_to_topic("payments"));
        assert!(ps.match_decoded("orders.x"));
        assert!(!ps.match_decoded("payments"));
        assert!(!policies(&[spec("q", &["a"])]).match_decoded("orders.x"));
    }

    #[test]
    fn an_opaque_value_is_hidden_whole_by_a_policy_with_value_targets() {
        let ps = policies(&[spec("p", &["**.password"])]);
        let mut v = View {
            value: Body::Opaque(b"password=hunter2".to_vec()),
            headers: Headers::default(),
            key: None,
        };
        let hits = ps.apply(&meta("t"), &mut v);
        assert_eq!(v.value, Body::Opaque(b"***".to_vec()));
        assert_eq!(hits[0].target, Target::Value(CompactString::default()));
    }

    #[test]
    fn the_debug_form_shows_no_salt() {
        let ps = Policies::new(&[spec("p", &["x"])], b"very-secret-salt".to_vec()).expect("ok");
        let text = format!("{ps:?}");
        assert!(!text.contains("very-secret-salt"), "{text}");
        assert!(text.contains("\"p\""), "{text}");
    }

    #[test]
    fn tagged_names_the_fields_the_schema_tags_and_nothing_without_a_schema() {
        let tags = [
            TaggedField {
                path: JsonPath::from_steps(&[
                    PathStep::Field("customer".into()),
                    PathStep::Field("e.mail".into()),
                ]),
                tags: vec!["PII".into()],
            },
            TaggedField {
                path: JsonPath::from_steps(&[
                    PathStep::Field("cards".into()),
                    PathStep::AnyElement,
                    PathStep::Field("number".into()),
                ]),
                tags: vec![SENSITIVE_TAG.into(), "PCI".into()],
            },
            TaggedField {
                path: JsonPath::from_steps(&[PathStep::Field("note".into())]),
                tags: vec!["internal".into()],
            },
        ];
        let mut s = spec("pii", &[]);
        s.tagged = vec!["PII".into(), "sens*".into()];
        let ps = policies(&[s]);
        let value = json!({"customer": {"e.mail": "a@b.c", "name": "Al"},
            "cards": [{"number": "4111"}, {"number": "5500"}], "note": "n"});
        let with_tags = Meta {
            topic: "t",
            tags: &tags,
            ..Meta::default()
        };
        let mut v = view(value.clone());
        let hits = ps.apply(&with_tags, &mut v);
        assert_eq!(
            json_of(&v),
            &json!({"customer": {"e.mail": "***", "name": "Al"},
                "cards": [{"number": "***"}, {"number": "***"}], "note": "n"})
        );
        let paths: Vec<String> = hits.iter().map(|h| h.target.to_string()).collect();
        assert_eq!(
            paths,
            [
                "value cards[0].number",
                "value cards[1].number",
                "value customer.e.mail"
            ]
        );
        // Headers and the key are not the schema's: untouched.
        assert_eq!(v.key.as_deref(), Some(&b"4111111111111111"[..]));
        // A JSON record without a schema: nothing is tagged, nothing hidden.
        let mut plain = view(value.clone());
        assert!(ps.apply(&meta("t"), &mut plain).is_empty());
        assert_eq!(json_of(&plain), &value);
        // A registry record not decoded (yet): hidden whole.
        let unread = Meta {
            topic: "t",
            schema_unread: true,
            ..Meta::default()
        };
        let mut raw = View {
            value: Body::Opaque(b"\0\0\0\0\x07a@b.c".to_vec()),
            headers: Headers::default(),
            key: None,
        };
        let hits = ps.apply(&unread, &mut raw);
        assert_eq!(raw.value, Body::Opaque(b"***".to_vec()));
        assert_eq!(hits[0].target, Target::Value(CompactString::default()));
        // A policy with `tagged` only is a valid deny-list; a bad glob is said.
        let mut bad = spec("b", &[]);
        bad.tagged = vec!["[".into()];
        let e = Policies::new(&[bad], vec![]).unwrap_err();
        assert_eq!(e.field, "tagged");
    }

    #[test]
    fn no_reinject_is_told_by_the_hits() {
        let mut s = spec("p", &["x"]);
        s.no_reinject = true;
        let ps = policies(&[s, spec("q", &["y"])]);
        let mut v = view(json!({"x": 1, "y": 2}));
        let hits = ps.apply(&meta("t"), &mut v);
        assert!(ps.forbids_reinject(&hits));
        assert!(!ps.forbids_reinject(&hits[1..]));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// `secret` under `password` at the end of `keys`, with noise beside.
        fn nest(keys: &[String], arrays: &[bool], secret: &str) -> Value {
            let mut v = json!({"password": secret, "other": "x"});
            for (k, in_array) in keys.iter().zip(arrays).rev() {
                let inner = if *in_array { json!([1, v]) } else { v };
                v = json!({ k.as_str(): inner, "n0": 1 });
            }
            v
        }

        /// JSON whose every string is a distinctive `S…S` token.
        fn json_tree() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                "S[a-z0-9]{8}S".prop_map(Value::String),
                any::<i32>().prop_map(|n| json!(n)),
                Just(Value::Null),
            ];
            leaf.prop_recursive(6, 64, 6, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    proptest::collection::btree_map("[a-z]{1,5}", inner, 0..6)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        /// A step to take: a key of a few names, or an index.
        fn step_strategy() -> impl Strategy<Value = (Option<&'static str>, usize)> {
            (
                prop_oneof![
                    Just(Some("a")),
                    Just(Some("b")),
                    Just(Some("c")),
                    Just(None)
                ],
                0usize..3,
            )
        }

        proptest! {
            /// Whether one step reaches the end of a path, told without
            /// building the states, is what building them tells.
            #[test]
            fn a_leaf_lands_on_a_path_exactly_when_the_states_after_its_step_are_complete(
                picked in proptest::collection::vec(0usize..14, 1..4),
                walk in proptest::collection::vec(step_strategy(), 0..5),
                last in step_strategy(),
            ) {
                const PATHS: [&str; 14] = [
                    "a", "a.b", "**", "**.b", "a.**", "*.b", "a[*]", "a[1].b",
                    "**.**.b", "a.**.b[0]", "[*]", "*", "b.*.**", "**.[2]",
                ];
                let paths: Vec<JsonPath> = picked
                    .iter()
                    .filter_map(|&i| JsonPath::parse(PATHS[i]).ok())
                    .collect();
                let as_step = |(key, index): (Option<&'static str>, usize)| match key {
                    Some(k) => Step::Key(k),
                    None => Step::Index(index),
                };
                let mut states = start_states(&paths);
                for s in walk {
                    states = advance(&paths, &states, as_step(s));
                }
                let step = as_step(last);
                prop_assert_eq!(
                    lands(&paths, &states, step),
                    complete(&paths, &advance(&paths, &states, step))
                );
            }

            #[test]
            fn an_allow_list_that_lists_nothing_leaves_no_string_of_the_value(
                tree in json_tree(),
                action in prop_oneof![Just("mask"), Just("hash"), Just("remove")],
            ) {
                let mut s = spec("allow-none", &[]);
                s.mode = Some("allow".into());
                s.action = Some(action.to_string());
                let ps = policies(&[s]);
                let mut v = View { value: Body::Json(tree.clone()), headers: Headers::default(), key: None };
                ps.apply(&meta("t"), &mut v);
                let text = json_of(&v).to_string();
                prop_assert!(!text.contains('S'), "{}", text);
            }

            #[test]
            fn hashing_keeps_equal_values_equal_and_different_ones_apart(
                a in "[a-z0-9@.]{1,24}",
                b in "[a-z0-9@.]{1,24}",
            ) {
                let mut s = spec("h", &["K_1", "K_2"]);
                s.action = Some("hash".into());
                let ps = policies(&[s]);
                let mut v = View { value: Body::Json(json!({"K_1": a, "K_2": b})),
                    headers: Headers::default(), key: None };
                ps.apply(&meta("t"), &mut v);
                let out = json_of(&v);
                prop_assert_eq!(out["K_1"] == out["K_2"], a == b);
                let shown = out.to_string();
                let quoted = format!("\"{}\"", a);
                prop_assert!(!shown.contains(&quoted), "{}", shown);
            }

            #[test]
            fn a_secret_at_any_depth_never_shows_under_a_deep_password_policy(
                keys in proptest::collection::vec("[a-z]{1,6}", 0..40),
                arrays in proptest::collection::vec(any::<bool>(), 40),
                secret in "[A-Za-z0-9]{12,24}",
                action in prop_oneof![Just("mask"), Just("hash"), Just("remove")],
            ) {
                let mut s = spec("pw", &["**.password"]);
                s.action = Some(action.to_string());
                let ps = policies(&[s]);
                let mut v = View { value: Body::Json(nest(&keys, &arrays, &secret)),
                    headers: Headers::default(), key: None };
                let hits = ps.apply(&meta("t"), &mut v);
                let text = json_of(&v).to_string();
                prop_assert!(!text.contains(&secret), "{}", text);
                prop_assert_eq!(hits.len(), 1);
                prop_assert!(text.contains("\"other\":\"x\""));
            }
        }
    }
}
