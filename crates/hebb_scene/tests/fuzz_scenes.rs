//! Property test ("fuzzing") of the scene loader: no input makes it panic.
//!
//! Two generators feed `Scene::parse` (which validates), then `Scene::build` with every
//! built-in model and a few steps when the scene builds:
//!
//! - **mutations** of every bundled scene under `scenes/` and `tests/malformed/`: random
//!   character insertions, deletions, replacements, duplicated slices and truncations;
//! - **generated scenes**: structurally valid RON with random values (negative, zero, NaN,
//!   infinite and huge numbers, random names, registered and unknown model names, the models'
//!   own parameter names with values of random types, random connectivity, weights, delays and
//!   recorders).
//!
//! Each input runs under `catch_unwind`; a panic fails the property and proptest shrinks the
//! input. Errors are fine: bad input must give an error, never a panic.
//!
//! The committed case count keeps the test to a few seconds. For a long session:
//! `PROPTEST_CASES=100000 cargo test --release -p hebb_scene --test fuzz_scenes`.
//!
//! Long sessions run so far (2026-11-23, 2 shared cores): 3,000,000 mutated scenes (7 min) and
//! 1,000,000 generated scenes (5.5 min), plus a 15-minute run of each stopped by its timeout:
//! no panic. One abort found: a huge delay (below).
//!
//! Networks whose synapse count could exceed [`MAX_SYNAPSES`] are parsed and validated but not
//! built: a scene may legitimately ask for more memory than the machine has (the allocator then
//! aborts the process, which is not a loader bug).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::OnceLock;

use hebb_core::plugin::Plugin;
use hebb_core::registry::{ModelKind, Registry};
use hebb_core::simulation::Simulation;
use hebb_scene::{Scene, registry_of};
use proptest::prelude::*;

/// Every built-in model (the `hebb` facade's `DefaultPlugins`, which this crate cannot use).
struct Models;

impl Plugin for Models {
    fn build(&self, sim: &mut Simulation) {
        sim.add_plugins((
            hebb_neurons::NeuronsPlugin,
            hebb_synapses::SynapsesPlugin,
            hebb_plasticity::PlasticityPlugin,
        ));
    }
}

/// Largest network that is built (sum over projections of n_pre · n_post, plus neurons).
const MAX_SYNAPSES: u128 = 2_000_000;
/// Longest delay (in steps) that is built. Found by this test: `delay_ms: 1e9` with
/// `dt_ms: 0.1` makes `Simulation::add_projection` allocate a 4·10⁹-slot delay line (96 GB), so
/// the process aborts instead of returning an error (reported; hebb_core is not ours to change).
const MAX_DELAY_STEPS: f64 = 1e6;
/// Steps run after a successful build.
const STEPS: u64 = 3;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| registry_of(Models))
}

fn corpus() -> &'static [String] {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        for dir in ["scenes", "tests/malformed"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "ron") {
                    files.push(path);
                }
            }
        }
        files.sort();
        let texts: Vec<String> = files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect();
        assert!(
            !texts.is_empty(),
            "no scenes found under {}",
            root.display()
        );
        texts
    })
}

/// Parse, validate, build (when small enough) and step `text`; `Err` with the panic message if
/// anything panics.
fn exercise(text: &str) -> Result<(), String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let Ok(scene) = Scene::parse(text, "fuzz.ron", registry()) else {
            return;
        };
        let _ = scene.validate();
        let _ = scene.to_ron();
        if network_size(&scene) > MAX_SYNAPSES {
            return;
        }
        if let Ok(mut sim) = scene.build(Models) {
            let steps = scene.steps().unwrap_or(0).min(STEPS);
            sim.run_steps(steps);
        }
    }));
    outcome.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "<non-string panic payload>".into())
    })
}

