//! The weight accumulator and the ONE system that applies it with the projection's bounds.
//!
//! Every plastic projection carries a [`WeightUpdate`] (potentiation `pos` and depression `neg`
//! per synapse, plus the list of synapses touched this step) and a [`WeightBounding`] (its
//! [`Bounds`] and [`UpdateOrder`]). Rules only add into the accumulator; [`apply_weight_updates`]
//! visits the touched synapses (or all of them after a dense rule), sets
//! `w ← bounds.apply(order, w, pos, neg)` and clears the accumulator. Event-driven rules
//! therefore never touch a synapse that saw no event.
//!
//! The bounded application is one function, [`WeightUpdate::apply_to`] (through
//! [`apply_accumulated`]). The built-in rules (`Stdp`, `Mstdp`, `Mstdpet`, `Song2000` and every
//! rule of the rule API) call it at the end of their own system, for their own projections,
//! once all of the step's changes are accumulated: that is the same computation as a separate
//! system later in the stage (a projection's accumulator and weights belong to its one rule),
//! without one more system and one more pass per step. They attach with
//! `AttachContext::without_kind_systems`, so [`apply_weight_updates`], the shared system at the
//! end of the `Plasticity` stage, joins the schedule only for rules that rely on it (a
//! third-party rule with its own system that only accumulates). `Song2000` with BrainPy's
//! timing applies its pre-transmission accumulation in `SynapticStp`, and with Brian2's timing
//! it bounds each change into the weight as the event comes when that gives the same result
//! (see `song2000::brian2_in_place`).

use bevy_ecs::prelude::*;
use hebb_core::Real;
use hebb_core::projection::Weights;
use serde::{Deserialize, Serialize};

use crate::bounds::{BoundKernel, Bounds, UpdateOrder};
use crate::owned::BySynapse;

/// Accumulated potentiation and depression of one projection for the current step.
#[derive(Component, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightUpdate {
    pos: Vec<Real>,
    neg: Vec<Real>,
    touched: Vec<u32>,
    marked: Vec<bool>,
    dense: bool,
}

impl WeightUpdate {
    /// An empty accumulator for `n_synapses`.
    pub fn new(n_synapses: usize) -> Self {
        Self {
            pos: vec![0.0; n_synapses],
            neg: vec![0.0; n_synapses],
            touched: Vec::new(),
            marked: vec![false; n_synapses],
            dense: false,
        }
    }

    #[inline]
    fn touch(&mut self, s: usize) {
        if !self.marked[s] {
            self.marked[s] = true;
            self.touched.push(s as u32);
        }
    }

    /// Add potentiation `amount ≥ 0` to synapse `s`.
    #[inline]
    pub fn potentiate(&mut self, s: usize, amount: Real) {
        self.touch(s);
        self.pos[s] += amount;
    }

    /// Add depression `amount ≥ 0` to synapse `s`.
    #[inline]
    pub fn depress(&mut self, s: usize, amount: Real) {
        self.touch(s);
        self.neg[s] += amount;
    }

    /// Add `coefficient · magnitude` (magnitude ≥ 0) to synapse `s`: potentiation when the
    /// coefficient is ≥ 0, depression otherwise (Inferno's routing by sign).
    #[inline]
    pub fn add_signed(&mut self, s: usize, coefficient: Real, magnitude: Real) {
        if coefficient >= 0.0 {
            self.potentiate(s, coefficient * magnitude);
        } else {
            self.depress(s, -coefficient * magnitude);
        }
    }

    /// Add a signed change `delta` to synapse `s`: potentiation when ≥ 0, depression otherwise.
    #[inline]
    pub fn add_value(&mut self, s: usize, delta: Real) {
        if delta >= 0.0 {
            self.potentiate(s, delta);
        } else {
            self.depress(s, -delta);
        }
    }

    /// The whole `(pos, neg)` arrays for a dense rule; marks every synapse as touched.
    pub fn dense_mut(&mut self) -> (&mut [Real], &mut [Real]) {
        self.dense = true;
        (&mut self.pos, &mut self.neg)
    }

    /// Synapses touched this step (empty after a dense access: then all are).
    pub fn touched(&self) -> &[u32] {
        &self.touched
    }

    /// Accumulated potentiation of synapse `s`.
    pub fn pos(&self, s: usize) -> Real {
        self.pos[s]
    }

    /// Accumulated depression of synapse `s`.
    pub fn neg(&self, s: usize) -> Real {
        self.neg[s]
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        !self.dense && self.touched.is_empty()
    }

