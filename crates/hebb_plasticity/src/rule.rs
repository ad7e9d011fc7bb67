//! # The rule API: a plasticity rule in one short file
//!
//! A rule author writes three things:
//!
//! 1. the **parameters**, with [`plasticity_rule!`](crate::plasticity_rule): one line per
//!    field with its doc, type, default, unit and check; the macro writes the struct (serde,
//!    `deny_unknown_fields`, defaults), its `Default`, and its [`Model`] impl (scene name,
//!    summary, parameter table for `hebb list`, `validate()` naming the field and value, and
//!    `attach`);
//! 2. the **traces** it keeps per presynaptic or postsynaptic neuron ([`Rule::TRACES`],
//!    [`Rule::traces`]: time constant, jump `+1` or set to 1), and its bounds;
//! 3. what happens to a synapse **on a presynaptic arrival** and **on a postsynaptic spike**
//!    ([`Rule::on_pre`], [`Rule::on_post`]), reading traces and writing potentiation and
//!    depression through a [`Synapse`] handle.
//!
//! hebb provides the rest: traces with exact event-driven decay (`e^{−Δt/τ}` in f64,
//! [`crate::trace::SpikeTrace::new_exact`]), O(neurons)
//! state, the spikes (arrivals after the projection's delay, the post population's spikes),
//! the same-step order ([`SameStep`]), the accumulator and the one bounded weight update
//! ([`crate::update`], applied at the end of the rule's own system, so the plugin order does
//! not matter), recorders for every trace by name, snapshot state and registration
//! ([`RulePlugin`]).
//!
//! ## Per step, for each projection of the rule (`Plasticity` stage)
//! ```text
//! seek every trace to the step (O(1) per trace)
//! SameStep::Neither  (NEST):   on_post for every synapse of every post spike,
//!                              on_pre for every synapse of every arrival,  then all jumps
//! SameStep::PreFirst (Brian2): on_pre …, pre jumps, on_post …, post jumps
//! SameStep::Both     (Inferno): all jumps, then on_post …, on_pre …
//! ```
//! Hooks see every trace *before* that step's jumps in NEST's order, so a pre and a post spike
//! in the same step do not pair (NEST: "a zero-lag pair contributes nothing").
//!
//! ## Parallel safety
//! Hooks receive one synapse and write only into that synapse's accumulator slot and state;
//! traces are read-only during the hooks and jump afterwards. A rule therefore has no order
//! dependence between synapses, and a partition that owns a range of postsynaptic neurons
//! (their incoming synapses and post traces) can run the post hooks of its neurons alone.
//!
//! ## Per-synapse state
//! Most rules keep none (`type SynapseState = ();`, zero bytes). A rule that needs it (NEST's
//! pre-centred nearest-neighbour pairing resets the pairing per synapse) declares a small
//! `Copy` type; it is one value per synapse, saved in snapshots.

use std::fmt::Debug;
use std::marker::PhantomData;
use std::ops::Range;

use bevy_ecs::prelude::*;
use hebb_core::Real;
use hebb_core::connectivity::Connectivity;
use hebb_core::parallel::{Executor, RowLocator};
use hebb_core::prelude::{
    Arrivals, AttachContext, BuildError, Clock, Model, ParamError, Plugin, Projection, Simulation,
    Spikes, Stage, StateVariables, Weights,
};
use hebb_core::record::RecordedEvery;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::bounds::{BoundKernel, Bounds, NestAdditive, UpdateOrder};
use crate::owned::BySynapse;
use crate::pair::recorded_at;
use crate::reward::Reward;
use crate::trace::{SpikeTrace, TraceMode};
use crate::update::{Accumulator, WeightBounding, WeightUpdate, apply_accumulated};

/// Which neurons a trace belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Owner {
    /// One value per presynaptic neuron (jumps at its arrivals, after the delay).
    Pre,
    /// One value per postsynaptic neuron (jumps at its spikes).
    Post,
}

/// One trace of a rule: whose, its time constant and how a spike acts on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trace {
    /// Pre or post.
    pub owner: Owner,
    /// Time constant, ms.
    pub tau_ms: f64,
    /// `Cumulative` (`x += 1`, all-to-all) or `Nearest` (`x = 1`, nearest spike).
    pub mode: TraceMode,
}

impl Trace {
    /// A cumulative presynaptic trace with time constant `tau_ms`.
    pub fn pre(tau_ms: f64) -> Self {
        Self {
            owner: Owner::Pre,
            tau_ms,
            mode: TraceMode::Cumulative,
        }
    }

    /// A cumulative postsynaptic trace with time constant `tau_ms`.
    pub fn post(tau_ms: f64) -> Self {
        Self {
            owner: Owner::Post,
            tau_ms,
            mode: TraceMode::Cumulative,
        }
    }

    /// The same trace, set to 1 at a spike instead of adding 1 (nearest-spike pairing).
    pub fn nearest(self) -> Self {
        Self {
            mode: TraceMode::Nearest,
            ..self
        }
    }
}

/// What the hooks of a step see of that step's spikes (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameStep {
    /// Both hooks read the traces before this step's spikes: NEST's synapses.
    #[default]
    Neither,
    /// Arrivals first, then post spikes read the pre traces including this step's arrivals:
    /// Brian2's `on_pre` before `on_post`.
    PreFirst,
    /// Both hooks read traces that include this step's spikes: Inferno's trainers.
    Both,
}

/// A plasticity rule written with the rule API (see the module docs). The `Model` impl comes
/// from [`plasticity_rule!`](crate::plasticity_rule).
pub trait Rule: Model {
    /// Names of the traces (recordable by these names), in the order of [`Rule::traces`].
    const TRACES: &'static [&'static str];
    /// Same-step order. Default: NEST's ([`SameStep::Neither`]).
    const SAME_STEP: SameStep = SameStep::Neither;
    /// Per-synapse state (`()` for none).
    type SynapseState: Copy
        + Default
        + Debug
        + PartialEq
        + Serialize
        + DeserializeOwned
        + Send
        + Sync;

    /// Whether the hooks read the broadcast reward ([`Synapse::reward`], [`Step::reward`]).
    /// Then the rule's system reads the `Reward` resource every step, and a scene that uses
    /// the rule needs a reward source (as for every rule whose `Model::USES_REWARD` is set,
    /// which [`plasticity_rule!`](crate::plasticity_rule) sets from this). Default `false`: the
    /// reward is not fetched and reads as 0.
    const REWARD: bool = false;
    /// Whether [`Rule::on_step`] runs every step, spikes or not. Default `false` (the system
    /// then does nothing on a step without arrivals or postsynaptic spikes). A rule with a
    /// per-step hook gets every change of the step, its hooks' included, through the
    /// accumulator, applied once at the end of the step.
    const EVERY_STEP: bool = false;

    /// The traces, one per name of [`Rule::TRACES`].
    fn traces(&self) -> Vec<Trace>;

    /// The bounds and the order in which a step's potentiation and depression apply.
    fn bounds(&self) -> (Bounds, UpdateOrder);

    /// Checks across fields, after the per-field checks. Default: none.
    fn check(&self) -> Result<(), ParamError> {
        Ok(())
    }

    /// A presynaptic spike arrives at `synapse`.
    #[inline]
    fn on_pre(&self, synapse: &mut Synapse<'_, Self::SynapseState>) {
        let _ = synapse;
    }

    /// The postsynaptic neuron of `synapse` spikes.
    #[inline]
    fn on_post(&self, synapse: &mut Synapse<'_, Self::SynapseState>) {
        let _ = synapse;
    }

    /// Every step when [`Rule::EVERY_STEP`] is set, after the step's event hooks and trace
    /// jumps and before the step's changes are applied: dense per-synapse work such as
    /// eligibility traces (`step.synapses()` holds every synapse's state, `step.change(s, …)`
    /// adds to synapse `s`). Each synapse's changes still come from its own state only, so
    /// the result does not depend on the order of synapses.
    #[inline]
    fn on_step(&self, step: &mut Step<'_, Self::SynapseState>) {
        let _ = step;
    }
}

