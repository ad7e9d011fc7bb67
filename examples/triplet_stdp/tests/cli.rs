//! The crate's own `triplet_stdp` binary (`hebb_cli::main_with(TripletStdpPlugin)`) is the whole
//! `hebb` command with the out-of-tree rule: `list` and `check` know `MinimalTriplet`, `run`
//! writes the same weights as the library (bit for bit), NPY output, `--snapshot-at` +
//! `resume` continue the run exactly, `--plot` draws, and a misspelt rule is a clean error
//! listing the plugin's rule among the registered ones.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hebb::prelude::*;
use hebb::scene::{Scene, registry_of};
use triplet_stdp::TripletStdpPlugin;

const PAIRING: &str = "scenes/triplet_pairing_20hz.ron";
const NETWORK: &str = "scenes/triplet_network.ron";

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("triplet_stdp_cli")
        .join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run the crate's binary from the crate directory.
fn triplet_stdp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_triplet_stdp"))
        .args(args)
        .current_dir(crate_dir())
        .output()
        .expect("the triplet_stdp binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::to_owned)
        .collect()
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn list_shows_the_plugin_rule_next_to_the_built_in_ones() {
    let out = ok(&triplet_stdp(&["list"]));
    let plasticity = out
        .split("\nplasticity models:")
        .nth(1)
        .unwrap_or_else(|| panic!("no plasticity section:\n{out}"));
    for rule in ["  MinimalTriplet — ", "  Stdp — "] {
        assert!(plasticity.contains(rule), "{rule} missing:\n{out}");
    }
    assert!(out.contains("a3_plus") && out.contains("tau_y_ms"), "{out}");
    // The built-in models are all still there.
    assert!(
        out.contains("  Lif — ") && out.contains("  Poisson — "),
        "{out}"
    );
}

#[test]
fn check_shows_the_rule_alone_in_plasticity() {
    // The rule's own system applies its bounded changes: no shared weight-update system.
    let out = ok(&triplet_stdp(&["check", NETWORK]));
    assert!(out.contains("plasticity MinimalTriplet"), "{out}");
    let plasticity: Vec<&str> = out
        .lines()
        .skip_while(|l| l.trim() != "Plasticity:")
        .skip(1)
        .take_while(|l| !l.trim().ends_with(':'))
        .map(str::trim)
        .collect();
    assert_eq!(
        plasticity,
        ["1. hebb_plasticity::rule::rule_step<triplet_stdp::MinimalTriplet>"],
        "{out}"
    );
}

#[test]
fn run_writes_the_weights_the_library_computes_bit_for_bit() {
    let dir = scratch("pairing");
    let out_dir = dir.join("out");
    let stdout = ok(&triplet_stdp(&[
        "run",
        PAIRING,
        "--out",
        out_dir.to_str().unwrap(),
        "-q",
    ]));
    assert!(stdout.contains("30000 steps"), "{stdout}");

    let s = summary(&out_dir);
    assert_eq!(s["steps"], 30_000);
    assert_eq!(s["projections"][0]["plasticity"]["model"], "MinimalTriplet");

    // The same scene run in process with the library.
    let plugins = || (TripletStdpPlugin, DefaultPlugins);
    let scene = Scene::load(crate_dir().join(PAIRING), &registry_of(plugins())).unwrap();
    let mut sim = scene.build(plugins()).unwrap();
    sim.run_steps(scene.steps().unwrap());
    let recorded = sim.recorders().state("w").expect("the scene records w");
    let rows = lines(&out_dir.join("w.csv"));
    assert_eq!(rows[0], "t_ms,\"w[0,0]\"");
    assert_eq!(rows.len() - 1, recorded.values.len());
    for (row, want) in rows[1..].iter().zip(&recorded.values) {
        let got: f32 = row.split(',').nth(1).unwrap().parse().unwrap();
        assert_eq!(got.to_bits(), want.to_bits(), "row {row}");
    }
    // The rule did learn: 60 pairings at 20 Hz potentiate (0.5 -> about 0.728).
    let last: f32 = rows
        .last()
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!((0.72..0.74).contains(&last), "{last}");
}

#[test]
fn npy_output_snapshot_and_resume_work_with_the_plugin_rule() {
    let dir = scratch("resume");
    let straight = dir.join("straight");
    let first = dir.join("first");
    let second = dir.join("second");
    let args = |out: &Path| {
        vec![
            "run".to_owned(),
            NETWORK.to_owned(),
            "--out".to_owned(),
            out.to_str().unwrap().to_owned(),
            "-q".to_owned(),
        ]
    };
    let run = |extra: &[&str], out: &Path| {
        let mut a = args(out);
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        ok(&triplet_stdp(&a))
    };
    run(&[], &straight);
    run(&["--snapshot-at", "1000"], &first);
    let snap = first.join("snapshot_1000ms.hebbsnap");
    assert!(snap.exists());
    ok(&triplet_stdp(&[
        "resume",
        snap.to_str().unwrap(),
        "--out",
        second.to_str().unwrap(),
        "-q",
    ]));
    assert_eq!(summary(&second)["resumed_from_ms"], 1000.0);
    for file in ["spikes_neurons.csv", "w.csv", "o2.csv"] {
        let all = lines(&straight.join(file));
        let a = lines(&first.join(file));
        let b = lines(&second.join(file));
        assert_eq!(a, all, "{file}: writing the snapshot disturbed the run");
        let before: Vec<&String> = a[1..]
            .iter()
            .filter(|r| r.split(',').next().unwrap().parse::<f64>().unwrap() < 1000.0)
            .collect();
        assert!(!before.is_empty() && b.len() > 1, "{file}");
        let joined: Vec<&String> = before.into_iter().chain(&b[1..]).collect();
        let want: Vec<&String> = all[1..].iter().collect();
        assert_eq!(joined, want, "{file}: first part + resumed part");
    }
    // The weights moved: the resumed part really ran the plugin's rule.
    let w = lines(&straight.join("w.csv"));
    assert_ne!(
        w[1].split_once(',').unwrap().1,
        w.last().unwrap().split_once(',').unwrap().1
    );

    // NPY: the same recorders as NumPy files with the same column names.
    let npy = dir.join("npy");
    run(&["--format", "npy"], &npy);
    let bytes = std::fs::read(npy.join("o2.npy")).unwrap();
    assert!(bytes.starts_with(b"\x93NUMPY"), "not an NPY file");
    let header = text(&bytes[..bytes.len().min(512)]);
    assert!(header.contains("'t_ms'"), "{header}");
    // The column names (those of the CSV) are in the sidecar next to the array.
    let columns = std::fs::read_to_string(npy.join("o2.columns.json")).unwrap();
    assert!(columns.contains("\"o2[0]\""), "{columns}");
}

#[test]
fn plot_draws_the_run_of_a_plugin_scene() {
    let dir = scratch("plot");
    let out_dir = dir.join("out");
    let stdout = ok(&triplet_stdp(&[
        "run",
        PAIRING,
        "--out",
        out_dir.to_str().unwrap(),
        "-q",
        "--plot",
    ]));
    assert!(stdout.contains("plots to"), "{stdout}");
    let pngs = std::fs::read_dir(out_dir.join("plots"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "png")
        })
        .count();
    assert!(pngs > 0, "no PNG in {}", out_dir.join("plots").display());
}

#[test]
fn a_misspelt_rule_is_a_clean_error_listing_the_plugin_rule() {
    let dir = scratch("typo");
    let scene = dir.join("typo.ron");
    let text_in = std::fs::read_to_string(crate_dir().join(PAIRING))
        .unwrap()
        .replace("plasticity: MinimalTriplet(", "plasticity: MinimalTriplte(");
    std::fs::write(&scene, text_in).unwrap();
    let out = triplet_stdp(&["check", scene.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains("unknown plasticity model `MinimalTriplte`"),
        "{stderr}"
    );
    assert!(stderr.contains("MinimalTriplet"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