fn network_size(scene: &Scene) -> u128 {
    let size_of = |name: &str| {
        scene
            .populations
            .iter()
            .find(|p| p.name == name)
            .map_or(0, |p| p.size as u128)
    };
    // A delay line holds one slot per step of delay: a huge delay is a huge allocation (see
    // `MAX_DELAY_STEPS`).
    let delay_steps = |p: &hebb_scene::ProjectionDef| (p.delay_ms / scene.dt_ms).abs();
    if scene
        .projections
        .iter()
        .any(|p| delay_steps(p).is_nan() || delay_steps(p) > MAX_DELAY_STEPS)
    {
        return u128::MAX;
    }
    let neurons: u128 = scene.populations.iter().map(|p| p.size as u128).sum();
    let synapses: u128 = scene
        .projections
        .iter()
        .map(|p| size_of(&p.from).saturating_mul(size_of(&p.to)))
        .sum();
    neurons.saturating_add(synapses)
}

// ----- mutations of bundled scenes ---------------------------------------------------------------

#[derive(Debug, Clone)]
enum Mutation {
    Insert(f64, char),
    Delete(f64, usize),
    Replace(f64, char),
    Duplicate(f64, usize),
    Truncate(f64),
}

/// Characters that matter to RON plus a few arbitrary ones.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(vec![
            '(', ')', '[', ']', '{', '}', ',', ':', '"', '\'', '/', '*', '-', '+', '.', 'e', 'E',
            '0', '1', '9', '_', ' ', '\n', '#', '\\', 'r', 'N', 'a', 'i', 'n', 'f',
        ]),
        1 => any::<char>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), interesting_char()).prop_map(|(p, c)| Mutation::Insert(p, c)),
        (at.clone(), 1..20usize).prop_map(|(p, n)| Mutation::Delete(p, n)),
        (at.clone(), interesting_char()).prop_map(|(p, c)| Mutation::Replace(p, c)),
        (at.clone(), 1..40usize).prop_map(|(p, n)| Mutation::Duplicate(p, n)),
        at.prop_map(Mutation::Truncate),
    ]
}

/// The char boundary nearest below `fraction` of `text`.
fn boundary(text: &str, fraction: f64) -> usize {
    let mut i = ((text.len() as f64) * fraction) as usize;
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn end_after(text: &str, start: usize, chars: usize) -> usize {
    text[start..]
        .char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| start + i)
}

fn apply(text: &str, mutations: &[Mutation]) -> String {
    let mut s = text.to_owned();
    for m in mutations {
        match *m {
            Mutation::Insert(p, c) => {
                let i = boundary(&s, p);
                s.insert(i, c);
            }
            Mutation::Delete(p, n) => {
                let i = boundary(&s, p);
                let j = end_after(&s, i, n);
                s.replace_range(i..j, "");
            }
            Mutation::Replace(p, c) => {
                let i = boundary(&s, p);
                let j = end_after(&s, i, 1);
                s.replace_range(i..j, &c.to_string());
            }
            Mutation::Duplicate(p, n) => {
                let i = boundary(&s, p);
                let j = end_after(&s, i, n);
                let slice = s[i..j].to_owned();
                s.insert_str(j, &slice);
            }
            Mutation::Truncate(p) => {
                let i = boundary(&s, p);
                s.truncate(i);
            }
        }
    }
    s
}

