//! Helpers shared by the `hebb` binary's integration tests: the repository root, a fresh
//! scratch directory per test, and running the binary from the repository root.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (scenes are named relative to it).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An empty directory `name` under this test binary's own folder of the target's temp dir.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(concat!("hebb_cli_", env!("CARGO_CRATE_NAME")))
        .join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run `hebb args…` in the repository root.
pub fn hebb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hebb"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the hebb binary runs")
}
