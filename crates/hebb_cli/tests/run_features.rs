//! `hebb run` features end to end: Ctrl-C stops cleanly (files readable, summary says where),
//! NPY files hold exactly the in-memory recording, `--snapshot-at` + `hebb resume` continue a
//! run bit for bit, `--plot` and `hebb plot` draw the figures, `summary.json` carries the
//! scene's figure and the plasticity params.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use hebb::DefaultPlugins;
use hebb_scene::{Scene, registry_of};

mod common;
use common::{hebb, repo, scratch};

const DEMO: &str = "scenes/poisson_lif_conductance.ron";

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The demo scene with another duration, written into `dir`.
fn demo_with_duration(dir: &Path, duration_ms: &str) -> PathBuf {
    let text = std::fs::read_to_string(repo().join(DEMO)).unwrap();
    assert!(text.contains("duration_ms: 1000.0,"));
    let text = text.replace(
        "duration_ms: 1000.0,",
        &format!("duration_ms: {duration_ms},"),
    );
    let path = dir.join("scene.ron");
    std::fs::write(&path, text).unwrap();
    path
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::to_owned)
        .collect()
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_run_and_writes_readable_files() {
    let dir = scratch("interrupt");
    let scene = demo_with_duration(&dir, "100000000.0");
    let out_dir = dir.join("out");
    let child = Command::new(env!("CARGO_BIN_EXE_hebb"))
        .arg("run")
        .arg(&scene)
        .arg("--out")
        .arg(&out_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run writes its files, then a little more, then press Ctrl-C.
    let started = Instant::now();
    while !out_dir.join("v_neurons.csv").exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "no output");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(700));
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: sends SIGINT to our own child process, which has not been waited for yet (so
    // its pid cannot have been reused).
    let sent = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(sent, 0, "kill(SIGINT) failed");
    let waited = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        waited.elapsed() < Duration::from_secs(20),
        "stopping took {:?}",
        waited.elapsed()
    );
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let s = summary(&out_dir);
    assert_eq!(s["interrupted"], true);
    let steps = s["steps"].as_u64().unwrap();
    let stopped = s["stopped_at_ms"].as_f64().unwrap();
    assert!(steps > 0 && steps < 1_000_000_000, "{steps}");
    assert!(
        (stopped - steps as f64 * 0.1).abs() < 1e-6,
        "{stopped} vs {steps}"
    );
    // One row per step ran, every row complete; spikes all before the stop.
    let v = lines(&out_dir.join("v_neurons.csv"));
    assert_eq!(v[0], "t_ms,v[0],v[1],v[2]");
    assert_eq!(v.len() as u64, 1 + steps);
    for row in &v[1..] {
        assert_eq!(row.split(',').count(), 4, "{row}");
    }
    let last_t: f64 = v
        .last()
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (last_t - (stopped - 0.1)).abs() < 1e-6,
        "{last_t} vs {stopped}"
    );
    let spikes = lines(&out_dir.join("spikes_neurons.csv"));
    let total: u64 = s["populations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "neurons")
        .unwrap()["spikes"]
        .as_u64()
        .unwrap();
    assert_eq!(spikes.len() as u64 - 1, total);
    assert!(total > 0);
}

/// A parsed `.npy` structured array: descr string, rows, raw record bytes.
fn read_npy(path: &Path) -> (String, usize, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{}", path.display());
    let (header_len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        _ => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len]).unwrap();
    assert_eq!((start + header_len) % 64, 0, "data aligned to 64 bytes");
    assert!(header.contains("'fortran_order': False"), "{header}");
    let descr_at = header.find("'descr': ").unwrap() + 9;
    let descr_end = header[descr_at..].find("], ").unwrap() + descr_at + 1;
    let descr = header[descr_at..descr_end].to_owned();
    let shape_at = header.find("'shape': (").unwrap() + 10;
    let rows: usize = header[shape_at..]
        .split(',')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (descr, rows, bytes[start + header_len..].to_vec())
}

