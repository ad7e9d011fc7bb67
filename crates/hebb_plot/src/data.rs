//! Reading `hebb run` recordings.
//!
//! A CSV recording is opened header-only ([`CsvFile::open`]); its rows are then streamed once
//! per plot with only the needed columns parsed. Long series are decimated while they stream
//! ([`Decimator`]: the minimum and maximum of each bucket of rows are kept, so spikes in a
//! membrane trace survive), and rasters keep a regular subset of neurons ([`read_spikes`]), so
//! memory stays bounded by the number of points drawn, not by the length of the run.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::PlotError;

/// At most this many points per drawn line (before the min/max pairs of decimation).
pub const MAX_LINE_POINTS: usize = 20_000;
/// At most about this many dots per spike raster.
pub const MAX_RASTER_POINTS: usize = 30_000;

/// The name of the time column of every recording.
pub const TIME_COLUMN: &str = "t_ms";

/// One table of a weight table file: `(pre, post) → w`.
pub type WeightTable = std::collections::HashMap<(u32, u32), f64>;

/// A CSV recording: its path, file stem and column names (the header only).
#[derive(Debug, Clone)]
pub struct CsvFile {
    /// The file.
    pub path: PathBuf,
    /// File name without `.csv` (the recorder name, or `spikes_<population>`).
    pub stem: String,
    /// Column names, in file order.
    pub columns: Vec<String>,
}

/// The variable part of a column name: `u` for `u[3]`, `w` for `w[0,1]`, `t_ms` for `t_ms`.
pub fn base_name(column: &str) -> &str {
    column.split('[').next().unwrap_or(column).trim()
}

/// The index part of a column name: `3` for `u[3]`, `0,1` for `w[0,1]`, `""` without brackets.
pub fn index_part(column: &str) -> &str {
    match (column.find('['), column.rfind(']')) {
        (Some(a), Some(b)) if b > a => &column[a + 1..b],
        _ => "",
    }
}