// ----- generated scenes --------------------------------------------------------------------------

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(vec!["1.0", "0.1", "20.0", "5.0", "0.5", "2.0", "10.0"])
            .prop_map(str::to_owned),
        2 => prop::sample::select(vec![
            "0.0", "-0.0", "1.0", "-1.0", "0.1", "NaN", "inf", "-inf", "1e308", "-1e308", "1e-320",
            "0", "-3", "20.0", "1000000.0", "0.05", "2.5", "1e9", "18446744073709551615",
        ])
        .prop_map(str::to_owned),
        1 => (-1.0e3..1.0e3f64).prop_map(|x| format!("{x:?}")),
        1 => any::<i64>().prop_map(|x| x.to_string()),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => number(),
        1 => prop::sample::select(vec![
            "[]", "[1.0, 2.0]", "[[0.0, 1.0], [0.5]]", "[[0.1], [-1.0]]", "\"x\"", "true", "None",
            "Some(1.0)", "Cumulative", "Nearest", "Unbounded", "Hard(w_min: 0.0, w_max: 1.0)",
            "Hard(w_min: 1.0, w_max: 0.0)", "Multiplicative(w_min: 0.0, w_max: 1.0)",
            "Power(w_min: 0.0, w_max: 1.0, mu: -1.0)", "Brian2", "BrainPy", "()", "[(0.0, 1.0)]",
            "[0, 1]", "[1e300, -1e300]",
        ])
        .prop_map(str::to_owned),
        1 => prop::collection::vec(number(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
    ]
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => prop::sample::select(vec!["p0", "p1", "p2"]).prop_map(str::to_owned),
        1 => "[a-z_.-]{0,6}",
        1 => ".{0,4}",
    ]
}

/// The params of `model` at their defaults, as RON (`(tau_ms: 5.0, …)`), or `""`.
fn default_params(model: &str) -> String {
    registry().get(model).map_or_else(String::new, |entry| {
        let defaults = (entry.defaults)();
        ron::to_string(&*defaults).unwrap_or_default()
    })
}

/// `text` with its i-th number replaced by `replacements[i % len]` when that is `Some`.
fn replace_numbers(text: &str, replacements: &[Option<String>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    let mut n = 0;
    let mut in_string = false;
    let mut prev = ' ';
    while let Some((i, c)) = chars.next() {
        if c == '"' {
            in_string = !in_string;
        }
        let starts_number = !in_string
            && (c.is_ascii_digit()
                || (c == '-' && text[i + 1..].starts_with(|d: char| d.is_ascii_digit())))
            && !(prev.is_ascii_alphanumeric() || prev == '_');
        if !starts_number {
            out.push(c);
            prev = c;
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if d.is_ascii_digit() || matches!(d, '.' | 'e' | 'E' | '+' | '-') {
                end = j + 1;
                chars.next();
            } else {
                break;
            }
        }
        match replacements
            .get(n % replacements.len().max(1))
            .cloned()
            .flatten()
        {
            Some(r) => out.push_str(&r),
            None => out.push_str(&text[i..end]),
        }
        n += 1;
        prev = '0';
    }
    out
}

/// A model of one of `kinds` (sometimes any registered or an unknown name): its default params
/// with some numbers replaced by random (often invalid) ones, sometimes with an extra field of a
/// random type or written bare.
fn model(kinds: &'static [ModelKind]) -> impl Strategy<Value = String> {
    let names: Vec<&'static str> = registry()
        .entries()
        .filter(|e| kinds.contains(&e.kind))
        .map(|e| e.name)
        .collect();
    let any_names: Vec<&'static str> = registry().entries().map(|e| e.name).collect();
    let chosen = prop_oneof![
        40 => prop::sample::select(names).prop_map(str::to_owned),
        1 => prop::sample::select(any_names).prop_map(str::to_owned),
        1 => "[A-Za-z][A-Za-z0-9_]{0,8}",
    ];
    let replacements = prop::collection::vec(
        prop_oneof![4 => Just(None), 1 => number().prop_map(Some)],
        1..8,
    );
    let extra = prop::option::weighted(0.1, ("[a-z_]{1,8}", value()));
    (chosen, replacements, extra, prop::bool::weighted(0.1)).prop_map(
        |(model, replacements, extra, bare)| {
            let params = default_params(&model);
            if bare {
                return model;
            }
            let mut body = replace_numbers(&params, &replacements);
            if let Some((field, value)) = extra {
                body = match body.strip_suffix(')') {
                    Some(open) if open.len() > 1 => format!("{open}, {field}: {value})"),
                    _ => format!("({field}: {value})"),
                };
            }
            if !body.starts_with('(') {
                body = format!("({body})");
            }
            format!("{model}{body}")
        },
    )
}

const POPULATION_KINDS: &[ModelKind] = &[ModelKind::Neuron, ModelKind::Input];
const SYNAPSE_KINDS: &[ModelKind] = &[ModelKind::Synapse];
const STP_KINDS: &[ModelKind] = &[ModelKind::ShortTermPlasticity];
const PLASTICITY_KINDS: &[ModelKind] = &[ModelKind::Plasticity];
const STIMULUS_KINDS: &[ModelKind] = &[ModelKind::Stimulus];
const REWARD_KINDS: &[ModelKind] = &[ModelKind::Reward];

/// `(optional name, "size: …, model: …)")`; populations are named `p0`, `p1`, … unless a
/// random name is drawn.
fn population() -> impl Strategy<Value = (Option<String>, String)> {
    let size = prop_oneof![
        6 => (1..8usize).prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec!["0", "-1", "100", "1e3", "4294967296"]).prop_map(str::to_owned),
    ];
    (
        prop::option::weighted(0.05, name()),
        size,
        model(POPULATION_KINDS),
    )
        .prop_map(|(n, s, m)| (n, format!("size: {s}, model: {m})")))
}

