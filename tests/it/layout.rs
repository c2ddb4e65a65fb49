//! The source layout keeps the shape docs/architecture.md describes: `src/` holds the four entry
//! files and one folder per concept, no two modules import each other, and no folder imports one
//! of a higher layer.
//!
//! Reads `src/**/*.rs` as text: the code before a file's first `#[cfg(test)]` (tests may reach
//! anywhere), without comments and string literals. Every path that starts with `crate::`,
//! `super::`, `self::` or the name of a child module (`use set::Override;` in `config/mod.rs`),
//! in a `use` tree or in code, counts as an import of the file module it reaches (the longest
//! prefix that is a file). Paths that reach only the crate root (`crate::bail_usage!`, the
//! re-exports of lib.rs) count as none: lib.rs is the facade over everything.
//!
//! A folder's `mod.rs` and the files directly in it are one family: the `mod.rs` declares them,
//! holds what they share (a trait, a registry, the common types) and uses each, and each file
//! uses what the `mod.rs` holds (`schedule/mod.rs` builds a `Cosine` from `cosine.rs`, which
//! implements `schedule::Schedule`). So a file and its own folder's `mod.rs` may import each
//! other; no other two modules may.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The files `src/` may hold beside its folders.
const ENTRY_FILES: [&str; 4] = ["cli.rs", "error.rs", "lib.rs", "main.rs"];

/// The folders (and entry files, without `.rs`) from the bottom up. A module may import modules
/// of its own layer and of the layers below it, never of one above.
const LAYERS: &[&[&str]] = &[
    // Foundations every layer uses: errors and exit codes, metric names and their direction,
    // atomic file writes.
    &["error", "metric", "output"],
    // What a run is made of: the config as data, datasets, the network, optimizers, schedules.
    &["config", "data", "model", "optim", "schedule"],
    // The epoch/batch loop and what runs inside it.
    &["train"],
    // Charts of epoch rows.
    &["report"],
    // One run's lifecycle and files; the range test's maths.
    &["run", "lrfind"],
    // Finished runs compared; sweeps of runs.
    &["compare"],
    &["sweep"],
    // The command line: as typed, then resolved and run; the library and binary roots.
    &["cli"],
    &["cmd"],
    &["lib", "main"],
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// A file module's path from the crate root (`["config", "set"]`; `[]` for lib.rs).
type Module = Vec<String>;

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".to_string()
    } else {
        m.join("::")
    }
}

