//! Input and stimulus models in a running simulation: Poisson statistics (rate, per-neuron
//! counts, inter-spike intervals, determinism, O(spikes) cost), SpikeSource and Exact
//! schedules, imposed spikes, StepCurrent errors.

use hebb_core::population::SpikeCount;
use hebb_core::prelude::*;
use hebb_neurons::prelude::*;

fn sim(dt: f64, seed: u64) -> Simulation {
    let mut sim = Simulation::new(dt, seed).unwrap();
    sim.add_plugins((hebb_neurons::NeuronsPlugin, hebb_synapses::SynapsesPlugin));
    sim
}

fn population(sim: &mut Simulation, name: &str, size: usize, model: impl ModelParams) -> Entity {
    sim.add_population(PopulationSpec {
        name: name.into(),
        size,
        model: Box::new(model),
    })
    .unwrap()
}

/// (step, neuron) of every spike of `population` over `steps` steps.
fn raster(sim: &mut Simulation, population: &str, steps: u64) -> Vec<(u64, u32)> {
    sim.add_recorder(&RecorderSpec::spikes(population)).unwrap();
    sim.run_steps(steps);
    let rec = sim.recorders().spikes_of(population).unwrap();
    rec.steps
        .iter()
        .copied()
        .zip(rec.neurons.iter().copied())
        .collect()
}

fn poisson(rate_hz: f64) -> Poisson {
    Poisson {
        rate_hz,
        rates_hz: None,
        timed: None,
    }
}

#[test]
fn poisson_rate_is_within_five_sigma_and_counts_are_binomial() {
    // Brian2's Song 2000 input: 1000 neurons at 15 Hz, dt 0.1 ms; 2 s.
    let (n, steps, p) = (1000usize, 20_000u64, 15.0 * 0.1 / 1000.0);
    let mut s = sim(0.1, 42);
    population(&mut s, "in", n, poisson(15.0));
    let spikes = raster(&mut s, "in", steps);
    let trials = n as f64 * steps as f64;
    let (mean, sd) = (trials * p, (trials * p * (1.0 - p)).sqrt());
    let total = spikes.len() as f64;
    assert!(
        (total - mean).abs() < 5.0 * sd,
        "{total} spikes, expected {mean} ± {sd}"
    );
    // Per-neuron counts ~ Binomial(steps, p): their sample variance matches steps·p·(1 − p)
    // (relative standard error of a sample variance ≈ sqrt(2/(n − 1)) = 4.5 %).
    let mut counts = vec![0f64; n];
    for &(_, i) in &spikes {
        counts[i as usize] += 1.0;
    }
    let m = counts.iter().sum::<f64>() / n as f64;
    let var = counts.iter().map(|c| (c - m).powi(2)).sum::<f64>() / (n - 1) as f64;
    let want = steps as f64 * p * (1.0 - p);
    assert!(
        (var / want - 1.0).abs() < 5.0 * (2.0 / (n - 1) as f64).sqrt(),
        "{var} vs {want}"
    );
    // Spikes of one step are ascending and unique.
    for w in spikes.windows(2) {
        assert!(w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1));
    }
}

#[test]
fn poisson_intervals_are_geometric_as_for_independent_bernoulli_steps() {
    // p = 0.2 per step: the interval between two spikes of a neuron, in steps, is m with
    // probability (1 − p)^(m − 1)·p; within a step, the number of spiking neurons is
    // Binomial(n, p).
    let (n, steps, p) = (200usize, 5_000u64, 0.2f64);
    let mut s = sim(1.0, 9);
    population(&mut s, "in", n, poisson(200.0));
    let spikes = raster(&mut s, "in", steps);
    let mut last = vec![None::<u64>; n];
    let mut hist = [0f64; 16];
    let mut intervals = 0f64;
    let mut per_step = vec![0f64; steps as usize];
    for &(k, i) in &spikes {
        per_step[k as usize] += 1.0;
        if let Some(prev) = last[i as usize] {
            let m = (k - prev) as usize;
            hist[m.min(15)] += 1.0;
            intervals += 1.0;
        }
        last[i as usize] = Some(k);
    }
    for (m, &count) in hist.iter().enumerate().take(15).skip(1) {
        let q = (1.0 - p).powi(m as i32 - 1) * p;
        let (mean, sd) = (intervals * q, (intervals * q * (1.0 - q)).sqrt());
        assert!(
            (count - mean).abs() < 5.0 * sd,
            "interval {m}: {count} vs {mean} ± {sd}"
        );
    }
    assert_eq!(hist[0], 0.0);
    let mean = per_step.iter().sum::<f64>() / steps as f64;
    let var = per_step.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (steps - 1) as f64;
    let want = n as f64 * p * (1.0 - p);
    assert!((mean - n as f64 * p).abs() < 5.0 * (want / steps as f64).sqrt());
    assert!(
        (var / want - 1.0).abs() < 5.0 * (2.0 / steps as f64).sqrt(),
        "{var} vs {want}"
    );
}

