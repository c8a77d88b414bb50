//! The house's rules, read from the source: which top-level module of
//! `src/` may import which (`crate::...` paths in production code: comments,
//! strings and `#[cfg(test)]` items are left out, since a test may build its
//! fixtures with rooms above it), and no circle between top-level modules.
//! A failure names the rule, the import and the file. ARCHITECTURE.md
//! states the same rules as "Architecture Invariant" lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each top-level module may import, and why. A module may always use
/// its own insides. `cli`, `serve` and `demo` wire everything together and
/// may import any room (but still close no circle).
const RULES: &[(&str, &[&str], &str)] = &[
    ("vocab", &["config"], "the shared vocabulary imports only config's types"),
    ("store", &[], "the store is the bottom: only it touches sled"),
    ("wire", &[], "Odoo's wire formats stand alone"),
    ("domain", &[], "Odoo domains stand alone"),
    ("logging", &[], "logging stands alone"),
    ("metrics", &["vocab"], "metrics are recorded by everyone and read by no decision"),
    ("config", &["store", "domain", "logging"], "config is types and the stored configuration, below every room"),
    ("limits", &["store", "config", "vocab"], "limits, sessions and audit sit below the corridor"),
    ("sessions", &["store", "config", "vocab"], "limits, sessions and audit sit below the corridor"),
    ("audit", &["store", "config", "vocab"], "limits, sessions and audit sit below the corridor"),
    ("approvals", &["store", "config"], "the approval queue is records over the store, below the corridor"),
    (
        "rooms",
        &["store", "config", "limits", "audit", "sessions", "approvals"],
        "the rooms bundle the store's handles, nothing above",
    ),
    ("upstream", &["config", "wire", "metrics", "vocab"], "upstream decides nothing and knows no room above it"),
    ("policy", &["config", "domain", "vocab"], "policy is pure: no I/O, no HTTP, no store"),
    (
        "ops",
        &["vocab", "config", "domain", "policy", "upstream", "metrics"],
        "ops never imports gateway, faces or admin",
    ),
    (
        "oauth",
        &["vocab", "config", "store", "rooms", "limits", "audit", "upstream"],
        "the authorization server keeps its own records and imports no face, gateway or admin",
    ),
    (
        "gateway",
        &[
            "vocab",
            "config",
            "domain",
            "store",
            "rooms",
            "limits",
            "audit",
            "sessions",
            "metrics",
            "ops",
            "upstream",
            "oauth",
            "approvals",
        ],
        "the gateway holds its own handles: never the admin service, never a face",
    ),
    (
        "faces",
        &["vocab", "config", "metrics", "ops", "gateway", "oauth"],
        "faces go through the gateway (and OAuth's endpoints through oauth) and never touch the store",
    ),
    (
        "jobs",
        &["store", "config", "rooms", "limits", "audit", "sessions", "metrics", "oauth"],
        "jobs never import admin",
    ),
    ("backup", &["store", "config", "audit"], "backup reads and writes the store's trees, nothing above"),
    (
        "admin",
        &[
            "vocab",
            "config",
            "domain",
            "store",
            "rooms",
            "limits",
            "audit",
            "sessions",
            "upstream",
            "jobs",
            "backup",
            "oauth",
            "approvals",
        ],
        "the admin service sits beside the gateway, never under it, and knows no terminal or HTTP",
    ),
    ("admin_socket", &["admin"], "the admin socket is transport only: everything it does is an admin-service call"),
    ("sandbox", &["wire", "domain"], "the sandbox uses only wire and domain from the product"),
    (
        "tui",
        &["admin::api", "admin_socket", "config", "domain", "bridge"],
        "the dashboard speaks the admin API over the socket",
    ),
    (
        "doctor",
        &["admin::api", "admin_socket", "config", "faces::tls", "upstream", "oauth::vault"],
        "doctor asks the admin API and reads files",
    ),
    ("bridge", &["config", "ops", "upstream", "vocab"], "the bridge forwards to a remote gateway"),
];