/// What [`Rule::on_step`] sees: every synapse's state, the traces, the reward, and the
/// projection's accumulator.
pub struct Step<'a, S> {
    traces: &'a [SpikeTrace],
    synapses: &'a mut [S],
    update: &'a mut WeightUpdate,
    step: u64,
    dt_ms: f64,
    reward: Real,
}

impl<S> Step<'_, S> {
    /// Every synapse's state, by synapse index.
    #[inline]
    pub fn synapses(&mut self) -> &mut [S] {
        self.synapses
    }

    /// Trace `k` of neuron `neuron` (of the trace's owner side), at this step.
    #[inline]
    pub fn trace(&self, k: usize, neuron: usize) -> Real {
        self.traces[k].value(neuron)
    }

    /// The broadcast reward of this step (0 unless [`Rule::REWARD`] is set).
    #[inline]
    pub fn reward(&self) -> Real {
        self.reward
    }

    /// Add potentiation `amount ≥ 0` to synapse `s`.
    #[inline]
    pub fn potentiate(&mut self, s: usize, amount: Real) {
        self.update.potentiate(s, amount);
    }

    /// Add depression `amount ≥ 0` to synapse `s`.
    #[inline]
    pub fn depress(&mut self, s: usize, amount: Real) {
        self.update.depress(s, amount);
    }

    /// Add a signed change to synapse `s`: potentiation when ≥ 0, depression otherwise.
    #[inline]
    pub fn change(&mut self, s: usize, delta: Real) {
        self.update.add_value(s, delta);
    }

    /// The current step.
    #[inline]
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The time step, ms.
    #[inline]
    pub fn dt_ms(&self) -> f64 {
        self.dt_ms
    }
}

/// "No spike yet" in [`RuleState`]'s last-spike arrays.
const NEVER: u64 = u64::MAX;

/// A synapse as a hook sees it: the traces of its two neurons, its state and its changes.
///
/// One `Synapse` serves a whole pass of hooks (`RuleState::hooks`): each visit only moves
/// its indices and clears its sums.
pub struct Synapse<'a, S> {
    traces: &'a [SpikeTrace],
    owners: &'a [Owner],
    last_pre: &'a [u64],
    last_post: &'a [u64],
    pre: usize,
    post: usize,
    index: usize,
    step: u64,
    dt_ms: f64,
    reward: Real,
    /// Every synapse's state; a pass touches only the synapses of its partition.
    states: BySynapse<'a, S>,
    /// Whether this synapse's changes go to the accumulator (applied at the end of the step:
    /// its two neurons both have an event this step, so it gets both hooks); otherwise they
    /// are summed in `pos` and `neg` (from 0, in call order, as the accumulator would) and
    /// bounded into the weight right after the hook.
    accumulate: bool,
    update: Accumulator<'a>,
    pos: Real,
    neg: Real,
    touched: bool,
}

impl<S> Synapse<'_, S> {
    /// The value of trace `k` (index into [`Rule::TRACES`]) of this synapse's pre or post
    /// neuron, at this step.
    #[inline]
    pub fn trace(&self, k: usize) -> Real {
        match self.owners[k] {
            Owner::Pre => self.traces[k].value(self.pre),
            Owner::Post => self.traces[k].value(self.post),
        }
    }

    /// Add potentiation `amount ≥ 0` (how it moves the weight is the bounds' business).
    #[inline]
    pub fn potentiate(&mut self, amount: Real) {
        if self.accumulate {
            // SAFETY: a pass visits only the synapses of its partition (`RulePass::hooks`).
            unsafe { self.update.potentiate(self.index, amount) };
        } else {
            self.pos += amount;
            self.touched = true;
        }
    }

    /// Add depression `amount ≥ 0`.
    #[inline]
    pub fn depress(&mut self, amount: Real) {
        if self.accumulate {
            // SAFETY: a pass visits only the synapses of its partition (`RulePass::hooks`).
            unsafe { self.update.depress(self.index, amount) };
        } else {
            self.neg += amount;
            self.touched = true;
        }
    }

    /// Add a signed change: potentiation when ≥ 0, depression otherwise.
    #[inline]
    pub fn change(&mut self, delta: Real) {
        if delta >= 0.0 {
            self.potentiate(delta);
        } else {
            self.depress(-delta);
        }
    }

    /// This synapse's state.
    #[inline]
    pub fn state(&mut self) -> &mut S {
        // SAFETY: a pass visits only the synapses of its partition (`RulePass::hooks`), and the
        // borrow of `self` keeps this the only reference to the state.
        unsafe { &mut *self.states.at(self.index) }
    }

    /// The step of the presynaptic neuron's last arrival before this step's hooks, if any.
    #[inline]
    pub fn last_pre(&self) -> Option<u64> {
        let last = self.last_pre[self.pre];
        (last != NEVER).then_some(last)
    }

    /// The step of the postsynaptic neuron's last spike before this step's hooks, if any.
    #[inline]
    pub fn last_post(&self) -> Option<u64> {
        let last = self.last_post[self.post];
        (last != NEVER).then_some(last)
    }

    /// The current step.
    #[inline]
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The time step, ms.
    #[inline]
    pub fn dt_ms(&self) -> f64 {
        self.dt_ms
    }

    /// The broadcast reward of this step (0 unless [`Rule::REWARD`] is set).
    #[inline]
    pub fn reward(&self) -> Real {
        self.reward
    }

    /// `(pre, post, synapse)` indices.
    #[inline]
    pub fn indices(&self) -> (usize, usize, usize) {
        (self.pre, self.post, self.index)
    }
}

