//! The crate's module graph, read from its `use` lines and `crate::`/`super::`
//! paths: no import cycles anywhere, and in the console no pane imports a
//! worker and no worker imports a pane (both talk through `tui::event`).
//! A module's unit tests (`#[cfg(test)] mod tests`) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`crate::tui::panes::streams`) → its file.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read src").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(src).expect("under src").with_extension("");
            let mut segs: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                segs.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                segs.pop();
            }
            segs.insert(0, "crate".into());
            (segs.join("::"), p)
        })
        .collect()
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.to_string()];
    };
    let (prefix, rest) = tree.split_at(open);
    let inner = rest
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or(rest);
    let mut parts = Vec::new();
    let (mut depth, mut cur) = (0, String::new());
    for ch in inner.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if ch == ',' && depth == 0 {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(ch);
        }
    }
    parts.push(cur);
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |x| format!("{prefix}{x}")))
        .collect()
}

/// The module a path in module `from` names (its longest known prefix).
fn resolve(from: &str, path: &str, mods: &BTreeMap<String, PathBuf>) -> Option<String> {
    let path = path.split(" as ").next()?.trim();
    let mut segs: Vec<&str> = path.split("::").collect();
    let mut full: Vec<&str> = match segs.first()? {
        &"crate" => Vec::new(),
        &"super" | &"self" => from.split("::").collect(),
        _ => return None,
    };
    while let Some(first) = segs.first() {
        match *first {
            "super" => {
                full.pop();
                segs.remove(0);
            }
            "self" => {
                segs.remove(0);
            }
            _ => break,
        }
    }
    full.extend(segs);
    (1..=full.len())
        .rev()
        .map(|k| full[..k].join("::"))
        .find(|m| mods.contains_key(m))
}

/// Every module's dependencies on other modules of the crate.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mods = modules(&src);
    let use_re = regex_lite_use();
    mods.iter()
        .map(|(name, file)| {
            let text = std::fs::read_to_string(file).expect("read module");
            let text = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or("")
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            let mut deps = BTreeSet::new();
            for tree in use_re(&text) {
                for path in expand(&tree) {
                    if let Some(m) = resolve(name, &path, &mods) {
                        deps.insert(m);
                    }
                }
            }
            for path in inline_paths(&text) {
                if let Some(m) = resolve(name, &path, &mods) {
                    deps.insert(m);
                }
            }
            deps.remove(name);
            (name.clone(), deps)
        })
        .collect()
}

/// The trees of `use …;` items (no regex crate needed for this).
fn regex_lite_use() -> impl Fn(&str) -> Vec<String> {
    |text: &str| {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find("use ") {
            let before = rest[..i].chars().last();
            let after = &rest[i + 4..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                rest = after;
                continue;
            }
            match after.find(';') {
                Some(end) => {
                    let tree = after[..end].trim();
                    if tree.starts_with("crate")
                        || tree.starts_with("super")
                        || tree.starts_with("self")
                    {
                        out.push(tree.split_whitespace().collect::<Vec<_>>().join(" "));
                    }
                    rest = &after[end..];
                }
                None => break,
            }
        }
        out
    }
}

/// `crate::a::b` and `super::a` paths written inline in code.
fn inline_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for start in ["crate::", "super::"] {
        let mut rest = text;
        while let Some(i) = rest.find(start) {
            let before = rest[..i].chars().last();
            let tail = &rest[i..];
            let end = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                out.push(tail[..end].trim_end_matches(':').to_string());
            }
            rest = &rest[i + start.len()..];
        }
    }
    out
}

/// The strongly connected components with more than one module (Tarjan).
fn cycles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let i = t.index.len();
        t.index.insert(v, i);
        t.low.insert(v, i);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.g.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low[v];
                t.low.insert(v, lv.min(lw));
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low[v];
                t.low.insert(v, lv.min(iw));
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out
}

#[test]
fn the_crate_has_no_import_cycles() {
    let g = graph();
    assert!(g.len() > 50, "the graph was read: {} modules", g.len());
    assert!(
        g["crate::tui::app"].contains("crate::tui::panes"),
        "paths were resolved"
    );
    let found = cycles(&g);
    assert!(found.is_empty(), "import cycles: {found:#?}");
}

#[test]
fn panes_and_workers_do_not_import_each_other() {
    let g = graph();
    let mut wrong = Vec::new();
    for (m, deps) in &g {
        for d in deps {
            let pane_to_worker =
                m.starts_with("crate::tui::panes") && d.starts_with("crate::tui::workers");
            let worker_to_pane =
                m.starts_with("crate::tui::workers") && d.starts_with("crate::tui::panes");
            if pane_to_worker || worker_to_pane {
                wrong.push(format!("{m} → {d}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(
        g.keys().any(|m| m.starts_with("crate::tui::workers::")),
        "the workers were found"
    );
}

#[test]
fn a_cycle_is_found_when_there_is_one() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    g.entry("d".into()).or_default().insert("a".into());
    assert_eq!(cycles(&g), vec![vec!["a", "b", "c"]]);
    assert_eq!(
        expand("crate::a::{b, c::{d, e as f}}"),
        vec!["crate::a::b", "crate::a::c::d", "crate::a::c::e as f"]
    );
}
