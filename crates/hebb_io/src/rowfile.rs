//! [`RowFile`]: a buffered file writer that only ever leaves whole rows on disk.
//!
//! Rows are appended to a memory buffer and written out whole (when the buffer passes
//! [`BUFFER_BYTES`] and at every flush), so a file always ends on a row boundary (barring a
//! kill in the middle of one `write` call). When a write fails (a full disk, a lost network
//! share), the file is cut back to the end of the last complete row written, every later
//! write is refused, and the error names the file: a reader sees a shorter but consistent
//! file, never a cut row.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Bytes buffered before they are written out.
pub const BUFFER_BYTES: usize = 1 << 16;

/// A file written in whole rows.
#[derive(Debug)]
pub struct RowFile {
    path: PathBuf,
    file: File,
    buffer: Vec<u8>,
    /// Bytes on disk, all of them complete rows.
    committed_bytes: u64,
    /// Rows in `buffer`.
    buffered_rows: u64,
    /// Rows on disk (not counting a header).
    committed_rows: u64,
    /// The first failure; nothing is written after it.
    failed: Option<String>,
}

impl RowFile {
    /// Wrap `file`, positioned at its end after `committed_bytes` of whole rows, of which
    /// `committed_rows` data rows.
    pub fn new(
        path: &Path,
        mut file: File,
        committed_bytes: u64,
        committed_rows: u64,
    ) -> std::io::Result<Self> {
        file.seek(SeekFrom::Start(committed_bytes))
            .map_err(|e| with_path(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            file,
            buffer: Vec::with_capacity(BUFFER_BYTES),
            committed_bytes,
            buffered_rows: 0,
            committed_rows,
            failed: None,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The buffer to append one or more complete rows (or a header) to; call
    /// [`RowFile::rows_done`] after.
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buffer
    }

    /// `rows` data rows were appended to the buffer; writes them out when the buffer is full.
    pub fn rows_done(&mut self, rows: u64) -> std::io::Result<()> {
        self.buffered_rows += rows;
        if self.buffer.len() >= BUFFER_BYTES {
            self.write_out()
        } else {
            Ok(())
        }
    }

    /// Data rows on disk.
    pub fn committed_rows(&self) -> u64 {
        self.committed_rows
    }

    /// The underlying file (e.g. to rewrite a header in place).
    pub fn file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// Write the buffer out. On failure the file is cut back to its last complete row and
    /// this file refuses every later write.
    pub fn write_out(&mut self) -> std::io::Result<()> {
        if let Some(first) = &self.failed {
            self.buffer.clear();
            return Err(std::io::Error::other(format!(
                "{}: not written after an earlier error ({first})",
                self.path.display()
            )));
        }
        if self.buffer.is_empty() {
            return Ok(());
        }
        match self.file.write_all(&self.buffer) {
            Ok(()) => {
                self.committed_bytes += self.buffer.len() as u64;
                self.committed_rows += self.buffered_rows;
                self.buffer.clear();
                self.buffered_rows = 0;
                Ok(())
            }
            Err(e) => {
                self.buffer.clear();
                self.buffered_rows = 0;
                self.failed = Some(e.to_string());
                // Cut a partly written row; if even that fails, say so.
                let cut = self
                    .file
                    .set_len(self.committed_bytes)
                    .and_then(|()| self.file.seek(SeekFrom::Start(self.committed_bytes)));
                let e = with_path(&self.path, e);
                match cut {
                    Ok(_) => Err(e),
                    Err(cut) => Err(std::io::Error::new(
                        e.kind(),
                        format!("{e}; cutting it back to its last complete row failed too: {cut}"),
                    )),
                }
            }
        }
    }
}

/// `e` with `path` in front of its message (and the same kind).
pub fn with_path(path: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
