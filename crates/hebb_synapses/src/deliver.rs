//! Event-driven delivery shared by the synapse outputs: add `factor · w · scale` of every
//! synapse of every arriving presynaptic neuron (and of every arriving synapse of a projection
//! with per-synapse delays, `hebb_core::delays`) into a postsynaptic array.
//!
//! Dense rows without per-synapse scale take a contiguous, vectorizable loop; CSR rows without
//! scale a direct loop over the row's postsynaptic indices and weights; every other case goes
//! through [`hebb_core::projection::for_each_transmission`]. Both paths compute each
//! contribution with the same operations in the same order (`(w · scale) · factor`, summed over
//! the arrivals in ascending presynaptic order), so dense and CSR storage of the same synapses
//! give bit-identical results.

use std::ops::Range;

use hebb_core::connectivity::{Connectivity, Csr};
use hebb_core::parallel::{FindRowPart, RowLocator, RowParts};
use hebb_core::prelude::*;
use hebb_core::projection::{
    for_each_pre_transmission, for_each_synapse_transmission, for_each_transmission_in,
};

/// How many arriving neurons ahead the rows of a sparse projection are prefetched.
const PREFETCH_AHEAD: usize = 8;

/// Ask the CPU to bring the cache lines of `row` (up to 8) toward L1 without waiting for them.
/// Rows of a large projection start at random places in memory far larger than the caches (64000
/// neurons with 80 synapses each: 41 MB of indices and weights), and one row's work is shorter
/// than a memory access, so loading the rows a few arrivals ahead hides most of that latency.
#[inline(always)]
fn prefetch_row<T>(row: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let bytes = std::mem::size_of_val(row).min(8 * 64);
        let start = row.as_ptr().cast::<i8>();
        for offset in (0..bytes).step_by(64) {
            // SAFETY: `_mm_prefetch` needs SSE, which every x86_64 CPU has; a prefetch is a hint
            // that never faults and never changes memory, and the address lies inside `row`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(offset)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// What a synapse output system reads of a projection: endpoints, connectivity, weights,
/// this step's arrivals and the optional STP scale.
pub type Incoming<'a> = (
    &'a Projection,
    &'a Connectivity,
    &'a Weights,
    &'a Arrivals,
    Option<&'a TransmissionScale>,
);

/// Add `(w[s] · scale) · factor` into `target[post(s)]` for every synapse `s` of every
/// arriving presynaptic neuron, then for every arriving synapse (per-synapse delays, in their
/// canonical order). `target` has one entry per postsynaptic neuron.
#[inline]
pub fn deliver(
    connectivity: &Connectivity,
    weights: &[Real],
    arrivals: &Arrivals,
    scale: Option<&TransmissionScale>,
    factor: Real,
    target: &mut [Real],
) {
    deliver_pre(connectivity, weights, &arrivals.pre, scale, factor, target);
    deliver_synapses(
        connectivity,
        weights,
        &arrivals.synapses,
        scale,
        factor,
        &(0..connectivity.n_post()),
        target,
    );
}

/// [`deliver`] for arriving presynaptic neurons (every synapse of each).
#[inline]
pub fn deliver_pre(
    connectivity: &Connectivity,
    weights: &[Real],
    arrivals: &[u32],
    scale: Option<&TransmissionScale>,
    factor: Real,
    target: &mut [Real],
) {
    if arrivals.is_empty() {
        return;
    }
    match (connectivity, scale) {
        // One postsynaptic neuron (Song et al. 2000): a scalar sum, without the vector loop's
        // set-up per arrival; the same additions in the same order.
        (Connectivity::Dense { n_post: 1, .. }, None) => {
            let t = &mut target[0];
            for &i in arrivals {
                *t += weights[i as usize] * factor;
            }
        }
        (Connectivity::Dense { n_post, .. }, None) => {
            let n = *n_post;
            let target = &mut target[..n];
            for &i in arrivals {
                let row = &weights[i as usize * n..(i as usize + 1) * n];
                for (t, &w) in target.iter_mut().zip(row) {
                    *t += w * factor;
                }
            }
        }
        (Connectivity::Dense { n_post, .. }, Some(TransmissionScale::PerPre(f))) => {
            let n = *n_post;
            let target = &mut target[..n];
            for &i in arrivals {
                let f = f[i as usize];
                let row = &weights[i as usize * n..(i as usize + 1) * n];
                for (t, &w) in target.iter_mut().zip(row) {
                    *t += (w * f) * factor;
                }
            }
        }
        (Connectivity::Sparse(csr), None) => {
            let post = csr.post_of();
            for (k, &i) in arrivals.iter().enumerate() {
                if let Some(&ahead) = arrivals.get(k + PREFETCH_AHEAD) {
                    let row = csr.row(ahead as usize);
                    prefetch_row(&post[row.clone()]);
                    prefetch_row(&weights[row]);
                }
                let row = csr.row(i as usize);
                let (posts, row_weights) = (&post[row.clone()], &weights[row]);
                for (&j, &w) in posts.iter().zip(row_weights) {
                    target[j as usize] += w * factor;
                }
            }
        }
        _ => for_each_pre_transmission(connectivity, weights, arrivals, scale, |j, x| {
            target[j] += x * factor;
        }),
    }
}

/// Add `(w[s] · scale) · factor` into `target[post(s) − block.start]` for every synapse `s` of
/// `synapses` (in list order) whose postsynaptic neuron is in `block`.
#[inline]
pub fn deliver_synapses(
    connectivity: &Connectivity,
    weights: &[Real],
    synapses: &[u32],
    scale: Option<&TransmissionScale>,
    factor: Real,
    block: &Range<usize>,
    target: &mut [Real],
) {
    if synapses.is_empty() || block.is_empty() {
        return;
    }
    match (connectivity, scale) {
        (Connectivity::Sparse(csr), None) => {
            let post = csr.post_of();
            let whole = block.start == 0 && block.end == connectivity.n_post();
            if whole {
                for &s in synapses {
                    let s = s as usize;
                    target[post[s] as usize] += weights[s] * factor;
                }
            } else {
                let start = block.start;
                for &s in synapses {
                    let s = s as usize;
                    let j = post[s] as usize;
                    if block.contains(&j) {
                        target[j - start] += weights[s] * factor;
                    }
                }
            }
        }
        _ => for_each_synapse_transmission(connectivity, weights, synapses, scale, |j, x| {
            if block.contains(&j) {
                target[j - block.start] += x * factor;
            }
        }),
    }
}

/// [`deliver`] restricted to the postsynaptic neurons in `block` (one partition's):
/// `target` holds those neurons only (`target[j − block.start]`). Each neuron receives exactly
/// the same operations, in the same order, as with [`deliver`], so splitting the
/// postsynaptic population into blocks gives bit-identical results.
#[inline]
pub fn deliver_block(
    connectivity: &Connectivity,
    weights: &[Real],
    arrivals: &Arrivals,
    scale: Option<&TransmissionScale>,
    factor: Real,
    block: &Range<usize>,
    target: &mut [Real],
) {
    deliver_pre_block(
        connectivity,
        weights,
        &arrivals.pre,
        scale,
        factor,
        block,
        target,
    );
    deliver_synapses(
        connectivity,
        weights,
        &arrivals.synapses,
        scale,
        factor,
        block,
        target,
    );
}

/// [`deliver_block`] for arriving presynaptic neurons (every synapse of each).
#[inline]
pub fn deliver_pre_block(
    connectivity: &Connectivity,
    weights: &[Real],
    arrivals: &[u32],
    scale: Option<&TransmissionScale>,
    factor: Real,
    block: &Range<usize>,
    target: &mut [Real],
) {
    if arrivals.is_empty() || block.is_empty() {
        return;
    }
    if block.start == 0 && block.end == connectivity.n_post() {
        // One partition: the whole delivery, without the per-row searches.
        deliver_pre(connectivity, weights, arrivals, scale, factor, target);
        return;
    }
    let start = block.start;
    match (connectivity, scale) {
        (Connectivity::Dense { n_post, .. }, None) => {
            let n = *n_post;
            let target = &mut target[..block.len()];
            for &i in arrivals {
                let row = &weights[i as usize * n + block.start..i as usize * n + block.end];
                for (t, &w) in target.iter_mut().zip(row) {
                    *t += w * factor;
                }
            }
        }
        (Connectivity::Dense { n_post, .. }, Some(TransmissionScale::PerPre(f))) => {
            let n = *n_post;
            let target = &mut target[..block.len()];
            for &i in arrivals {
                let f = f[i as usize];
                let row = &weights[i as usize * n + block.start..i as usize * n + block.end];
                for (t, &w) in target.iter_mut().zip(row) {
                    *t += (w * f) * factor;
                }
            }
        }
        (Connectivity::Sparse(csr), None) => {
            // Each partition reads (and prefetches) only its own part of each row: found with
            // one load from the row splits kept for this partition layout, or by a search near
            // its expected position.
            let rows = (csr, weights, arrivals);
            match csr.row_parts(block) {
                Some(RowParts::Narrow(parts)) => deliver_parts(rows, &parts, factor, start, target),
                Some(RowParts::Wide(parts)) => deliver_parts(rows, &parts, factor, start, target),
                None => {
                    let locator = RowLocator::new(block.clone(), connectivity.n_post());
                    deliver_parts(rows, &locator, factor, start, target);
                }
            }
        }
        _ => for_each_transmission_in(connectivity, weights, arrivals, scale, block, |j, x| {
            target[j - start] += x * factor;
        }),
    }
}

/// The sparse, unscaled case of [`deliver_pre_block`]: for every arriving row (`csr` rows,
/// `weights`, `arrivals`), the part `find` gives, added into `target[j − start]`.
#[inline(always)]
fn deliver_parts<F: FindRowPart>(
    (csr, weights, arrivals): (&Csr, &[Real], &[u32]),
    find: &F,
    factor: Real,
    start: usize,
    target: &mut [Real],
) {
    let post = csr.post_of();
    let mut add_part = |range: Range<usize>| {
        let (posts, row_weights) = (&post[range.clone()], &weights[range]);
        for (&j, &w) in posts.iter().zip(row_weights) {
            target[j as usize - start] += w * factor;
        }
    };
    // The synapses of arriving row `i` onto the block, or (inexact) around them.
    let near = |i: u32| {
        let row = csr.row(i as usize);
        let near = find.near(i as usize, row.len());
        row.start + near.start..row.start + near.end
    };
    let prefetch = |range: &Range<usize>| {
        prefetch_row(&post[range.clone()]);
        prefetch_row(&weights[range.clone()]);
    };
    if F::EXACT {
        // The parts of the next arrivals, computed once for their prefetch and kept:
        // `ahead[k % PREFETCH_AHEAD]` is arrival `k`'s.
        let mut ahead: [Range<usize>; PREFETCH_AHEAD] = Default::default();
        for (slot, &i) in ahead.iter_mut().zip(arrivals) {
            *slot = near(i);
            prefetch(slot);
        }
        for k in 0..arrivals.len() {
            let slot = &mut ahead[k % PREFETCH_AHEAD];
            let mut part = 0..0;
            if let Some(&next) = arrivals.get(k + PREFETCH_AHEAD) {
                part = near(next);
                prefetch(&part);
            }
            let mine = std::mem::replace(slot, part);
            add_part(mine);
        }
        return;
    }
    for (k, &i) in arrivals.iter().enumerate() {
        if let Some(&ahead) = arrivals.get(k + PREFETCH_AHEAD) {
            prefetch(&near(ahead));
        }
        let row = csr.row(i as usize);
        let mine = find.part(i as usize, &post[row.clone()]);
        add_part(row.start + mine.start..row.start + mine.end);
    }
}

/// [`deliver_block`] of a projection's arrivals at full weight (factor 1): what every synapse
/// output with a per-neuron state (`pending`) does first in each partition.
#[inline]
pub fn deliver_arrivals(
    connectivity: &Connectivity,
    weights: &Weights,
    arrivals: &Arrivals,
    scale: Option<&TransmissionScale>,
    block: &Range<usize>,
    pending: &mut [Real],
) {
    deliver_block(
        connectivity,
        &weights.w,
        arrivals,
        scale,
        1.0,
        block,
        pending,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(conn: &Connectivity, w: &[Real], arrivals: &[u32], scale: Option<&TransmissionScale>) {
        let mut dense = vec![0.0; conn.n_post()];
        deliver_pre(conn, w, arrivals, scale, 0.5, &mut dense);
        let mut sparse = vec![0.0; conn.n_post()];
        deliver_pre(&conn.to_sparse(), w, arrivals, scale, 0.5, &mut sparse);
        assert_eq!(dense, sparse);
        // Independent reference: loop over (pre, post) pairs.
        let mut expected = vec![0.0; conn.n_post()];
        for &i in arrivals {
            for (j, e) in expected.iter_mut().enumerate() {
                let s = i as usize * conn.n_post() + j;
                let f = match scale {
                    None => 1.0,
                    Some(TransmissionScale::PerPre(f)) => f[i as usize],
                    Some(TransmissionScale::PerSynapse(f)) => f[s],
                };
                *e += w[s] * f * 0.5;
            }
        }
        for (a, b) in dense.iter().zip(&expected) {
            assert!(
                (a - b).abs() <= 1e-6 * b.abs().max(1.0),
                "{dense:?} {expected:?}"
            );
        }
    }

    #[test]
    fn dense_fast_path_equals_sparse_path() {
        let conn = Connectivity::Dense {
            n_pre: 3,
            n_post: 4,
        };
        let w: Vec<Real> = (0..12).map(|k| 0.1 + k as Real * 0.37).collect();
        both(&conn, &w, &[0, 2], None);
        both(
            &conn,
            &w,
            &[1, 2],
            Some(&TransmissionScale::PerPre(vec![0.3, 0.7, 0.11])),
        );
        let per_syn: Vec<Real> = (0..12).map(|k| 1.0 / (1.0 + k as Real)).collect();
        both(
            &conn,
            &w,
            &[0, 1, 2],
            Some(&TransmissionScale::PerSynapse(per_syn)),
        );
        both(&conn, &w, &[], None);
    }

    #[test]
    fn sparse_rows_add_each_synapse_once_in_order() {
        // Rows of different lengths, an empty row, repeated targets across rows.
        let pairs = vec![(0, 1), (0, 3), (1, 0), (1, 1), (1, 2), (1, 3), (3, 1)];
        let conn = ConnectivitySpec::List(pairs.clone())
            .build(
                4,
                4,
                false,
                &SimRng { seed: 1 }.streams("p", "connectivity"),
            )
            .unwrap()
            .connectivity;
        assert!(matches!(conn, Connectivity::Sparse(_)));
        let w: Vec<Real> = vec![0.5, 0.25, 3.0, 1.0e-3, -2.0, 7.0, 1.5];
        let mut out = vec![0.0; 4];
        deliver_pre(&conn, &w, &[0, 1, 2, 3], None, 2.0, &mut out);
        let expected = [
            3.0 * 2.0,
            ((0.5 * 2.0) + 1.0e-3 * 2.0) + 1.5 * 2.0,
            -2.0 * 2.0,
            0.25 * 2.0 + 7.0 * 2.0,
        ];
        assert_eq!(out, expected);
        let mut out = vec![0.0; 4];
        deliver_pre(&conn, &w, &[2], None, 1.0, &mut out);
        assert_eq!(out, [0.0; 4]);
    }

    #[test]
    fn blocks_add_exactly_what_the_whole_delivery_adds() {
        let pairs = vec![
            (0, 1),
            (0, 3),
            (1, 0),
            (1, 1),
            (1, 2),
            (1, 3),
            (3, 1),
            (3, 4),
        ];
        let sparse = ConnectivitySpec::List(pairs)
            .build(
                4,
                5,
                false,
                &SimRng { seed: 1 }.streams("p", "connectivity"),
            )
            .unwrap()
            .connectivity;
        let w_sparse: Vec<Real> = vec![0.5, 0.25, 3.0, 1.0e-3, -2.0, 7.0, 1.5, 0.1];
        let dense = Connectivity::Dense {
            n_pre: 4,
            n_post: 5,
        };
        let w_dense: Vec<Real> = (0..20).map(|k| 0.1 * k as Real + 0.01).collect();
        let per_pre = TransmissionScale::PerPre(vec![0.5, 0.3, 0.2, 0.9]);
        for (conn, w) in [(&sparse, &w_sparse), (&dense, &w_dense)] {
            for scale in [None, Some(&per_pre)] {
                let mut whole = vec![0.25; 5];
                deliver_pre(conn, w, &[0, 1, 3], scale, 1.5, &mut whole);
                for parts in 1..4 {
                    // Parts found by searching the rows, and from the row splits kept for
                    // this layout.
                    let bounds: Vec<usize> = (0..=parts)
                        .map(|p| hebb_core::parallel::block_range(5, p, parts).start)
                        .collect();
                    let mut kept = conn.clone();
                    kept.split_rows_at(&bounds);
                    if let (Connectivity::Sparse(csr), true) = (&kept, parts > 1) {
                        for p in 0..parts {
                            let block = hebb_core::parallel::block_range(5, p, parts);
                            assert!(csr.row_parts(&block).is_some(), "{block:?} is kept");
                        }
                    }
                    for conn in [conn, &kept] {
                        let mut split = vec![0.25; 5];
                        for p in 0..parts {
                            let block = hebb_core::parallel::block_range(5, p, parts);
                            deliver_pre_block(
                                conn,
                                w,
                                &[0, 1, 3],
                                scale,
                                1.5,
                                &block,
                                &mut split[block.clone()],
                            );
                        }
                        assert_eq!(whole, split, "{parts} parts");
                    }
                }
            }
        }
    }
}
