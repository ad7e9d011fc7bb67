//! Declarative figures (a title over a column of panels) and their rendering to PNG and SVG.
//!
//! A [`Figure`] is plain data; [`render`] draws it once per requested [`Format`] with the same
//! code for both backends. Text uses DejaVu Sans, embedded in the binary (the `dejavu` crate)
//! and registered with plotters' `ab_glyph` text renderer, so no system font, fontconfig or
//! freetype is needed. PNG files are encoded by the `png` crate from plotters' RGB buffer.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor;
use plotters::style::{FontStyle, RGBColor, register_font};

use crate::error::PlotError;

/// matplotlib's `tab:` colours, used by the upstream figures.
pub mod colors {
    use plotters::style::RGBColor;
    /// tab:blue
    pub const BLUE: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
    /// tab:orange
    pub const ORANGE: RGBColor = RGBColor(0xff, 0x7f, 0x0e);
    /// tab:green
    pub const GREEN: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
    /// tab:red
    pub const RED: RGBColor = RGBColor(0xd6, 0x27, 0x28);
    /// tab:purple
    pub const PURPLE: RGBColor = RGBColor(0x94, 0x67, 0xbd);
    /// tab:brown
    pub const BROWN: RGBColor = RGBColor(0x8c, 0x56, 0x4b);
    /// tab:pink
    pub const PINK: RGBColor = RGBColor(0xe3, 0x77, 0xc2);
    /// tab:gray
    pub const GRAY: RGBColor = RGBColor(0x7f, 0x7f, 0x7f);
    /// tab:olive
    pub const OLIVE: RGBColor = RGBColor(0xbc, 0xbd, 0x22);
    /// tab:cyan
    pub const CYAN: RGBColor = RGBColor(0x17, 0xbe, 0xcf);
    /// Near-black for rasters and dots.
    pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
    /// The cycle for several lines in one panel.
    pub const CYCLE: [RGBColor; 10] = [
        BLUE, ORANGE, GREEN, RED, PURPLE, BROWN, PINK, GRAY, OLIVE, CYAN,
    ];
}

/// An output image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Portable Network Graphics (raster).
    Png,
    /// Scalable Vector Graphics.
    Svg,
}

impl Format {
    /// Both formats.
    pub const ALL: [Format; 2] = [Format::Png, Format::Svg];

    /// File extension without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Svg => "svg",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = PlotError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "png" => Ok(Self::Png),
            "svg" => Ok(Self::Svg),
            _ => Err(PlotError::UnknownFormat { name: s.to_owned() }),
        }
    }
}

/// A figure: a title over a column of panels.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Title drawn at the top.
    pub title: String,
    /// Width in pixels.
    pub width: u32,
    /// Panels from top to bottom.
    pub panels: Vec<Panel>,
}

/// Height of the figure title band (px).
const TITLE_HEIGHT: u32 = 44;

impl Figure {
    /// A figure of the default width.
    pub fn new(title: impl Into<String>, panels: Vec<Panel>) -> Self {
        Self {
            title: title.into(),
            width: 1000,
            panels,
        }
    }

    /// Total height in pixels.
    pub fn height(&self) -> u32 {
        TITLE_HEIGHT + self.panels.iter().map(|p| p.height).sum::<u32>()
    }

    /// Give every panel the same x range: the union of their data (histograms excepted).
    pub fn share_x(&mut self) {
        let extent = self
            .panels
            .iter()
            .filter(|p| !matches!(p.content, Content::Histogram { .. }))
            .filter_map(|p| p.x_range.or_else(|| p.content.x_extent()))
            .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
        if let Some(r) = extent {
            for p in &mut self.panels {
                if !matches!(p.content, Content::Histogram { .. }) {
                    p.x_range = Some(r);
                }
            }
        }
    }
}

/// One panel: axes with labels and a content.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Caption above the axes.
    pub title: Option<String>,
    /// x axis label.
    pub x_label: String,
    /// y axis label.
    pub y_label: String,
    /// x range; from the data when `None`.
    pub x_range: Option<(f64, f64)>,
    /// y range; from the data when `None`.
    pub y_range: Option<(f64, f64)>,
    /// What is drawn.
    pub content: Content,
    /// Height in pixels.
    pub height: u32,
    /// Approximate number of y tick labels.
    pub y_ticks: usize,
    /// Whether the x axis has tick labels and its label (off for stacked panels that share
    /// the x axis of the bottom one).
    pub x_ticks: bool,
}

