//! The output directory of `hebb run` / `hebb resume`: created or checked, locked for the
//! whole run, and written so that its state is always honest.
//!
//! - **Lock.** The directory is locked (an exclusive `flock` on the directory itself) from
//!   before the emptiness check to the end of the command, so a second run into the same
//!   directory fails at once with a clear message instead of interleaving its files.
//! - **No stale summary.** A `--force` rerun removes the old `summary.json` before it truncates
//!   any recording: a run directory without `summary.json` is a run that has not finished
//!   (or died); one with it describes exactly the files beside it.
//! - **Atomic files.** `summary.json` (and snapshots) are written into a temporary file in the
//!   same directory and renamed over the target, so they are either complete or absent, never
//!   half-written (e.g. on a full disk).
//! - **Plain errors.** A dangling `--out` symlink, a file in the way, a directory that cannot
//!   be created each give one sentence naming the path.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::CliError;

/// The name of the summary file.
pub const SUMMARY: &str = "summary.json";

/// A locked output directory; the lock is released when this is dropped.
#[derive(Debug)]
pub struct OutputDir {
    path: PathBuf,
    /// Holds the lock.
    _lock: File,
}

impl OutputDir {
    /// Create `dir` (or check that it is empty, unless `force`), lock it, and remove a
    /// previous `summary.json`.
    pub fn prepare(dir: &Path, force: bool) -> Result<Self, CliError> {
        if let Ok(meta) = std::fs::symlink_metadata(dir)
            && meta.file_type().is_symlink()
            && !dir.exists()
        {
            let target = std::fs::read_link(dir)
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| "?".into());
            return Err(CliError::Refused(format!(
                "--out {}: it is a symbolic link to {target}, which does not exist; create the target directory or give another --out",
                dir.display()
            )));
        }
        if dir.exists() {
            if !dir.is_dir() {
                return Err(CliError::Refused(format!(
                    "--out {}: exists and is not a directory",
                    dir.display()
                )));
            }
        } else {
            std::fs::create_dir_all(dir).map_err(|e| {
                CliError::Refused(format!(
                    "--out {}: cannot create the directory: {e}",
                    dir.display()
                ))
            })?;
        }
        let lock = File::open(dir).map_err(|e| CliError::output(dir, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(CliError::Refused(format!(
                    "--out {}: another hebb run is writing into this directory; wait for it to finish or choose another --out",
                    dir.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                tracing::warn!(dir = %dir.display(), "cannot lock the output directory: {e}");
            }
        }
        let entries = std::fs::read_dir(dir)
            .map_err(|e| CliError::output(dir, e))?
            .count();
        if entries > 0 && !force {
            return Err(CliError::Refused(format!(
                "{} is not empty ({entries} entries); use --force to write into it (hebb overwrites only the files it writes)",
                dir.display()
            )));
        }
        let summary = dir.join(SUMMARY);
        match std::fs::remove_file(&summary) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(CliError::Refused(format!(
                    "{}: cannot remove the previous run's summary ({e}); it would describe files this run overwrites",
                    summary.display()
                )));
            }
        }
        Ok(Self {
            path: dir.to_owned(),
            _lock: lock,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write `name` in the directory atomically (see [`write_atomic`]).
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), CliError> {
        let path = self.path.join(name);
        write_atomic(&path, bytes).map_err(|e| CliError::output(&path, e))
    }
}

/// Write `bytes` to `path` through a temporary file in the same directory, synced and renamed
/// over `path`: `path` is either its old content, or complete new content, never partial. The
/// temporary file is removed when anything fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    // Temporary files are private (0600); the result is an ordinary file like any other.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hebb_outdir_{}_{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_second_prepare_fails_while_the_first_holds_the_lock() {
        let dir = scratch("lock");
        let first = OutputDir::prepare(&dir, false).unwrap();
        let second = OutputDir::prepare(&dir, true).unwrap_err().to_string();
        assert!(second.contains("another hebb run"), "{second}");
        drop(first);
        OutputDir::prepare(&dir, true).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn force_removes_the_old_summary_first() {
        let dir = scratch("force");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(SUMMARY), "{}").unwrap();
        std::fs::write(dir.join("keep.txt"), "mine").unwrap();
        let out = OutputDir::prepare(&dir, true).unwrap();
        assert!(!dir.join(SUMMARY).exists());
        assert!(dir.join("keep.txt").exists());
        out.write_atomic(SUMMARY, b"{\"a\": 1}\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join(SUMMARY)).unwrap(),
            "{\"a\": 1}\n"
        );
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_symlink_is_named_as_such() {
        let dir = scratch("dangling");
        std::fs::create_dir_all(&dir).unwrap();
        let link = dir.join("out");
        std::os::unix::fs::symlink(dir.join("missing"), &link).unwrap();
        let e = OutputDir::prepare(&link, false).unwrap_err().to_string();
        assert!(e.contains("symbolic link") && e.contains("missing"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
