//! The layers, held by a test: handlers (`src/http`) and commands (`src/cli`) call the
//! service, never the store; the domain stays pure (no diesel, no store, no actix); nothing
//! below the handlers imports them. A line that breaks the rule fails CI with its file and line.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `file:line: text` under `dir` that contains one of `forbidden` outside a comment.
fn offences(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join(dir), &mut files);
    assert!(!files.is_empty(), "no sources under {dir}");
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for word in forbidden {
                if code.contains(word) {
                    found.push(format!(
                        "{}:{}: {} (has `{word}`)",
                        file.strip_prefix(root).unwrap_or(&file).display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    found
}

const STORE: [&str; 3] = ["crate::store", "super::super::store", "inzage::store"];

#[test]
fn handlers_do_not_reach_into_the_store() {
    let found = offences("src/http", &STORE);
    assert!(
        found.is_empty(),
        "src/http must call crate::service, not the store:\n{}",
        found.join("\n")
    );
}

#[test]
fn commands_do_not_reach_into_the_store() {
    let found = offences("src/cli", &STORE);
    assert!(
        found.is_empty(),
        "src/cli must call crate::service, not the store:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_domain_is_pure() {
    let found = offences("src/domain", &["diesel", "crate::store", "actix"]);
    assert!(
        found.is_empty(),
        "src/domain does no I/O and knows no diesel, store or actix:\n{}",
        found.join("\n")
    );
}

/// Nothing below the handlers reaches up into them: the service, the store, the jobs, the
/// tenant data, the bundle, mail, auth and the shared state (with its rate limits) know no
/// `crate::http`, so there is no cycle through the web layer.
#[test]
fn lower_layers_do_not_reach_up_into_http() {
    let mut found = Vec::new();
    for dir in [
        "src/service",
        "src/store",
        "src/jobs",
        "src/tenant_data",
        "src/bundle",
        "src/mail",
        "src/auth",
        "src/domain",
    ] {
        found.extend(offences(dir, &["crate::http", "super::http"]));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["src/state.rs", "src/limits.rs"] {
        let text = fs::read_to_string(root.join(file)).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            if line
                .split("//")
                .next()
                .unwrap_or_default()
                .contains("crate::http")
            {
                found.push(format!("{file}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "lower layers must not import the web layer:\n{}",
        found.join("\n")
    );
}

/// The check itself must be able to fail: it finds a store path in a line of code and not in
/// a comment.
#[test]
fn the_check_finds_what_it_looks_for() {
    let dir = std::env::temp_dir().join(format!("inzage-layers-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("sub")).unwrap_or_default();
    fs::write(
        dir.join("sub/a.rs"),
        "// crate::store in a comment is fine\nuse crate::store::now;\n",
    )
    .unwrap_or_default();
    let rel = dir.to_string_lossy().into_owned();
    // An absolute path joined to the manifest dir stays absolute.
    let found = offences(&rel, &STORE);
    let _ = fs::remove_dir_all(&dir);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].ends_with(":2: use crate::store::now; (has `crate::store`)"),
        "{found:?}"
    );
}
