//! `plot_dir` on synthetic run directories: the expected files are written, are real PNG/SVG
//! images with drawn content and text, and bad directories give errors that name the file and
//! the column.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use hebb_plot::{Format, PlotError, plot_dir, plot_dir_to};

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Decode a PNG into (width, height, RGB bytes).
fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    (info.width, info.height, buf)
}

/// Fraction of non-white pixels in rows `y0..y1`.
fn ink(width: u32, rgb: &[u8], y0: u32, y1: u32) -> f64 {
    let row = width as usize * 3;
    let px = &rgb[y0 as usize * row..y1 as usize * row];
    let dark = px.chunks(3).filter(|p| p.iter().any(|&c| c < 200)).count();
    dark as f64 / (px.len() / 3) as f64
}

/// A PNG that is an image with content, and whose title band holds text.
fn check_png(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(PNG_MAGIC),
        "{} is not a PNG",
        path.display()
    );
    assert!(
        bytes.len() > 10_000,
        "{} is only {} bytes",
        path.display(),
        bytes.len()
    );
    let (w, h, rgb) = decode(path);
    assert_eq!(w, 1000);
    assert!(h > 200);
    let body = ink(w, &rgb, 44, h);
    assert!(
        body > 0.01 && body < 0.6,
        "{}: {body} of the body is ink",
        path.display()
    );
    // The title is text drawn with the embedded font: without glyphs the band stays white.
    let title = ink(w, &rgb, 0, 44);
    assert!(title > 0.005, "{}: no title text ({title})", path.display());
}

fn svg(path: &Path) -> String {
    let s = std::fs::read_to_string(path).unwrap();
    assert!(s.starts_with("<svg"), "{} is not an SVG", path.display());
    s
}

/// The text elements of an SVG, trimmed.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_owned())
        })
        .collect()
}

fn has_text(svg: &str, text: &str) -> bool {
    texts(svg).iter().any(|t| t == text)
}