/// Every `.rs` file under `src/` with its module path.
fn modules() -> BTreeMap<Module, PathBuf> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, PathBuf>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let mut m = prefix.to_vec();
            if path.is_dir() {
                m.push(stem);
                walk(&path, &m, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                if !(stem == "mod" || (prefix.is_empty() && stem == "lib")) {
                    m.push(stem);
                }
                out.insert(m, path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&src(), &[], &mut out);
    out
}

/// The code of a file before `#[cfg(test)]`, with comments, string and char literals removed.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && (i == 0 || !(b[i - 1].is_alphanumeric() || b[i - 1] == '_'))
        {
            // A raw string r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (1..=hashes).all(|k| b.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                i += if b[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && next == Some('\\') {
            // '\n', '\'', '\u{..}'
            i += 2;
            while i < b.len() && b[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else if c == '\'' && b.get(i + 2) == Some(&'\'') {
            i += 3;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

fn tokens(code: &str) -> Vec<Token> {
    let b: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_alphabetic() || c == '_' || c == '$' {
            let start = i;
            i += 1;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push(Token::Ident(b[start..i].iter().collect()));
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_' || b[i] == '.') {
                i += 1;
            }
        } else if c == ':' && b.get(i + 1) == Some(&':') {
            out.push(Token::PathSep);
            i += 2;
        } else if c.is_whitespace() {
            i += 1;
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

/// The paths a `use` tree starting at `toks[*i]` names, each as its segments; leaves `*i` after
/// the tree.
fn use_tree(toks: &[Token], i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    loop {
        match toks.get(*i) {
            Some(Token::Ident(s)) if s == "as" => {
                *i += 2;
                out.push(path);
                return;
            }
            Some(Token::Ident(s)) => {
                if s != "self" || path.is_empty() {
                    path.push(s.clone());
                }
                *i += 1;
            }
            Some(Token::PathSep) => *i += 1,
            Some(Token::Punct('*')) => {
                *i += 1;
                out.push(path);
                return;
            }
            Some(Token::Punct('{')) => {
                *i += 1;
                loop {
                    match toks.get(*i) {
                        Some(Token::Punct('}')) => {
                            *i += 1;
                            return;
                        }
                        Some(Token::Punct(',')) => *i += 1,
                        None => return,
                        _ => use_tree(toks, i, path.clone(), out),
                    }
                }
            }
            _ => {
                out.push(path);
                return;
            }
        }
    }
}

/// The file modules `m` imports (itself and the crate root excluded).
fn imports(m: &Module, path: &Path, all: &BTreeMap<Module, PathBuf>) -> BTreeSet<Module> {
    let text = fs::read_to_string(path).unwrap();
    let text = if m == &["main".to_string()] {
        text.replace("lrtrain::", "crate::")
    } else {
        text
    };
    let toks = tokens(&code(&text));
    // A `mod.rs` or lib.rs is its folder's scope; a file `a/b.rs` is module `a::b`, whose
    // `super` is `a`.
    let mut found: Vec<(Vec<String>, Vec<String>)> = Vec::new(); // (scope, path)
    // Inline modules (`mod name { … }`) shift the scope: (name, brace depth at its opening).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let scope: Vec<String> = m
            .iter()
            .cloned()
            .chain(inline.iter().map(|(n, _)| n.clone()))
            .collect();
        match &toks[i] {
            Token::Punct('{') => {
                depth += 1;
                i += 1;
            }
            Token::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            Token::Ident(s) if s == "mod" => {
                if let (Some(Token::Ident(n)), Some(Token::Punct('{'))) =
                    (toks.get(i + 1), toks.get(i + 2))
                {
                    inline.push((n.clone(), depth + 1));
                }
                i += 1;
            }
            Token::Ident(s) if s == "use" => {
                i += 1;
                let mut paths = Vec::new();
                use_tree(&toks, &mut i, Vec::new(), &mut paths);
                found.extend(paths.into_iter().map(|p| (scope.clone(), p)));
            }
            Token::Ident(s)
                if toks.get(i + 1) == Some(&Token::PathSep)
                    && (i == 0 || toks[i - 1] != Token::PathSep) =>
            {
                let _ = s;
                let mut p = Vec::new();
                while let Some(Token::Ident(seg)) = toks.get(i) {
                    p.push(seg.clone());
                    if toks.get(i + 1) != Some(&Token::PathSep) {
                        i += 1;
                        break;
                    }
                    i += 2;
                }
                found.push((scope.clone(), p));
            }
            _ => i += 1,
        }
    }
    let mut out = BTreeSet::new();
    for (scope, p) in found {
        if let Some(target) = resolve(m, &scope, &p, all)
            && &target != m
            && !target.is_empty()
        {
            out.insert(target);
        }
    }
    out
}

/// The file module a path written in `scope` (inside file module `m`) reaches, if any.
fn resolve(
    m: &Module,
    scope: &[String],
    p: &[String],
    all: &BTreeMap<Module, PathBuf>,
) -> Option<Module> {
    let first = p.first()?;
    let mut abs: Vec<String> = match first.as_str() {
        "crate" => p[1..].to_vec(),
        "self" => scope.iter().chain(&p[1..]).cloned().collect(),
        "super" => {
            let mut base = scope.to_vec();
            let mut rest = p;
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
            base.extend(rest.iter().cloned());
            base
        }
        _ => {
            // A child module of a file's own scope (not of an inline module).
            let mut child = m.clone();
            child.push(first.clone());
            if scope.len() != m.len() || !all.contains_key(&child) {
                return None;
            }
            m.iter().chain(p).cloned().collect()
        }
    };
    while !all.contains_key(&abs) {
        abs.pop()?;
    }
    Some(abs)
}

/// Every module's imports.
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let all = modules();
    all.iter()
        .map(|(m, path)| (m.clone(), imports(m, path, &all)))
        .collect()
}

/// The layer of a module: the position in [`LAYERS`] of its folder (or entry file).
fn layer(m: &Module) -> Option<usize> {
    let top = m.first().map(String::as_str).unwrap_or("lib");
    LAYERS.iter().position(|l| l.contains(&top))
}

#[test]
fn src_holds_only_the_entry_files_and_folders() {
    let mut stray = Vec::new();
    for entry in fs::read_dir(src()).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_file() && !ENTRY_FILES.contains(&file.as_str()) {
            stray.push(file);
        }
    }
    stray.sort();
    assert!(
        stray.is_empty(),
        "src/ holds files beside {ENTRY_FILES:?}; give each a folder: {stray:?}"
    );
}

#[test]
fn every_folder_has_a_layer() {
    let mut missing = BTreeSet::new();
    for m in modules().keys() {
        if layer(m).is_none() {
            missing.insert(m.first().cloned().unwrap_or_default());
        }
    }
    assert!(
        missing.is_empty(),
        "add these to LAYERS in tests/it/layout.rs (and to docs/architecture.md): {missing:?}"
    );
}

#[test]
fn no_two_modules_import_each_other() {
    let g = graph();
    let mut pairs = Vec::new();
    let family = |a: &Module, b: &Module| {
        (a.len() + 1 == b.len() && b.starts_with(a)) || (b.len() + 1 == a.len() && a.starts_with(b))
    };
    for (a, targets) in &g {
        for b in targets {
            if a < b && !family(a, b) && g.get(b).is_some_and(|t| t.contains(a)) {
                pairs.push(format!("{} <-> {}", name(a), name(b)));
            }
        }
    }
    assert!(
        pairs.is_empty(),
        "modules importing each other:\n{}",
        pairs.join("\n")
    );
}

#[test]
fn no_folder_imports_one_of_a_higher_layer() {
    let mut wrong = Vec::new();
    for (a, targets) in graph() {
        for b in targets {
            if let (Some(la), Some(lb)) = (layer(&a), layer(&b))
                && lb > la
            {
                wrong.push(format!("{} -> {}", name(&a), name(&b)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "lower layers import higher ones (see LAYERS):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_reader_sees_use_trees_child_modules_and_super() {
    let all: BTreeMap<Module, PathBuf> = [
        vec![],
        vec!["a".to_string()],
        vec!["a".to_string(), "b".to_string()],
        vec!["a".to_string(), "c".to_string()],
        vec!["d".to_string()],
    ]
    .into_iter()
    .map(|m| (m, PathBuf::new()))
    .collect();
    let a = vec!["a".to_string()];
    let ab = vec!["a".to_string(), "b".to_string()];
    let seg = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    let toks = tokens(&code(
        "use crate::{d::X, a::c::{self, Y as Z}};\n// use crate::e;\nlet s = \"crate::x\";",
    ));
    let mut paths = Vec::new();
    use_tree(&toks, &mut 1, Vec::new(), &mut paths);
    assert_eq!(
        paths,
        vec![
            seg("crate::d::X"),
            seg("crate::a::c"),
            seg("crate::a::c::Y")
        ]
    );
    assert!(
        !toks.contains(&Token::Ident("e".into())),
        "comments are dropped"
    );
    assert_eq!(
        resolve(&ab, &ab, &seg("super::c::f"), &all),
        Some(seg("a::c"))
    );
    assert_eq!(resolve(&a, &a, &seg("b::T"), &all), Some(ab.clone()));
    assert_eq!(resolve(&a, &a, &seg("std::fmt"), &all), None);
    assert_eq!(
        resolve(&ab, &ab, &seg("crate::d::deep::f"), &all),
        Some(seg("d"))
    );
}