impl CsvFile {
    /// Read the header of `path`.
    pub fn open(path: &Path) -> Result<Self, PlotError> {
        let mut reader = reader(path)?;
        let header = reader
            .byte_headers()
            .map_err(|e| csv_error(path, &e))?
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_owned())
            .collect::<Vec<_>>();
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self {
            path: path.to_owned(),
            stem,
            columns: join_bracketed(header),
        })
    }

    /// The index of column `name` (exact match), or an error naming the file and the column.
    pub fn column(&self, name: &str) -> Result<usize, PlotError> {
        self.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| self.missing(name))
    }

    /// The error for a missing column `name`.
    pub fn missing(&self, name: &str) -> PlotError {
        PlotError::MissingColumn {
            path: self.path.clone(),
            column: name.to_owned(),
            available: self.columns.join(", "),
        }
    }

    /// Columns whose variable part is `variable` (`u[0]`, `u[1]` for `u`), in file order.
    pub fn variable_columns(&self, variable: &str) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.as_str() != TIME_COLUMN && base_name(c) == variable)
            .map(|(i, _)| i)
            .collect()
    }

    /// The distinct variable names of the file (without `t_ms`), in order of first column.
    pub fn variables(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.columns {
            let b = base_name(c);
            if b != TIME_COLUMN && !out.iter().any(|o| o == b) {
                out.push(b.to_owned());
            }
        }
        out
    }

    /// The population of a spike recording (`spikes_<population>.csv`).
    pub fn spikes_population(&self) -> Option<&str> {
        self.stem.strip_prefix("spikes_")
    }

    /// Whether this is a weight table (`t_ms,pre,post,w`: every weight at chosen times and at
    /// the end of the run).
    pub fn is_weight_table(&self) -> bool {
        self.columns == [TIME_COLUMN, "pre", "post", "w"]
    }

    /// The last table of a weight table file: its time and `(pre, post) → w`.
    pub fn last_table(&self) -> Result<Option<(f64, WeightTable)>, PlotError> {
        let cols = [self.column("pre")?, self.column("post")?, self.column("w")?];
        let mut last: Option<f64> = None;
        let mut table = std::collections::HashMap::new();
        self.scan(&cols, |t, v| {
            if last.is_none_or(|l| t > l) {
                last = Some(t);
                table.clear();
            }
            table.insert((v[0] as u32, v[1] as u32), v[2]);
        })?;
        Ok(last.map(|t| (t, table)))
    }

    /// Whether this is a weight recording (columns `w[<pre>,<post>]`).
    pub fn is_weights(&self) -> bool {
        self.columns
            .iter()
            .any(|c| base_name(c) == "w" && index_part(c).contains(','))
    }

    /// Stream the rows, parsing the time and the columns `cols`; `visit(t_ms, values)` is called
    /// once per row. Returns the number of rows.
    pub fn scan(
        &self,
        cols: &[usize],
        mut visit: impl FnMut(f64, &[f64]),
    ) -> Result<u64, PlotError> {
        let t_col = self.column(TIME_COLUMN)?;
        let mut reader = reader(&self.path)?;
        let mut record = csv::ByteRecord::new();
        let mut values = vec![0.0; cols.len()];
        let mut rows = 0;
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(&self.path, &e))?
        {
            let line = record.position().map_or(0, |p| p.line());
            if record.len() != self.columns.len() {
                return Err(PlotError::Csv {
                    path: self.path.clone(),
                    message: format!(
                        "line {line} has {} fields, the header has {}",
                        record.len(),
                        self.columns.len()
                    ),
                });
            }
            let t = self.number(&record, t_col, line)?;
            for (v, &c) in values.iter_mut().zip(cols) {
                *v = self.number(&record, c, line)?;
            }
            visit(t, &values);
            rows += 1;
        }
        Ok(rows)
    }

    /// The values of columns `cols` in the last row, and its time (`None` for an empty file).
    /// Streams the file but parses only the last row.
    pub fn last_row(&self, cols: &[usize]) -> Result<Option<(f64, Vec<f64>)>, PlotError> {
        let t_col = self.column(TIME_COLUMN)?;
        let mut reader = reader(&self.path)?;
        let mut record = csv::ByteRecord::new();
        let mut last = csv::ByteRecord::new();
        let mut any = false;
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(&self.path, &e))?
        {
            std::mem::swap(&mut record, &mut last);
            any = true;
        }
        if !any {
            return Ok(None);
        }
        let line = last.position().map_or(0, |p| p.line());
        if last.len() != self.columns.len() {
            return Err(PlotError::Csv {
                path: self.path.clone(),
                message: format!(
                    "line {line} has {} fields, the header has {}",
                    last.len(),
                    self.columns.len()
                ),
            });
        }
        let t = self.number(&last, t_col, line)?;
        let values = cols
            .iter()
            .map(|&c| self.number(&last, c, line))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some((t, values)))
    }

    fn number(&self, record: &csv::ByteRecord, col: usize, line: u64) -> Result<f64, PlotError> {
        let field = record.get(col).unwrap_or_default();
        std::str::from_utf8(field)
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .ok_or_else(|| PlotError::BadNumber {
                path: self.path.clone(),
                line,
                column: self.columns[col].clone(),
                value: String::from_utf8_lossy(field).into_owned(),
            })
    }

    /// Read columns `cols` as `(t_ms, value)` series, decimated to about `max_points` points
    /// each.
    pub fn read_series(
        &self,
        cols: &[usize],
        max_points: usize,
    ) -> Result<Vec<Vec<(f64, f64)>>, PlotError> {
        let rows = count_lines(&self.path)?;
        let mut decimators = cols
            .iter()
            .map(|_| Decimator::new(rows, max_points))
            .collect::<Vec<_>>();
        self.scan(cols, |t, values| {
            for (d, &v) in decimators.iter_mut().zip(values) {
                d.push(t, v);
            }
        })?;
        Ok(decimators.into_iter().map(Decimator::finish).collect())
    }
}

/// Keeps a bounded number of points of a long series: rows are grouped in buckets and each
/// bucket contributes its minimum and its maximum, in time order (a spike or a jump inside a
/// bucket stays visible).
#[derive(Debug)]
pub struct Decimator {
    bucket: u64,
    filled: u64,
    min: Option<(f64, f64)>,
    max: Option<(f64, f64)>,
    out: Vec<(f64, f64)>,
}

impl Decimator {
    /// A decimator for about `rows` rows that keeps about `max_points` points.
    pub fn new(rows: u64, max_points: usize) -> Self {
        let max_points = max_points.max(2) as u64;
        let bucket = if rows <= max_points {
            1
        } else {
            (2 * rows).div_ceil(max_points)
        };
        Self {
            bucket,
            filled: 0,
            min: None,
            max: None,
            out: Vec::with_capacity(rows.min(max_points + 2) as usize),
        }
    }

    /// Add one point. Non-finite values are skipped.
    pub fn push(&mut self, t: f64, v: f64) {
        if self.bucket == 1 {
            if v.is_finite() {
                self.out.push((t, v));
            }
            return;
        }
        if v.is_finite() {
            if self.min.is_none_or(|(_, m)| v < m) {
                self.min = Some((t, v));
            }
            if self.max.is_none_or(|(_, m)| v > m) {
                self.max = Some((t, v));
            }
        }
        self.filled += 1;
        if self.filled == self.bucket {
            self.flush();
        }
    }

