//! Synthetic `hebb run` output directories for the plot tests. The traces follow the reference
//! models' equations (docs/upstream-models.md) so the figures look like real runs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A fresh, empty directory under the cargo test temp dir.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("hebb_plot")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Write a CSV file: a header and rows of numbers.
pub fn write_csv(dir: &Path, name: &str, header: &[&str], rows: &[Vec<f64>]) {
    let mut s = header
        .iter()
        .map(|h| {
            if h.contains(',') {
                format!("\"{h}\"")
            } else {
                (*h).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    for r in rows {
        let line = r
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(",");
        s.push_str(&line);
        s.push('\n');
    }
    std::fs::write(dir.join(name), s).unwrap();
}

/// Write `spikes_<population>.csv` from (step, neuron) pairs.
pub fn write_spikes(dir: &Path, population: &str, dt_ms: f64, spikes: &[(u64, u32)]) {
    let mut s = String::from("t_ms,neuron\n");
    for &(k, n) in spikes {
        let _ = writeln!(s, "{},{n}", k as f64 * dt_ms);
    }
    std::fs::write(dir.join(format!("spikes_{population}.csv")), s).unwrap();
}

/// Write `summary.json`.
pub fn write_summary(dir: &Path, json: &str) {
    std::fs::write(dir.join("summary.json"), json).unwrap();
}

/// A small deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// ngc-learn STP → LIF with a regular 20 Hz train (T = 2000 steps of 1 ms), STF parameters:
/// `stp.csv` (u, x, Wdyn), `v_post.csv` (v), spikes of `input` and `post`.
pub fn ngclearn_dir(name: &str) -> PathBuf {
    let dir = fresh_dir(name);
    let (r, tau_f, tau_d, w) = (0.15, 750.0, 50.0, 2.5);
    let (tau_m, resist, v_rest, v_reset, thr) = (20.0, 240.0, -60.0, -70.0, -50.0);
    let (mut u, mut x, mut wdyn, mut v) = (0.0f64, 1.0f64, 0.0f64, v_rest);
    let mut stp = Vec::new();
    let mut volt = Vec::new();
    let mut pre = Vec::new();
    let mut post = Vec::new();
    for k in 0..2000u64 {
        let s = if k % 50 == 10 { 1.0 } else { 0.0 };
        if s > 0.0 {
            pre.push((k, 0));
        }
        let u_new = u - u / tau_f + r * (1.0 - u) * s;
        wdyn = w * u_new * x * s + wdyn * (1.0 - s);
        x = x + (1.0 - x) / tau_d - u_new * x * s;
        u = u_new;
        let j = wdyn * s * resist;
        v += 1.0 / tau_m * ((v_rest - v) + j);
        if v > thr {
            v = v_reset;
            post.push((k, 0));
        }
        stp.push(vec![k as f64, u, x, wdyn]);
        volt.push(vec![k as f64, v]);
    }
    write_csv(&dir, "stp.csv", &["t_ms", "u[0]", "x[0]", "Wdyn[0]"], &stp);
    write_csv(&dir, "v_post.csv", &["t_ms", "v[0]"], &volt);
    write_spikes(&dir, "input", 1.0, &pre);
    write_spikes(&dir, "post", 1.0, &post);
    write_summary(
        &dir,
        r#"{"scene": "scenes/stp_ngclearn_stf_20hz.ron", "seed": 1, "dt_ms": 1.0, "steps": 2000,
            "figure": "stp_ngclearn",
            "populations": {"input": {"size": 1, "spikes": 40}, "post": {"size": 1}}}"#,
    );
    dir
}

/// Norse Tsodyks–Markram example (facilitating set), 1000 steps of 1 ms: `stp.csv` (u, x,
/// released), `current.csv` (current), spikes of `input`.
pub fn norse_dir(name: &str) -> PathBuf {
    let dir = fresh_dir(name);
    let dt = 0.001;
    let (tau_f_inv, tau_s_inv, tau_d_inv, big_u) = (1.0 / 0.75, 1.0 / 0.02, 1.0 / 0.05, 0.15);
    let (mut u, mut x, mut i) = (0.0f64, 1.0f64, 0.0f64);
    let mut stp = Vec::new();
    let mut cur = Vec::new();
    let mut spikes = Vec::new();
    for k in 0..1000u64 {
        let z = if k % 100 == 0 && k >= 10 { 1.0 } else { 0.0 };
        if z > 0.0 {
            spikes.push((k, 0));
        }
        let u_new = u + dt * (-tau_f_inv * u) + big_u * (1.0 - u) * z;
        let x_new = x + dt * tau_d_inv * (1.0 - x) - u_new * x * z;
        let out = u_new * x * z;
        u = u_new;
        x = x_new;
        i = i + dt * (-tau_s_inv * i) + out;
        stp.push(vec![k as f64, u, x, out]);
        cur.push(vec![k as f64, i]);
    }
    write_csv(
        &dir,
        "stp.csv",
        &["t_ms", "u[0]", "x[0]", "released[0]"],
        &stp,
    );
    write_csv(&dir, "current.csv", &["t_ms", "current[0]"], &cur);
    write_spikes(&dir, "input", 1.0, &spikes);
    write_summary(
        &dir,
        r#"{"scene": "stp_norse_10hz_facilitating", "dt_ms": 1.0, "steps": 1000, "figure": "stp_norse",
            "populations": [{"name": "input", "size": 1}]}"#,
    );
    dir
}

/// Inferno's Florian example (cumulative traces, lr_post = 0.2, lr_pre = −0.2, τ = 20, τ_z = 25,
/// w0 = 0.2, reward +1 up to step 100 then −1), 200 steps of 1 ms. Index 0 is the initial state.
pub fn florian_dir(name: &str) -> PathBuf {
    let dir = fresh_dir(name);
    let (lr_post, lr_pre, tau, tau_z) = (0.2, -0.2, 20.0, 25.0);
    let a = (-1.0f64 / tau).exp();
    let az = (-1.0f64 / tau_z).exp();
    let pre_times = [10u64, 85, 115, 135];
    let post_times = [15u64, 75, 110, 140];
    let (mut xp, mut xq, mut zp, mut zq) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let (mut w1, mut w2, mut w3) = (0.2f64, 0.2f64, 0.2f64);
    let mut rows_w = [
        vec![vec![0.0, w1]],
        vec![vec![0.0, w2]],
        vec![vec![0.0, w3]],
    ];
    let mut traces = vec![vec![0.0, 0.0, 0.0]];
    let mut elig = vec![vec![0.0, 0.0, 0.0]];
    let mut reward = vec![vec![0.0, 0.0]];
    for s in 1..=200u64 {
        let pre = if pre_times.contains(&s) { 1.0 } else { 0.0 };
        let post = if post_times.contains(&s) { 1.0 } else { 0.0 };
        let r = if s <= 100 { 1.0 } else { -1.0 };
        xp = a * xp + lr_post * pre;
        xq = a * xq - lr_pre * post;
        let dpost = post * xp;
        let dpre = pre * xq;
        w1 += dpost - dpre;
        w2 += r * (dpost - dpre);
        zp = az * zp + dpost / tau_z;
        zq = az * zq + dpre / tau_z;
        w3 += r * (zp - zq);
        let t = s as f64;
        rows_w[0].push(vec![t, w1]);
        rows_w[1].push(vec![t, w2]);
        rows_w[2].push(vec![t, w3]);
        traces.push(vec![t, xp, xq]);
        elig.push(vec![t, zp, zq]);
        reward.push(vec![t, r]);
    }
    let pre: Vec<(u64, u32)> = pre_times.iter().map(|&k| (k, 0)).collect();
    let post: Vec<(u64, u32)> = post_times.iter().map(|&k| (k, 0)).collect();
    write_spikes(&dir, "pre", 1.0, &pre);
    write_spikes(&dir, "post", 1.0, &post);
    for (name, rows) in ["w_stdp", "w_mstdp", "w_mstdpet"].iter().zip(&rows_w) {
        write_csv(&dir, &format!("{name}.csv"), &["t_ms", "w[0,0]"], rows);
    }
    write_csv(
        &dir,
        "traces_mstdp.csv",
        &["t_ms", "trace_pre[0]", "trace_post[0]"],
        &traces,
    );
    write_csv(
        &dir,
        "elig_mstdpet.csv",
        &["t_ms", "elig_post[0]", "elig_pre[0]"],
        &elig,
    );
    write_csv(&dir, "reward.csv", &["t_ms", "reward[0]"], &reward);
    write_summary(
        &dir,
        r#"{"scene": "scenes/florian_stdp_mstdp_mstdpet.ron", "hebb_version": "0.1.0", "seed": 0,
            "dt_ms": 1.0, "steps": 201, "duration_ms": 201.0, "figure": "florian",
            "populations": [
                {"name": "pre", "model": "SpikeSource", "size": 1, "spikes": 4, "rate_hz": 19.9},
                {"name": "post", "model": "Exact", "size": 1, "spikes": 4, "rate_hz": 19.9}],
            "projections": [
                {"name": "stdp", "from": "pre", "to": "post", "synapses": 1},
                {"name": "mstdp", "from": "pre", "to": "post", "synapses": 1},
                {"name": "mstdpet", "from": "pre", "to": "post", "synapses": 1}]}"#,
    );
    dir
}

