//! The code-generation recipe of `docs/writing-a-plugin.md` ("Code generation") is exactly
//! hebb's own: its `.cargo/config.toml` block has the settings of the repository's
//! `.cargo/config.toml`, its profile block those of the workspace `[profile.release]`. If either
//! changes, the docs (and every out-of-tree crate following them) must change too.

use std::path::Path;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Lines that are settings: no comments, no blank lines, trimmed.
fn settings(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// The ```toml block of the docs whose first line is `first`.
fn doc_block(docs: &str, first: &str) -> String {
    let blocks: Vec<&str> = docs.split("```toml\n").skip(1).collect();
    let block = blocks
        .iter()
        .find(|b| b.starts_with(first))
        .unwrap_or_else(|| panic!("no ```toml block starting with {first:?}"));
    block.split("```").next().unwrap().to_owned()
}

/// The `[section]` of a TOML file, header included, up to the next section.
fn section(text: &str, header: &str) -> Vec<String> {
    let lines = settings(text);
    let start = lines
        .iter()
        .position(|l| l == header)
        .unwrap_or_else(|| panic!("no {header}"));
    let mut out = vec![lines[start].clone()];
    out.extend(
        lines[start + 1..]
            .iter()
            .take_while(|l| !l.starts_with('['))
            .cloned(),
    );
    out
}

#[test]
fn the_documented_recipe_is_hebbs_own_code_generation() {
    let docs = read("docs/writing-a-plugin.md");
    let config = doc_block(&docs, "# .cargo/config.toml");
    assert_eq!(settings(&config), settings(&read(".cargo/config.toml")));
    assert!(config.contains("target-cpu=x86-64-v3"), "{config}");

    let profile = doc_block(&docs, "# Cargo.toml");
    assert_eq!(
        settings(&profile),
        section(&read("Cargo.toml"), "[profile.release]")
    );
}
