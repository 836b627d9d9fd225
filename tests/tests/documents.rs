//! The GraphQL documents kept as files are valid against the checked-in
//! SDL (`gateway/schema.graphql`, itself guarded by
//! `api_basics::the_checked_in_schema_matches_the_code`): the test queries
//! in `tests/queries/` and the coaches' app's safelisted operations in
//! `deploy/safelist/`. Parsing is not enough: a renamed or removed field,
//! a wrong argument or variable type would otherwise show only when a test
//! or the app sends the document.
//!
//! The manifest the gateway loads (`deploy/safelist.json`) must hold
//! exactly those files' operations; that its ids are the SHA-256 of their
//! bodies is checked where it is loaded (`gateway::http::persisted`).

use std::path::{Path, PathBuf};

use apollo_compiler::{ExecutableDocument, Schema};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

fn schema() -> apollo_compiler::validation::Valid<Schema> {
    let path = repo().join("gateway/schema.graphql");
    let sdl = std::fs::read_to_string(&path).expect("read gateway/schema.graphql");
    Schema::parse_and_validate(sdl, &path).unwrap_or_else(|e| {
        panic!(
            "gateway/schema.graphql is not a valid schema:\n{}",
            e.errors
        )
    })
}

/// The `.graphql` files in `dir` (relative to the workspace), sorted.
fn documents(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
        .unwrap_or_else(|e| panic!("read {dir}: {e}"))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "graphql"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .graphql files in {dir}");
    files
}

/// Every document in `dir` validated; the failures, each with the
/// compiler's report (file, line, what is wrong).
fn invalid_documents(dir: &str) -> Vec<String> {
    let schema = schema();
    documents(dir)
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).expect("read document");
            ExecutableDocument::parse_and_validate(&schema, text, &path)
                .err()
                .map(|e| format!("{}:\n{}", path.display(), e.errors))
        })
        .collect()
}

#[test]
fn the_test_queries_are_valid_against_the_schema() {
    let invalid = invalid_documents("tests/queries");
    assert!(invalid.is_empty(), "{}", invalid.join("\n"));
}

#[test]
fn the_safelisted_operations_are_valid_against_the_schema() {
    let invalid = invalid_documents("deploy/safelist");
    assert!(invalid.is_empty(), "{}", invalid.join("\n"));
}

/// `deploy/safelist/build.py` writes the manifest from the files: each
/// file one operation, named after the file, its body the file's text
/// trimmed. A file changed without running it fails here.
#[test]
fn the_shipped_manifest_holds_exactly_the_safelisted_files() {
    let path = repo().join("deploy/safelist.json");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read deploy/safelist.json"))
            .expect("deploy/safelist.json is JSON");
    let shipped: Vec<(String, String)> = manifest["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|op| {
            (
                op["name"].as_str().expect("name").to_string(),
                op["body"].as_str().expect("body").to_string(),
            )
        })
        .collect();
    let files: Vec<(String, String)> = documents("deploy/safelist")
        .iter()
        .map(|path| {
            let name = path
                .file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let body = std::fs::read_to_string(path).expect("read document");
            (name, body.trim().to_string())
        })
        .collect();
    assert_eq!(
        shipped, files,
        "deploy/safelist.json is out of date: run `python3 deploy/safelist/build.py` and commit both"
    );
}