/// Song et al. (2000)-like output: 1000 inputs at 15 Hz for `seconds` s (dt 0.1 ms), one output
/// neuron whose rate decays from 40 to 12 Hz, weights recorded every second drifting towards
/// a bimodal distribution (w_max = 0.01).
pub fn song_dir(name: &str, seconds: u64) -> PathBuf {
    let dir = fresh_dir(name);
    let n = 1000usize;
    let dt = 0.1;
    let steps = seconds * 10_000;
    let mut rng = Rng::new(7);
    let mut input = Vec::new();
    let p: f64 = 15.0 * dt / 1000.0;
    // Sample spikes per step in blocks: draw the next spike time of each neuron geometrically.
    for neuron in 0..n as u32 {
        let mut k = 0u64;
        loop {
            let gap = ((1.0 - rng.uniform()).ln() / (1.0 - p).ln()).floor() as u64 + 1;
            k += gap;
            if k >= steps {
                break;
            }
            input.push((k, neuron));
        }
    }
    input.sort_unstable();
    write_spikes(&dir, "input", dt, &input);
    let mut output = Vec::new();
    let mut k = 0u64;
    loop {
        let t_s = k as f64 * dt / 1000.0;
        let rate = 12.0 + 28.0 * (-t_s / (seconds as f64 / 4.0)).exp();
        let gap = (-(1.0 - rng.uniform()).ln() / rate * 10_000.0) as u64 + 1;
        k += gap;
        if k >= steps {
            break;
        }
        output.push((k, 0));
    }
    write_spikes(&dir, "output", dt, &output);
    let w_max = 0.01;
    let mut w: Vec<f64> = (0..n).map(|_| rng.uniform() * w_max).collect();
    let target: Vec<f64> = (0..n)
        .map(|i| {
            if rng.uniform() < 0.3 + 0.4 * (i as f64 / n as f64) {
                w_max
            } else {
                0.0
            }
        })
        .collect();
    let mut header = vec!["t_ms".to_owned()];
    header.extend((0..n).map(|i| format!("w[{i},0]")));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut rows = Vec::new();
    for s in 0..=seconds {
        let mut row = vec![s as f64 * 1000.0];
        row.extend(w.iter().copied());
        rows.push(row);
        for (wi, ti) in w.iter_mut().zip(&target) {
            *wi += (ti - *wi) * 0.15 + (rng.uniform() - 0.5) * 0.0005;
            *wi = wi.clamp(0.0, w_max);
        }
    }
    write_csv(&dir, "w_input.csv", &header, &rows);
    write_summary(
        &dir,
        &format!(
            r#"{{"scene": "song2000_stdp", "dt_ms": 0.1, "steps": {steps}, "figure": "song2000",
                "w_max": 0.01,
                "populations": {{"input": {{"size": 1000}}, "output": {{"size": 1}}}}}}"#
        ),
    );
    dir
}

/// A copy of the recorded `hebb run` output `tests/fixtures/<name>` in a fresh directory (the
/// plots must not be written into the source tree).
pub fn fixture_dir(name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let dir = fresh_dir(&format!("fixture_{name}"));
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    dir
}
