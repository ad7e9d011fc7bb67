//! Counter-based random numbers keyed by (seed, object, neuron, purpose).
//!
//! Every random number hebb uses is a pure function of the scene's seed, the name of the
//! population or projection it belongs to, a *purpose* (`"connectivity"`, `"weights"`,
//! `"v_init"`, `"noise"`, …), an *index* (the neuron, or the postsynaptic neuron for synapses)
//! and a *counter* (the draw number or the time step). No stream is shared by two neurons, so
//! the numbers do not depend on how the neurons are split over threads or processes, on the
//! order in which they are visited, or on what else the network contains.
//!
//! The generator is Philox4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as
//! 1, 2, 3"), from the [`rand_philox`] crate: a 64-bit key and a 128-bit counter give four
//! 32-bit words, with no other state.
//!
//! - The **key** of a stream family is derived from `(seed, object, purpose)`:
//!   `splitmix64(splitmix64(seed + φ) ^ fnv1a(object ‖ purpose))` ([`SimRng::streams`]).
//! - The **counter** is `(index, position)`: words 2–3 hold the index (neuron), words 0–1 the
//!   block position within that neuron's stream (one block = four words).
//!
//! Two ways to draw, both free of hidden state:
//!
//! | need | call | cost |
//! |---|---|---|
//! | several numbers per neuron at build time (connectivity of one postsynaptic column, weights, initial values) | [`Streams::stream`]`(neuron)` → a [`Stream`] implementing [`rand::Rng`], used with `rand`/`rand_distr` | one Philox block per four words |
//! | one number per neuron per step (noise), or per event (the n-th Poisson gap) | [`Streams::uniform`]`(neuron, step)`, [`Streams::normal`]`(neuron, step)`, [`Streams::block`] | one Philox block (~10 ns) |
//!
//! A per-(neuron, step) draw reads block `step` of the neuron's stream, so one purpose should
//! be used either for sequential streams or for per-step draws, not both.
//!
//! ```
//! use hebb_core::rng::SimRng;
//! use rand::RngExt;
//!
//! let master = SimRng { seed: 42 };
//! // Build time: the initial voltage of neuron 7 of population "exc".
//! let v0: f64 = master.streams("exc", "v_init").stream(7).random_range(-70.0..-50.0);
//! // Run time: the noise of neuron 7 at step 1000, the same whichever thread computes it.
//! let noise = master.streams("exc", "noise");
//! let z = noise.normal(7, 1000);
//! assert_eq!(z, master.streams("exc", "noise").normal(7, 1000));
//! # let _ = v0;
//! ```
//!
//! Snapshots need no generator state: a model keeps the [`Streams`] key (or re-derives it from
//! the seed and its name) and whatever counter it advances (e.g. a Poisson neuron's number of
//! drawn gaps), which are part of its serialized state.

use bevy_ecs::resource::Resource;
use rand_philox::{Philox, philox4x32_10, splitmix64};
use serde::{Deserialize, Serialize};

/// A sequential stream (one neuron's, for one purpose): Philox4x32-10 positioned at the start
/// of the neuron's counter range. Implements `rand::Rng`, so `rand`'s and `rand_distr`'s
/// methods work on it.
pub type Stream = Philox;

/// The golden-ratio increment of SplitMix64, added to the seed so that seed 0 is not the zero
/// key.
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// The master seed of a simulation.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimRng {
    /// The scene's seed.
    pub seed: u64,
}

impl SimRng {
    /// The stream family of `object` (a population, projection or stimulus name) for
    /// `purpose`, e.g. `("exc_to_inh", "connectivity")`.
    pub fn streams(&self, object: &str, purpose: &str) -> Streams {
        Streams::from_key64(splitmix64(
            splitmix64(self.seed.wrapping_add(GAMMA)) ^ stable_id(&[object, purpose]),
        ))
    }

    /// The sequential stream of one neuron: `self.streams(object, purpose).stream(neuron)`.
    pub fn neuron_stream(&self, object: &str, purpose: &str, neuron: u64) -> Stream {
        self.streams(object, purpose).stream(neuron)
    }
}

/// The independent streams of one `(seed, object, purpose)`, one per index (neuron). `Copy`,
/// 8 bytes, serializable: store it in a model's state to draw at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Streams {
    key: [u32; 2],
}

impl Streams {
    /// The family with this 64-bit key (normally obtained from [`SimRng::streams`]).
    pub fn from_key64(key: u64) -> Self {
        Self {
            key: [key as u32, (key >> 32) as u32],
        }
    }