/// A line of a [`Content::Lines`] panel.
#[derive(Debug, Clone)]
pub struct Line {
    /// Legend entry (a legend is drawn when any line of the panel has one).
    pub label: Option<String>,
    /// Colour.
    pub color: RGBColor,
    /// `(x, y)` points.
    pub points: Vec<(f64, f64)>,
}

/// One bar of a histogram.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// Left edge.
    pub lo: f64,
    /// Right edge.
    pub hi: f64,
    /// Height.
    pub count: f64,
}

/// What a panel shows.
#[derive(Debug, Clone)]
pub enum Content {
    /// Lines (traces over time).
    Lines(Vec<Line>),
    /// Vertical ticks from 0 to 1 at event times (spikes of one neuron).
    Events {
        /// Event times.
        times: Vec<f64>,
        /// Colour.
        color: RGBColor,
    },
    /// A spike raster: a dot per (time, neuron).
    Raster {
        /// Spike times.
        times: Vec<f64>,
        /// Spike neurons.
        neurons: Vec<u32>,
    },
    /// Bars.
    Histogram {
        /// The bars.
        bins: Vec<Bin>,
        /// Colour.
        color: RGBColor,
    },
    /// Dots at `(x, y)`.
    Points {
        /// The dots.
        points: Vec<(f64, f64)>,
        /// Colour.
        color: RGBColor,
    },
}

impl Content {
    fn is_empty(&self) -> bool {
        match self {
            Self::Lines(lines) => lines.iter().all(|l| l.points.is_empty()),
            Self::Events { times, .. } | Self::Raster { times, .. } => times.is_empty(),
            Self::Histogram { bins, .. } => bins.is_empty(),
            Self::Points { points, .. } => points.is_empty(),
        }
    }

    /// The x extent of the data.
    pub fn x_extent(&self) -> Option<(f64, f64)> {
        match self {
            Self::Lines(lines) => extent(lines.iter().flat_map(|l| l.points.iter().map(|p| p.0))),
            Self::Events { times, .. } | Self::Raster { times, .. } => {
                extent(times.iter().copied())
            }
            Self::Histogram { bins, .. } => extent(bins.iter().flat_map(|b| [b.lo, b.hi])),
            Self::Points { points, .. } => extent(points.iter().map(|p| p.0)),
        }
    }

    fn y_extent(&self) -> Option<(f64, f64)> {
        match self {
            Self::Lines(lines) => extent(lines.iter().flat_map(|l| l.points.iter().map(|p| p.1))),
            Self::Events { .. } => Some((0.0, 1.0)),
            Self::Raster { neurons, .. } => {
                let max = neurons.iter().copied().max()?;
                Some((-0.5, f64::from(max) + 0.5))
            }
            Self::Histogram { bins, .. } => {
                extent(bins.iter().map(|b| b.count).chain(std::iter::once(0.0)))
            }
            Self::Points { points, .. } => extent(points.iter().map(|p| p.1)),
        }
    }
}

impl Panel {
    /// A panel of lines, tall enough for its legend.
    pub fn lines(y_label: impl Into<String>, lines: Vec<Line>) -> Self {
        let labelled = lines.iter().filter(|l| l.label.is_some()).count() as u32;
        let height = (90 + 20 * labelled).max(190);
        Self::new(y_label, Content::Lines(lines)).height(height)
    }

    /// A panel with `content`, time on the x axis, 190 px high.
    pub fn new(y_label: impl Into<String>, content: Content) -> Self {
        Self {
            title: None,
            x_label: TIME_MS.into(),
            y_label: y_label.into(),
            x_range: None,
            y_range: None,
            content,
            height: 190,
            y_ticks: 5,
            x_ticks: true,
        }
    }

    /// Set the caption.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Set the x label.
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Set the height (px).
    pub fn height(mut self, height: u32) -> Self {
        self.height = height;
        self
    }

    /// Set the y range, widened to include all the data (so nothing is clipped).
    pub fn y_range_at_least(mut self, lo: f64, hi: f64) -> Self {
        let (dlo, dhi) = self.content.y_extent().unwrap_or((lo, hi));
        self.y_range = Some((lo.min(dlo), hi.max(dhi)));
        self
    }

    /// Set the x range.
    pub fn x_range(mut self, lo: f64, hi: f64) -> Self {
        self.x_range = Some((lo, hi));
        self
    }

