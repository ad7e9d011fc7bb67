//! The network built in code by `examples/custom_network.rs` (included here as a module) runs,
//! its custom `RewardBroadcast` system acts every step, and what it broadcasts drives learning.

#[expect(dead_code, reason = "the example's `main` is not called from the test")]
#[path = "../examples/custom_network.rs"]
mod custom_network;

use custom_network::{RateController, build, mean_weight, recorded_rate_hz};
use hebb::prelude::*;

const STEPS: u64 = 5000;

#[test]
fn the_custom_reward_system_runs_every_step_and_drives_learning() {
    let target_hz = 15.0;
    let mut sim = build(3, target_hz).unwrap();
    let text = sim.schedule_summary().unwrap();
    let broadcast = text.split("RewardBroadcast:").nth(1).unwrap();
    assert!(broadcast.contains("rate_reward"), "{text}");
    sim.run_steps(STEPS);

    let controller = sim.world.resource::<RateController>().clone();
    assert_eq!(controller.updates, STEPS);
    // The reward the next plasticity stage sees is the controller's, from its rate estimate.
    let expected = controller.reward_for(controller.rate_hz);
    assert_eq!(controller.last_reward, expected);
    assert_eq!(f64::from(sim.reward()), f64::from(expected as Real));
    assert!(controller.rate_hz > 0.0 && controller.rate_hz.is_finite());
    // The estimate follows the recorded rate (an EMA over 200 ms of a 500 ms run: same order).
    let recorded = recorded_rate_hz(&sim, "neurons", 0.0, 500.0);
    assert!(recorded > 0.0, "the neurons must fire");
    assert!(
        controller.rate_hz > 0.2 * recorded && controller.rate_hz < 5.0 * recorded,
        "estimate {} Hz, recorded {recorded} Hz",
        controller.rate_hz
    );

    // Mstdp changes weights only through the reward: the same network with the controller's
    // reward forced to zero after every step keeps its weights; with the controller they move.
    let rows = sim.recorders().state("w").unwrap().times_ms.len();
    assert!(rows >= 5);
    let learned = (mean_weight(&sim, "w", 0) - mean_weight(&sim, "w", rows - 1)).abs();
    assert!(learned > 1e-4, "weights did not move: {learned}");

    let mut silent = build(3, target_hz).unwrap();
    for _ in 0..STEPS {
        silent.step();
        silent.set_reward(0.0);
    }
    let rows = silent.recorders().state("w").unwrap().times_ms.len();
    assert_eq!(
        silent.recorders().state("w").unwrap().row(0),
        silent.recorders().state("w").unwrap().row(rows - 1)
    );
}