/// The state of one projection under rule `R`: its traces (O(neurons)), the last spike step of
/// every pre and post neuron, and the per-synapse state. Recordable by trace name; saved in
/// snapshots.
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct RuleState<R: Rule> {
    traces: Vec<SpikeTrace>,
    owners: Vec<Owner>,
    last_pre: Vec<u64>,
    last_post: Vec<u64>,
    synapses: Vec<R::SynapseState>,
    dt_ms: f64,
    /// This step's arrivals (per presynaptic neuron) while both hook passes run (scratch).
    #[serde(skip)]
    arriving: Vec<bool>,
    /// This step's post spikes (per postsynaptic neuron) while both hook passes run (scratch).
    #[serde(skip)]
    spiking: Vec<bool>,
    #[serde(skip)]
    rule: PhantomData<fn() -> R>,
}

impl<R: Rule> RuleState<R> {
    /// Zero traces and default synapse states for `n_pre × n_post` with `n_synapses`.
    pub fn new(rule: &R, n_pre: usize, n_post: usize, n_synapses: usize, dt_ms: f64) -> Self {
        let specs = rule.traces();
        assert_eq!(
            specs.len(),
            R::TRACES.len(),
            "{}: one Trace per name of TRACES",
            R::NAME
        );
        let traces = specs
            .iter()
            .map(|t| {
                let n = match t.owner {
                    Owner::Pre => n_pre,
                    Owner::Post => n_post,
                };
                SpikeTrace::new_exact(n, t.tau_ms, dt_ms, 1.0, t.mode)
            })
            .collect();
        Self {
            traces,
            owners: specs.iter().map(|t| t.owner).collect(),
            last_pre: vec![NEVER; n_pre],
            last_post: vec![NEVER; n_post],
            synapses: vec![R::SynapseState::default(); n_synapses],
            dt_ms,
            arriving: Vec::new(),
            spiking: Vec::new(),
            rule: PhantomData,
        }
    }

    /// Trace `k` (for tests and tools).
    pub fn trace(&self, k: usize) -> &SpikeTrace {
        &self.traces[k]
    }

    /// The per-synapse states.
    pub fn synapse_states(&self) -> &[R::SynapseState] {
        &self.synapses
    }

    /// Fill every trace's recorder view at `step`.
    fn refresh_views(&mut self, step: u64) {
        for trace in &mut self.traces {
            trace.refresh_view_at(step);
        }
    }

    fn jump(&mut self, owner: Owner, neurons: &[u32], step: u64) {
        for (trace, &o) in self.traces.iter_mut().zip(&self.owners) {
            if o == owner {
                trace.spike_all(neurons);
            }
        }
        let last = match owner {
            Owner::Pre => &mut self.last_pre,
            Owner::Post => &mut self.last_post,
        };
        for &n in neurons {
            last[n as usize] = step;
        }
    }

    /// Mark (or unmark) this step's arrivals and post spikes, when both happen: a synapse whose
    /// two neurons both have an event gets both hooks, so its changes go to the accumulator.
    fn mark_both(&mut self, arrivals: &[u32], post_spikes: &[u32], on: bool) {
        if self.arriving.len() != self.last_pre.len() {
            self.arriving = vec![false; self.last_pre.len()];
            self.spiking = vec![false; self.last_post.len()];
        }
        for &i in arrivals {
            self.arriving[i as usize] = on;
        }
        for &j in post_spikes {
            self.spiking[j as usize] = on;
        }
    }

    /// What a pass of hooks reads (shared by the partitions of a region) and the per-synapse
    /// states it writes (each partition its own synapses).
    fn split(&mut self) -> (HookReads<'_>, BySynapse<'_, R::SynapseState>) {
        let Self {
            traces,
            owners,
            last_pre,
            last_post,
            synapses,
            dt_ms,
            arriving,
            spiking,
            ..
        } = self;
        let reads = HookReads {
            traces,
            owners,
            last_pre,
            last_post,
            arriving,
            spiking,
            dt_ms: *dt_ms,
        };
        (reads, BySynapse::new(synapses))
    }

    /// The hooks of `owner` for every synapse of every neuron in `neurons`, on one thread (see
    /// [`RulePass::hooks`]).
    #[expect(
        clippy::too_many_arguments,
        reason = "the pieces of one projection's step, borrowed apart"
    )]
    fn hooks(
        &mut self,
        rule: &R,
        owner: Owner,
        connectivity: &Connectivity,
        neurons: &[u32],
        (step, reward): (u64, Real),
        both: bool,
        changes: &mut WeightChanges<'_>,
    ) {
        let (reads, states) = self.split();
        let pass = RulePass {
            rule,
            connectivity,
            reads,
            states,
            w: BySynapse::new(changes.w),
            kernel: changes.bounding.kernel,
            order: changes.bounding.order,
            nest_additive: NestAdditive::of(changes.bounding.kernel, changes.bounding.order),
            step,
            reward,
            both,
        };
        pass.hooks::<true>(owner, neurons, &(0..0), changes.update.accumulator());
    }
}

/// What the hooks of one projection's step read of its rule state.
struct HookReads<'a> {
    traces: &'a [SpikeTrace],
    owners: &'a [Owner],
    last_pre: &'a [u64],
    last_post: &'a [u64],
    /// This step's arrivals, per presynaptic neuron (when both sides have events).
    arriving: &'a [bool],
    /// This step's post spikes, per postsynaptic neuron (when both sides have events).
    spiking: &'a [bool],
    dt_ms: f64,
}

/// One projection's step as its passes of hooks see it: shared by the partitions of a region,
/// each of which visits only the synapses onto its own block of postsynaptic neurons.
struct RulePass<'a, R: Rule> {
    rule: &'a R,
    connectivity: &'a Connectivity,
    reads: HookReads<'a>,
    states: BySynapse<'a, R::SynapseState>,
    w: BySynapse<'a, Real>,
    kernel: BoundKernel,
    order: UpdateOrder,
    /// The kernel's inline form, when it has one (NEST's additive bounds).
    nest_additive: Option<NestAdditive>,
    step: u64,
    reward: Real,
    /// Whether the step has both arrivals and post spikes (then a synapse whose two neurons
    /// both have an event gets both hooks, and its changes go to the accumulator).
    both: bool,
}

