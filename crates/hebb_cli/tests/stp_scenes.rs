//! Every STP scene (`scenes/stp_*.ron`) runs through `hebb run` and writes its recordings:
//! `summary.json`, one `spikes_<population>.csv` per spike recorder and one `<recorder>.csv` per
//! state recorder, with every step of the run. The Norse default scene's CSV carries the
//! reference values (so the files hold what was simulated, at full f32 precision).
//!
//! Lives in `hebb_cli` (not the root package, which `hebb_cli` depends on) so that cargo builds
//! the binary before the test and hands over its path.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn hebb_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hebb"))
}

fn stp_scenes() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("stp_") && name.ends_with(".ron")
        })
        .collect();
    files.sort();
    files
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn hebb_run_writes_the_recordings_of_every_stp_scene() {
    let scenes = stp_scenes();
    let names: Vec<String> = scenes
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "stp_norse_10hz_default",
        "stp_norse_10hz_facilitating",
        "stp_norse_10hz_depressing",
        "stp_ngclearn_stf_2hz",
        "stp_ngclearn_stf_20hz",
        "stp_ngclearn_std_2hz",
        "stp_ngclearn_std_20hz",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "missing scene {expected}"
        );
    }
    let hebb = hebb_binary();
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hebb_stp_scenes");
    let _ = std::fs::remove_dir_all(&scratch);
    for (scene, name) in scenes.iter().zip(&names) {
        let out_dir = scratch.join(name);
        let out = Command::new(&hebb)
            .arg("run")
            .arg(scene)
            .arg("--out")
            .arg(&out_dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "hebb run {name}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap())
                .unwrap();
        let steps = summary["steps"].as_u64().unwrap() as usize;
        let stp = lines(&out_dir.join("stp.csv"));
        assert_eq!(stp.len(), 1 + steps, "{name}: one row per step");
        if name.starts_with("stp_norse") {
            assert_eq!(steps, 1000);
            assert_eq!(stp[0], "t_ms,u[0],x[0],released[0],g[0]", "{name}");
            assert_eq!(
                lines(&out_dir.join("spikes_pre.csv")).len(),
                1 + 9,
                "{name}"
            );
        } else {
            assert_eq!(steps, 5000);
            assert_eq!(stp[0], "t_ms,u[0],x[0],Wdyn[0]", "{name}");
            let v = lines(&out_dir.join("v.csv"));
            assert_eq!((v[0].as_str(), v.len()), ("t_ms,v[0]", 1 + steps), "{name}");
            let inputs = lines(&out_dir.join("spikes_input.csv")).len() - 1;
            let outputs = lines(&out_dir.join("spikes_lif.csv")).len() - 1;
            assert!(
                inputs > 0 && outputs <= inputs,
                "{name}: {inputs} in, {outputs} out"
            );
        }
    }

    // The Norse default run's file holds the reference trace.
    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/stp/norse_default.json")).unwrap(),
    )
    .unwrap();
    let rows = lines(&scratch.join("stp_norse_10hz_default/stp.csv"));
    for (k, row) in rows[1..].iter().enumerate() {
        let values: Vec<f64> = row.split(',').map(|c| c.parse().unwrap()).collect();
        assert_eq!(values[0], k as f64, "t_ms");
        for (c, key) in ["u", "x", "stp_out", "current"].iter().enumerate() {
            let want = fixture[key][k].as_f64().unwrap();
            let got = values[c + 1];
            assert!(
                (got - want).abs() <= 1e-5 * want.abs().max(1e-7),
                "step {k} {key}: csv {got}, Norse {want}"
            );
        }
    }
    std::fs::remove_dir_all(&scratch).unwrap();
}