    /// Apply the accumulated changes to `w` and clear the accumulator.
    pub fn apply_to(&mut self, w: &mut [Real], bounds: BoundKernel, order: UpdateOrder) {
        if self.dense {
            for ((w, p), n) in w.iter_mut().zip(&mut self.pos).zip(&mut self.neg) {
                *w = bounds.apply(order, *w, *p, *n);
                *p = 0.0;
                *n = 0.0;
            }
            for &s in &self.touched {
                self.marked[s as usize] = false;
            }
            self.touched.clear();
            self.dense = false;
            return;
        }
        for &s in &self.touched {
            let s = s as usize;
            w[s] = bounds.apply(order, w[s], self.pos[s], self.neg[s]);
            self.pos[s] = 0.0;
            self.neg[s] = 0.0;
            self.marked[s] = false;
        }
        self.touched.clear();
    }
}

/// One partition's view of a [`WeightUpdate`]: the per-synapse sums, shared by the partitions
/// of a region (each writes only its own synapses, see [`crate::owned`]), and the partition's
/// own list of the synapses it touched. With one partition it is the accumulator's own list.
pub(crate) struct Accumulator<'a> {
    pos: BySynapse<'a, Real>,
    neg: BySynapse<'a, Real>,
    marked: BySynapse<'a, bool>,
    touched: &'a mut Vec<u32>,
}

/// A [`WeightUpdate`]'s per-synapse sums, shared by the partitions of a region.
#[derive(Clone, Copy)]
pub(crate) struct SharedSums<'a> {
    pos: BySynapse<'a, Real>,
    neg: BySynapse<'a, Real>,
    marked: BySynapse<'a, bool>,
}

impl WeightUpdate {
    /// The accumulator as one partition that owns every synapse sees it.
    #[inline]
    pub(crate) fn accumulator(&mut self) -> Accumulator<'_> {
        Accumulator {
            pos: BySynapse::new(&mut self.pos),
            neg: BySynapse::new(&mut self.neg),
            marked: BySynapse::new(&mut self.marked),
            touched: &mut self.touched,
        }
    }

    /// The per-synapse sums, for partitions that each keep their own list of touched synapses
    /// ([`SharedSums::with_list`]) and apply it themselves. Nothing may be pending.
    pub(crate) fn shared_sums(&mut self) -> SharedSums<'_> {
        debug_assert!(self.is_empty(), "the accumulator is empty between steps");
        SharedSums {
            pos: BySynapse::new(&mut self.pos),
            neg: BySynapse::new(&mut self.neg),
            marked: BySynapse::new(&mut self.marked),
        }
    }
}

impl<'a> SharedSums<'a> {
    /// One partition's accumulator: these sums with the partition's own list of touched synapses.
    #[inline]
    pub(crate) fn with_list(self, touched: &'a mut Vec<u32>) -> Accumulator<'a> {
        Accumulator {
            pos: self.pos,
            neg: self.neg,
            marked: self.marked,
            touched,
        }
    }
}

impl Accumulator<'_> {
    /// Mark synapse `s` as touched.
    ///
    /// # Safety
    /// No other partition accesses synapse `s` meanwhile (its postsynaptic neuron is in the
    /// caller's block).
    #[inline(always)]
    unsafe fn touch(&mut self, s: usize) {
        // SAFETY: the caller owns synapse `s`.
        let marked = unsafe { &mut *self.marked.at(s) };
        if !*marked {
            *marked = true;
            self.touched.push(s as u32);
        }
    }

    /// Add potentiation `amount` to synapse `s`.
    ///
    /// # Safety
    /// As [`Accumulator::touch`]: the caller owns synapse `s`.
    #[inline(always)]
    pub(crate) unsafe fn potentiate(&mut self, s: usize, amount: Real) {
        // SAFETY: the caller owns synapse `s`.
        unsafe {
            self.touch(s);
            *self.pos.at(s) += amount;
        }
    }

    /// Add depression `amount` to synapse `s`.
    ///
    /// # Safety
    /// As [`Accumulator::touch`]: the caller owns synapse `s`.
    #[inline(always)]
    pub(crate) unsafe fn depress(&mut self, s: usize, amount: Real) {
        // SAFETY: the caller owns synapse `s`.
        unsafe {
            self.touch(s);
            *self.neg.at(s) += amount;
        }
    }

    /// Add `coefficient · magnitude` to synapse `s`, routed by the coefficient's sign
    /// ([`WeightUpdate::add_signed`]).
    ///
    /// # Safety
    /// As [`Accumulator::touch`]: the caller owns synapse `s`.
    #[inline(always)]
    pub(crate) unsafe fn add_signed(&mut self, s: usize, coefficient: Real, magnitude: Real) {
        // SAFETY: the caller owns synapse `s`.
        unsafe {
            if coefficient >= 0.0 {
                self.potentiate(s, coefficient * magnitude);
            } else {
                self.depress(s, -coefficient * magnitude);
            }
        }
    }

