//! A network built entirely in code (no scene file), with a custom system that steers learning.
//!
//! 100 Poisson inputs (20 Hz) drive 10 LIF neurons through conductance synapses. The input
//! synapses learn with reward-modulated STDP (`Mstdp`: `Δw = γ·r·STDP`). The reward `r` is not a
//! scene model but a user system in `Stage::RewardBroadcast`: a rate controller that estimates
//! the output rate from this step's spikes (an exponential moving average over `tau_ms`) and
//! broadcasts
//!
//! ```text
//! r = clamp((target_hz − rate_hz) / target_hz, −1, 1)
//! ```
//!
//! for the next plasticity stage, so causal pairings are rewarded while the neurons fire below
//! the target and punished above it: the weights, and with them the rate, move toward the
//! target. The example runs 4 s, then reads the recorded spikes and weights (seed 7: the
//! output rate falls from 18.8 Hz in the first second to 11.3 Hz in the last, target 10 Hz).
//!
//! Run: `cargo run --release --example custom_network`

use hebb::prelude::*;

/// The rate controller's state: target, estimate, and what it did (a resource).
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct RateController {
    /// The population whose rate is controlled.
    pub population: Entity,
    /// Target rate per neuron, Hz.
    pub target_hz: f64,
    /// Time constant of the rate estimate, ms.
    pub tau_ms: f64,
    /// Current rate estimate per neuron, Hz.
    pub rate_hz: f64,
    /// How many times the controller has run (one per step).
    pub updates: u64,
    /// The last reward it broadcast.
    pub last_reward: f64,
}

impl RateController {
    /// The reward for a rate estimate.
    pub fn reward_for(&self, rate_hz: f64) -> f64 {
        ((self.target_hz - rate_hz) / self.target_hz).clamp(-1.0, 1.0)
    }
}

/// `Stage::RewardBroadcast`: update the rate estimate with this step's spikes and set the
/// reward of the next plasticity stage.
pub fn rate_reward(
    clock: Clock,
    mut controller: ResMut<RateController>,
    mut reward: ResMut<Reward>,
    spikes: Query<&Spikes>,
) {
    let Ok(s) = spikes.get(controller.population) else {
        return;
    };
    let dt_s = clock.dt_ms / 1000.0;
    let instantaneous_hz = s.count() as f64 / (s.size() as f64 * dt_s);
    let alpha = (-clock.dt_ms / controller.tau_ms).exp();
    controller.rate_hz = alpha * controller.rate_hz + (1.0 - alpha) * instantaneous_hz;
    let r = controller.reward_for(controller.rate_hz);
    controller.last_reward = r;
    controller.updates += 1;
    reward.set(r as Real);
}

/// Build the network: populations, a learning projection, recorders, and the controller
/// (a plugin made of a closure: a resource and a system in `RewardBroadcast`).
pub fn build(seed: u64, target_hz: f64) -> Result<Simulation, BuildError> {
    let mut sim = Simulation::new(0.1, seed)?;
    sim.add_plugins(DefaultPlugins);
    sim.add_population(PopulationSpec {
        name: "inputs".into(),
        size: 100,
        model: Box::new(Poisson {
            rate_hz: 20.0,
            ..Poisson::default()
        }),
    })?;
    sim.add_population(PopulationSpec {
        name: "neurons".into(),
        size: 10,
        model: Box::new(Lif {
            tau_m_ms: 20.0,
            v_rest_mv: -65.0,
            v_reset_mv: -60.0,
            v_threshold_mv: -52.0,
            tau_theta_ms: 0.0,
            refractory_ms: 2.0,
            ..Lif::default()
        }),
    })?;
    let mut projection = ProjectionSpec::new(
        "inputs_to_neurons",
        "inputs",
        "neurons",
        ConnectivitySpec::FixedProbability {
            p: 0.5,
            autapses: true,
        },
        WeightInit::Uniform {
            low: 0.0,
            high: 0.1,
        },
        Conductance {
            tau_ms: 5.0,
            e_rev_mv: 0.0,
            ..Conductance::default()
        },
    );
    projection.delay_ms = 1.0;
    projection.plasticity = Some(Box::new(Mstdp {
        lr_post: 0.01,
        lr_pre: -0.01,
        bounds: Bounds::Hard {
            w_min: Some(0.0),
            w_max: Some(0.5),
        },
        ..Mstdp::default()
    }));
    sim.add_projection(projection)?;
    sim.add_recorder(&RecorderSpec::spikes("neurons"))?;
    sim.add_recorder(&RecorderSpec::Weights {
        name: "w".into(),
        projection: "inputs_to_neurons".into(),
        synapses: None,
        stride: 1000,
    })?;

    let population = sim.index().population("neurons").expect("just added");
    sim.set_reward(0.0);
    sim.add_plugins(move |sim: &mut Simulation| {
        sim.insert_resource(RateController {
            population,
            target_hz,
            tau_ms: 200.0,
            rate_hz: 0.0,
            updates: 0,
            last_reward: 0.0,
        });
        sim.add_systems(Stage::RewardBroadcast, rate_reward);
    });
    Ok(sim)
}

/// Mean firing rate per neuron of `population` between `from_ms` and `to_ms`, from the
/// recorded spikes.
pub fn recorded_rate_hz(sim: &Simulation, population: &str, from_ms: f64, to_ms: f64) -> f64 {
    let dt = sim.dt_ms();
    let size = sim
        .index()
        .population(population)
        .and_then(|e| sim.world.get::<Population>(e))
        .map_or(1, |p| p.size);
    let spikes = sim.recorders().spikes_of(population).map_or(0, |s| {
        s.steps
            .iter()
            .filter(|&&k| (from_ms..to_ms).contains(&(k as f64 * dt)))
            .count()
    });
    spikes as f64 / size as f64 / ((to_ms - from_ms) / 1000.0)
}

/// Mean recorded weight in row `row` of recorder `name`.
pub fn mean_weight(sim: &Simulation, name: &str, row: usize) -> f64 {
    let w = sim
        .recorders()
        .state(name)
        .expect("weight recorder")
        .row(row);
    w.iter().map(|&x| f64::from(x)).sum::<f64>() / w.len() as f64
}

fn main() -> Result<(), BuildError> {
    let target_hz = 10.0;
    let mut sim = build(7, target_hz)?;
    sim.run_for(4000.0)?;
    let controller = sim.world.resource::<RateController>().clone();
    let rows = sim.recorders().state("w").map_or(0, |w| w.times_ms.len());
    println!("target rate: {target_hz} Hz");
    println!(
        "output rate: {:.1} Hz in the first second, {:.1} Hz in the last second",
        recorded_rate_hz(&sim, "neurons", 0.0, 1000.0),
        recorded_rate_hz(&sim, "neurons", 3000.0, 4000.0)
    );
    println!(
        "controller: {} updates, rate estimate {:.1} Hz, last reward {:+.3}",
        controller.updates, controller.rate_hz, controller.last_reward
    );
    println!(
        "mean weight: {:.4} at 0 ms -> {:.4} at {} ms",
        mean_weight(&sim, "w", 0),
        mean_weight(&sim, "w", rows - 1),
        sim.recorders().state("w").unwrap().times_ms[rows - 1]
    );
    Ok(())
}
