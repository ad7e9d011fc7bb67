//! Malformed scenes are rejected with a precise message and never a panic.
//!
//! Every file in `tests/malformed/` starts with a comment line
//! `// expect: <message>` giving the exact error text after `<path>:`, i.e.
//! `line:column: element: message` (a trailing `…` makes it a prefix match, for messages that
//! end with a list of names owned by other crates). The scene is loaded and built with the
//! built-in models; the error must match, and must come back as an error rather than a panic.

use std::path::{Path, PathBuf};

use hebb::DefaultPlugins;
use hebb::scene::{Scene, SceneErrorKind, registry_of};

fn malformed_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    files
}

/// The error of loading and building `path`, or `None` if the scene is fine.
fn error_of(path: &Path) -> Option<hebb::scene::SceneError> {
    let registry = registry_of(DefaultPlugins);
    let result = std::panic::catch_unwind(|| {
        Scene::load(path, &registry).and_then(|scene| scene.build(DefaultPlugins).map(|_| ()))
    });
    match result {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(_) => panic!("{}: loading or building panicked", path.display()),
    }
}

#[test]
fn there_are_enough_malformed_scenes() {
    assert!(malformed_files().len() >= 12, "{:?}", malformed_files());
}

#[test]
fn every_malformed_scene_gives_its_expected_error() {
    let mut failures = Vec::new();
    for path in malformed_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// expect: "))
            .unwrap_or_else(|| panic!("{}: first line must be `// expect: …`", path.display()));
        let shown = path.display().to_string();
        let Some(error) = error_of(&path) else {
            failures.push(format!("{shown}: accepted, expected `{expected}`"));
            continue;
        };
        let message = error.to_string();
        let Some(rest) = message.strip_prefix(&format!("{shown}:")) else {
            failures.push(format!(
                "{shown}: error does not start with the path: {message}"
            ));
            continue;
        };
        let matches = match expected.strip_suffix('…') {
            Some(prefix) => rest.starts_with(prefix),
            None => rest == expected,
        };
        if !matches {
            failures.push(format!(
                "{shown}:\n  expected: {expected}\n  got:      {rest}"
            ));
        }
        assert!(error.position.is_some(), "{message}: no line and column");
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn syntax_and_validation_errors_are_told_apart() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let kind = |name: &str| error_of(&dir.join(name)).map(|e| e.kind);
    assert_eq!(
        kind("syntax_missing_comma.ron"),
        Some(SceneErrorKind::Syntax)
    );
    assert_eq!(kind("unknown_model.ron"), Some(SceneErrorKind::Syntax));
    assert_eq!(kind("negative_tau.ron"), Some(SceneErrorKind::Invalid));
    assert_eq!(kind("off_grid_delay.ron"), Some(SceneErrorKind::Invalid));
    let missing = error_of(&dir.join("does_not_exist.ron")).unwrap();
    assert_eq!(missing.kind, SceneErrorKind::Io);
}