    /// Hide the x tick labels and the x label.
    pub fn hide_x_ticks(mut self) -> Self {
        self.x_ticks = false;
        self
    }

    /// Set the approximate number of y tick labels.
    pub fn y_ticks(mut self, n: usize) -> Self {
        self.y_ticks = n;
        self
    }
}

fn extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc: Option<(f64, f64)>, v| {
            Some(acc.map_or((v, v), |(a, b)| (a.min(v), b.max(v))))
        })
}

/// A range with a margin of 5 % (and a sensible width when all values are equal).
fn padded((lo, hi): (f64, f64)) -> (f64, f64) {
    if hi > lo {
        let m = 0.05 * (hi - lo);
        (lo - m, hi + m)
    } else {
        let m = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
        (lo - m, hi + m)
    }
}

/// A tick label for an axis over `range` with about `ticks` ticks: as many decimals as the
/// tick spacing needs (so neighbouring labels differ), trailing zeros trimmed, and scientific
/// notation for magnitudes below 1e-3 or from 1e6.
pub fn fmt_tick(v: f64, range: (f64, f64), ticks: usize) -> String {
    let span = (range.1 - range.0).abs();
    let step = if span > 0.0 && span.is_finite() {
        span / ticks.max(1) as f64
    } else {
        v.abs().max(1.0)
    };
    if v.abs() < step * 1e-6 {
        return "0".into();
    }
    let magnitude = range.0.abs().max(range.1.abs());
    if !(1e-3..1e6).contains(&magnitude) {
        // Mantissa digits down to a tenth of the tick spacing (trailing zeros trimmed).
        let digits = (v.abs().log10().floor() - step.log10().floor() + 1.0).clamp(0.0, 6.0);
        let s = format!("{v:.*e}", digits as usize);
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        return format!("{mantissa}e{exponent}");
    }
    // Decimals down to a tenth of the tick spacing (trailing zeros trimmed).
    let decimals = ((-step.log10()).ceil().max(0.0) as usize + 1).min(12);
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" { "0".into() } else { s.to_owned() }
}

static FONTS: Once = Once::new();

