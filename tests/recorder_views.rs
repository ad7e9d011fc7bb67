//! Population views (`exc[0:100]`) in recorders, spike recorders for a subset and a time window,
//! and population-rate recorders: each recording equals what the full spike recording says, and
//! bad views, windows and bins are scene errors naming the file, line and field.

use hebb::DefaultPlugins;
use hebb::scene::{Scene, registry_of};

const SCENE: &str = r#"(
    version: 1,
    dt_ms: 0.5,
    duration_ms: 101.5,
    seed: 3,
    populations: [
        (name: "p", size: 50, model: Poisson(rate_hz: 200.0)),
        (name: "n", size: 6, model: LifRef),
    ],
    projections: [(name: "pn", from: "p", to: "n", connectivity: AllToAll,
        weights: Constant(2.0), synapse: Delta)],
    recorders: [
        Spikes(population: "p"),
        Spikes(name: "p_sub", population: "p[10:20, 40]", from_ms: 20.0, to_ms: 60.0),
        Spikes(name: "p_late", population: "p", from_ms: 90.0),
        PopulationRate(name: "rate", population: "p", bin_ms: 5.0),
        PopulationRate(name: "rate_sub", population: "p[0:10]", bin_ms: 2.0),
        State(name: "v_view", target: "n[4:6, 1]", variables: ["v"]),
    ],
)"#;

fn load(text: &str) -> Result<Scene, String> {
    Scene::parse(text, "views.ron", &registry_of(DefaultPlugins)).map_err(|e| e.to_string())
}

#[test]
fn subsets_windows_and_rates_agree_with_the_full_recording() {
    let scene = load(SCENE).unwrap();
    let mut sim = scene.build(DefaultPlugins).unwrap();
    sim.run_steps(scene.steps().unwrap());
    let rec = sim.recorders();
    let all = rec.spikes_of("p").unwrap();
    let spikes: Vec<(u64, u32)> = all
        .steps
        .iter()
        .copied()
        .zip(all.neurons.iter().copied())
        .collect();
    assert!(spikes.len() > 500, "{}", spikes.len());

    // The subset in its window: steps 40..120 (20 ms <= t < 60 ms at dt = 0.5 ms).
    let sub = rec.spikes_of("p_sub").unwrap();
    assert_eq!(sub.population, "p");
    let want: Vec<(u64, u32)> = spikes
        .iter()
        .copied()
        .filter(|&(s, n)| (40..120).contains(&s) && ((10..20).contains(&n) || n == 40))
        .collect();
    let got: Vec<(u64, u32)> = sub
        .steps
        .iter()
        .copied()
        .zip(sub.neurons.iter().copied())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    let late = rec.spikes_of("p_late").unwrap();
    assert!(late.steps.iter().all(|&s| s >= 180));
    assert_eq!(
        late.steps.len(),
        spikes.iter().filter(|&&(s, _)| s >= 180).count()
    );

    // Rates: complete bins only (101.5 ms = 20 bins of 5 ms and a partial one), at the bin
    // start, in Hz per neuron.
    let rate = rec.state("rate").unwrap();
    assert_eq!(rate.columns, ["rate_hz"]);
    assert_eq!(rate.times_ms.len(), 20);
    for (b, (&t, &r)) in rate.times_ms.iter().zip(&rate.values).enumerate() {
        assert_eq!(t, b as f64 * 5.0);
        let count = spikes.iter().filter(|&&(s, _)| s / 10 == b as u64).count();
        let want = count as f64 / (50.0 * 0.005);
        assert!(
            (f64::from(r) - want).abs() <= 1e-4 * want.max(1.0),
            "bin {b}: {r} vs {want}"
        );
    }
    let rate_sub = rec.state("rate_sub").unwrap();
    assert_eq!(rate_sub.times_ms.len(), 50);
    let total: f64 = rate_sub
        .values
        .iter()
        .map(|&r| f64::from(r) * 10.0 * 0.002)
        .sum();
    let want = spikes.iter().filter(|&&(s, n)| s < 200 && n < 10).count();
    assert!((total - want as f64).abs() < 1e-3, "{total} vs {want}");

    // A State recorder of a view records the view's neurons in its order.
    assert_eq!(
        rec.state("v_view").unwrap().columns,
        ["v[4]", "v[5]", "v[1]"]
    );
}

#[test]
fn bad_views_windows_and_bins_name_the_line_and_field() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"population: "p[10:20, 40]""#,
            r#"population: "p[10:60]""#,
            "views.ron:14:31: recorders[1]: population: `p[10:60]`: 10:60 is out of range for `p` of size 50 (neurons 0 to 49)",
        ),
        (
            r#"population: "p[10:20, 40]""#,
            r#"population: "q[1]""#,
            "views.ron:14:31: recorders[1]: unknown population `q`; known: p, n",
        ),
        (
            r#"population: "p[10:20, 40]""#,
            r#"population: "p[10:20, 15]""#,
            "views.ron:14:31: recorders[1]: population: `p[10:20, 15]`: neuron 15 is selected twice",
        ),
        (
            "from_ms: 20.0, to_ms: 60.0",
            "from_ms: 20.0, to_ms: 60.2",
            "views.ron:14:74: recorders[1]: to_ms must be >= 0 and a whole number of time steps (dt = 0.5 ms), got 60.2",
        ),
        (
            "from_ms: 20.0, to_ms: 60.0",
            "from_ms: 20.0, to_ms: 20.0",
            "views.ron:14:74: recorders[1]: to_ms must be > from_ms (the window is from_ms <= t < to_ms), got 20 <= 20",
        ),
        (
            "bin_ms: 5.0",
            "bin_ms: 0.0",
            "views.ron:16:55: recorders[3]: bin_ms must be a whole number (>= 1) of time steps (dt = 0.5 ms), got 0",
        ),
        (
            r#"variables: ["v"])"#,
            r#"variables: ["v"], indices: [0])"#,
            "recorders[5]: the target `n[4:6, 1]` selects neurons and so does `indices`; give the neurons once",
        ),
        (
            r#"target: "n[4:6, 1]""#,
            r#"target: "pn[0:2]""#,
            "recorders[5]: unknown population `pn`",
        ),
        (r#"name: "p_late", "#, r#"name: "p_sub", "#, ""),
    ];
    for (from, to, expected) in cases {
        assert!(SCENE.contains(from), "{from}");
        let text = SCENE.replace(from, to);
        let error = match load(&text) {
            Err(e) => e,
            Ok(scene) => match scene.build(DefaultPlugins) {
                Err(e) => e.to_string(),
                Ok(_) => panic!("{to}: accepted"),
            },
        };
        assert!(
            error.contains(expected),
            "{to}:\n{error}\nexpected:\n{expected}"
        );
        if expected.is_empty() {
            assert!(
                error.contains("two spike recorders are named `p_sub`")
                    && error.contains("recorders[2]"),
                "{error}"
            );
        }
    }
}

#[test]
fn views_round_trip_through_the_saved_scene() {
    let scene = load(SCENE).unwrap();
    let text = scene.to_ron().unwrap();
    assert!(text.contains("\"p[10:20, 40]\""), "{text}");
    assert!(text.contains("PopulationRate("), "{text}");
    let again = load(&text).unwrap();
    assert_eq!(again.recorders.len(), scene.recorders.len());
    for (a, b) in again.recorders.iter().zip(&scene.recorders) {
        assert_eq!(a.value, b.value);
    }
}