    fn flush(&mut self) {
        match (self.min.take(), self.max.take()) {
            (Some(a), Some(b)) if a.0 == b.0 => self.out.push(a),
            (Some(a), Some(b)) if a.0 < b.0 => self.out.extend([a, b]),
            (Some(a), Some(b)) => self.out.extend([b, a]),
            _ => {}
        }
        self.filled = 0;
    }

    /// The kept points.
    pub fn finish(mut self) -> Vec<(f64, f64)> {
        self.flush();
        self.out
    }
}

/// A spike recording reduced for drawing: a regular subset of the spikes and the population
/// rate of all of them.
#[derive(Debug, Clone, Default)]
pub struct SpikeData {
    /// Times (ms) of the kept spikes.
    pub times: Vec<f64>,
    /// Neurons of the kept spikes.
    pub neurons: Vec<u32>,
    /// Every how many neurons one is kept (1: all).
    pub neuron_stride: u32,
    /// Every how many spikes of the kept neurons one is kept (1: all).
    pub spike_stride: u64,
    /// Number of spikes in the file.
    pub total: u64,
    /// Highest neuron index seen.
    pub max_neuron: Option<u32>,
    /// Spike counts of all neurons in bins of `bin_ms` starting at t = 0.
    pub counts: Vec<u64>,
    /// Width of a rate bin (ms).
    pub bin_ms: f64,
}

impl SpikeData {
    /// Population rate (Hz per neuron) at the centre of each bin. With the run length
    /// `span_ms`, the bins cover the whole run (empty bins at the end included) and a partial
    /// last bin is left out.
    pub fn rate(&self, n_neurons: u32, span_ms: Option<f64>) -> Vec<(f64, f64)> {
        let n = f64::from(n_neurons.max(1));
        let mut counts = self.counts.clone();
        if let Some(span) = span_ms.filter(|s| s.is_finite() && *s > 0.0) {
            let bins = ((span / self.bin_ms + 1e-9).floor() as usize).max(1);
            counts.resize(bins, 0);
        }
        counts
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                (
                    (i as f64 + 0.5) * self.bin_ms,
                    c as f64 / n / (self.bin_ms / 1000.0),
                )
            })
            .collect()
    }
}

/// Read a `spikes_<population>.csv` file (`t_ms,neuron`). `n_neurons` (when known) guides the
/// thinning; `bin_ms` is the width of the rate bins.
pub fn read_spikes(
    file: &CsvFile,
    n_neurons: Option<u32>,
    bin_ms: f64,
    max_points: usize,
) -> Result<SpikeData, PlotError> {
    let neuron_col = file.column("neuron")?;
    let rows = count_lines(&file.path)?;
    let max_points = max_points.max(1) as u64;
    let wanted = rows.div_ceil(max_points).max(1);
    let n = u64::from(n_neurons.unwrap_or(u32::MAX).max(1));
    let neuron_stride = wanted.min(n).min(u64::from(u32::MAX)) as u32;
    let spike_stride = wanted.div_ceil(u64::from(neuron_stride)).max(1);
    let bin_ms = if bin_ms.is_finite() && bin_ms > 0.0 {
        bin_ms
    } else {
        1.0
    };
    let mut data = SpikeData {
        neuron_stride,
        spike_stride,
        bin_ms,
        ..SpikeData::default()
    };
    let mut kept_candidates = 0u64;
    let mut bad_neuron = None;
    file.scan(&[neuron_col], |t, v| {
        let neuron = v[0];
        if !(neuron >= 0.0 && neuron <= f64::from(u32::MAX) && neuron.fract() == 0.0) {
            bad_neuron.get_or_insert((data.total, neuron));
            return;
        }
        let neuron = neuron as u32;
        data.total += 1;
        data.max_neuron = Some(data.max_neuron.map_or(neuron, |m| m.max(neuron)));
        if t >= 0.0 && t.is_finite() {
            let bin = (t / bin_ms) as usize;
            if bin >= data.counts.len() {
                data.counts.resize(bin + 1, 0);
            }
            data.counts[bin] += 1;
        }
        if neuron.is_multiple_of(neuron_stride) {
            if kept_candidates.is_multiple_of(spike_stride) {
                data.times.push(t);
                data.neurons.push(neuron);
            }
            kept_candidates += 1;
        }
    })?;
    // Without a population size the neuron stride may have kept too much (a few neurons with
    // many spikes): thin the kept spikes evenly.
    let kept = data.times.len() as u64;
    if kept > 2 * max_points {
        let k = kept.div_ceil(max_points);
        thin(&mut data.times, k);
        thin(&mut data.neurons, k);
        data.spike_stride *= k;
    }
    if let Some((row, value)) = bad_neuron {
        return Err(PlotError::BadNumber {
            path: file.path.clone(),
            line: row + 2,
            column: "neuron".into(),
            value: value.to_string(),
        });
    }
    Ok(data)
}