/// Paths a module may not import even where its rule allows the module.
const NEVER: &[(&str, &str, &str)] = &[("faces", "config::catalog", "faces never touch the store")];

/// The wiring: may import any room.
const WIRING: &[&str] = &["cli", "serve", "demo"];

/// One `crate::` path in production code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Import {
    file: String,
    path: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, relative to `src/`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.strip_prefix(src_dir()).unwrap().to_path_buf());
        }
    }
}

/// The top-level module a file of `src/` belongs to (None for lib.rs, main.rs).
fn top_module(file: &Path) -> Option<String> {
    let first = file.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// The source without comments, string and character literals (their text
/// becomes spaces, so braces inside them do not count).
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_char(chars.get(i.wrapping_sub(1))) {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            while j < chars.len() && !(chars[j] == '"' && (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#'))) {
                j += 1;
            }
            i = j + 1 + hashes;
            out.push(' ');
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A character literal ('{', '\n', '\u{7b}'); a lifetime has no closing quote.
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push(' ');
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// The code without `#[cfg(test)]` items, and the names of test-only child
/// modules declared as `#[cfg(test)] mod name;` (their files are left out too).
fn without_test_items(code: &str) -> (String, Vec<String>) {
    const ATTRIBUTE: &str = "#[cfg(test)]";
    let mut out = String::new();
    let mut test_modules = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(ATTRIBUTE) {
        out.push_str(&rest[..at]);
        let item = &rest[at + ATTRIBUTE.len()..];
        let semicolon = item.find(';');
        let brace = item.find('{');
        let end = match (semicolon, brace) {
            (Some(s), b) if b.is_none_or(|b| s < b) => {
                let declared = item[..s].trim();
                if let Some(name) = declared.strip_prefix("mod ").or_else(|| declared.strip_prefix("pub mod ")) {
                    test_modules.push(name.trim().to_string());
                }
                s + 1
            }
            (_, Some(b)) => {
                let mut depth = 0;
                let mut end = item.len();
                for (i, c) in item[b..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = b + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            _ => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    (out, test_modules)
}

/// The paths after each `crate::`, use-tree groups expanded:
/// `crate::{a::B, c::{d, e}}` gives `a::B`, `c::d`, `c::e`.
fn crate_paths(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = find(&chars, i, "crate::") {
        if ident_char(chars.get(at.wrapping_sub(1))) {
            i = at + 1;
            continue;
        }
        let (paths, end) = use_tree(&chars, at + "crate::".len());
        out.extend(paths.into_iter().filter(|p| !p.is_empty()));
        i = end.max(at + 1);
    }
    out
}

fn find(chars: &[char], from: usize, needle: &str) -> Option<usize> {
    let needle: Vec<char> = needle.chars().collect();
    (from..chars.len().saturating_sub(needle.len() - 1)).find(|&i| chars[i..i + needle.len()] == needle[..])
}

/// One use tree at `i`: `a::b::c`, `a::{tree, tree}`, `a::*`, `a as b`.
fn use_tree(chars: &[char], mut i: usize) -> (Vec<String>, usize) {
    let skip_space = |i: &mut usize| {
        while chars.get(*i).is_some_and(|c| c.is_whitespace()) {
            *i += 1;
        }
    };
    let mut segments: Vec<String> = Vec::new();
    loop {
        skip_space(&mut i);
        if chars.get(i) == Some(&'{') {
            i += 1;
            let mut paths = Vec::new();
            loop {
                skip_space(&mut i);
                match chars.get(i) {
                    Some('}') => {
                        i += 1;
                        break;
                    }
                    Some(',') => i += 1,
                    None => break,
                    _ => {
                        let (inner, end) = use_tree(chars, i);
                        for p in inner {
                            let joined = match p.as_str() {
                                "self" | "" => segments.join("::"),
                                _ => segments.iter().cloned().chain([p]).collect::<Vec<_>>().join("::"),
                            };
                            paths.push(joined);
                        }
                        i = end.max(i + 1);
                    }
                }
            }
            return (paths, i);
        }
        let start = i;
        while ident_char(chars.get(i)) {
            i += 1;
        }
        if i == start {
            // `*` or the end of the path.
            return (vec![segments.join("::")], i);
        }
        segments.push(chars[start..i].iter().collect());
        skip_space(&mut i);
        if chars.get(i) == Some(&':') && chars.get(i + 1) == Some(&':') {
            i += 2;
            continue;
        }
        // `path as alias`: the alias is not a path.
        if chars.get(i) == Some(&'a') && chars.get(i + 1) == Some(&'s') && !ident_char(chars.get(i + 2)) {
            i += 2;
            skip_space(&mut i);
            while ident_char(chars.get(i)) {
                i += 1;
            }
        }
        return (vec![segments.join("::")], i);
    }
}

/// Every `crate::` import in the production code of `src/`.
fn imports() -> Vec<Import> {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let mut test_only: BTreeSet<PathBuf> = BTreeSet::new();
    let mut found = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(src_dir().join(file)).unwrap();
        let (code, test_modules) = without_test_items(&code_only(&source));
        // `a/mod.rs` declares `a/name.rs`; `a/b.rs` declares `a/b/name.rs`.
        let dir = match file.file_name().and_then(|n| n.to_str()) {
            Some("mod.rs") | Some("lib.rs") => file.parent().unwrap().to_path_buf(),
            _ => file.with_extension(""),
        };
        for name in test_modules {
            test_only.insert(dir.join(format!("{name}.rs")));
            test_only.insert(dir.join(&name).join("mod.rs"));
        }
        for path in crate_paths(&code) {
            found.push((file.clone(), path));
        }
    }
    found
        .into_iter()
        .filter(|(file, _)| !test_only.iter().any(|t| file == t || file.starts_with(t.with_extension(""))))
        .map(|(file, path)| Import { file: format!("src/{}", file.display()), path })
        .collect()
}

/// The rule broken by `path` imported from `module`, if any.
fn broken(module: &str, path: &str) -> Option<String> {
    let target = path.split("::").next().unwrap_or_default();
    if target == module || WIRING.contains(&module) {
        return None;
    }
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}::"));
    if let Some((_, prefix, why)) = NEVER.iter().find(|(m, prefix, _)| *m == module && under(prefix)) {
        return Some(format!("`{module}` may not import `{prefix}`: {why}"));
    }
    match RULES.iter().find(|(m, _, _)| *m == module) {
        None => Some(format!(
            "`{module}` has no rule: add one to tests/inproc/house.rs and its paragraph to ARCHITECTURE.md"
        )),
        Some((_, allowed, _)) if allowed.iter().any(|a| under(a)) => None,
        Some((_, allowed, why)) => Some(format!(
            "`{module}` may import only {}: {why}",
            if allowed.is_empty() { "itself".to_string() } else { allowed.join(", ") }
        )),
    }
}

/// Imports that break a rule, one line each.
fn violations(imports: &[Import]) -> Vec<String> {
    let mut out = BTreeSet::new();
    for import in imports {
        let Some(module) = top_module(Path::new(import.file.trim_start_matches("src/"))) else { continue };
        if let Some(rule) = broken(&module, &import.path) {
            out.insert(format!("{} imports crate::{}; {rule}", import.file, import.path));
        }
    }
    out.into_iter().collect()
}

/// Top-level module -> the modules it imports, with the files that do.
fn graph(imports: &[Import]) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for import in imports {
        let Some(from) = top_module(Path::new(import.file.trim_start_matches("src/"))) else { continue };
        let to = import.path.split("::").next().unwrap_or_default().to_string();
        if to != from && !to.is_empty() {
            edges.entry(from).or_default().entry(to).or_default().insert(import.file.clone());
        }
    }
    edges
}

/// Each circle (a strongly connected group of more than one module), with
/// the edges inside it and the files that make them.
fn circles(edges: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>) -> Vec<String> {
    let nodes: BTreeSet<&String> = edges.keys().chain(edges.values().flat_map(|t| t.keys())).collect();
    let reaches = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for next in edges.get(&n).into_iter().flat_map(|t| t.keys()) {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&String, BTreeSet<String>> = nodes.iter().map(|n| (*n, reaches(n))).collect();
    let mut groups: BTreeSet<Vec<String>> = BTreeSet::new();
    for n in &nodes {
        let mut group: Vec<String> = nodes
            .iter()
            .filter(|m| reach[*n].contains(**m) && reach[**m].contains(*n))
            .map(|m| m.to_string())
            .collect();
        group.sort();
        if group.len() > 1 {
            groups.insert(group);
        }
    }
    groups
        .into_iter()
        .map(|group| {
            let mut text = format!("circle between {}:", group.join(", "));
            for from in &group {
                for (to, files) in edges.get(from).into_iter().flatten().filter(|(to, _)| group.contains(to)) {
                    let files: Vec<&str> = files.iter().map(String::as_str).collect();
                    text.push_str(&format!("\n    {from} -> {to}: {}", files.join(", ")));
                }
            }
            text
        })
        .collect()
}

#[test]
fn imports_follow_the_house_rules_and_close_no_circle() {
    let imports = imports();
    let edges = graph(&imports);
    // The scan finds the corridor, or it finds nothing and proves nothing.
    for (from, to) in [("faces", "gateway"), ("gateway", "ops"), ("ops", "policy"), ("admin_socket", "admin")] {
        assert!(edges.get(from).is_some_and(|t| t.contains_key(to)), "the scan missed {from} -> {to}");
    }
    let mut problems = violations(&imports);
    problems.extend(circles(&edges));
    assert!(problems.is_empty(), "the house's rules are broken:\n  {}", problems.join("\n  "));
}

#[test]
fn the_scan_reads_use_trees_and_skips_comments_strings_and_test_code() {
    let source = r#"
        use crate::{a::B, c::{self, d::E as F}, g};
        // use crate::comment::X;
        /* crate::block */ let s = "crate::string"; let c = '{';
        fn f() { crate::inline::call(); }
        #[cfg(test)]
        mod tests { use crate::test_only::X; fn g() { let _ = "}"; } }
        #[cfg(test)]
        mod more;
        use crate::after::Y;
    "#;
    let (code, test_modules) = without_test_items(&code_only(source));
    assert_eq!(crate_paths(&code), ["a::B", "c", "c::d::E", "g", "inline::call", "after::Y"]);
    assert_eq!(test_modules, ["more"]);
}

#[test]
fn a_forbidden_import_or_a_circle_is_named_with_its_file() {
    let import = |file: &str, path: &str| Import { file: file.into(), path: path.into() };
    let found = violations(&[
        import("src/ops/read.rs", "gateway::OpError"),
        import("src/faces/rest.rs", "config::catalog::Catalog"),
        import("src/tui/app.rs", "admin::AdminService"),
        import("src/tui/app.rs", "admin::api::Status"),
        import("src/newroom/mod.rs", "store::Store"),
    ]);
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(found[0].starts_with("src/faces/rest.rs imports crate::config::catalog::Catalog; `faces` may not"));
    assert!(found[1].contains("`newroom` has no rule"), "{}", found[1]);
    assert!(found[2].starts_with("src/ops/read.rs imports crate::gateway::OpError; `ops` may import only"));
    assert!(found[3].starts_with("src/tui/app.rs imports crate::admin::AdminService"), "{}", found[3]);
    let circle = circles(&graph(&[
        import("src/admin/traffic.rs", "jobs::run_now"),
        import("src/jobs/mod.rs", "admin::AdminService"),
        import("src/jobs/mod.rs", "store::Store"),
    ]));
    assert_eq!(
        circle,
        ["circle between admin, jobs:\n    admin -> jobs: src/admin/traffic.rs\n    jobs -> admin: src/jobs/mod.rs"]
    );
}
