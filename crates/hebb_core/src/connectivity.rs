//! Connectivity: dense or CSR (compressed sparse rows by presynaptic neuron) with a transposed
//! index for work on postsynaptic spikes, plus the generators scenes use.
//!
//! Synapses are numbered row-major by presynaptic neuron, then by postsynaptic neuron, in both
//! storages, so a weight array means the same thing whichever storage holds it. A dense
//! projection numbers synapse `(i, j)` as `i·n_post + j`.
//!
//! Random connectivity and weights are generated **per postsynaptic neuron**: column `j` (the
//! presynaptic partners of neuron `j` and their weights) is drawn from stream `j` of the
//! projection's `"connectivity"` and `"weights"` stream families ([`crate::rng`]), so the
//! synapses of a neuron do not depend on any other column, and a partition owning a range of
//! postsynaptic neurons can build exactly its own synapses.

use std::sync::OnceLock;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::Real;
use crate::error::ParamError;
use crate::parallel::row_splits::{RowParts, RowSplits};
use crate::rng::{Stream, Streams};

/// The most synapses one projection may hold (synapse indices are `u32`).
pub const MAX_SYNAPSES: usize = u32::MAX as usize;

/// Compressed sparse rows by presynaptic neuron, with the transposed (by postsynaptic neuron)
/// index. All indices are `u32`.
#[derive(Debug, Clone)]
pub struct Csr {
    n_pre: usize,
    n_post: usize,
    /// `row_ptr[i]..row_ptr[i+1]` are the synapses of presynaptic neuron `i`.
    row_ptr: Vec<u32>,
    /// Postsynaptic neuron of each synapse.
    post: Vec<u32>,
    /// The synapses grouped by postsynaptic neuron, built on first use ([`Csr::column`]) and
    /// kept only where something reads it (plasticity): a static projection costs its rows
    /// alone (`post` + weights: 8 bytes per synapse).
    incoming: OnceLock<Incoming>,
    /// Each row's split positions at this process's partition boundaries, kept while it runs
    /// on several partitions ([`Csr::split_rows_at`]); `None` on one thread.
    splits: Option<RowSplits>,
}

/// The transposed index of a [`Csr`]: its synapses grouped by postsynaptic neuron.
#[derive(Debug, Clone, PartialEq)]
struct Incoming {
    /// `col_ptr[j]..col_ptr[j+1]` index `in_pre`/`in_syn` for postsynaptic neuron `j`.
    col_ptr: Vec<u32>,
    /// Presynaptic neuron of each incoming synapse, grouped by postsynaptic neuron.
    in_pre: Vec<u32>,
    /// Synapse index of each incoming synapse, grouped by postsynaptic neuron.
    in_syn: Vec<u32>,
}

impl Incoming {
    /// The index of the rows `row_ptr`/`post` (visited in synapse order, so every column
    /// lists its presynaptic neurons in ascending order).
    fn of(n_post: usize, row_ptr: &[u32], post: &[u32]) -> Self {
        let mut col_ptr = vec![0u32; n_post + 1];
        for &j in post {
            col_ptr[j as usize + 1] += 1;
        }
        for j in 0..n_post {
            col_ptr[j + 1] += col_ptr[j];
        }
        let mut fill = col_ptr.clone();
        let mut in_pre = vec![0u32; post.len()];
        let mut in_syn = vec![0u32; post.len()];
        for (i, bounds) in row_ptr.windows(2).enumerate() {
            for s in bounds[0]..bounds[1] {
                let j = post[s as usize] as usize;
                let slot = fill[j] as usize;
                fill[j] += 1;
                in_pre[slot] = i as u32;
                in_syn[slot] = s;
            }
        }
        Self {
            col_ptr,
            in_pre,
            in_syn,
        }
    }
}

/// Two CSRs are equal when they hold the same synapses (whether either has built its
/// transposed index does not matter).
impl PartialEq for Csr {
    fn eq(&self, other: &Self) -> bool {
        (self.n_pre, self.n_post) == (other.n_pre, other.n_post)
            && self.row_ptr == other.row_ptr
            && self.post == other.post
    }
}

impl Csr {
    /// Build from `(pre, post)` pairs that are sorted by pre, then post, without duplicates.
    fn from_sorted_pairs(n_pre: usize, n_post: usize, pairs: &[(u32, u32)]) -> Self {
        let mut row_ptr = vec![0u32; n_pre + 1];
        for &(i, _) in pairs {
            row_ptr[i as usize + 1] += 1;
        }
        for i in 0..n_pre {
            row_ptr[i + 1] += row_ptr[i];
        }
        let post = pairs.iter().map(|&(_, j)| j).collect();
        Self {
            n_pre,
            n_post,
            row_ptr,
            post,
            incoming: OnceLock::new(),
            splits: None,
        }
    }