impl<R: Rule> RulePass<'_, R> {
    /// The hooks of `owner` for every synapse of every neuron in `neurons` whose postsynaptic
    /// neuron lies in `block` (every synapse when `WHOLE`; `block` is then not read). A synapse
    /// that gets only this hook this step (`both` is false, or its other neuron has no event)
    /// has its changes bounded into its weight right after the hook; the others accumulate in
    /// `update`. Both give the weights of accumulating everything and applying it once (the
    /// same sums from 0, the same bounded update), since hooks never read weights.
    ///
    /// A presynaptic arrival visits the part of its row in `block` (rows are sorted by
    /// postsynaptic neuron: [`RowLocator`]), a post spike its whole column if its neuron is in
    /// `block`; so the partitions of a region write disjoint synapses, and each synapse gets
    /// its hooks in the order of one thread.
    ///
    /// The loops over a row (or column) are written out per owner and connectivity, each
    /// calling [`RulePass::visit`] inline, and one [`Synapse`] serves the whole pass: a visit
    /// sets its indices and clears its sums instead of building a synapse (a dozen fields) for
    /// each of the step's synapse events.
    #[inline]
    fn hooks<const WHOLE: bool>(
        &self,
        owner: Owner,
        neurons: &[u32],
        block: &Range<usize>,
        update: Accumulator<'_>,
    ) {
        let reads = &self.reads;
        let mut synapse = Synapse {
            traces: reads.traces,
            owners: reads.owners,
            last_pre: reads.last_pre,
            last_post: reads.last_post,
            pre: 0,
            post: 0,
            index: 0,
            step: self.step,
            dt_ms: reads.dt_ms,
            reward: self.reward,
            states: self.states,
            accumulate: false,
            update,
            pos: 0.0,
            neg: 0.0,
            touched: false,
        };
        let mine = |n: usize| WHOLE || block.contains(&n);
        match (owner, self.connectivity) {
            (Owner::Pre, Connectivity::Dense { n_post, .. }) => {
                let columns = if WHOLE { 0..*n_post } else { block.clone() };
                for &n in neurons {
                    let (n, base) = (n as usize, n as usize * n_post);
                    for j in columns.clone() {
                        self.visit::<true>(&mut synapse, base + j, n, j);
                    }
                }
            }
            (Owner::Pre, Connectivity::Sparse(csr)) => {
                let locator =
                    (!WHOLE).then(|| RowLocator::new(block.clone(), self.connectivity.n_post()));
                for &n in neurons {
                    let n = n as usize;
                    let row = csr.row(n);
                    let posts = &csr.post_of()[row.clone()];
                    let (start, posts) = match &locator {
                        Some(locator) => {
                            let part = locator.locate(posts);
                            (row.start + part.start, &posts[part])
                        }
                        None => (row.start, posts),
                    };
                    for (k, &j) in posts.iter().enumerate() {
                        self.visit::<true>(&mut synapse, start + k, n, j as usize);
                    }
                }
            }
            (Owner::Post, Connectivity::Dense { n_pre, n_post }) => {
                for &n in neurons {
                    let n = n as usize;
                    if !mine(n) {
                        continue;
                    }
                    for i in 0..*n_pre {
                        self.visit::<false>(&mut synapse, i * n_post + n, i, n);
                    }
                }
            }
            (Owner::Post, Connectivity::Sparse(csr)) => {
                for &n in neurons {
                    let n = n as usize;
                    if !mine(n) {
                        continue;
                    }
                    let (pres, syns) = csr.column(n);
                    for (&i, &s) in pres.iter().zip(syns) {
                        self.visit::<false>(&mut synapse, s as usize, i as usize, n);
                    }
                }
            }
        }
    }

    /// The hook of synapse `s` (`pre → post`), on the pre side when `PRE`, its changes bounded
    /// into its weight at once unless they accumulate.
    #[inline(always)]
    fn visit<const PRE: bool>(
        &self,
        synapse: &mut Synapse<'_, R::SynapseState>,
        s: usize,
        pre: usize,
        post: usize,
    ) {
        let other_side = if PRE {
            self.reads.spiking
        } else {
            self.reads.arriving
        };
        synapse.accumulate = R::EVERY_STEP
            || (self.both
                && other_side
                    .get(if PRE { post } else { pre })
                    .copied()
                    .unwrap_or(false))
            || tests::accumulate_all();
        synapse.pre = pre;
        synapse.post = post;
        synapse.index = s;
        synapse.pos = 0.0;
        synapse.neg = 0.0;
        synapse.touched = false;
        if PRE {
            self.rule.on_pre(synapse);
        } else {
            self.rule.on_post(synapse);
        }
        if synapse.touched {
            // SAFETY: `hooks` visits only the synapses of its partition.
            let w = unsafe { &mut *self.w.at(s) };
            *w = match self.nest_additive {
                Some(nest) => nest.apply(*w, synapse.pos, synapse.neg),
                None => self.kernel.apply(self.order, *w, synapse.pos, synapse.neg),
            };
        }
    }
}

/// A projection's weights and how they change: what [`rule_kernel`] writes.
pub struct WeightChanges<'a> {
    /// The weights.
    pub w: &'a mut [Real],
    /// The accumulator (used for synapses that get both hooks in one step; empty between steps).
    pub update: &'a mut WeightUpdate,
    /// The bounds and update order.
    pub bounding: &'a WeightBounding,
}

impl<R: Rule> StateVariables for RuleState<R> {
    const VARIABLES: &'static [&'static str] = R::TRACES;
    fn variable(&self, name: &str) -> Option<&[Real]> {
        let k = R::TRACES.iter().position(|&t| t == name)?;
        Some(self.traces[k].view())
    }
}

/// The params of a projection's rule, as attached.
#[derive(Component, Debug, Clone)]
pub struct RuleParams<R: Rule>(pub R);

/// One step of rule `R` on one projection: the hooks for this step's `arrivals` and
/// `post_spikes` in the order of [`Rule::SAME_STEP`], then the trace jumps; the weights leave
/// with the step's bounded changes applied. Pure over its arguments (no World),
/// O(spikes × fan-out). The reward reads as 0 ([`rule_kernel_with_reward`] passes one).
#[inline]
pub fn rule_kernel<R: Rule>(
    rule: &R,
    connectivity: &Connectivity,
    state: &mut RuleState<R>,
    step: u64,
    arrivals: &[u32],
    post_spikes: &[u32],
    changes: &mut WeightChanges<'_>,
) {
    rule_kernel_with_reward(
        rule,
        connectivity,
        state,
        step,
        0.0,
        arrivals,
        post_spikes,
        changes,
    );
}

/// [`rule_kernel`] with this step's broadcast `reward`, and [`Rule::on_step`] when the rule
/// has one ([`Rule::EVERY_STEP`]; O(synapses) per step then).
#[expect(
    clippy::too_many_arguments,
    reason = "the pure step over one projection's pieces"
)]
#[inline]
pub fn rule_kernel_with_reward<R: Rule>(
    rule: &R,
    connectivity: &Connectivity,
    state: &mut RuleState<R>,
    step: u64,
    reward: Real,
    arrivals: &[u32],
    post_spikes: &[u32],
    changes: &mut WeightChanges<'_>,
) {
    if arrivals.is_empty() && post_spikes.is_empty() && !R::EVERY_STEP {
        return;
    }
    for trace in &mut state.traces {
        trace.seek(step);
    }
    let both = !arrivals.is_empty() && !post_spikes.is_empty();
    if both {
        state.mark_both(arrivals, post_spikes, true);
    }
    let (pre, post) = (Owner::Pre, Owner::Post);
    let now = (step, reward);
    match R::SAME_STEP {
        SameStep::Neither => {
            state.hooks(rule, post, connectivity, post_spikes, now, both, changes);
            state.hooks(rule, pre, connectivity, arrivals, now, both, changes);
            state.jump(pre, arrivals, step);
            state.jump(post, post_spikes, step);
        }
        SameStep::PreFirst => {
            state.hooks(rule, pre, connectivity, arrivals, now, both, changes);
            state.jump(pre, arrivals, step);
            state.hooks(rule, post, connectivity, post_spikes, now, both, changes);
            state.jump(post, post_spikes, step);
        }
        SameStep::Both => {
            state.jump(pre, arrivals, step);
            state.jump(post, post_spikes, step);
            state.hooks(rule, post, connectivity, post_spikes, now, both, changes);
            state.hooks(rule, pre, connectivity, arrivals, now, both, changes);
        }
    }
    if both {
        state.mark_both(arrivals, post_spikes, false);
    }
    if R::EVERY_STEP {
        rule.on_step(&mut Step {
            traces: &state.traces,
            synapses: &mut state.synapses,
            update: changes.update,
            step,
            dt_ms: state.dt_ms,
            reward,
        });
    }
    apply_accumulated(changes.update, changes.w, changes.bounding);
}

