//! `--threads`: every bundled scene written by `hebb run` on 1, 2 and 3 threads gives
//! byte-identical output directories (only the timing fields and `threads` of `summary.json`
//! differ); a snapshot taken on 2 threads resumes on 1 (and the reverse) exactly like a
//! straight run; `--threads 0` is a clear error.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{hebb, repo, scratch};

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file of `dir` (name → bytes); `summary.json` without its timing fields and `threads`.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let mut bytes = std::fs::read(&p).unwrap();
            if name == "summary.json" {
                let mut summary: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                let map = summary.as_object_mut().unwrap();
                for timing in ["wall_seconds", "write_seconds", "threads"] {
                    assert!(map.remove(timing).is_some(), "summary.json has {timing}");
                }
                bytes = serde_json::to_vec_pretty(&summary).unwrap();
            }
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

fn threads_of(dir: &Path) -> u64 {
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    summary["threads"].as_u64().unwrap()
}

#[test]
fn every_scene_writes_the_same_files_on_1_2_and_3_threads() {
    let mut scenes: Vec<PathBuf> = std::fs::read_dir(repo().join("scenes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    scenes.sort();
    assert!(scenes.len() >= 10);
    for scene in scenes {
        let name = scene.file_stem().unwrap().to_string_lossy().into_owned();
        let dir = scratch(&name);
        let mut reference = None;
        for threads in ["1", "2", "3"] {
            let out = dir.join(threads);
            ok(&hebb(&[
                "run",
                scene.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--threads",
                threads,
                // Every scene, shortened: long enough for plasticity, delays and recorders to
                // act, short enough for three runs of each.
                "--duration-ms",
                "300",
                "-q",
            ]));
            assert_eq!(threads_of(&out).to_string(), threads);
            let files = contents(&out);
            match &reference {
                None => reference = Some(files),
                Some(expected) => {
                    assert_eq!(
                        files.iter().map(|f| &f.0).collect::<Vec<_>>(),
                        expected.iter().map(|f| &f.0).collect::<Vec<_>>(),
                        "{name}: files"
                    );
                    for (a, b) in files.iter().zip(expected) {
                        assert!(a.1 == b.1, "{name}: {} differs on {threads} threads", a.0);
                    }
                }
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn a_snapshot_taken_on_2_threads_resumes_on_1_and_the_reverse() {
    let dir = scratch("resume");
    let text = std::fs::read_to_string(repo().join("scenes/poisson_lif_conductance.ron")).unwrap();
    assert!(text.contains("duration_ms: 1000.0,"));
    let scene = dir.join("scene.ron");
    std::fs::write(
        &scene,
        text.replace("duration_ms: 1000.0,", "duration_ms: 200.0,"),
    )
    .unwrap();
    let scene = scene.to_str().unwrap();
    let straight = dir.join("straight");
    ok(&hebb(&[
        "run",
        scene,
        "--out",
        straight.to_str().unwrap(),
        "-q",
    ]));
    let file = "spikes_neurons.csv";
    let all = std::fs::read_to_string(straight.join(file)).unwrap();
    for (first, second) in [("2", "1"), ("1", "2")] {
        let a = dir.join(format!("first_{first}"));
        let b = dir.join(format!("second_{second}"));
        ok(&hebb(&[
            "run",
            scene,
            "--out",
            a.to_str().unwrap(),
            "--snapshot-at",
            "100",
            "--threads",
            first,
            "-q",
        ]));
        let snap = a.join("snapshot_100ms.hebbsnap");
        ok(&hebb(&[
            "resume",
            snap.to_str().unwrap(),
            "--out",
            b.to_str().unwrap(),
            "--threads",
            second,
            "-q",
        ]));
        let first_rows = std::fs::read_to_string(a.join(file)).unwrap();
        assert_eq!(first_rows, all, "the run with --snapshot-at");
        let before: Vec<&str> = all
            .lines()
            .skip(1)
            .filter(|r| r.split(',').next().unwrap().parse::<f64>().unwrap() < 100.0 - 1e-9)
            .collect();
        let resumed = std::fs::read_to_string(b.join(file)).unwrap();
        let joined: Vec<&str> = before.into_iter().chain(resumed.lines().skip(1)).collect();
        assert_eq!(
            joined,
            all.lines().skip(1).collect::<Vec<_>>(),
            "saved on {first} threads, resumed on {second}"
        );
        assert!(resumed.lines().count() > 10);
    }
}

#[test]
fn zero_threads_is_a_clear_error() {
    let dir = scratch("zero");
    let out = hebb(&[
        "run",
        "scenes/poisson_lif_conductance.ron",
        "--out",
        dir.join("out").to_str().unwrap(),
        "--threads",
        "0",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--threads") && stderr.contains("at least 1"),
        "{stderr}"
    );
    assert!(!dir.join("out").exists(), "nothing is written");
}