#[test]
fn npy_files_hold_the_in_memory_recording_byte_for_byte() {
    let dir = scratch("npy");
    let scene_path = demo_with_duration(&dir, "200.0");
    let out_dir = dir.join("out");
    ok(&hebb(&[
        "run",
        scene_path.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--format",
        "npy",
        "--quiet",
    ]));

    // The same run in memory (no sink: the recorders keep everything).
    let scene = Scene::load(&scene_path, &registry_of(DefaultPlugins)).unwrap();
    let mut sim = scene.build(DefaultPlugins).unwrap();
    sim.run_steps(scene.steps().unwrap());
    let recorders = sim.recorders();

    // State recorder: t_ms <f8 then the variable's 3 columns as a <f4 sub-array,
    // little-endian, packed; the column names in the sidecar.
    let v = recorders.state("v_neurons").unwrap();
    let (descr, rows, data) = read_npy(&out_dir.join("v_neurons.npy"));
    assert_eq!(descr, "[('t_ms', '<f8'), ('v', '<f4', (3,))]");
    let sidecar: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("v_neurons.columns.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(sidecar, serde_json::json!({"v": ["v[0]", "v[1]", "v[2]"]}));
    assert_eq!(rows, v.times_ms.len());
    assert_eq!(rows, 2000);
    let mut want = Vec::new();
    for (r, t) in v.times_ms.iter().enumerate() {
        // Times are written rounded to 1e-9 ms (`0.3`, not `0.30000000000000004`).
        want.extend_from_slice(&hebb_io::clean_time(*t).to_le_bytes());
        for x in v.row(r) {
            want.extend_from_slice(&x.to_le_bytes());
        }
    }
    assert_eq!(data.len(), want.len());
    assert!(data == want, "v_neurons.npy differs from the recording");

    // Spike recorder: t_ms <f8, neuron <u4.
    let spikes = recorders.spikes_of("neurons").unwrap();
    let (descr, rows, data) = read_npy(&out_dir.join("spikes_neurons.npy"));
    assert_eq!(descr, "[('t_ms', '<f8'), ('neuron', '<u4')]");
    assert_eq!(rows, spikes.steps.len());
    assert!(rows > 0);
    let mut want = Vec::new();
    for (&step, &neuron) in spikes.steps.iter().zip(&spikes.neurons) {
        want.extend_from_slice(&hebb_io::time_ms(step, scene.dt_ms).to_le_bytes());
        want.extend_from_slice(&neuron.to_le_bytes());
    }
    assert!(
        data == want,
        "spikes_neurons.npy differs from the recording"
    );
}

/// Rows (without header) whose time is before / at or after `t_ms`.
fn split_rows(rows: &[String], t_ms: f64) -> (Vec<String>, Vec<String>) {
    rows.iter()
        .cloned()
        .partition(|r| r.split(',').next().unwrap().parse::<f64>().unwrap() < t_ms - 1e-9)
}

#[test]
fn snapshot_then_resume_continues_the_run_bit_for_bit() {
    let dir = scratch("resume");
    let scene = demo_with_duration(&dir, "200.0");
    let scene = scene.to_str().unwrap();
    let straight = dir.join("straight");
    let first = dir.join("first");
    let second = dir.join("second");
    ok(&hebb(&[
        "run",
        scene,
        "--out",
        straight.to_str().unwrap(),
        "-q",
    ]));
    ok(&hebb(&[
        "run",
        scene,
        "--out",
        first.to_str().unwrap(),
        "--snapshot-at",
        "100",
        "-q",
    ]));
    let snap = first.join("snapshot_100ms.hebbsnap");
    assert!(snap.exists());
    assert_eq!(summary(&first)["snapshot"], "snapshot_100ms.hebbsnap");
    ok(&hebb(&[
        "resume",
        snap.to_str().unwrap(),
        "--out",
        second.to_str().unwrap(),
        "-q",
    ]));
    let s = summary(&second);
    assert_eq!(s["resumed_from_ms"], 100.0);
    assert_eq!(s["steps"], 1000);
    assert_eq!(s["interrupted"], false);

    for file in [
        "spikes_neurons.csv",
        "spikes_exc_input.csv",
        "v_neurons.csv",
        "g_exc.csv",
    ] {
        let all = lines(&straight.join(file));
        let a = lines(&first.join(file));
        let b = lines(&second.join(file));
        // Writing a snapshot does not disturb the run.
        assert_eq!(a, all, "{file}: run with --snapshot-at");
        assert_eq!(b[0], all[0], "{file}: header");
        let (before, after) = split_rows(&a[1..], 100.0);
        let (early, _) = split_rows(&b[1..], 100.0);
        assert!(early.is_empty(), "{file}: resumed rows start at T");
        assert!(!before.is_empty() && !after.is_empty(), "{file}");
        let joined: Vec<String> = before.into_iter().chain(b[1..].iter().cloned()).collect();
        assert_eq!(joined, all[1..], "{file}: first part + resumed part");
    }
    // The spike counts of the resumed run go from t = 0.
    assert_eq!(
        summary(&second)["populations"],
        summary(&straight)["populations"]
    );
}

#[test]
fn snapshot_time_off_the_grid_or_past_the_end_is_refused() {
    let dir = scratch("snapshot_bad");
    for (k, t) in ["100.05", "5000", "-1"].iter().enumerate() {
        let out = hebb(&[
            "run",
            DEMO,
            "--out",
            dir.join(k.to_string()).to_str().unwrap(),
            &format!("--snapshot-at={t}"),
        ]);
        assert_eq!(out.status.code(), Some(1), "{t}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: --snapshot-at"), "{err}");
    }
}