    /// Build from column-major lists: `col_ptr[j]..col_ptr[j+1]` index the presynaptic partners
    /// `in_pre` of postsynaptic neuron `j`, ascending, without duplicates. Rows come out sorted
    /// by postsynaptic neuron because columns are visited in order. The columns become the
    /// transposed index (until [`Csr::release_incoming`]).
    fn from_columns(n_pre: usize, n_post: usize, col_ptr: Vec<u32>, in_pre: Vec<u32>) -> Self {
        let mut row_ptr = vec![0u32; n_pre + 1];
        for &i in &in_pre {
            row_ptr[i as usize + 1] += 1;
        }
        for i in 0..n_pre {
            row_ptr[i + 1] += row_ptr[i];
        }
        let mut fill = row_ptr.clone();
        let mut post = vec![0u32; in_pre.len()];
        let mut in_syn = vec![0u32; in_pre.len()];
        for j in 0..n_post {
            for slot in col_ptr[j] as usize..col_ptr[j + 1] as usize {
                let i = in_pre[slot] as usize;
                let s = fill[i];
                fill[i] += 1;
                post[s as usize] = j as u32;
                in_syn[slot] = s;
            }
        }
        Self {
            n_pre,
            n_post,
            row_ptr,
            post,
            incoming: OnceLock::from(Incoming {
                col_ptr,
                in_pre,
                in_syn,
            }),
            splits: None,
        }
    }

    /// Drop the transposed index (it is rebuilt on the next [`Csr::column`]): the core does
    /// this for projections without plasticity once they are built, so static synapses cost
    /// 8 bytes each.
    pub fn release_incoming(&mut self) {
        self.incoming = OnceLock::new();
    }

    /// Whether the transposed index is built now.
    pub fn has_incoming(&self) -> bool {
        self.incoming.get().is_some()
    }

    /// Bytes held by this CSR (rows, and the transposed index and row splits if built).
    pub fn heap_bytes(&self) -> usize {
        let index = self.incoming.get().map_or(0, |inc| {
            4 * (inc.col_ptr.len() + inc.in_pre.len() + inc.in_syn.len())
        });
        let splits = self.splits.as_ref().map_or(0, RowSplits::heap_bytes);
        4 * (self.row_ptr.len() + self.post.len()) + index + splits
    }

    /// Keep each row's split positions at the postsynaptic boundaries `bounds` (this process's
    /// partition bounds, [`crate::parallel::Executor::partition_bounds`]), so that
    /// [`Csr::row_parts`] finds a partition's part of every row with one load; the simulation
    /// does this whenever its partition layout changes. Bounds at 0 or `n_post` need nothing;
    /// with no other bound (one partition, or `bounds` empty) nothing is kept.
    pub fn split_rows_at(&mut self, bounds: &[usize]) {
        self.splits = RowSplits::new(self.n_post, &self.row_ptr, &self.post, bounds);
    }

    /// The part of every row onto the postsynaptic `block` from the kept splits
    /// ([`Csr::split_rows_at`]), or `None` if they are not kept for that block (then search,
    /// e.g. with [`crate::parallel::RowLocator`]).
    #[inline]
    pub fn row_parts(&self, block: &std::ops::Range<usize>) -> Option<RowParts<'_>> {
        self.splits.as_ref()?.block(block)
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.post.len()
    }

    /// True if there are no synapses.
    pub fn is_empty(&self) -> bool {
        self.post.is_empty()
    }

    /// The synapse index range of presynaptic neuron `i`.
    #[inline]
    pub fn row(&self, i: usize) -> std::ops::Range<usize> {
        self.row_ptr[i] as usize..self.row_ptr[i + 1] as usize
    }

    /// Postsynaptic neuron of every synapse.
    #[inline]
    pub fn post_of(&self) -> &[u32] {
        &self.post
    }

    /// `(presynaptic neuron, synapse)` of the synapses onto postsynaptic neuron `j`.
    #[inline]
    pub fn column(&self, j: usize) -> (&[u32], &[u32]) {
        let inc = self
            .incoming
            .get_or_init(|| Incoming::of(self.n_post, &self.row_ptr, &self.post));
        let r = inc.col_ptr[j] as usize..inc.col_ptr[j + 1] as usize;
        (&inc.in_pre[r.clone()], &inc.in_syn[r])
    }
}

/// The connectivity of a projection.
#[derive(bevy_ecs::component::Component, Debug, Clone, PartialEq)]
pub enum Connectivity {
    /// Every presynaptic neuron to every postsynaptic neuron; synapse `(i, j)` is `i·n_post + j`.
    Dense {
        /// Presynaptic size.
        n_pre: usize,
        /// Postsynaptic size.
        n_post: usize,
    },
    /// Sparse rows with a transposed index.
    Sparse(Csr),
}

impl Connectivity {
    /// Number of presynaptic neurons.
    pub fn n_pre(&self) -> usize {
        match self {
            Self::Dense { n_pre, .. } => *n_pre,
            Self::Sparse(c) => c.n_pre,
        }
    }

    /// Number of postsynaptic neurons.
    pub fn n_post(&self) -> usize {
        match self {
            Self::Dense { n_post, .. } => *n_post,
            Self::Sparse(c) => c.n_post,
        }
    }

    /// Number of synapses.
    pub fn n_synapses(&self) -> usize {
        match self {
            Self::Dense { n_pre, n_post } => n_pre * n_post,
            Self::Sparse(c) => c.len(),
        }
    }

