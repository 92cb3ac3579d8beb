//! The layers hold: no circle of imports between the files of one crate (outside credo-domain's catalog), the
//! services crate knows nothing of HTTP, and the CLI uses the HTTP crate only to serve.
//!
//! A file's imports are the paths it names from `crate::` and `super::` (in `use` lines and in code), resolved to
//! the file that defines the module; unit tests (`#[cfg(test)]` and after) are left out, as they may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("crates/").to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file under `src/` (`lib.rs` and `main.rs` are the root, `a/mod.rs` is `a`).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// The file defining the longest prefix of `path` that is a module of the crate.
fn file_of(modules: &BTreeMap<Vec<String>, PathBuf>, path: &[String]) -> Option<PathBuf> {
    (0..=path.len()).rev().find_map(|n| modules.get(&path[..n]).cloned())
}

/// The paths named after `crate::` / `super::` in `code`, with `{a, b::{c, d}}` groups expanded.
fn named_paths(code: &str) -> Vec<(bool, Vec<String>)> {
    let mut out = Vec::new();
    for (is_super, needle) in [(false, "crate::"), (true, "super::")] {
        let mut rest = code;
        while let Some(i) = rest.find(needle) {
            let before = rest[..i].chars().last();
            rest = &rest[i + needle.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            expand(rest, Vec::new(), &mut |p| out.push((is_super, p)));
        }
    }
    out
}

fn expand(text: &str, prefix: Vec<String>, emit: &mut dyn FnMut(Vec<String>)) {
    let mut path = prefix;
    let mut rest = text;
    loop {
        let ident: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if ident.is_empty() {
            if let Some(inner) = rest.strip_prefix('{') {
                let mut depth = 1;
                let mut start = 0;
                for (i, c) in inner.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' | ',' if depth == 1 => {
                            expand(inner[start..i].trim(), path.clone(), emit);
                            start = i + 1;
                            if c == '}' {
                                return;
                            }
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
            }
            emit(path);
            return;
        }
        rest = &rest[ident.len()..];
        if ident != "self" {
            path.push(ident);
        }
        match rest.strip_prefix("::") {
            Some(r) => rest = r,
            None => {
                emit(path);
                return;
            }
        }
    }
}

/// Each file's imports of other files of the same crate.
fn graph(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<Vec<String>, PathBuf> = files.iter().map(|f| (module_of(src, f), f.clone())).collect();
    let mut edges = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let code: String = code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        let here = module_of(src, f);
        let is_mod_file = f.file_name().is_some_and(|n| n == "mod.rs" || n == "lib.rs" || n == "main.rs");
        let mut to = BTreeSet::new();
        for (is_super, path) in named_paths(&code) {
            let mut full = if is_super {
                // `super` of `a/b.rs` (module a::b) is `a`; of `a/mod.rs` (module a) it is the root.
                let mut p = here.clone();
                p.pop();
                if is_mod_file && here.is_empty() {
                    continue;
                }
                p
            } else {
                Vec::new()
            };
            full.extend(path);
            if let Some(target) = file_of(&modules, &full)
                && &target != f
            {
                to.insert(target);
            }
        }
        edges.insert(f.clone(), to);
    }
    edges
}

/// A circle of files, if there is one.
fn circle(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Option<Vec<PathBuf>> {
    fn visit(
        n: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        state: &mut BTreeMap<PathBuf, u8>,
        stack: &mut Vec<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        state.insert(n.clone(), 1);
        stack.push(n.clone());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|x| x == m).unwrap_or(0);
                    let mut c = stack[at..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if state.get(n).copied().unwrap_or(0) == 0
            && let Some(c) = visit(n, edges, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_crate_has_a_circle_of_imports_between_its_files() {
    let dir = crates_dir();
    let mut checked = 0;
    for e in std::fs::read_dir(&dir).expect("crates").flatten() {
        let src = e.path().join("src");
        if !src.is_dir() {
            continue;
        }
        let mut edges = graph(&src);
        if e.file_name() == "credo-domain" {
            // The catalog describes one data model in several files (items, their measures, their publicity, the
            // reports' sections, the evaluation schemes, the 示范单位 standard and the 政务诚信 rules, read by `catalog.rs` and referring back to its types): links among those files are
            // not counted.
            let catalog = |f: &Path| {
                f.starts_with(src.join("catalog"))
                    || [
                        "catalog.rs",
                        "measures.rs",
                        "publicity.rs",
                        "reports.rs",
                        "evaluation.rs",
                        "honours.rs",
                        "integrity.rs",
                    ]
                    .iter()
                    .any(|n| f == src.join(n))
            };
            for (f, to) in edges.iter_mut() {
                if catalog(f) {
                    to.retain(|t| !catalog(t));
                }
            }
        }
        checked += edges.len();
        if let Some(c) = circle(&edges) {
            let names: Vec<String> =
                c.iter().map(|p| p.strip_prefix(&dir).unwrap_or(p).display().to_string()).collect();
            panic!("import circle: {}", names.join(" → "));
        }
    }
    assert!(checked > 50, "only {checked} files were looked at");
}

#[test]
fn the_checker_finds_a_circle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path();
    std::fs::create_dir_all(src.join("portal")).expect("mkdir");
    std::fs::write(src.join("lib.rs"), "pub mod guard;\npub mod portal;\npub mod checks;\n").expect("write");
    std::fs::write(src.join("guard.rs"), "use crate::portal::{chrome::error_page, is_page};\n").expect("write");
    std::fs::write(src.join("portal/mod.rs"), "pub fn is_page() {}\nuse crate::{checks::run};\n").expect("write");
    std::fs::write(src.join("checks.rs"), "fn f() { crate::guard::x(); }\n").expect("write");
    let c = circle(&graph(src)).expect("a circle");
    assert_eq!(c.len(), 4, "{c:?}");
    // Without the last link there is none.
    std::fs::write(src.join("checks.rs"), "fn f() {}\n#[cfg(test)]\nmod t { use crate::guard::x; }\n").expect("write");
    assert_eq!(circle(&graph(src)), None);
}

#[test]
fn the_services_know_nothing_of_http_and_the_cli_uses_the_server_only_to_serve() {
    let dir = crates_dir();
    let manifest = std::fs::read_to_string(dir.join("credo-app/Cargo.toml")).expect("manifest");
    for http in ["axum", "askama", "tower", "hyper", "credo-server"] {
        assert!(!manifest.lines().any(|l| l.trim_start().starts_with(http)), "credo-app depends on {http}");
    }
    let mut files = Vec::new();
    rust_files(&dir.join("credo/src"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        for (i, _) in text.match_indices("credo_server::") {
            let used: String =
                text[i + "credo_server::".len()..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            assert!(
                matches!(used.as_str(), "serve" | "serve_tls" | "router"),
                "{} uses credo_server::{used}: the CLI calls the services (credo_app), the server only to serve",
                f.display()
            );
        }
    }
}