/// Keep every `k`-th element.
fn thin<T>(v: &mut Vec<T>, k: u64) {
    let mut i = 0u64;
    v.retain(|_| {
        let keep = i.is_multiple_of(k);
        i += 1;
        keep
    });
}

/// Number of `\n` in a file (about the number of rows): used to size decimation buckets.
pub fn count_lines(path: &Path) -> Result<u64, PlotError> {
    let mut file = File::open(path).map_err(|source| PlotError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut buf = vec![0u8; 1 << 16];
    let mut lines = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|source| PlotError::Io {
            path: path.to_owned(),
            source,
        })?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    Ok(lines)
}

fn reader(path: &Path) -> Result<csv::Reader<BufReader<File>>, PlotError> {
    let file = File::open(path).map_err(|source| PlotError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 16, file)))
}

fn csv_error(path: &Path, e: &csv::Error) -> PlotError {
    match e.kind() {
        csv::ErrorKind::Io(io) => PlotError::Io {
            path: path.to_owned(),
            source: std::io::Error::new(io.kind(), io.to_string()),
        },
        _ => PlotError::Csv {
            path: path.to_owned(),
            message: e.to_string(),
        },
    }
}

/// Re-join header fields that an unquoted `w[0,1]` split at its comma.
fn join_bracketed(fields: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(fields.len());
    let mut open = false;
    for f in fields {
        if open && let Some(last) = out.last_mut() {
            last.push(',');
            last.push_str(&f);
        } else {
            out.push(f);
        }
        let last = out.last().map(String::as_str).unwrap_or_default();
        open = last.matches('[').count() > last.matches(']').count();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_variable_and_index() {
        assert_eq!(base_name("u[3]"), "u");
        assert_eq!(base_name("w[0,1]"), "w");
        assert_eq!(base_name("t_ms"), "t_ms");
        assert_eq!(index_part("w[0,1]"), "0,1");
        assert_eq!(index_part("v"), "");
    }

    #[test]
    fn unquoted_weight_headers_are_rejoined() {
        let fields = ["t_ms", "w[0", "1]", "w[2", "3]", "u[0]"]
            .map(String::from)
            .to_vec();
        assert_eq!(join_bracketed(fields), ["t_ms", "w[0,1]", "w[2,3]", "u[0]"]);
    }

    #[test]
    fn decimation_keeps_extremes_in_time_order() {
        let mut d = Decimator::new(1000, 100);
        for i in 0..1000 {
            let v = if i == 503 { 10.0 } else { (i % 7) as f64 * 0.1 };
            d.push(i as f64, v);
        }
        let out = d.finish();
        assert!(out.len() <= 102, "{} points", out.len());
        assert!(out.contains(&(503.0, 10.0)));
        assert!(out.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn one_busy_neuron_of_unknown_population_is_thinned() {
        let dir = std::env::temp_dir().join(format!("hebb_plot_thin_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("spikes_x.csv");
        let mut text = String::from("t_ms,neuron\n");
        for k in 0..50_000 {
            text.push_str(&format!("{k},0\n"));
        }
        std::fs::write(&path, text).unwrap();
        let file = CsvFile::open(&path).unwrap();
        let data = read_spikes(&file, None, 1000.0, 1000).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(data.total, 50_000);
        assert!(data.times.len() <= 2000, "{} kept", data.times.len());
        assert!(data.times.len() >= 500, "{} kept", data.times.len());
        // The rate uses every spike: 1000 spikes per 1000 ms bin.
        assert_eq!(data.counts.len(), 50);
        assert!(data.counts.iter().all(|&c| c == 1000));
    }

    #[test]
    fn rates_cover_the_run() {
        let data = SpikeData {
            counts: vec![2, 0, 4],
            bin_ms: 10.0,
            ..SpikeData::default()
        };
        let rates: Vec<f64> = data.rate(2, Some(50.0)).iter().map(|p| p.1).collect();
        assert_eq!(rates, [100.0, 0.0, 200.0, 0.0, 0.0]);
        assert_eq!(data.rate(2, Some(25.0)).len(), 2);
        assert_eq!(data.rate(2, None)[2], (25.0, 200.0));
    }

    #[test]
    fn short_series_are_kept_whole() {
        let mut d = Decimator::new(5, 100);
        for i in 0..5 {
            d.push(i as f64, i as f64);
        }
        assert_eq!(d.finish().len(), 5);
    }
}