    /// Apply the touched synapses' sums to `w` with `bounds` in `order` (exactly
    /// [`WeightUpdate::apply_to`] for these synapses) and clear them.
    ///
    /// # Safety
    /// The caller owns every synapse it touched (as for [`Accumulator::potentiate`]).
    pub(crate) unsafe fn apply(
        &mut self,
        w: BySynapse<'_, Real>,
        bounds: BoundKernel,
        order: UpdateOrder,
    ) {
        for &s in self.touched.iter() {
            let s = s as usize;
            // SAFETY: the caller owns synapse `s`, which it touched.
            unsafe {
                let (pos, neg) = (&mut *self.pos.at(s), &mut *self.neg.at(s));
                let w = &mut *w.at(s);
                *w = bounds.apply(order, *w, *pos, *neg);
                *pos = 0.0;
                *neg = 0.0;
                *self.marked.at(s) = false;
            }
        }
        self.touched.clear();
    }
}

/// The bounds and update order of a plastic projection, set by its rule at attach.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct WeightBounding {
    /// The bounds as given.
    pub bounds: Bounds,
    /// Their kernel form.
    pub kernel: BoundKernel,
    /// The order of potentiation and depression.
    pub order: UpdateOrder,
}

impl WeightBounding {
    /// Bounding with `bounds` in `order`.
    pub fn new(bounds: Bounds, order: UpdateOrder) -> Self {
        Self {
            bounds,
            kernel: bounds.kernel(),
            order,
        }
    }
}

/// Apply one projection's accumulated changes with its bounds, if any (what
/// [`apply_weight_updates`] does for each projection; built-in rules call it at the end of
/// their system).
#[inline]
pub fn apply_accumulated(update: &mut WeightUpdate, w: &mut [Real], bounding: &WeightBounding) {
    if !update.is_empty() {
        update.apply_to(w, bounding.kernel, bounding.order);
    }
}

/// The one weight-update system: apply every projection's accumulated changes with its bounds.
pub fn apply_weight_updates(
    mut projections: Query<(&mut Weights, &mut WeightUpdate, &WeightBounding)>,
) {
    for (mut weights, mut update, bounding) in &mut projections {
        if update.is_empty() {
            continue;
        }
        update.apply_to(&mut weights.w, bounding.kernel, bounding.order);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_touched_synapses_change_and_the_accumulator_clears() {
        let mut u = WeightUpdate::new(4);
        let mut w = vec![0.5; 4];
        u.potentiate(1, 0.2);
        u.depress(1, 0.05);
        u.add_signed(3, -2.0, 0.1);
        u.add_signed(2, 0.0, 0.1);
        u.add_value(0, -0.0);
        assert_eq!(u.touched(), &[1, 3, 2, 0]);
        u.apply_to(&mut w, BoundKernel::Unbounded, UpdateOrder::Combined);
        assert!((w[1] - 0.65).abs() < 1e-6 && (w[3] - 0.3).abs() < 1e-6);
        assert_eq!((w[0], w[2]), (0.5, 0.5));
        let mut u2 = WeightUpdate::new(1);
        u2.add_value(0, -0.25);
        assert_eq!((u2.pos(0), u2.neg(0)), (0.0, 0.25));
        assert!(u.is_empty() && u.pos(1) == 0.0 && u.neg(3) == 0.0);
        // Nothing pending: applying again changes nothing.
        let before = w.clone();
        u.apply_to(&mut w, BoundKernel::Unbounded, UpdateOrder::Combined);
        assert_eq!(w, before);
    }

    #[test]
    fn dense_updates_visit_every_synapse() {
        let mut u = WeightUpdate::new(3);
        u.potentiate(0, 1.0);
        {
            let (pos, neg) = u.dense_mut();
            pos[1] += 0.1;
            neg[2] += 0.1;
        }
        let mut w = vec![0.0; 3];
        let hard = Bounds::Hard {
            w_min: Some(-0.05),
            w_max: Some(0.5),
        }
        .kernel();
        u.apply_to(&mut w, hard, UpdateOrder::Combined);
        assert_eq!(w, vec![0.5, 0.1, -0.05]);
        assert!(u.is_empty());
        u.potentiate(0, 0.25);
        assert_eq!(u.touched(), &[0]);
    }
}