    /// The sequential stream of index `index` (a neuron), at its first block.
    pub fn stream(&self, index: u64) -> Stream {
        Philox::new(self.key, u128::from(index) << 64)
    }

    /// The four words of block `counter` of index `index`'s stream: a pure function.
    #[inline]
    pub fn block(&self, index: u64, counter: u64) -> [u32; 4] {
        philox4x32_10(
            [
                counter as u32,
                (counter >> 32) as u32,
                index as u32,
                (index >> 32) as u32,
            ],
            self.key,
        )
    }

    /// A uniform number in (0, 1] with 53 random bits, from block `counter` of `index`.
    #[inline]
    pub fn uniform(&self, index: u64, counter: u64) -> f64 {
        let [a, b, _, _] = self.block(index, counter);
        unit_open_closed(a, b)
    }

    /// A standard normal number (Box–Muller on the block's two 53-bit uniforms) from block
    /// `counter` of `index`.
    #[inline]
    pub fn normal(&self, index: u64, counter: u64) -> f64 {
        let [a, b, c, d] = self.block(index, counter);
        let (u1, u2) = (unit_open_closed(a, b), unit_open_closed(c, d));
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Two words to a uniform `f64` in (0, 1]: `1 − m·2⁻⁵³` with `m` the top 53 bits.
#[inline]
fn unit_open_closed(low: u32, high: u32) -> f64 {
    let bits = (u64::from(high) << 32 | u64::from(low)) >> 11;
    1.0 - bits as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A 64-bit FNV-1a hash of the parts (with a separator), stable across platforms and versions.
pub fn stable_id(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn philox_matches_the_random123_known_answers() {
        // Random123 kat_vectors, philox4x32_10: counter and key all ones.
        let ones = Streams {
            key: [u32::MAX, u32::MAX],
        };
        assert_eq!(
            ones.block(u64::MAX, u64::MAX),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        let zero = Streams { key: [0, 0] };
        assert_eq!(
            zero.block(0, 0),
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
        );
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let master = SimRng { seed: 7 };
        let a: u64 = master.neuron_stream("exc", "v_init", 0).random();
        let a2: u64 = master.streams("exc", "v_init").stream(0).random();
        let b: u64 = master.neuron_stream("inh", "v_init", 0).random();
        let c: u64 = SimRng { seed: 8 }
            .neuron_stream("exc", "v_init", 0)
            .random();
        let d: u64 = master.neuron_stream("exc", "v_init", 1).random();
        let e: u64 = master.neuron_stream("exc", "noise", 0).random();
        assert_eq!(a, a2);
        for other in [b, c, d, e] {
            assert_ne!(a, other);
        }
        assert_ne!(stable_id(&["ab", "c"]), stable_id(&["a", "bc"]));
        assert_ne!(SimRng { seed: 0 }.streams("", "").key, [0, 0]);
    }

    #[test]
    fn a_step_draw_is_block_step_of_the_neurons_stream() {
        let s = SimRng { seed: 3 }.streams("pop", "noise");
        let mut stream = s.stream(9);
        for step in 0..5 {
            let words = [
                stream.next_u32(),
                stream.next_u32(),
                stream.next_u32(),
                stream.next_u32(),
            ];
            assert_eq!(words, s.block(9, step));
        }
    }

    #[test]
    fn uniform_and_normal_have_their_moments() {
        let s = SimRng { seed: 1 }.streams("pop", "test");
        let n = 200_000u64;
        let u: Vec<f64> = (0..n).map(|k| s.uniform(k % 100, k / 100)).collect();
        assert!(u.iter().all(|&x| x > 0.0 && x <= 1.0));
        let mean = u.iter().sum::<f64>() / n as f64;
        // Standard error of the mean of U(0, 1): sqrt(1/12/n) = 6.5e-4; 5 s.e.
        assert!((mean - 0.5).abs() < 5.0 * (1.0 / 12.0 / n as f64).sqrt());
        let z: Vec<f64> = (0..n).map(|k| s.normal(k % 100, k / 100)).collect();
        let mean = z.iter().sum::<f64>() / n as f64;
        let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 5.0 / (n as f64).sqrt(), "{mean}");
        // Var of the sample variance of N(0,1): 2/n; 5 s.d.
        assert!((var - 1.0).abs() < 5.0 * (2.0 / n as f64).sqrt(), "{var}");
    }
}
