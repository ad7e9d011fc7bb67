//! CSV sink.

use std::path::{Path, PathBuf};

use hebb_core::Real;
use hebb_core::record::{
    Recorders, RecordingSink, SpikeRecording, StateRecording, WeightTableRecording,
};

use crate::rowfile::{RowFile, with_path};
use crate::{OutputFormat, clean_time, recorder_path, spikes_path, time_ms};

/// Writes every recorder to its CSV file as data arrives, in whole rows ([`RowFile`]: a
/// failed write leaves the file cut at its last complete row and names it in the error).
pub struct CsvSink {
    spikes: Vec<(String, RowFile)>,
    states: Vec<(String, RowFile)>,
    tables: Vec<(String, RowFile)>,
    line: String,
}

impl CsvSink {
    /// Create (or, when resuming with `append`, reopen) one file per recorder in `dir` and write
    /// the headers of new files.
    pub fn create(dir: &Path, recorders: &Recorders, append: bool) -> std::io::Result<Self> {
        let open = |path: PathBuf, header: &str| -> std::io::Result<RowFile> {
            let exists = append && path.exists();
            let file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(!append)
                .open(&path)
                .map_err(|e| with_path(&path, e))?;
            let len = file.metadata().map_err(|e| with_path(&path, e))?.len();
            let mut w = RowFile::new(&path, file, len, 0)?;
            if !exists {
                w.buffer().extend_from_slice(header.as_bytes());
                w.buffer().push(b'\n');
                // On disk at once: a file is never without its header.
                w.write_out()?;
            }
            Ok(w)
        };
        let mut spikes = Vec::new();
        for rec in &recorders.spikes {
            let path = spikes_path(dir, &rec.name, OutputFormat::Csv);
            spikes.push((rec.name.clone(), open(path, "t_ms,neuron")?));
        }
        let mut states = Vec::new();
        for rec in &recorders.states {
            let header = std::iter::once("t_ms")
                .chain(rec.columns.iter().map(String::as_str))
                .map(quote)
                .collect::<Vec<_>>()
                .join(",");
            let path = recorder_path(dir, &rec.name, OutputFormat::Csv);
            states.push((rec.name.clone(), open(path, &header)?));
        }
        let mut tables = Vec::new();
        for rec in &recorders.tables {
            let path = recorder_path(dir, &rec.name, OutputFormat::Csv);
            tables.push((rec.name.clone(), open(path, "t_ms,pre,post,w")?));
        }
        Ok(Self {
            spikes,
            states,
            tables,
            line: String::new(),
        })
    }
}

/// Quote a header field that holds a comma (`w[0,1]`).
fn quote(field: &str) -> String {
    if field.contains(',') || field.contains('"') {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

impl RecordingSink for CsvSink {
    fn write_spikes(
        &mut self,
        recorder: &SpikeRecording,
        dt_ms: f64,
        steps: &[u64],
        neurons: &[u32],
    ) -> std::io::Result<()> {
        use std::fmt::Write as _;
        let Some((_, w)) = self.spikes.iter_mut().find(|(n, _)| *n == recorder.name) else {
            return Ok(());
        };
        // The spikes of one step share their time: format it once per step (it is most of
        // the cost of a row), then append each neuron's index.
        let mut step = None;
        let mut time = String::new();
        let mut index = itoa::Buffer::new();
        for (&s, &n) in steps.iter().zip(neurons) {
            if step != Some(s) {
                step = Some(s);
                time.clear();
                let _ = write!(time, "{},", time_ms(s, dt_ms));
            }
            let buffer = w.buffer();
            buffer.extend_from_slice(time.as_bytes());
            buffer.extend_from_slice(index.format(n).as_bytes());
            buffer.push(b'\n');
            w.rows_done(1)?;
        }
        Ok(())
    }

    fn write_rows(
        &mut self,
        recorder: &StateRecording,
        times_ms: &[f64],
        values: &[Real],
    ) -> std::io::Result<()> {
        use std::fmt::Write as _;
        let Some((_, w)) = self.states.iter_mut().find(|(n, _)| *n == recorder.name) else {
            return Ok(());
        };
        let n = recorder.columns.len();
        for (r, &t) in times_ms.iter().enumerate() {
            self.line.clear();
            let _ = write!(self.line, "{}", clean_time(t));
            for v in &values[r * n..(r + 1) * n] {
                let _ = write!(self.line, ",{v}");
            }
            self.line.push('\n');
            w.buffer().extend_from_slice(self.line.as_bytes());
            w.rows_done(1)?;
        }
        Ok(())
    }

    fn write_table(
        &mut self,
        recorder: &WeightTableRecording,
        times_ms: &[f64],
        values: &[Real],
    ) -> std::io::Result<()> {
        use std::fmt::Write as _;
        let Some((_, w)) = self.tables.iter_mut().find(|(n, _)| *n == recorder.name) else {
            return Ok(());
        };
        let n = recorder.pre.len();
        for (r, &t) in times_ms.iter().enumerate() {
            let t = clean_time(t);
            for (k, v) in values[r * n..(r + 1) * n].iter().enumerate() {
                self.line.clear();
                let _ = writeln!(
                    self.line,
                    "{t},{},{},{v}",
                    recorder.pre[k], recorder.post[k]
                );
                w.buffer().extend_from_slice(self.line.as_bytes());
                w.rows_done(1)?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let mut first = Ok(());
        for (_, w) in self
            .spikes
            .iter_mut()
            .chain(self.states.iter_mut())
            .chain(self.tables.iter_mut())
        {
            let result = w.write_out();
            if first.is_ok() {
                first = result;
            }
        }
        first
    }
}