fn connectivity() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("AllToAll".to_owned()),
        Just("OneToOne".to_owned()),
        (number(), any::<bool>())
            .prop_map(|(p, a)| format!("FixedProbability(p: {p}, autapses: {a})")),
        (0..10usize).prop_map(|k| format!("FixedIndegree(k: {k})")),
        prop::collection::vec((0..10u32, 0..10u32), 0..5).prop_map(|v| format!("List({v:?})")),
    ]
}

fn weights() -> impl Strategy<Value = String> {
    prop_oneof![
        number().prop_map(|x| format!("Constant({x})")),
        (number(), number()).prop_map(|(a, b)| format!("Uniform(low: {a}, high: {b})")),
        (number(), number()).prop_map(|(a, b)| format!("Normal(mean: {a}, std: {b})")),
        prop::collection::vec(number(), 0..6).prop_map(|v| format!("Values([{}])", v.join(", "))),
    ]
}

fn projection() -> impl Strategy<Value = String> {
    (
        (name(), name(), name()),
        connectivity(),
        weights(),
        model(SYNAPSE_KINDS),
        prop_oneof![Just("0.0".to_owned()), Just("0.2".to_owned()), number()],
        prop::option::of(model(STP_KINDS)),
        prop::option::of(model(PLASTICITY_KINDS)),
        prop::sample::select(vec!["Auto", "Sparse"]),
    )
        .prop_map(|((n, from, to), c, w, syn, delay, stp, rule, storage)| {
            let mut s = format!(
                "(name: {n:?}, from: {from:?}, to: {to:?}, connectivity: {c}, weights: {w}, \
                 synapse: {syn}, delay_ms: {delay}, storage: {storage}"
            );
            if let Some(stp) = stp {
                s += &format!(", stp: {stp}");
            }
            if let Some(rule) = rule {
                s += &format!(", plasticity: {rule}");
            }
            s + ")"
        })
}

fn recorder() -> impl Strategy<Value = String> {
    let variables = prop::sample::subsequence(
        vec![
            "v",
            "u",
            "x",
            "w",
            "trace_pre",
            "trace_post",
            "theta",
            "g",
            "i",
            "nope",
        ],
        0..3,
    );
    prop_oneof![
        name().prop_map(|p| format!("Spikes(population: {p:?})")),
        (
            name(),
            name(),
            variables,
            prop::option::of(prop::collection::vec(0..12usize, 0..4)),
            0..4u32
        )
            .prop_map(|(n, t, v, i, stride)| {
                let indices = i.map_or(String::new(), |i| format!(", indices: {i:?}"));
                format!(
                    "State(name: {n:?}, target: {t:?}, variables: {v:?}{indices}, stride: {stride})"
                )
            }),
        (
            name(),
            name(),
            prop::option::of(prop::collection::vec((0..10u32, 0..10u32), 0..3)),
            0..4u32
        )
            .prop_map(|(n, p, s, stride)| {
                let synapses = s.map_or(String::new(), |s| format!(", synapses: {s:?}"));
                format!("Weights(name: {n:?}, projection: {p:?}{synapses}, stride: {stride})")
            }),
    ]
}