/// Register the embedded DejaVu Sans as plotters' `sans-serif` family (once per process).
pub fn register_fonts() {
    FONTS.call_once(|| {
        // The bytes are a valid TrueType font shipped by the `dejavu` crate; a failure would
        // only mean text is not drawn, which the tests detect.
        let _ = register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

const FONT: FontFamily<'static> = FontFamily::SansSerif;
/// The default x label; such axes switch to seconds for runs of 20 s or more.
pub const TIME_MS: &str = "time (ms)";
/// Approximate number of x tick labels.
const X_TICKS: usize = 10;

/// How lines are stroked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stroke {
    /// One polyline of width 2 (vector output: the viewer joins segments properly).
    Wide,
    /// Three 1-px polylines, shifted by one pixel right and one pixel down (bitmap output:
    /// plotters' polygonised wide lines leave gaps and spikes at sharp corners, Bresenham
    /// lines do not).
    DoubledThin,
}

fn draw_figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fig: &Figure,
    stroke: Stroke,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (title, body) = root.split_vertically(TITLE_HEIGHT);
    let title_style = TextStyle::from((FONT, 22).into_font().style(FontStyle::Bold)).pos(
        text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Center),
    );
    title
        .draw_text(
            &fig.title,
            &title_style,
            (fig.width as i32 / 2, TITLE_HEIGHT as i32 / 2 + 2),
        )
        .map_err(e)?;
    let mut rest = body;
    let n = fig.panels.len();
    for (i, panel) in fig.panels.iter().enumerate() {
        if i + 1 == n {
            draw_panel(&rest, panel, stroke)?;
        } else {
            let (top, bottom) = rest.split_vertically(panel.height);
            draw_panel(&top, panel, stroke)?;
            rest = bottom;
        }
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &Panel,
    stroke: Stroke,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let empty = p.content.is_empty();
    let x = p
        .x_range
        .or_else(|| p.content.x_extent().map(padded))
        .unwrap_or((0.0, 1.0));
    let x = if x.1 > x.0 { x } else { padded(x) };
    let y = p
        .y_range
        .or_else(|| p.content.y_extent().map(padded))
        .unwrap_or((0.0, 1.0));
    let y = if y.1 > y.0 { y } else { padded(y) };

    let mut builder = ChartBuilder::on(area);
    builder
        .margin_left(12)
        .margin_right(28)
        .margin_top(if p.title.is_some() { 4 } else { 10 })
        .margin_bottom(4)
        .x_label_area_size(if p.x_ticks { 44 } else { 8 })
        .y_label_area_size(80);
    if let Some(t) = &p.title {
        builder.caption(t, (FONT, 17));
    }
    let mut chart = builder.build_cartesian_2d(x.0..x.1, y.0..y.1).map_err(e)?;
    let no_label = |_: &f64| String::new();
    // Long runs read better in seconds: same ticks, labels divided by 1000.
    let seconds = p.x_label == TIME_MS && x.1 - x.0 >= 20_000.0;
    let (x_scale, x_desc) = if seconds {
        (1e-3, "time (s)")
    } else {
        (1.0, p.x_label.as_str())
    };
    let x_format = |v: &f64| fmt_tick(*v * x_scale, (x.0 * x_scale, x.1 * x_scale), X_TICKS);
    let y_format = |v: &f64| fmt_tick(*v, y, p.y_ticks);
    let x_formatter: &dyn Fn(&f64) -> String = if p.x_ticks { &x_format } else { &no_label };
    chart
        .configure_mesh()
        .x_desc(if p.x_ticks { x_desc } else { "" })
        .y_desc(p.y_label.as_str())
        .x_labels(X_TICKS)
        .y_labels(p.y_ticks)
        .x_label_formatter(x_formatter)
        .y_label_formatter(&y_format)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .bold_line_style(BLACK.mix(0.10))
        .light_line_style(TRANSPARENT)
        .axis_style(BLACK.mix(0.8))
        .draw()
        .map_err(e)?;

    if empty {
        let style = TextStyle::from((FONT, 16).into_font())
            .color(&colors::GRAY)
            .pos(text_anchor::Pos::new(
                text_anchor::HPos::Center,
                text_anchor::VPos::Center,
            ));
        chart
            .draw_series(std::iter::once(Text::new(
                "no data",
                ((x.0 + x.1) / 2.0, (y.0 + y.1) / 2.0),
                style,
            )))
            .map_err(e)?;
        return Ok(());
    }

    match &p.content {
        Content::Lines(lines) => {
            let legend = lines.iter().any(|l| l.label.is_some());
            // The size of one pixel in data units (y grows downwards on screen).
            let (px0, py0) = chart.backend_coord(&(x.0, y.0));
            let (px1, py1) = chart.backend_coord(&(x.1, y.1));
            let pixel = (
                (x.1 - x.0) / f64::from((px1 - px0).max(1)),
                (y.1 - y.0) / f64::from((py0 - py1).max(1)),
            );
            for line in lines {
                let color = line.color;
                // Drop points that land on the pixel of the previous one (they draw nothing).
                let mut last_px = None;
                let points: Vec<(f64, f64)> = line
                    .points
                    .iter()
                    .copied()
                    .filter(|p| {
                        let px = chart.backend_coord(p);
                        let keep = last_px != Some(px);
                        last_px = Some(px);
                        keep
                    })
                    .collect();
                if stroke == Stroke::DoubledThin {
                    for (sx, sy) in [(pixel.0, 0.0), (0.0, -pixel.1)] {
                        let shifted = points.iter().map(|&(a, b)| (a + sx, b + sy));
                        chart
                            .draw_series(LineSeries::new(shifted, color.stroke_width(1)))
                            .map_err(e)?;
                    }
                }
                let width = if stroke == Stroke::Wide { 2 } else { 1 };
                let series = chart
                    .draw_series(LineSeries::new(points, color.stroke_width(width)))
                    .map_err(e)?;
                if let Some(label) = &line.label {
                    series.label(label.as_str()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(3))
                    });
                }
            }
            if legend {
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperRight)
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK.mix(0.3))
                    .label_font((FONT, 13))
                    .draw()
                    .map_err(e)?;
            }
        }
        Content::Events { times, color } => {
            let color = *color;
            chart
                .draw_series(
                    times.iter().map(|&t| {
                        PathElement::new(vec![(t, 0.0), (t, 1.0)], color.stroke_width(2))
                    }),
                )
                .map_err(e)?;
        }
        Content::Raster { times, neurons } => {
            chart
                .draw_series(
                    times
                        .iter()
                        .zip(neurons)
                        .map(|(&t, &n)| Circle::new((t, f64::from(n)), 1, colors::INK.filled())),
                )
                .map_err(e)?;
        }
        Content::Histogram { bins, color } => {
            let color = *color;
            chart
                .draw_series(
                    bins.iter()
                        .map(|b| Rectangle::new([(b.lo, 0.0), (b.hi, b.count)], color.filled())),
                )
                .map_err(e)?;
            chart
                .draw_series(
                    bins.iter().filter(|b| b.count > 0.0).map(|b| {
                        Rectangle::new([(b.lo, 0.0), (b.hi, b.count)], WHITE.stroke_width(1))
                    }),
                )
                .map_err(e)?;
        }
        Content::Points { points, color } => {
            let color = *color;
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 2, color.filled())))
                .map_err(e)?;
        }
    }
    Ok(())
}