    /// Call `f(synapse, post)` for each synapse of presynaptic neuron `pre`.
    #[inline]
    pub fn for_each_outgoing(&self, pre: usize, mut f: impl FnMut(usize, usize)) {
        match self {
            Self::Dense { n_post, .. } => {
                let base = pre * n_post;
                for j in 0..*n_post {
                    f(base + j, j);
                }
            }
            Self::Sparse(c) => {
                let row = c.row(pre);
                let start = row.start;
                for (k, &j) in c.post[row].iter().enumerate() {
                    f(start + k, j as usize);
                }
            }
        }
    }

    /// [`Connectivity::for_each_outgoing`] restricted to the postsynaptic neurons in `block` (one
    /// partition's): `f(synapse, post)` for those synapses of `pre` only, in the same order. A
    /// sparse row is sorted by postsynaptic neuron, so its block is found by two binary searches
    /// ([`crate::parallel::row_block`]).
    #[inline]
    pub fn for_each_outgoing_in(
        &self,
        pre: usize,
        block: &std::ops::Range<usize>,
        mut f: impl FnMut(usize, usize),
    ) {
        match self {
            Self::Dense { n_post, .. } => {
                let base = pre * n_post;
                for j in block.start..block.end.min(*n_post) {
                    f(base + j, j);
                }
            }
            Self::Sparse(c) => {
                let row = c.row(pre);
                let posts = &c.post[row.clone()];
                let mine = crate::parallel::row_block(posts, block);
                for (k, &j) in posts[mine.clone()].iter().enumerate() {
                    f(row.start + mine.start + k, j as usize);
                }
            }
        }
    }

    /// Call `f(synapse, pre)` for each synapse onto postsynaptic neuron `post`.
    #[inline]
    pub fn for_each_incoming(&self, post: usize, mut f: impl FnMut(usize, usize)) {
        match self {
            Self::Dense { n_pre, n_post } => {
                for i in 0..*n_pre {
                    f(i * n_post + post, i);
                }
            }
            Self::Sparse(c) => {
                let (pres, syns) = c.column(post);
                for (&i, &s) in pres.iter().zip(syns) {
                    f(s as usize, i as usize);
                }
            }
        }
    }

    /// The postsynaptic neuron of synapse `s`, if that synapse exists.
    pub fn post_of_synapse(&self, s: usize) -> Option<usize> {
        match self {
            Self::Dense { n_pre, n_post } => (s < n_pre * n_post).then(|| s % n_post),
            Self::Sparse(c) => c.post.get(s).map(|&j| j as usize),
        }
    }

    /// The presynaptic neuron of synapse `s` (which must exist; a binary search for CSR).
    pub fn pre_of_synapse(&self, s: usize) -> usize {
        match self {
            Self::Dense { n_post, .. } => s / n_post,
            Self::Sparse(c) => c.row_ptr.partition_point(|&start| start as usize <= s) - 1,
        }
    }

    /// The synapse index of `(pre, post)`, if that synapse exists.
    pub fn synapse(&self, pre: usize, post: usize) -> Option<usize> {
        match self {
            Self::Dense { n_pre, n_post } => {
                (pre < *n_pre && post < *n_post).then_some(pre * n_post + post)
            }
            Self::Sparse(c) => {
                if pre >= c.n_pre {
                    return None;
                }
                let row = c.row(pre);
                let start = row.start;
                c.post[row]
                    .binary_search(&(post as u32))
                    .ok()
                    .map(|k| start + k)
            }
        }
    }

    /// `(pre, post)` of every synapse, in synapse order.
    pub fn pairs(&self) -> Vec<(u32, u32)> {
        let mut out = Vec::with_capacity(self.n_synapses());
        for i in 0..self.n_pre() {
            self.for_each_outgoing(i, |_, j| out.push((i as u32, j as u32)));
        }
        out
    }

    /// Drop a sparse projection's transposed index (see [`Csr::release_incoming`]); it is
    /// rebuilt when something next asks for a column.
    pub fn release_incoming(&mut self) {
        if let Self::Sparse(csr) = self {
            csr.release_incoming();
        }
    }

    /// Keep a sparse projection's row splits at `bounds` ([`Csr::split_rows_at`]), or drop
    /// them with `bounds` empty; dense rows need none.
    pub fn split_rows_at(&mut self, bounds: &[usize]) {
        if let Self::Sparse(csr) = self {
            csr.split_rows_at(bounds);
        }
    }

    /// The same synapses in CSR storage (synapse numbering is unchanged).
    pub fn to_sparse(&self) -> Connectivity {
        match self {
            Self::Dense { n_pre, n_post } => {
                Self::Sparse(Csr::from_sorted_pairs(*n_pre, *n_post, &self.pairs()))
            }
            Self::Sparse(_) => self.clone(),
        }
    }
}