#[test]
fn plot_draws_the_reference_figure_named_by_the_scene() {
    let dir = scratch("plot");
    let out_dir = dir.join("out");
    let out = hebb(&[
        "run",
        "scenes/stp_norse_10hz_facilitating.ron",
        "--out",
        out_dir.to_str().unwrap(),
        "--plot",
        "-q",
    ]);
    ok(&out);
    let s = summary(&out_dir);
    assert_eq!(s["figure"], "stp_norse");
    assert_eq!(s["interrupted"], false);
    assert!(s["stopped_at_ms"].is_null());
    assert_eq!(s["projections"][0]["stp"]["model"], "TsodyksMarkram");
    let png = out_dir.join("plots/stp_norse.png");
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));

    // `hebb plot` again, another figure name is refused, SVG on request.
    let out = hebb(&["plot", out_dir.to_str().unwrap(), "--figure", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    ok(&hebb(&[
        "plot",
        out_dir.to_str().unwrap(),
        "--format",
        "svg",
    ]));
    assert!(out_dir.join("plots/stp_norse.svg").exists());
}

#[test]
fn summary_carries_the_plasticity_params_and_w_max() {
    let dir = scratch("plasticity");
    let text = std::fs::read_to_string(repo().join("scenes/song2000_stdp.ron")).unwrap();
    let text = text.replace("duration_ms: 100000.0,", "duration_ms: 50.0,");
    let scene = dir.join("song.ron");
    std::fs::write(&scene, text).unwrap();
    let out_dir = dir.join("out");
    ok(&hebb(&[
        "run",
        scene.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "-q",
    ]));
    let s = summary(&out_dir);
    assert_eq!(s["figure"], "song2000");
    let plasticity = &s["projections"][0]["plasticity"];
    assert_eq!(plasticity["model"], "Song2000", "{plasticity}");
    assert_eq!(s["figure_params"]["w_max"], 0.01, "{s}");
}

#[test]
fn list_prints_parameters_units_and_defaults() {
    let out = hebb(&["list"]);
    ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("tau_m_ms") && text.contains("[ms]"), "{text}");
    let alias = hebb(&["models"]);
    assert_eq!(alias.stdout, out.stdout);
}

#[test]
fn an_unknown_figure_name_is_a_scene_error() {
    let dir = scratch("bad_figure");
    let text = std::fs::read_to_string(repo().join(DEMO)).unwrap();
    let text = text.replace("seed: 42,", "seed: 42,\n    figure: \"song2001\",");
    let scene = dir.join("scene.ron");
    std::fs::write(&scene, text).unwrap();
    for command in ["check", "run"] {
        let mut args = vec![command, scene.to_str().unwrap()];
        let out_dir = dir.join("out");
        if command == "run" {
            args.extend(["--out", out_dir.to_str().unwrap()]);
        }
        let out = hebb(&args);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error: ") && err.contains("song2001") && err.contains("song2000"),
            "{err}"
        );
    }
}

#[test]
fn a_figure_whose_recordings_are_missing_is_refused_before_the_run() {
    // The demo records spikes and `v`, not the weights the Song 2000 figure draws: `check`
    // must say so (issue 13 item 12), and `run` must refuse before stepping, writing nothing.
    let dir = scratch("figure_without_data");
    let text = std::fs::read_to_string(repo().join(DEMO)).unwrap();
    let text = text.replace("seed: 42,", "seed: 42,\n    figure: \"song2000\",");
    let scene = dir.join("scene.ron");
    std::fs::write(&scene, text).unwrap();
    let out_dir = dir.join("out");
    for command in ["check", "run"] {
        let mut args = vec![command, scene.to_str().unwrap()];
        if command == "run" {
            args.extend(["--out", out_dir.to_str().unwrap()]);
        }
        let out = hebb(&args);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error: ") && err.contains("song2000") && err.contains("`w`"),
            "{err}"
        );
    }
    assert!(!out_dir.join("summary.json").exists());
}