/// Draw `fig` into `out_dir/<name>.<ext>` for each format; returns the files written.
pub fn render(
    fig: &Figure,
    out_dir: &Path,
    name: &str,
    formats: &[Format],
) -> Result<Vec<PathBuf>, PlotError> {
    register_fonts();
    let (w, h) = (fig.width, fig.height());
    let mut written = Vec::new();
    for &format in formats {
        let path = out_dir.join(format!("{name}.{}", format.extension()));
        let draw_error = |message: String| PlotError::Draw {
            path: path.clone(),
            message,
        };
        match format {
            Format::Png => {
                let mut buf = vec![255u8; w as usize * h as usize * 3];
                {
                    let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
                    draw_figure(&root, fig, Stroke::DoubledThin).map_err(draw_error)?;
                    root.present().map_err(|e| draw_error(e.to_string()))?;
                }
                write_png(&path, &buf, w, h)?;
            }
            Format::Svg => {
                let mut svg = String::new();
                {
                    let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
                    draw_figure(&root, fig, Stroke::Wide).map_err(draw_error)?;
                    root.present().map_err(|e| draw_error(e.to_string()))?;
                }
                std::fs::write(&path, svg).map_err(|source| PlotError::Io {
                    path: path.clone(),
                    source,
                })?;
            }
        }
        written.push(path);
    }
    Ok(written)
}

fn write_png(path: &Path, rgb: &[u8], w: u32, h: u32) -> Result<(), PlotError> {
    let io = |source: std::io::Error| PlotError::Io {
        path: path.to_owned(),
        source,
    };
    let png_error = |e: png::EncodingError| PlotError::Draw {
        path: path.to_owned(),
        message: format!("PNG encoding: {e}"),
    };
    let file = File::create(path).map_err(io)?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(rgb).map_err(png_error)?;
    writer.finish().map_err(png_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_short() {
        let unit = (0.0, 1.0);
        assert_eq!(fmt_tick(0.30000000000000004, unit, 5), "0.3");
        assert_eq!(fmt_tick(5.551115123125783e-17, unit, 5), "0");
        assert_eq!(fmt_tick(-60.0, (-70.0, -50.0), 5), "-60");
        assert_eq!(fmt_tick(1e-2, (-1e-2, 1e-2), 5), "0.01");
        assert_eq!(fmt_tick(2.5e-4, (0.0, 5e-4), 5), "2.5e-4");
        assert_eq!(fmt_tick(2e6, (0.0, 1e7), 5), "2e6");
        assert_eq!(fmt_tick(100000.0, (0.0, 1e5), 5), "100000");
        assert_eq!(fmt_tick(20000.0, (0.0, 20000.0), 10), "20000");
        // A narrow range far from zero: labels keep the digits that tell ticks apart.
        let narrow = (0.00490, 0.00494);
        assert_eq!(fmt_tick(0.00491, narrow, 5), "0.00491");
        assert_ne!(fmt_tick(0.00492, narrow, 5), fmt_tick(0.00493, narrow, 5));
        assert_eq!(fmt_tick(1.0002e-4, (1.0e-4, 1.0004e-4), 4), "1.0002e-4");
    }

    #[test]
    fn formats_parse_by_name() {
        assert_eq!("PNG".parse::<Format>().unwrap(), Format::Png);
        assert_eq!("svg".parse::<Format>().unwrap(), Format::Svg);
        let err = "pdf".parse::<Format>().unwrap_err().to_string();
        assert!(err.contains("pdf"), "{err}");
    }
}