/// What [`rule_step`] reads and writes of each projection of rule `R`.
type RuleProjection<'a, R> = (
    Option<&'a RecordedEvery>,
    &'a Projection,
    &'a Connectivity,
    &'a Arrivals,
    &'a RuleParams<R>,
    &'a WeightBounding,
    &'a mut RuleState<R>,
    &'a mut WeightUpdate,
    &'a mut Weights,
);

/// The `Plasticity` system of rule `R`: [`rule_kernel`] for each of its projections (which
/// leaves the step's bounded changes applied). With several threads (or ranks) the hooks run
/// partitioned by postsynaptic neuron, with the same bits (`docs/parallel.md`).
pub fn rule_step<R: Rule>(
    clock: Clock,
    executor: &Executor,
    lists: Local<PartitionLists>,
    projections: Query<RuleProjection<R>>,
    spikes: Query<&Spikes>,
) {
    rule_projections(clock.step, 0.0, executor, lists, projections, &spikes);
}

/// [`rule_step`] for a rule that reads the reward ([`Rule::REWARD`]): the same with the
/// broadcast reward of the step (0 while no reward source has set one).
pub fn rewarded_rule_step<R: Rule>(
    clock: Clock,
    executor: &Executor,
    lists: Local<PartitionLists>,
    reward: Option<Res<Reward>>,
    projections: Query<RuleProjection<R>>,
    spikes: Query<&Spikes>,
) {
    let r = reward.map_or(0.0, |r| r.value());
    rule_projections(clock.step, r, executor, lists, projections, &spikes);
}

/// Each partition's lists of the synapses it accumulated changes for, one list per projection
/// (kept between steps so that a step allocates nothing).
#[derive(Debug, Default)]
pub struct PartitionLists(pub(crate) Vec<Vec<Vec<u32>>>);

/// One step of rule `R` on each of its projections. With one thread and one rank (or a rule
/// with a per-step hook, [`Rule::EVERY_STEP`], whose `on_step` sees every synapse) this is
/// [`rule_kernel_with_reward`] per projection. Otherwise the hooks of all projections run in
/// one region per hook phase (two for [`SameStep::PreFirst`], whose presynaptic traces jump
/// between the passes, one otherwise): partition `p` visits, for every projection in order,
/// the synapses onto its block of postsynaptic neurons (its part of each arriving row, the
/// columns of its spiking neurons), and bounds its accumulated changes into their weights. The
/// traces seek and jump on the calling thread before and after (O(spikes)), so every hook
/// reads what it reads on one thread: the bits do not depend on the partition.
#[inline]
fn rule_projections<R: Rule>(
    step: u64,
    reward: Real,
    executor: &Executor,
    mut lists: Local<PartitionLists>,
    mut projections: Query<RuleProjection<R>>,
    spikes: &Query<&Spikes>,
) {
    if !executor.is_single() && !R::EVERY_STEP {
        partitioned_projections(step, reward, executor, &mut lists.0, projections, spikes);
        return;
    }
    for (
        recorded,
        projection,
        connectivity,
        arrivals,
        params,
        bounding,
        mut state,
        mut update,
        mut weights,
    ) in &mut projections
    {
        let post = spikes.get(projection.post).map_or(&[][..], Spikes::indices);
        rule_kernel_with_reward(
            &params.0,
            connectivity,
            &mut state,
            step,
            reward,
            &arrivals.pre,
            post,
            &mut WeightChanges {
                w: &mut weights.w,
                update: &mut update,
                bounding,
            },
        );
        if recorded_at(recorded, step) {
            state.refresh_views(step);
        }
    }
}

/// A projection with events this step, in [`partitioned_projections`].
struct Active<'a, R: Rule> {
    rule: &'a R,
    connectivity: &'a Connectivity,
    arrivals: &'a [u32],
    post: &'a [u32],
    bounding: &'a WeightBounding,
    state: &'a mut RuleState<R>,
    update: &'a mut WeightUpdate,
    weights: &'a mut [Real],
    both: bool,
    /// Whether a recorder samples the traces this step.
    recorded: bool,
}

/// [`rule_projections`] on several partitions.
fn partitioned_projections<R: Rule>(
    step: u64,
    reward: Real,
    executor: &Executor,
    lists: &mut Vec<Vec<Vec<u32>>>,
    mut projections: Query<RuleProjection<R>>,
    spikes: &Query<&Spikes>,
) {
    let mut active = Vec::new();
    for (
        recorded,
        projection,
        connectivity,
        arrivals,
        params,
        bounding,
        mut state,
        update,
        weights,
    ) in &mut projections
    {
        let post = spikes.get(projection.post).map_or(&[][..], Spikes::indices);
        let arrivals = &arrivals.pre[..];
        let recorded = recorded_at(recorded, step);
        if arrivals.is_empty() && post.is_empty() {
            if recorded {
                state.refresh_views(step);
            }
            continue;
        }
        active.push(Active {
            rule: &params.0,
            connectivity,
            arrivals,
            post,
            bounding,
            state: state.into_inner(),
            update: update.into_inner(),
            weights: &mut weights.into_inner().w,
            both: false,
            recorded,
        });
    }
    partitioned_kernel(executor, lists, &mut active, step, reward);
}