/// How a projection's synapses are chosen (scene syntax in parentheses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ConnectivitySpec {
    /// Every pre to every post (`AllToAll`), stored dense.
    AllToAll,
    /// Pre `i` to post `i` (`OneToOne`); both populations must have the same size.
    OneToOne,
    /// Each pair independently with probability `p` (`FixedProbability(p: 0.02)`), drawn per
    /// postsynaptic neuron from its own random stream. `autapses: false` excludes `i → i` when the
    /// projection connects a population to itself.
    FixedProbability {
        /// Connection probability in [0, 1].
        p: f64,
        /// Allow `i → i` within one population (default true, as Brian2 and NEST).
        #[serde(default = "yes")]
        autapses: bool,
    },
    /// Each postsynaptic neuron gets exactly `k` distinct presynaptic partners
    /// (`FixedIndegree(k: 80)`).
    FixedIndegree {
        /// Number of incoming synapses per postsynaptic neuron.
        k: usize,
        /// Allow `i → i` within one population (default true).
        #[serde(default = "yes")]
        autapses: bool,
    },
    /// An explicit list of `(pre, post)` pairs (`List([(0, 1), (2, 0)])`). Explicit weight
    /// values are given in the order of this list.
    List(Vec<(u32, u32)>),
}

fn yes() -> bool {
    true
}

/// Built connectivity plus, for explicit lists, where each synapse came from in the list.
#[derive(Debug, Clone)]
pub struct BuiltConnectivity {
    /// The connectivity.
    pub connectivity: Connectivity,
    /// `list_index[s]` is the position in the scene's list of synapse `s` (explicit lists only).
    pub list_index: Option<Vec<usize>>,
}

impl ConnectivitySpec {
    /// Check the parameters that do not depend on population sizes.
    pub fn validate(&self) -> Result<(), ParamError> {
        match self {
            Self::FixedProbability { p, .. } => crate::params::check::in_range("p", *p, 0.0, 1.0),
            _ => Ok(()),
        }
    }

    /// Generate the synapses. `same_population` tells whether pre and post are one population
    /// (for `autapses`); random choices come from `streams.stream(j)` for postsynaptic neuron
    /// `j` (see [`ConnectivitySpec::column`]).
    pub fn build(
        &self,
        n_pre: usize,
        n_post: usize,
        same_population: bool,
        streams: &Streams,
    ) -> Result<BuiltConnectivity, ParamError> {
        self.check_sizes(n_pre, n_post, same_population)?;
        match self {
            Self::AllToAll => Ok(BuiltConnectivity {
                connectivity: Connectivity::Dense { n_pre, n_post },
                list_index: None,
            }),
            Self::OneToOne | Self::FixedProbability { .. } | Self::FixedIndegree { .. } => {
                let capacity = self
                    .expected_synapses(n_pre, n_post)
                    .min(MAX_SYNAPSES as f64)
                    * 1.05;
                let mut in_pre = Vec::with_capacity(capacity as usize);
                let mut col_ptr = Vec::with_capacity(n_post + 1);
                col_ptr.push(0u32);
                for j in 0..n_post {
                    self.column(j, n_pre, same_population, streams, &mut in_pre);
                    if in_pre.len() > MAX_SYNAPSES {
                        return Err(too_many_synapses());
                    }
                    col_ptr.push(in_pre.len() as u32);
                }
                Ok(BuiltConnectivity {
                    connectivity: Connectivity::Sparse(Csr::from_columns(
                        n_pre, n_post, col_ptr, in_pre,
                    )),
                    list_index: None,
                })
            }
            Self::List(list) => {
                let mut order: Vec<usize> = (0..list.len()).collect();
                for (n, &(i, j)) in list.iter().enumerate() {
                    if i as usize >= n_pre || j as usize >= n_post {
                        return Err(ParamError::new(
                            format!("connectivity[{n}]"),
                            format!("({i}, {j}) is out of range for {n_pre} → {n_post} neurons"),
                        ));
                    }
                }
                order.sort_by_key(|&n| list[n]);
                for w in order.windows(2) {
                    if list[w[0]] == list[w[1]] {
                        return Err(ParamError::new(
                            format!("connectivity[{}]", w[1].max(w[0])),
                            format!("duplicate synapse {:?}", list[w[0]]),
                        ));
                    }
                }
                let pairs: Vec<_> = order.iter().map(|&n| list[n]).collect();
                Ok(BuiltConnectivity {
                    connectivity: Connectivity::Sparse(Csr::from_sorted_pairs(
                        n_pre, n_post, &pairs,
                    )),
                    list_index: Some(order),
                })
            }
        }
    }

    /// Whether [`ConnectivitySpec::build_columns`] can build these synapses with `weights`:
    /// the rules drawn per postsynaptic neuron (`OneToOne`, `FixedProbability`,
    /// `FixedIndegree`) with weights that have a per-column form (not `Values`).
    pub fn builds_by_column(&self, weights: &WeightInit) -> bool {
        matches!(
            self,
            Self::OneToOne | Self::FixedProbability { .. } | Self::FixedIndegree { .. }
        ) && !matches!(weights, WeightInit::Values(_))
    }

