//! Tidy checks: the architecture invariants of ARCHITECTURE.md, enforced.
//!
//! The model (`src/sim`, `src/cluster`), the config generator
//! (`src/realconf`), the catalogs (`src/i18n`) and the share format
//! (`src/share`) import nothing of the web, read no wall clock, draw no OS
//! randomness and use no hashed collections; every
//! module opens with a `//!` doc; no source file grows past the size limit;
//! no test is ignored or expected to panic; the code map names every module.
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 400;

fn rust_files(dir: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Code lines only: comments and doc comments may mention what is banned.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//"))
}

#[test]
fn the_model_is_pure() {
    let banned = [
        ("yew", "the UI framework"),
        ("web_sys", "the DOM"),
        ("js_sys", "JavaScript"),
        ("gloo", "browser utilities"),
        ("wasm_bindgen", "JavaScript bindings"),
        ("Instant::now", "the wall clock"),
        ("SystemTime", "the wall clock"),
        ("thread_rng", "OS randomness"),
        ("rand::rng(", "OS randomness"),
        ("from_entropy", "OS randomness"),
        ("from_os_rng", "OS randomness"),
        ("getrandom", "OS randomness"),
        ("HashMap", "unordered iteration"),
        ("HashSet", "unordered iteration"),
    ];
    let mut problems = Vec::new();
    for dir in ["src/sim", "src/cluster", "src/realconf", "src/i18n", "src/share", "src/lesson"] {
        for path in rust_files(dir) {
            let text = read(&path);
            for (n, line) in code_lines(&text) {
                for (word, what) in banned {
                    if line.contains(word) {
                        problems.push(format!("{}:{}: uses {what} ({word})", path.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "the model must stay pure:\n{}", problems.join("\n"));
}

#[test]
fn every_module_has_a_doc_and_stays_small() {
    let mut problems = Vec::new();
    for dir in ["src", "tests", "benches"] {
        for path in rust_files(dir) {
            let text = read(&path);
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            if !first.starts_with("//!") {
                problems.push(format!("{}: does not open with a //! doc", path.display()));
            }
            let lines = text.lines().count();
            if dir == "src" && lines > MAX_LINES {
                problems.push(format!("{}: {lines} lines (limit {MAX_LINES})", path.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_test_is_ignored_or_expected_to_panic() {
    let banned = ["#[ignore", "#[should_panic", "todo!(", "unimplemented!("];
    let mut problems = Vec::new();
    for dir in ["src", "tests", "benches"] {
        for path in rust_files(dir) {
            if path.ends_with("tidy.rs") {
                continue;
            }
            let text = read(&path);
            for (n, line) in code_lines(&text) {
                if let Some(word) = banned.iter().find(|w| line.contains(**w)) {
                    problems.push(format!("{}:{}: {word}", path.display(), n + 1));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_code_map_names_every_module() {
    let map = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"));
    let mut missing = Vec::new();
    for path in rust_files("src") {
        let rel = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap().to_string_lossy().replace('\\', "/");
        let rel = rel.trim_start_matches('/');
        let stem = rel.trim_end_matches(".rs").trim_end_matches("/mod");
        let name = stem.rsplit('/').next().unwrap_or(stem);
        // A child module may be named with its parent: `dns/client`.
        let short = stem.splitn(3, '/').nth(2).unwrap_or(name);
        let named = [format!("`{name}`"), format!("`{short}`"), rel.to_string(), stem.to_string()];
        if !named.iter().any(|n| map.contains(n.as_str())) {
            missing.push(rel.to_string());
        }
    }
    assert!(missing.is_empty(), "ARCHITECTURE.md's code map does not mention: {}", missing.join(", "));
}