fn names(files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn ngclearn_stp_figure_and_generic_plots() {
    let dir = ngclearn_dir("ngclearn");
    let files = plot_dir(&dir, None, &Format::ALL).unwrap();
    let names = names(&files);
    for expected in [
        "raster_input.png",
        "raster_post.svg",
        "state_stp.png",
        "state_v_post.svg",
        "stp_ngclearn.png",
        "stp_ngclearn.svg",
    ] {
        assert!(
            names.contains(&expected.to_owned()),
            "{expected} not in {names:?}"
        );
    }
    assert!(files.iter().all(|f| f.starts_with(dir.join("plots"))));
    for f in files.iter().filter(|f| f.extension().unwrap() == "png") {
        check_png(f);
    }
    let s = svg(&dir.join("plots/stp_ngclearn.svg"));
    for text in [
        "STF dynamics",
        "STD dynamics",
        "Syn. Weight (Wdyn)",
        "v (mV)",
        "spikes post",
    ] {
        assert!(s.contains(text), "`{text}` missing from the SVG");
    }
    let s = svg(&dir.join("plots/state_stp.svg"));
    for text in ["u[0]", "x[0]", "Wdyn[0]"] {
        assert!(s.contains(text), "`{text}` missing from state_stp.svg");
    }
}

#[test]
fn norse_stp_figure() {
    let dir = norse_dir("norse");
    let files = plot_dir(&dir, None, &[Format::Svg, Format::Png]).unwrap();
    check_png(&dir.join("plots/stp_norse.png"));
    let s = svg(&dir.join("plots/stp_norse.svg"));
    for text in [
        "available resources x",
        "utilisation u",
        "synaptic current",
        "released",
    ] {
        assert!(s.contains(text), "`{text}` missing");
    }
    assert!(files.last().unwrap().ends_with("stp_norse.png"));
}

#[test]
fn florian_figure_has_eight_panels() {
    let dir = florian_dir("florian");
    plot_dir(&dir, None, &Format::ALL).unwrap();
    check_png(&dir.join("plots/florian.png"));
    let s = svg(&dir.join("plots/florian.svg"));
    for text in [
        "s_pre",
        "s_post",
        "x_post, x_pre",
        "r",
        "z",
        "W_STDP",
        "W_MSTDP",
        "W_MSTDPET",
    ] {
        assert!(has_text(&s, text), "`{text}` missing");
    }
    let weights = svg(&dir.join("plots/weights_w_mstdpet.svg"));
    assert!(weights.contains("final weight distribution"));
}

#[test]
fn song2000_figure_from_a_long_run() {
    let dir = song_dir("song2000", 20);
    let files = plot_dir(&dir, None, &Format::ALL).unwrap();
    check_png(&dir.join("plots/song2000.png"));
    check_png(&dir.join("plots/raster_input.png"));
    let s = svg(&dir.join("plots/song2000.svg"));
    for text in [
        "w / w_max",
        "final weight distribution",
        "output rate of `output`",
        "synapse index",
    ] {
        assert!(s.contains(text), "`{text}` missing");
    }
    // ~300 000 input spikes are thinned for the raster: the SVG stays small.
    let raster = std::fs::metadata(dir.join("plots/raster_input.svg"))
        .unwrap()
        .len();
    assert!(raster < 6_000_000, "raster SVG is {raster} bytes");
    assert!(svg(&dir.join("plots/raster_input.svg")).contains("every"));
    assert!(names(&files).contains(&"weights_w_input.png".to_owned()));
}

#[test]
fn long_state_recordings_are_decimated() {
    let dir = fresh_dir("decimated");
    let rows: Vec<Vec<f64>> = (0..200_000)
        .map(|k| {
            let v = if k % 1000 == 500 {
                0.0
            } else {
                -65.0 + (k % 1000) as f64 * 0.01
            };
            vec![k as f64 * 0.1, v]
        })
        .collect();
    write_csv(&dir, "v.csv", &["t_ms", "v[0]"], &rows);
    let files = plot_dir(&dir, None, &[Format::Svg]).unwrap();
    assert_eq!(names(&files), ["state_v.svg"]);
    let s = svg(&files[0]);
    // 200 000 rows, at most ~20 000 points drawn: far less than one number pair per row.
    assert!(s.len() < 1_500_000, "SVG has {} bytes", s.len());
    // The spikes (v = 0) survive decimation: the y axis reaches 0.
    assert!(
        has_text(&s, "0"),
        "the peak at 0 mV was lost: {:?}",
        texts(&s)
    );
}

#[test]
fn figure_argument_overrides_summary_and_null_means_generic_only() {
    let dir = florian_dir("florian_null");
    write_summary(&dir, r#"{"figure": null, "dt_ms": 1.0, "steps": 200}"#);
    let files = plot_dir(&dir, None, &[Format::Png]).unwrap();
    assert!(!names(&files).contains(&"florian.png".to_owned()));
    let files = plot_dir(&dir, Some("florian"), &[Format::Png]).unwrap();
    assert!(names(&files).contains(&"florian.png".to_owned()));
}

#[test]
fn plot_dir_to_writes_elsewhere() {
    let dir = norse_dir("norse_elsewhere");
    let out = dir.join("figs");
    let files = plot_dir_to(&dir, &out, Some("stp_norse"), &[Format::Png]).unwrap();
    assert!(files.iter().all(|f| f.starts_with(&out)));
    assert!(out.join("stp_norse.png").is_file());
}

#[test]
fn missing_column_names_file_and_column() {
    let dir = fresh_dir("missing_neuron");
    std::fs::write(dir.join("spikes_exc.csv"), "t_ms,cell\n1.0,0\n").unwrap();
    let err = plot_dir(&dir, None, &[Format::Png]).unwrap_err();
    assert!(matches!(err, PlotError::MissingColumn { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("spikes_exc.csv") && msg.contains("`neuron`"),
        "{msg}"
    );

    let dir = fresh_dir("missing_time");
    std::fs::write(dir.join("v.csv"), "time,v[0]\n1.0,0\n").unwrap();
    let msg = plot_dir(&dir, None, &[Format::Png])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("v.csv") && msg.contains("`t_ms`"), "{msg}");
}

#[test]
fn figure_with_missing_variable_names_it() {
    let dir = ngclearn_dir("ngclearn_no_wdyn");
    let rows: Vec<Vec<f64>> = (0..10).map(|k| vec![k as f64, 0.1, 0.9]).collect();
    write_csv(&dir, "stp.csv", &["t_ms", "u[0]", "x[0]"], &rows);
    let err = plot_dir(&dir, None, &[Format::Png]).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, PlotError::MissingData { .. }), "{err:?}");
    assert!(
        msg.contains("Wdyn") && msg.contains("stp.csv") && msg.contains("stp_ngclearn"),
        "{msg}"
    );

    let dir = florian_dir("florian_no_mstdpet");
    std::fs::remove_file(dir.join("w_mstdpet.csv")).unwrap();
    let msg = plot_dir(&dir, None, &[Format::Png])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("mstdpet") && msg.contains("w_stdp"), "{msg}");
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let dir = fresh_dir("bad_number");
    std::fs::write(dir.join("v.csv"), "t_ms,v[0]\n0,1\n0.1,oops\n").unwrap();
    let err = plot_dir(&dir, None, &[Format::Png]).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("line 3") && msg.contains("oops") && msg.contains("v[0]"),
        "{msg}"
    );

    let dir = fresh_dir("ragged");
    std::fs::write(dir.join("v.csv"), "t_ms,v[0]\n0,1\n0.1\n").unwrap();
    let msg = plot_dir(&dir, None, &[Format::Png])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("v.csv") && msg.contains("line 3"), "{msg}");

    let missing = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hebb_plot/does_not_exist");
    let err = plot_dir(&missing, None, &[Format::Png]).unwrap_err();
    assert!(matches!(err, PlotError::Io { .. }), "{err:?}");

    let npy = fresh_dir("npy_only");
    std::fs::write(npy.join("v.npy"), b"\x93NUMPY").unwrap();
    write_summary(&npy, r#"{"dt_ms": 0.1, "steps": 10}"#);
    let err = plot_dir(&npy, None, &[Format::Png]).unwrap_err();
    assert!(matches!(err, PlotError::NpyOnly { .. }), "{err:?}");

    let empty = fresh_dir("empty");
    let err = plot_dir(&empty, None, &[Format::Png]).unwrap_err();
    assert!(matches!(err, PlotError::NotRunOutput { .. }), "{err:?}");

    let dir = norse_dir("norse_bad_args");
    let err = plot_dir(&dir, Some("brunel"), &[Format::Png]).unwrap_err();
    assert!(err.to_string().contains("brunel") && err.to_string().contains("florian"));
    assert!(matches!(
        plot_dir(&dir, None, &[]),
        Err(PlotError::NoFormat)
    ));

    write_summary(&dir, r#"{"figure": 3}"#);
    let msg = plot_dir(&dir, None, &[Format::Png])
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("summary.json") && msg.contains("figure"),
        "{msg}"
    );
    write_summary(&dir, r#"{"figure": "nope"}"#);
    assert!(matches!(
        plot_dir(&dir, None, &[Format::Png]),
        Err(PlotError::UnknownFigure { .. })
    ));
    write_summary(&dir, "{not json");
    let msg = plot_dir(&dir, None, &[Format::Png])
        .unwrap_err()
        .to_string();
    assert!(msg.contains("summary.json"), "{msg}");
}

#[test]
fn empty_recordings_still_plot() {
    let dir = fresh_dir("empty_recordings");
    std::fs::write(dir.join("spikes_exc.csv"), "t_ms,neuron\n").unwrap();
    std::fs::write(dir.join("v.csv"), "t_ms,v[0]\n").unwrap();
    write_summary(&dir, r#"{"dt_ms": 0.1, "steps": 1000, "figure": null}"#);
    let files = plot_dir(&dir, None, &Format::ALL).unwrap();
    assert_eq!(files.len(), 4);
    assert!(svg(&dir.join("plots/state_v.svg")).contains("no data"));
}

#[test]
fn presynaptic_population_is_found_from_the_summary_projections() {
    let dir = florian_dir("florian_renamed");
    std::fs::rename(dir.join("spikes_pre.csv"), dir.join("spikes_zeta.csv")).unwrap();
    std::fs::rename(dir.join("spikes_post.csv"), dir.join("spikes_alpha.csv")).unwrap();
    let summary = std::fs::read_to_string(dir.join("summary.json"))
        .unwrap()
        .replace("\"pre\"", "\"zeta\"")
        .replace("\"post\"", "\"alpha\"");
    write_summary(&dir, &summary);
    plot_dir(&dir, None, &[Format::Svg]).unwrap();
    let s = svg(&dir.join("plots/florian.svg"));
    assert!(
        has_text(&s, "presynaptic spikes (`zeta`)"),
        "{:?}",
        texts(&s)
    );
    assert!(has_text(&s, "postsynaptic spikes (`alpha`)"));
}

/// The output of `hebb run scenes/florian_stdp_mstdp_mstdpet.ron` (recorders `w_stdp`,
/// `w_mstdp`, `w_mstdpet`, `traces_*`, `eligibility`, `reward`; summary without `figure`).
#[test]
fn florian_figure_from_a_real_run() {
    let dir = fixture_dir("florian_run");
    let generic = plot_dir(&dir, None, &[Format::Png]).unwrap();
    assert_eq!(generic.len(), 10, "{:?}", names(&generic));
    let files = plot_dir(&dir, Some("florian"), &Format::ALL).unwrap();
    assert!(names(&files).contains(&"florian.svg".to_owned()));
    check_png(&dir.join("plots/florian.png"));
    let s = svg(&dir.join("plots/florian.svg"));
    for text in [
        "presynaptic spikes (`pre`)",
        "postsynaptic spikes (`post`)",
        "W_MSTDPET",
        "z",
    ] {
        assert!(has_text(&s, text), "`{text}` missing");
    }
}

#[test]
fn song2000_w_max_comes_from_the_summary_or_the_scene_file() {
    let dir = song_dir("song2000_w_max", 2);
    let scene = dir.join("scene.ron");
    let summary = |scene: &Path| {
        format!(
            r#"{{"scene": "{}", "dt_ms": 0.1, "steps": 20000,
                "populations": [{{"name": "input", "size": 1000}}, {{"name": "output", "size": 1}}],
                "projections": [{{"from": "input", "to": "output", "synapses": 1000}}]}}"#,
            scene.display()
        )
    };
    write_summary(&dir, &summary(&scene));
    plot_dir(&dir, Some("song2000"), &[Format::Svg]).unwrap();
    let s = svg(&dir.join("plots/song2000.svg"));
    assert!(has_text(&s, "w / max(w)"), "{:?}", texts(&s));

    std::fs::write(
        &scene,
        "// w_max is the bound\n(bounds: Hard(w_min: 0.0, w_max: 0.02))\n",
    )
    .unwrap();
    plot_dir(&dir, Some("song2000"), &[Format::Svg]).unwrap();
    let s = svg(&dir.join("plots/song2000.svg"));
    assert!(has_text(&s, "w / w_max"), "{:?}", texts(&s));
    // The rate panel shows the projection's target, not the 1000-neuron input.
    assert!(
        texts(&s)
            .iter()
            .any(|t| t.starts_with("output rate of `output`")),
        "{:?}",
        texts(&s)
    );
}