    /// The synapses onto the postsynaptic neurons `columns` only (all of them for
    /// `0..n_post`), in CSR rows by presynaptic neuron, and their weights: the same synapses,
    /// numbered in the same order and with the same weight bits as [`ConnectivitySpec::build`]
    /// followed by [`WeightInit::generate`] gives for those columns (a rank of a distributed run
    /// builds its own postsynaptic block this way).
    ///
    /// Built in two passes over the columns, each drawn from its own stream: the first only
    /// counts each row's synapses, the second draws the columns again with their weights and
    /// writes them straight into their rows. The rows and weights (8 bytes per synapse) are
    /// all this allocates besides two counters per presynaptic neuron: no column-major copy, no
    /// transposed index (built later if plasticity asks for it). Errors as
    /// [`ConnectivitySpec::build`] and [`WeightInit::generate`]; a rule without per-column
    /// form (see [`ConnectivitySpec::builds_by_column`]) is an error too.
    #[expect(
        clippy::too_many_arguments,
        reason = "the sizes, the two stream families, the weights and the columns are all needed; a struct for one call site would only rename them"
    )]
    pub fn build_columns(
        &self,
        n_pre: usize,
        n_post: usize,
        same_population: bool,
        streams: &Streams,
        weights: &WeightInit,
        weight_streams: &Streams,
        columns: std::ops::Range<usize>,
    ) -> Result<(Connectivity, Vec<Real>), ParamError> {
        self.check_sizes(n_pre, n_post, same_population)?;
        weights.validate()?;
        if !self.builds_by_column(weights) {
            return Err(ParamError::new(
                "connectivity",
                "has no per-column form (AllToAll, List, or Values weights): build it whole",
            ));
        }
        let columns = columns.start.min(n_post)..columns.end.min(n_post);
        let mut row_ptr = vec![0u32; n_pre + 1];
        let mut partners = Vec::new();
        let mut total = 0usize;
        for j in columns.clone() {
            partners.clear();
            self.column(j, n_pre, same_population, streams, &mut partners);
            total += partners.len();
            if total > MAX_SYNAPSES {
                return Err(too_many_synapses());
            }
            for &i in &partners {
                row_ptr[i as usize + 1] += 1;
            }
        }
        for i in 0..n_pre {
            row_ptr[i + 1] += row_ptr[i];
        }
        let mut fill = row_ptr[..n_pre].to_vec();
        let mut post = vec![0u32; total];
        let mut w = vec![0.0 as Real; total];
        let mut values = Vec::new();
        for j in columns {
            partners.clear();
            self.column(j, n_pre, same_population, streams, &mut partners);
            values.clear();
            weights.column(j, partners.len(), weight_streams, &mut values)?;
            for (&i, &x) in partners.iter().zip(&values) {
                let s = fill[i as usize] as usize;
                fill[i as usize] += 1;
                post[s] = j as u32;
                w[s] = x;
            }
        }
        let csr = Csr {
            n_pre,
            n_post,
            row_ptr,
            post,
            incoming: OnceLock::new(),
            splits: None,
        };
        Ok((Connectivity::Sparse(csr), w))
    }

    /// The expected number of synapses (`p·N_pre·N_post` for `FixedProbability`).
    fn expected_synapses(&self, n_pre: usize, n_post: usize) -> f64 {
        match self {
            Self::AllToAll => n_pre as f64 * n_post as f64,
            Self::OneToOne => n_pre as f64,
            Self::FixedProbability { p, .. } => n_pre as f64 * n_post as f64 * p,
            Self::FixedIndegree { k, .. } => *k as f64 * n_post as f64,
            Self::List(list) => list.len() as f64,
        }
    }

    /// The checks of [`ConnectivitySpec::build`] that need the population sizes.
    fn check_sizes(
        &self,
        n_pre: usize,
        n_post: usize,
        same_population: bool,
    ) -> Result<(), ParamError> {
        self.validate()?;
        let expected = self.expected_synapses(n_pre, n_post);
        if expected > MAX_SYNAPSES as f64 {
            return Err(ParamError::new(
                "connectivity",
                format!(
                    "would create about {expected:.3e} synapses; a projection holds at most {MAX_SYNAPSES} (32-bit synapse indices)"
                ),
            ));
        }
        match self {
            Self::OneToOne if n_pre != n_post => Err(ParamError::new(
                "connectivity",
                format!("OneToOne needs equal sizes, got {n_pre} → {n_post}"),
            )),
            Self::FixedIndegree { k, autapses }
                if *k > available(n_pre, same_population, *autapses) =>
            {
                let available = available(n_pre, same_population, *autapses);
                Err(ParamError::new(
                    "k",
                    format!("must be <= {available} (available presynaptic neurons), got {k}"),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Append the presynaptic partners of postsynaptic neuron `j`, ascending, to `out`: a pure
    /// function of `(streams, j)` for the random rules, so any subset of columns can be built
    /// on its own (by a partition or an MPI rank). Not for `AllToAll` (dense) or `List`.
    pub fn column(
        &self,
        j: usize,
        n_pre: usize,
        same_population: bool,
        streams: &Streams,
        out: &mut Vec<u32>,
    ) {
        match self {
            Self::OneToOne => out.push(j as u32),
            Self::FixedProbability { p, autapses } => {
                let skip_self = same_population && !autapses;
                if *p <= 0.0 {
                    return;
                }
                let mut rng = streams.stream(j as u64);
                // Geometric skipping: the gap to the next partner is Geometric(p), so a column
                // costs O(partners), not O(n_pre).
                let log_q = (-p).ln_1p();
                let mut i: u64 = 0;
                let n = n_pre as u64;
                loop {
                    if *p < 1.0 {
                        let u: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
                        let gap = (u.ln() / log_q).floor();
                        if gap >= (n - i) as f64 {
                            break;
                        }
                        i += gap as u64;
                    }
                    if i >= n {
                        break;
                    }
                    if !(skip_self && i == j as u64) {
                        out.push(i as u32);
                    }
                    i += 1;
                }
            }
            Self::FixedIndegree { k, autapses } => {
                let skip_self = same_population && !autapses;
                let available = available(n_pre, same_population, *autapses);
                let mut rng = streams.stream(j as u64);
                let start = out.len();
                for c in rand::seq::index::sample(&mut rng, available, *k).iter() {
                    let i = if skip_self && c >= j { c + 1 } else { c };
                    out.push(i as u32);
                }
                out[start..].sort_unstable();
            }
            Self::AllToAll | Self::List(_) => {}
        }
    }
}

/// The error for a projection beyond [`MAX_SYNAPSES`].
fn too_many_synapses() -> ParamError {
    ParamError::new(
        "connectivity",
        format!("creates more than {MAX_SYNAPSES} synapses (32-bit synapse indices)"),
    )
}

/// Presynaptic neurons a postsynaptic neuron may connect to.
fn available(n_pre: usize, same_population: bool, autapses: bool) -> usize {
    if same_population && !autapses {
        n_pre.saturating_sub(1)
    } else {
        n_pre
    }
}

/// Initial weights (scene syntax in parentheses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum WeightInit {
    /// The same value everywhere (`Constant(0.5)`).
    Constant(f64),
    /// Uniform in `[low, high)` (`Uniform(low: 0.0, high: 0.01)`).
    Uniform {
        /// Lower bound (inclusive).
        low: f64,
        /// Upper bound (exclusive).
        high: f64,
    },
    /// Normal, clipped to `[min, max]` (`Normal(mean: 1.0, std: 0.1, min: 0.0, max: 2.0)`).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (≥ 0).
        std: f64,
        /// Lower clip.
        #[serde(default = "neg_inf")]
        min: f64,
        /// Upper clip.
        #[serde(default = "pos_inf")]
        max: f64,
    },
    /// One value per synapse (`Values([0.1, 0.2])`), in synapse order, or, for an explicit
    /// `List` connectivity, in the order of that list.
    Values(Vec<f64>),
}

fn neg_inf() -> f64 {
    f64::NEG_INFINITY
}
fn pos_inf() -> f64 {
    f64::INFINITY
}

impl Default for WeightInit {
    fn default() -> Self {
        Self::Constant(1.0)
    }
}

impl WeightInit {
    /// Check the parameters.
    pub fn validate(&self) -> Result<(), ParamError> {
        use crate::params::check;
        match self {
            Self::Constant(v) => check::finite_real("weights", *v),
            Self::Uniform { low, high } => {
                check::finite_real("weights.low", *low)?;
                check::finite_real("weights.high", *high)?;
                check::less_than("weights.low", *low, "weights.high", *high)
            }
            Self::Normal {
                mean,
                std,
                min,
                max,
            } => {
                check::finite_real("weights.mean", *mean)?;
                check::finite_real("weights.std", *std)?;
                check::non_negative("weights.std", *std)?;
                // The clip bounds may be infinite (their defaults), never NaN.
                for (field, bound) in [("weights.min", *min), ("weights.max", *max)] {
                    if bound.is_nan() {
                        return Err(ParamError::new(
                            field,
                            "must be a number or left out (no bound), got NaN",
                        ));
                    }
                }
                if min > max {
                    return Err(ParamError::new(
                        "weights.max",
                        format!("must be >= weights.min ({min}), got {max}"),
                    ));
                }
                Ok(())
            }
            Self::Values(v) => {
                for (n, x) in v.iter().enumerate() {
                    check::finite_real(&format!("weights[{n}]"), *x)?;
                }
                Ok(())
            }
        }
    }

    /// Draw `built.connectivity.n_synapses()` weights, in synapse order. Random weights are
    /// drawn per postsynaptic neuron `j` from `streams.stream(j)`, one draw per incoming
    /// synapse in ascending presynaptic order (see [`WeightInit::column`]).
    pub fn generate(
        &self,
        built: &BuiltConnectivity,
        streams: &Streams,
    ) -> Result<Vec<Real>, ParamError> {
        self.validate()?;
        let connectivity = &built.connectivity;
        let n = connectivity.n_synapses();
        match self {
            Self::Constant(v) => Ok(vec![*v as Real; n]),
            Self::Uniform { .. } | Self::Normal { .. } => {
                let mut w = vec![0.0 as Real; n];
                let mut synapses = Vec::new();
                let mut values = Vec::new();
                for j in 0..connectivity.n_post() {
                    synapses.clear();
                    connectivity.for_each_incoming(j, |s, _| synapses.push(s));
                    values.clear();
                    self.column(j, synapses.len(), streams, &mut values)?;
                    for (&s, &x) in synapses.iter().zip(&values) {
                        w[s] = x;
                    }
                }
                Ok(w)
            }
            Self::Values(values) => {
                if values.len() != n {
                    return Err(ParamError::new(
                        "weights",
                        format!(
                            "Values needs one value per synapse ({n}), got {}",
                            values.len()
                        ),
                    ));
                }
                Ok(match &built.list_index {
                    Some(order) => order.iter().map(|&k| values[k] as Real).collect(),
                    None => values.iter().map(|&v| v as Real).collect(),
                })
            }
        }
    }

    /// Append the `count` random weights of the synapses onto postsynaptic neuron `j` (in
    /// ascending presynaptic order) to `out`, from `streams.stream(j)`. For `Constant` the
    /// value is repeated; `Values` has no per-column form and appends nothing.
    pub fn column(
        &self,
        j: usize,
        count: usize,
        streams: &Streams,
        out: &mut Vec<Real>,
    ) -> Result<(), ParamError> {
        let mut rng: Stream = streams.stream(j as u64);
        match self {
            Self::Constant(v) => out.extend(std::iter::repeat_n(*v as Real, count)),
            Self::Uniform { low, high } => {
                out.extend((0..count).map(|_| rng.random_range(*low..*high) as Real));
            }
            Self::Normal {
                mean,
                std,
                min,
                max,
            } => {
                let normal = rand_distr::Normal::new(*mean, *std)
                    .map_err(|e| ParamError::new("weights.std", e.to_string()))?;
                out.extend((0..count).map(|_| rng.sample(normal).clamp(*min, *max) as Real));
            }
            Self::Values(_) => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;

    fn rng() -> Streams {
        SimRng { seed: 1 }.streams("projection", "test")
    }

    #[test]
    fn dense_and_sparse_number_synapses_alike() {
        let dense = Connectivity::Dense {
            n_pre: 3,
            n_post: 4,
        };
        let sparse = dense.to_sparse();
        assert_eq!(dense.pairs(), sparse.pairs());
        for i in 0..3 {
            for j in 0..4 {
                assert_eq!(dense.synapse(i, j), sparse.synapse(i, j));
            }
        }
        let mut incoming = vec![];
        sparse.for_each_incoming(2, |s, i| incoming.push((s, i)));
        assert_eq!(incoming, vec![(2, 0), (6, 1), (10, 2)]);
    }

    #[test]
    fn a_released_incoming_index_is_rebuilt_identical() {
        let built = ConnectivitySpec::FixedProbability {
            p: 0.05,
            autapses: true,
        }
        .build(300, 200, false, &rng())
        .unwrap();
        let mut released = built.connectivity.clone();
        let Connectivity::Sparse(csr) = &built.connectivity else {
            panic!("FixedProbability is sparse");
        };
        assert!(csr.has_incoming(), "the columns it was drawn from are kept");
        let rows_only = 8 * csr.len() + 4 * 301;
        assert!(csr.heap_bytes() > rows_only);
        released.release_incoming();
        let Connectivity::Sparse(lazy) = &released else {
            unreachable!()
        };
        assert!(!lazy.has_incoming());
        // Rows alone: the postsynaptic index (4 B) + row pointers; weights add 4 B.
        assert_eq!(lazy.heap_bytes() + 4 * lazy.len(), rows_only);
        assert_eq!(released, built.connectivity);
        for j in 0..200 {
            assert_eq!(lazy.column(j), csr.column(j), "column {j}");
        }
        assert!(lazy.has_incoming(), "rebuilt on first use");
        assert!(csr.len() > 2000);
    }

    #[test]
    fn fixed_probability_density_and_autapses() {
        let spec = ConnectivitySpec::FixedProbability {
            p: 0.1,
            autapses: false,
        };
        let built = spec.build(400, 400, true, &rng()).unwrap();
        let n = built.connectivity.n_synapses() as f64;
        let expected = 0.1 * 400.0 * 399.0;
        assert!(
            (n - expected).abs() < 5.0 * (expected * 0.9).sqrt(),
            "{n} vs {expected}"
        );
        assert!(built.connectivity.pairs().iter().all(|(i, j)| i != j));
        let all = ConnectivitySpec::FixedProbability {
            p: 1.0,
            autapses: true,
        }
        .build(5, 7, false, &rng())
        .unwrap();
        assert_eq!(all.connectivity.n_synapses(), 35);
    }

    #[test]
    fn fixed_indegree_gives_k_distinct() {
        let spec = ConnectivitySpec::FixedIndegree {
            k: 5,
            autapses: false,
        };
        let built = spec.build(10, 10, true, &rng()).unwrap();
        for j in 0..10 {
            let mut pres = vec![];
            built.connectivity.for_each_incoming(j, |_, i| pres.push(i));
            assert_eq!(pres.len(), 5);
            assert!(!pres.contains(&j));
            pres.dedup();
            assert_eq!(pres.len(), 5);
        }
        assert!(spec.build(5, 5, true, &rng()).is_err());
    }

    #[test]
    fn explicit_list_keeps_value_order() {
        let spec = ConnectivitySpec::List(vec![(1, 0), (0, 1)]);
        let built = spec.build(2, 2, false, &rng()).unwrap();
        let w = WeightInit::Values(vec![10.0, 20.0])
            .generate(&built, &rng())
            .unwrap();
        assert_eq!(built.connectivity.pairs(), vec![(0, 1), (1, 0)]);
        assert_eq!(w, vec![20.0, 10.0]);
        assert!(
            ConnectivitySpec::List(vec![(0, 0), (0, 0)])
                .build(1, 1, false, &rng())
                .is_err()
        );
        assert!(
            ConnectivitySpec::List(vec![(3, 0)])
                .build(1, 1, false, &rng())
                .is_err()
        );
    }

    #[test]
    fn normal_weights_are_clipped() {
        let built = ConnectivitySpec::AllToAll
            .build(20, 50, false, &rng())
            .unwrap();
        let w = WeightInit::Normal {
            mean: 0.0,
            std: 1.0,
            min: -0.5,
            max: 0.5,
        }
        .generate(&built, &rng())
        .unwrap();
        assert!(w.iter().all(|&x| (-0.5..=0.5).contains(&x)));
        assert!(w.contains(&0.5));
    }

    #[test]
    fn a_column_does_not_depend_on_the_other_columns() {
        // Neuron j's partners and weights are the same whether 30 or 60 postsynaptic neurons
        // are built: a partition can build its own columns alone.
        let weights = WeightInit::Uniform {
            low: 0.0,
            high: 1.0,
        };
        for spec in [
            ConnectivitySpec::FixedProbability {
                p: 0.2,
                autapses: true,
            },
            ConnectivitySpec::FixedIndegree {
                k: 7,
                autapses: true,
            },
        ] {
            let column_of = |n_post: usize, j: usize| {
                let built = spec.build(50, n_post, false, &rng()).unwrap();
                let w = weights.generate(&built, &rng()).unwrap();
                let mut col = vec![];
                built
                    .connectivity
                    .for_each_incoming(j, |s, i| col.push((i, w[s])));
                col
            };
            for j in [0, 13, 29] {
                assert!(!column_of(30, j).is_empty());
                assert_eq!(column_of(30, j), column_of(60, j));
            }
            let mut alone = vec![];
            spec.column(13, 50, false, &rng(), &mut alone);
            let pres: Vec<usize> = column_of(30, 13).iter().map(|&(i, _)| i).collect();
            assert_eq!(alone.iter().map(|&i| i as usize).collect::<Vec<_>>(), pres);
        }
    }

    #[test]
    fn columns_built_in_two_passes_equal_the_whole_build() {
        let weights = WeightInit::Normal {
            mean: 1.0,
            std: 0.5,
            min: 0.0,
            max: 2.0,
        };
        for spec in [
            ConnectivitySpec::FixedProbability {
                p: 0.2,
                autapses: false,
            },
            ConnectivitySpec::FixedIndegree {
                k: 7,
                autapses: true,
            },
            ConnectivitySpec::OneToOne,
        ] {
            let built = spec.build(40, 40, true, &rng()).unwrap();
            let w = weights.generate(&built, &rng()).unwrap();
            let w_streams = SimRng { seed: 1 }.streams("projection", "test");
            for columns in [0..40, 0..13, 13..27, 27..40] {
                let (conn, w_cols) = spec
                    .build_columns(40, 40, true, &rng(), &weights, &w_streams, columns.clone())
                    .unwrap();
                let Connectivity::Sparse(csr) = &conn else {
                    panic!("sparse");
                };
                assert!(!csr.has_incoming(), "no transposed index is built");
                let expected: Vec<(u32, u32, u32)> = built
                    .connectivity
                    .pairs()
                    .iter()
                    .zip(&w)
                    .filter(|((_, j), _)| columns.contains(&(*j as usize)))
                    .map(|(&(i, j), x)| (i, j, x.to_bits()))
                    .collect();
                let got: Vec<(u32, u32, u32)> = conn
                    .pairs()
                    .iter()
                    .zip(&w_cols)
                    .map(|(&(i, j), x)| (i, j, x.to_bits()))
                    .collect();
                assert!(!got.is_empty());
                assert_eq!(got, expected, "{spec:?} {columns:?}");
            }
        }
        let too_many = ConnectivitySpec::FixedIndegree {
            k: 50,
            autapses: true,
        };
        assert!(
            too_many
                .build_columns(40, 40, true, &rng(), &weights, &rng(), 0..40)
                .is_err()
        );
        assert!(!ConnectivitySpec::AllToAll.builds_by_column(&weights));
        assert!(!ConnectivitySpec::OneToOne.builds_by_column(&WeightInit::Values(vec![1.0])));
    }

    /// Issue 13: these panicked in `generate` (NaN clip bounds, an infinite uniform range) or
    /// silently became infinite f32 weights.
    #[test]
    fn weights_that_panicked_or_overflowed_are_refused() {
        let bad = [
            WeightInit::Normal {
                mean: 1.0,
                std: 0.1,
                min: f64::NAN,
                max: f64::NAN,
            },
            WeightInit::Normal {
                mean: 1.0,
                std: 0.1,
                min: 0.0,
                max: f64::NAN,
            },
            WeightInit::Uniform {
                low: -1e308,
                high: 1e308,
            },
            WeightInit::Constant(1e300),
            WeightInit::Values(vec![1.0, 1e39]),
        ];
        for w in bad {
            let e = w.validate().expect_err(&format!("{w:?}"));
            assert!(!e.to_string().is_empty());
        }
        assert!(WeightInit::Constant(3.0e38).validate().is_ok());
        assert!(
            WeightInit::Normal {
                mean: 0.0,
                std: 1.0,
                min: f64::NEG_INFINITY,
                max: f64::INFINITY
            }
            .validate()
            .is_ok()
        );
    }
}