fn scene() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            4 => Just("0.1".to_owned()),
            1 => Just("0.25".to_owned()),
            1 => number()
        ],
        prop_oneof![4 => Just("1.0".to_owned()), 1 => number()],
        any::<u64>(),
        prop::collection::vec(population(), 1..4),
        prop::collection::vec(projection(), 0..3),
        prop::collection::vec(
            (name(), model(STIMULUS_KINDS))
                .prop_map(|(p, m)| format!("(population: {p:?}, model: {m})")),
            0..2,
        ),
        prop::option::of(model(REWARD_KINDS)),
        prop::collection::vec(recorder(), 0..3),
    )
        .prop_map(|(dt, duration, seed, pops, projs, inputs, reward, recs)| {
            let pops: Vec<String> = pops
                .into_iter()
                .enumerate()
                .map(|(i, (n, rest))| {
                    let n = n.unwrap_or_else(|| format!("p{i}"));
                    format!("(name: {n:?}, {rest}")
                })
                .collect();
            let reward = reward.map_or(String::new(), |r| format!("    reward: {r},\n"));
            format!(
                "// generated\n(\n    version: 1,\n    dt_ms: {dt},\n    duration_ms: {duration},\n    \
                 seed: {seed},\n    populations: [{}],\n    projections: [{}],\n    inputs: [{}],\n\
                 {reward}    recorders: [{}],\n)\n",
                pops.join(", "),
                projs.join(", "),
                inputs.join(", "),
                recs.join(", ")
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_bundled_scenes_never_panic(
        index in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let original = index.get(corpus());
        let text = apply(original, &mutations);
        if let Err(message) = exercise(&text) {
            prop_assert!(false, "panic: {message}\n--- input ---\n{text}");
        }
    }

    #[test]
    fn generated_scenes_never_panic(text in scene()) {
        if let Err(message) = exercise(&text) {
            prop_assert!(false, "panic: {message}\n--- input ---\n{text}");
        }
    }
}

#[test]
fn the_corpus_itself_does_not_panic_and_mostly_builds() {
    let mut built = 0;
    for text in corpus() {
        exercise(text).unwrap_or_else(|m| panic!("{m}\n--- input ---\n{text}"));
        if Scene::parse(text, "corpus.ron", registry()).is_ok() {
            built += 1;
        }
    }
    assert!(built >= 10, "only {built} bundled scenes parse");
}

#[test]
fn generated_scenes_reach_the_builder() {
    // The generator is only useful if a fair share of its scenes get past the parser and
    // build: count both over a fixed sample.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = scene();
    let (mut parsed, mut built) = (0, 0);
    for _ in 0..300 {
        let text = strategy.new_tree(&mut runner).unwrap().current();
        let parsed_scene = Scene::parse(&text, "sample.ron", registry());
        if std::env::var_os("FUZZ_STATS").is_some()
            && let Err(e) = &parsed_scene
        {
            eprintln!("{e}");
        }
        if let Ok(scene) = parsed_scene {
            parsed += 1;
            if network_size(&scene) <= MAX_SYNAPSES && scene.build(Models).is_ok() {
                built += 1;
            }
        }
    }
    if std::env::var_os("FUZZ_STATS").is_some() {
        eprintln!("generated: 300, parsed: {parsed}, built: {built}");
    }
    assert!(
        parsed >= 25 && built >= 10,
        "parsed {parsed}, built {built}"
    );
}