/// One step of rule `R` on the projections `active` (each with arrivals or post spikes), on the
/// executor's partitions: what [`rule_kernel_with_reward`] does to each, with the same bits.
/// Pure over its arguments (no World).
fn partitioned_kernel<R: Rule>(
    executor: &Executor,
    lists: &mut Vec<Vec<Vec<u32>>>,
    active: &mut [Active<'_, R>],
    step: u64,
    reward: Real,
) {
    if active.is_empty() {
        return;
    }
    for a in active.iter_mut() {
        for trace in &mut a.state.traces {
            trace.seek(step);
        }
        a.both = !a.arrivals.is_empty() && !a.post.is_empty();
        if a.both {
            a.state.mark_both(a.arrivals, a.post, true);
        }
        if R::SAME_STEP == SameStep::Both {
            a.state.jump(Owner::Pre, a.arrivals, step);
            a.state.jump(Owner::Post, a.post, step);
        }
    }
    lists.resize_with(executor.threads(), Vec::new);
    for list in lists.iter_mut() {
        list.resize_with(active.len(), Vec::new);
    }
    let now = (step, reward);
    match R::SAME_STEP {
        SameStep::Neither => {
            hooks_region(executor, active, lists, &[Owner::Post, Owner::Pre], now);
            for a in active.iter_mut() {
                a.state.jump(Owner::Pre, a.arrivals, step);
                a.state.jump(Owner::Post, a.post, step);
            }
        }
        SameStep::PreFirst => {
            hooks_region(executor, active, lists, &[Owner::Pre], now);
            for a in active.iter_mut() {
                a.state.jump(Owner::Pre, a.arrivals, step);
            }
            hooks_region(executor, active, lists, &[Owner::Post], now);
            for a in active.iter_mut() {
                a.state.jump(Owner::Post, a.post, step);
            }
        }
        SameStep::Both => {
            hooks_region(executor, active, lists, &[Owner::Post, Owner::Pre], now);
        }
    }
    for a in active.iter_mut() {
        if a.both {
            a.state.mark_both(a.arrivals, a.post, false);
        }
        if a.recorded {
            a.state.refresh_views(step);
        }
    }
}

/// One region: each partition runs the hook passes `passes` (in this order) of every active
/// projection on its block, and, after the step's last pass ([`Owner::Post`] for
/// [`SameStep::PreFirst`]), bounds the changes it accumulated into their weights.
fn hooks_region<R: Rule>(
    executor: &Executor,
    active: &mut [Active<'_, R>],
    lists: &mut [Vec<Vec<u32>>],
    passes: &[Owner],
    (step, reward): (u64, Real),
) {
    let last = R::SAME_STEP != SameStep::PreFirst || passes == [Owner::Post];
    let projections: Vec<_> = active
        .iter_mut()
        .map(|a| {
            let (reads, states) = a.state.split();
            let pass = RulePass {
                rule: a.rule,
                connectivity: a.connectivity,
                reads,
                states,
                w: BySynapse::new(a.weights),
                kernel: a.bounding.kernel,
                order: a.bounding.order,
                nest_additive: NestAdditive::of(a.bounding.kernel, a.bounding.order),
                step,
                reward,
                both: a.both,
            };
            (pass, a.update.shared_sums(), a.arrivals, a.post)
        })
        .collect();
    executor.for_each_part(lists.iter_mut(), |p, lists| {
        for ((pass, sums, arrivals, post), list) in projections.iter().zip(lists.iter_mut()) {
            let block = executor.block(pass.connectivity.n_post(), p);
            for &owner in passes {
                let neurons = match owner {
                    Owner::Pre => arrivals,
                    Owner::Post => post,
                };
                pass.hooks::<false>(owner, neurons, &block, sums.with_list(list));
            }
            if last {
                // SAFETY: this partition accumulated only for synapses onto its block.
                unsafe { sums.with_list(list).apply(pass.w, pass.kernel, pass.order) };
            }
        }
    });
}

/// Attach rule `R` to a projection (the `attach` of the `Model` impl that
/// [`plasticity_rule!`](crate::plasticity_rule) writes).
pub fn attach_rule<R: Rule>(rule: &R, ctx: &mut AttachContext<'_>) -> Result<(), BuildError> {
    let shape = ctx.projection(R::NAME)?;
    let state = RuleState::new(rule, shape.n_pre, shape.n_post, shape.n_synapses, ctx.dt_ms);
    let (bounds, order) = rule.bounds();
    ctx.without_kind_systems();
    ctx.entity_mut().insert((
        RuleParams(rule.clone()),
        state,
        WeightUpdate::new(shape.n_synapses),
        WeightBounding::new(bounds, order),
    ));
    Ok(())
}

/// Registers rule `R`: its name and params, its recordable traces, its snapshot state and its
/// system, which applies the rule's changes with its bounds itself (so the plugin may be added
/// before or after `DefaultPlugins`).
pub struct RulePlugin<R>(PhantomData<fn() -> R>);

impl<R> Default for RulePlugin<R> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<R: Rule> RulePlugin<R> {
    /// The plugin of rule `R`.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<R: Rule> Plugin for RulePlugin<R> {
    fn build(&self, sim: &mut Simulation) {
        sim.register_model::<R>()
            .register_variables::<RuleState<R>>()
            .register_snapshot::<RuleState<R>>()
            .register_snapshot::<WeightUpdate>();
        if R::REWARD {
            sim.add_model_systems::<R, _>(Stage::Plasticity, rewarded_rule_step::<R>);
        } else {
            sim.add_model_systems::<R, _>(Stage::Plasticity, rule_step::<R>);
        }
    }
}

/// Per-field checks for [`plasticity_rule!`](crate::plasticity_rule): `check` names one of
/// these.
pub mod valid {
    use hebb_core::error::ParamError;
    use hebb_core::params::check;

    use crate::bounds::Bounds;

    /// `> 0` and finite.
    pub fn positive(field: &str, value: &f64) -> Result<(), ParamError> {
        check::positive(field, *value)
    }

    /// `>= 0` and finite.
    pub fn non_negative(field: &str, value: &f64) -> Result<(), ParamError> {
        check::non_negative(field, *value)
    }

    /// Finite.
    pub fn finite(field: &str, value: &f64) -> Result<(), ParamError> {
        check::finite(field, *value)
    }

    /// Valid [`Bounds`].
    pub fn bounds(field: &str, value: &Bounds) -> Result<(), ParamError> {
        value.validate(field)
    }

    /// No check (enums and other self-validating types).
    pub fn any<T>(_field: &str, _value: &T) -> Result<(), ParamError> {
        Ok(())
    }
}

/// Items the [`plasticity_rule!`](crate::plasticity_rule) expansion names.
#[doc(hidden)]
pub mod __private {
    pub use hebb_core::prelude::{
        AttachContext, BuildError, Model, ModelKind, ParamDoc, ParamError,
    };

    /// A doc comment without the leading spaces that `///` leaves.
    pub const fn trim_doc(s: &'static str) -> &'static str {
        let mut bytes = s.as_bytes();
        while let [b' ', rest @ ..] = bytes {
            bytes = rest;
        }
        match core::str::from_utf8(bytes) {
            Ok(trimmed) => trimmed,
            Err(_) => s,
        }
    }
}

/// Declare a plasticity rule's parameters; writes the struct (serde with `deny_unknown_fields`
/// and defaults; the rule's crate depends on `serde` with `derive`), its `Default` and its
/// `Model` impl (the rule itself implements [`Rule`]).
///
/// ```ignore
/// plasticity_rule! {
///     /// Params of my rule (scene name `MyRule`).
///     rule MyRule("MyRule", "one line for `hebb list`") {
///         /// Time constant of both traces.
///         pub tau_ms: f64 = 20.0; "ms", positive;
///         /// Weight bounds.
///         pub bounds: Bounds = Bounds::Unbounded; "-", bounds;
///     }
/// }
/// ```
#[macro_export]
macro_rules! plasticity_rule {
    (
        $(#[doc = $sdoc:literal])*
        rule $name:ident ($scene:literal, $summary:literal) {
            $(
                $(#[doc = $doc:literal])*
                pub $field:ident : $ty:ty = $default:expr ; $unit:literal, $check:ident ;
            )*
        }
    ) => {
        $(#[doc = $sdoc])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            $(
                $(#[doc = $doc])*
                #[doc = concat!("\n\nUnit `", $unit, "`, default `", stringify!($default), "`.")]
                pub $field: $ty,
            )*
        }

        impl ::core::default::Default for $name {
            fn default() -> Self {
                Self { $($field: $default,)* }
            }
        }

        impl $crate::rule::__private::Model for $name {
            const NAME: &'static str = $scene;
            const KIND: $crate::rule::__private::ModelKind =
                $crate::rule::__private::ModelKind::Plasticity;
            const SUMMARY: &'static str = $summary;
            const USES_REWARD: bool = <Self as $crate::rule::Rule>::REWARD;
            const PARAMS: &'static [$crate::rule::__private::ParamDoc] = &[
                $($crate::rule::__private::ParamDoc {
                    name: stringify!($field),
                    unit: $unit,
                    doc: $crate::rule::__private::trim_doc(concat!($($doc),*)),
                },)*
            ];

            fn validate(&self) -> ::core::result::Result<(), $crate::rule::__private::ParamError> {
                $($crate::rule::valid::$check(stringify!($field), &self.$field)?;)*
                <Self as $crate::rule::Rule>::check(self)
            }

            fn attach(
                &self,
                ctx: &mut $crate::rule::__private::AttachContext<'_>,
            ) -> ::core::result::Result<(), $crate::rule::__private::BuildError> {
                $crate::rule::attach_rule(self, ctx)
            }
        }
    };
}

/// Everything a rule file needs: `use hebb_plasticity::rule::prelude::*;` (or, out of tree,
/// `use hebb::plugin::prelude::*;`).
pub mod prelude {
    pub use super::{
        Owner, Rule, RuleParams, RulePlugin, RuleState, SameStep, Step, Synapse, Trace,
        WeightChanges, rule_kernel, rule_kernel_with_reward,
    };
    pub use crate::bounds::{Bounds, UpdateOrder};
    pub use crate::plasticity_rule;
    pub use crate::trace::TraceMode;
    pub use crate::update::{WeightBounding, WeightUpdate};
    pub use hebb_core::prelude::*;
}

#[cfg(not(test))]
mod tests {
    /// Production: synapses with one hook this step apply their changes at once.
    #[inline(always)]
    pub(super) fn accumulate_all() -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::triplet::TripletStdp;
    use crate::vogels_sprekeler::VogelsSprekeler;

    thread_local! {
        static ACCUMULATE_ALL: Cell<bool> = const { Cell::new(false) };
    }

    /// The reference mode of the tests: every change goes through the accumulator.
    pub(super) fn accumulate_all() -> bool {
        ACCUMULATE_ALL.with(Cell::get)
    }

    /// Weights after every step of a dense `n_pre × n_post` projection with random spikes
    /// (probability `p` per neuron and step, many same-step pre/post events).
    fn run<R: Rule>(rule: &R, accumulate: bool, w0: Real) -> Vec<Vec<Real>> {
        ACCUMULATE_ALL.with(|a| a.set(accumulate));
        let conn = Connectivity::Dense {
            n_pre: 13,
            n_post: 7,
        };
        let out = run_on(rule, &conn, None, w0).0;
        ACCUMULATE_ALL.with(|a| a.set(false));
        out
    }

    /// [`run`] on `connectivity` (13 × 7), with [`rule_kernel`] or, with `Some(threads)`, on
    /// that many partitions ([`partitioned_kernel`]); also the rule state at the end.
    fn run_on<R: Rule>(
        rule: &R,
        conn: &Connectivity,
        threads: Option<usize>,
        w0: Real,
    ) -> (Vec<Vec<Real>>, RuleState<R>) {
        let (n_pre, n_post, steps, p) = (13, 7, 400, 0.15);
        assert_eq!((conn.n_pre(), conn.n_post()), (n_pre, n_post));
        let executor = threads.map(|t| Executor::new(t).unwrap());
        let mut lists = Vec::new();
        let mut state = RuleState::new(rule, n_pre, n_post, n_pre * n_post, 0.1);
        let mut update = WeightUpdate::new(n_pre * n_post);
        let (bounds, order) = rule.bounds();
        let bounding = WeightBounding::new(bounds, order);
        let mut w = vec![w0; n_pre * n_post];
        let mut seed = 12345u64;
        let mut draw = |n: usize| -> Vec<u32> {
            (0..n as u32)
                .filter(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 33) as f64 / (1u64 << 31) as f64) < p
                })
                .collect()
        };
        let mut out = Vec::new();
        for step in 0..steps {
            let (a, b) = (draw(n_pre), draw(n_post));
            if let Some(executor) = &executor {
                let mut active = [Active {
                    rule,
                    connectivity: conn,
                    arrivals: &a,
                    post: &b,
                    bounding: &bounding,
                    state: &mut state,
                    update: &mut update,
                    weights: &mut w,
                    both: false,
                    recorded: false,
                }];
                let events = usize::from(!a.is_empty() || !b.is_empty());
                partitioned_kernel(executor, &mut lists, &mut active[..events], step, 0.0);
            } else {
                let mut changes = WeightChanges {
                    w: &mut w,
                    update: &mut update,
                    bounding: &bounding,
                };
                rule_kernel(rule, conn, &mut state, step, &a, &b, &mut changes);
            }
            assert!(update.is_empty());
            out.push(w.clone());
        }
        (out, state)
    }

    /// Pair STDP in a given same-step order, counting its hooks per synapse.
    macro_rules! ordered_pair_rule {
        ($name:ident, $scene:literal, $order:expr) => {
            crate::plasticity_rule! {
                /// A test rule: pair STDP with hard bounds, depression first.
                rule $name($scene, "test: pair STDP in one same-step order") {
                    /// Amplitude of both changes.
                    pub a: f64 = 0.2; "1", non_negative;
                }
            }

            impl Rule for $name {
                const TRACES: &'static [&'static str] = &["x", "y"];
                const SAME_STEP: SameStep = $order;
                /// Hooks seen.
                type SynapseState = u32;

                fn traces(&self) -> Vec<Trace> {
                    vec![Trace::pre(5.0), Trace::post(3.0).nearest()]
                }

                fn bounds(&self) -> (Bounds, UpdateOrder) {
                    let hard = Bounds::Hard {
                        w_min: Some(0.0),
                        w_max: Some(0.6),
                    };
                    (hard, UpdateOrder::DepressionFirst)
                }

                fn on_pre(&self, syn: &mut Synapse<'_, u32>) {
                    *syn.state() += 1;
                    let amount = self.a as Real * syn.trace(1);
                    syn.depress(amount);
                }

                fn on_post(&self, syn: &mut Synapse<'_, u32>) {
                    *syn.state() += 1;
                    let amount = self.a as Real * syn.trace(0);
                    syn.potentiate(amount);
                }
            }
        };
    }

    ordered_pair_rule!(PreFirstPair, "TestPreFirst", SameStep::PreFirst);
    ordered_pair_rule!(BothPair, "TestBoth", SameStep::Both);

    /// `rule` on 2 and 3 partitions gives the weights and state of one thread at every step,
    /// on a dense projection and on the same synapses as sparse rows; and the weights move.
    fn partitions_agree<R: Rule + PartialEq>(rule: &R, w0: Real) {
        let dense = Connectivity::Dense {
            n_pre: 13,
            n_post: 7,
        };
        for conn in [dense.clone(), dense.to_sparse()] {
            let (reference, state) = run_on(rule, &conn, None, w0);
            let changed = reference.last().unwrap().iter().filter(|&&w| w != w0);
            assert!(changed.count() > 20, "{}", R::NAME);
            for threads in [1, 2, 3] {
                let (weights, parted) = run_on(rule, &conn, Some(threads), w0);
                assert!(weights == reference, "{}: {threads} partitions", R::NAME);
                assert!(parted == state, "{}: {threads} partitions", R::NAME);
            }
        }
    }

    #[test]
    fn partitions_give_the_bits_of_one_thread_in_every_same_step_order() {
        let triplet = TripletStdp {
            a2_plus: 0.05,
            a3_plus: 0.02,
            a2_minus: 0.07,
            a3_minus: 0.01,
            bounds: Bounds::Nest {
                w_max: 1.0,
                mu_plus: 0.5,
                mu_minus: 1.0,
            },
            ..TripletStdp::default()
        };
        const { assert!(matches!(TripletStdp::SAME_STEP, SameStep::Neither)) };
        partitions_agree(&triplet, 0.5);
        let vogels = VogelsSprekeler {
            eta: 0.05,
            w_max: -2.0,
            ..VogelsSprekeler::default()
        };
        partitions_agree(&vogels, -0.5);
        partitions_agree(&PreFirstPair::default(), 0.3);
        partitions_agree(&BothPair::default(), 0.3);
        // The orders differ, so each case tests its own path.
        let dense = Connectivity::Dense {
            n_pre: 13,
            n_post: 7,
        };
        assert_ne!(
            run_on(&PreFirstPair::default(), &dense, None, 0.3).0,
            run_on(&BothPair::default(), &dense, None, 0.3).0
        );
    }

    crate::plasticity_rule! {
        /// A test rule with both new hooks (scene name `TestRewarded`).
        rule Rewarded("TestRewarded", "test: reward-scaled LTP and a per-step decay") {
            /// Time constant of the presynaptic trace.
            pub tau_ms: f64 = 20.0; "ms", positive;
            /// Depression of every synapse every step.
            pub leak: f64 = 0.001; "1", non_negative;
        }
    }

    impl Rule for Rewarded {
        const TRACES: &'static [&'static str] = &["x_pre"];
        const REWARD: bool = true;
        const EVERY_STEP: bool = true;
        /// Steps seen by `on_step`.
        type SynapseState = u32;

        fn traces(&self) -> Vec<Trace> {
            vec![Trace::pre(self.tau_ms)]
        }

        fn bounds(&self) -> (Bounds, UpdateOrder) {
            (Bounds::Unbounded, UpdateOrder::Combined)
        }

        fn on_post(&self, syn: &mut Synapse<'_, u32>) {
            let amount = syn.reward() * syn.trace(0);
            syn.potentiate(amount);
        }

        fn on_step(&self, step: &mut Step<'_, u32>) {
            for s in 0..step.synapses().len() {
                step.synapses()[s] += 1;
                step.depress(s, self.leak as Real);
            }
        }
    }

    /// One synapse from w = 1: an arrival at step 0, a post spike at step 10, `steps` steps
    /// with `reward`. The weight and the synapse's state at the end.
    fn rewarded(reward: Real, steps: u64) -> (Real, u32) {
        let rule = Rewarded::default();
        let conn = Connectivity::Dense {
            n_pre: 1,
            n_post: 1,
        };
        let mut state = RuleState::new(&rule, 1, 1, 1, 0.1);
        let mut update = WeightUpdate::new(1);
        let (bounds, order) = rule.bounds();
        let bounding = WeightBounding::new(bounds, order);
        let mut w = vec![1.0];
        for step in 0..steps {
            let arrivals: &[u32] = if step == 0 { &[0] } else { &[] };
            let post: &[u32] = if step == 10 { &[0] } else { &[] };
            let mut changes = WeightChanges {
                w: &mut w,
                update: &mut update,
                bounding: &bounding,
            };
            rule_kernel_with_reward(
                &rule,
                &conn,
                &mut state,
                step,
                reward,
                arrivals,
                post,
                &mut changes,
            );
            assert!(update.is_empty());
        }
        (w[0], state.synapse_states()[0])
    }

    #[test]
    fn reward_and_per_step_hooks() {
        const {
            assert!(<Rewarded as Model>::USES_REWARD);
            assert!(!<TripletStdp as Model>::USES_REWARD);
        }
        // The per-step hook runs on every step, spikes or not: 20 steps of leak.
        let (w0, seen) = rewarded(0.0, 20);
        assert_eq!(seen, 20);
        assert!((w0 - (1.0 - 20.0 * 0.001)).abs() < 1e-6, "{w0}");
        // The post spike at step 10 potentiates by reward · x_pre(1 ms) = 2·e^{-1/20}.
        let (w2, _) = rewarded(2.0, 20);
        let expected = 2.0 * (-1.0f64 / 20.0).exp() as Real;
        assert!((w2 - w0 - expected).abs() < 1e-5, "{w2} {w0}");
        // Before the post spike the reward changes nothing.
        assert_eq!(rewarded(2.0, 10).0, rewarded(0.0, 10).0);
    }

    #[test]
    fn applying_single_hook_changes_at_once_equals_accumulating_everything() {
        // Large amplitudes and a low w_max so that the bounds clip often.
        let triplet = TripletStdp {
            a2_plus: 0.05,
            a3_plus: 0.02,
            a2_minus: 0.07,
            a3_minus: 0.01,
            bounds: Bounds::Nest {
                w_max: 1.0,
                mu_plus: 0.5,
                mu_minus: 1.0,
            },
            ..TripletStdp::default()
        };
        let reference = run(&triplet, true, 0.5);
        assert_eq!(run(&triplet, false, 0.5), reference);
        let changed = reference
            .last()
            .unwrap()
            .iter()
            .filter(|&&w| w != 0.5)
            .count();
        assert!(changed > 80, "{changed}");
        // Potentiation and depression in one hook, negative weights.
        let vogels = VogelsSprekeler {
            eta: 0.05,
            w_max: -2.0,
            ..VogelsSprekeler::default()
        };
        let reference = run(&vogels, true, -0.5);
        assert_eq!(run(&vogels, false, -0.5), reference);
        assert!(reference.last().unwrap().iter().any(|&w| w != -0.5));
    }
}
