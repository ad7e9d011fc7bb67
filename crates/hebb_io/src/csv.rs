//! CSV sink.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use hebb_core::Real;
use hebb_core::record::{Recorders, RecordingSink, SpikeRecording, StateRecording};

use crate::{OutputFormat, clean_time, recorder_path, spikes_path, time_ms};

/// Writes every recorder to its CSV file as data arrives.
pub struct CsvSink {
    spikes: Vec<(String, BufWriter<File>)>,
    states: Vec<(String, BufWriter<File>)>,
    line: String,
}

impl CsvSink {
    /// Create (or, when resuming with `append`, reopen) one file per recorder in `dir` and write
    /// the headers of new files.
    pub fn create(dir: &Path, recorders: &Recorders, append: bool) -> std::io::Result<Self> {
        let open = |path: PathBuf, header: &str| -> std::io::Result<BufWriter<File>> {
            let exists = append && path.exists();
            let file = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(append)
                .truncate(!append)
                .open(&path)?;
            let mut w = BufWriter::with_capacity(1 << 16, file);
            if !exists {
                writeln!(w, "{header}")?;
            }
            Ok(w)
        };
        let mut spikes = Vec::new();
        for rec in &recorders.spikes {
            let path = spikes_path(dir, &rec.population, OutputFormat::Csv);
            spikes.push((rec.population.clone(), open(path, "t_ms,neuron")?));
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
        Ok(Self {
            spikes,
            states,
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
        let Some((_, w)) = self
            .spikes
            .iter_mut()
            .find(|(n, _)| *n == recorder.population)
        else {
            return Ok(());
        };
        for (&s, &n) in steps.iter().zip(neurons) {
            self.line.clear();
            let _ = writeln!(self.line, "{},{n}", time_ms(s, dt_ms));
            w.write_all(self.line.as_bytes())?;
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
            w.write_all(self.line.as_bytes())?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        for (_, w) in self.spikes.iter_mut().chain(self.states.iter_mut()) {
            w.flush()?;
        }
        Ok(())
    }
}