#[test]
fn poisson_is_reproducible_per_seed() {
    let run = |seed: u64| {
        let mut s = sim(0.1, seed);
        population(&mut s, "in", 300, poisson(40.0));
        raster(&mut s, "in", 2_000)
    };
    let a = run(5);
    assert!(a.len() > 1000);
    assert_eq!(a, run(5));
    assert_ne!(a, run(6));
}

#[test]
fn poisson_costs_one_random_draw_per_spike() {
    // Song 2000 input (1000 × 15 Hz at dt 0.1 ms) for 10 simulated seconds: every geometric
    // gap is one Philox block; one draw per spike plus every neuron's first gap.
    let mut s = sim(0.1, 3);
    let e = population(&mut s, "in", 1000, poisson(15.0));
    let start = std::time::Instant::now();
    s.run_steps(100_000);
    let elapsed = start.elapsed();
    let spikes = s.world.get::<SpikeCount>(e).unwrap().0;
    let draws = s
        .world
        .get::<hebb_neurons::PoissonState>(e)
        .unwrap()
        .0
        .draws();
    assert!((140_000..160_000).contains(&spikes), "{spikes}");
    assert_eq!(draws, spikes + 1000);
    eprintln!(
        "1000 Poisson inputs at 15 Hz, 1e5 steps of 0.1 ms: {spikes} spikes, {elapsed:?} \
         (schedule overhead included)"
    );
}

#[test]
fn per_neuron_rates() {
    let rates = vec![0.0, 5.0, 50.0, 500.0, 1000.0];
    let steps = 40_000u64;
    let mut s = sim(1.0, 1);
    population(
        &mut s,
        "in",
        rates.len(),
        Poisson {
            rate_hz: 0.0,
            rates_hz: Some(rates.clone()),
            timed: None,
        },
    );
    let spikes = raster(&mut s, "in", steps);
    for (i, &r) in rates.iter().enumerate() {
        let p: f64 = r / 1000.0;
        let count = spikes.iter().filter(|&&(_, j)| j as usize == i).count() as f64;
        let (mean, sd) = (steps as f64 * p, (steps as f64 * p * (1.0 - p)).sqrt());
        assert!(
            (count - mean).abs() <= 5.0 * sd,
            "neuron {i}: {count} vs {mean} ± {sd}"
        );
    }
    // Rate 1000 Hz at dt 1 ms: p = 1, a spike every step.
    assert_eq!(
        spikes.iter().filter(|&&(_, j)| j == 4).count() as u64,
        steps
    );
}

