//! Synapse-indexed arrays that the partitions of one region write at the same time, each only
//! at the synapses it owns (those onto its own postsynaptic neurons, `docs/parallel.md`).
//!
//! A projection's synapses are stored in rows by presynaptic neuron, so the synapses of one
//! partition are not one contiguous slice of the weights (or of any per-synapse array): a
//! partition writes the part of each arriving row that falls in its block and the synapses of
//! the columns of its own spiking neurons. [`BySynapse`] hands every partition the whole array
//! and leaves the ownership to the caller; it is crate-private so that only the plasticity
//! kernels of this crate, which visit synapses by ownership, can build one.

use std::marker::PhantomData;

/// A per-synapse array shared by the partitions of a region (see the module docs). Reading or
/// writing entry `s` through [`BySynapse::at`] is sound while no other partition accesses `s`:
/// the caller visits only synapses whose postsynaptic neuron lies in its block.
pub(crate) struct BySynapse<'a, T> {
    start: *mut T,
    len: usize,
    borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: a `BySynapse` is a `&mut [T]` whose entries are divided between threads by the caller
// (every entry accessed by one partition only), so it moves and is shared like `&mut [T]`.
unsafe impl<T: Send> Send for BySynapse<'_, T> {}
// SAFETY: as above: each entry is accessed by one thread at a time.
unsafe impl<T: Send> Sync for BySynapse<'_, T> {}

impl<T> Clone for BySynapse<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for BySynapse<'_, T> {}

impl<'a, T> BySynapse<'a, T> {
    /// The whole of `slice`, for partitions that split it by ownership.
    #[inline]
    pub(crate) fn new(slice: &'a mut [T]) -> Self {
        Self {
            start: slice.as_mut_ptr(),
            len: slice.len(),
            borrow: PhantomData,
        }
    }

    /// A pointer to entry `s` (checked: panics beyond the end, as indexing does). Dereferencing
    /// it is sound while no other partition accesses entry `s`.
    #[inline(always)]
    pub(crate) fn at(self, s: usize) -> *mut T {
        assert!(s < self.len, "synapse {s} of {}", self.len);
        // SAFETY: `s` is within the slice this was made from.
        unsafe { self.start.add(s) }
    }
}