#[test]
fn poisson_errors() {
    let mut s = sim(0.1, 1);
    let e = s
        .add_population(PopulationSpec {
            name: "fast".into(),
            size: 2,
            model: Box::new(poisson(20_000.0)),
        })
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("rate_hz") && e.contains("20000") && e.contains("10000 Hz"),
        "{e}"
    );
    let e = s
        .add_population(PopulationSpec {
            name: "short".into(),
            size: 3,
            model: Box::new(Poisson {
                rate_hz: 1.0,
                rates_hz: Some(vec![1.0, 2.0]),
                timed: None,
            }),
        })
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("rates_hz must have one rate per neuron (3), got 2"),
        "{e}"
    );
    let e = s
        .add_population(PopulationSpec {
            name: "neg".into(),
            size: 3,
            model: Box::new(Poisson {
                rate_hz: 1.0,
                rates_hz: Some(vec![1.0, -2.0, 0.0]),
                timed: None,
            }),
        })
        .unwrap_err()
        .to_string();
    assert!(e.ends_with("rates_hz[1] must be >= 0, got -2"), "{e}");
    assert!(serde_json::from_str::<Poisson>(r#"{"rate": 3}"#).is_err());
}

#[test]
fn spike_source_emits_exactly_its_times() {
    let mut s = sim(0.1, 1);
    population(
        &mut s,
        "src",
        4,
        SpikeSource {
            times_ms: vec![vec![0.5, 0.0], vec![], vec![0.3]],
        },
    );
    assert_eq!(raster(&mut s, "src", 10), vec![(0, 0), (3, 2), (5, 0)]);
}

#[test]
fn spike_source_errors_name_neuron_and_time() {
    let err = |times_ms: Vec<Vec<f64>>| {
        sim(0.1, 1)
            .add_population(PopulationSpec {
                name: "src".into(),
                size: 2,
                model: Box::new(SpikeSource { times_ms }),
            })
            .unwrap_err()
            .to_string()
    };
    let e = err(vec![vec![1.0], vec![0.2, 0.25]]);
    assert!(
        e.contains("times_ms[1] (neuron 1): spike time 0.25 ms is not a time step"),
        "{e}"
    );
    let e = err(vec![vec![1.0, 2.0, 1.0]]);
    assert!(
        e.contains("times_ms[0] (neuron 0): spike time 1 ms repeats spike time 1 ms"),
        "{e}"
    );
    let e = err(vec![vec![], vec![], vec![1.0]]);
    assert!(
        e.contains("3 neuron lists") && e.contains("2 neurons"),
        "{e}"
    );
    let e = err(vec![vec![-1.0]]);
    assert!(e.contains("times_ms[0] must be >= 0, got -1"), "{e}");
}

#[test]
fn exact_merges_schedule_and_imposed_spikes() {
    let mut s = sim(0.5, 1);
    population(
        &mut s,
        "post",
        3,
        Exact {
            steps: vec![vec![1], vec![], vec![4]],
            times_ms: vec![vec![], vec![1.0]],
        },
    );
    s.add_recorder(&RecorderSpec::spikes("post")).unwrap();
    s.step(); // step 0: nothing
    s.impose_spikes("post", &[2, 0]).unwrap();
    s.step(); // step 1: scheduled 0, imposed 0 and 2
    s.step(); // step 2: scheduled 1 (1.0 ms); the imposed list was consumed
    s.impose_spikes("post", &[1]).unwrap();
    s.run_steps(3); // step 3: imposed 1; step 4: scheduled 2
    let rec = s.recorders().spikes_of("post").unwrap();
    let got: Vec<(u64, u32)> = rec.steps.iter().copied().zip(rec.neurons.clone()).collect();
    assert_eq!(got, vec![(1, 0), (1, 2), (2, 1), (3, 1), (4, 2)]);
    let e = s.impose_spikes("post", &[3]).unwrap_err().to_string();
    assert!(e.contains("neuron 3 is out of range"), "{e}");
    let e = sim(0.5, 1)
        .add_population(PopulationSpec {
            name: "x".into(),
            size: 2,
            model: Box::new(Exact {
                steps: vec![vec![2]],
                times_ms: vec![vec![1.0]],
            }),
        })
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("times_ms[0] (neuron 0): spike time 1 ms repeats spike step 2"),
        "{e}"
    );
}

#[test]
fn step_current_errors() {
    let mut s = sim(0.1, 1);
    population(&mut s, "lif", 3, Lif::default());
    population(&mut s, "in", 3, poisson(1.0));
    let stim = |durations_ms: Vec<f64>, neurons: Option<Vec<u32>>| StepCurrent {
        values: vec![1.0; durations_ms.len()],
        durations_ms,
        neurons,
    };
    let e = s
        .add_stimulus("lif", &stim(vec![1.0, 0.25], None))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "durations_ms[1] must be >= 0 and a whole number of time steps (dt = 0.1 ms), got 0.25"
        ),
        "{e}"
    );
    let e = s
        .add_stimulus("lif", &stim(vec![1.0], Some(vec![0, 3])))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("neurons[1] must be < the population size 3, got 3"),
        "{e}"
    );
    let e = s
        .add_stimulus("lif", &stim(vec![1.0], Some(vec![1, 1])))
        .unwrap_err()
        .to_string();
    assert!(e.contains("neurons[1] repeats neuron 1"), "{e}");
    let e = s
        .add_stimulus("in", &stim(vec![1.0], None))
        .unwrap_err()
        .to_string();
    assert!(e.contains("input model `Poisson`"), "{e}");
    assert!(
        s.add_stimulus("lif", &stim(vec![1.0], Some(vec![2])))
            .is_ok()
    );
}
