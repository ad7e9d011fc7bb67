//! [`ForkJoin`]: a fixed team of worker threads that run one closure per partition, with a
//! hand-off of about a microsecond.
//!
//! A network step has several parallel regions (one per partitioned system: every projection's
//! delivery, every population's neuron step), each of a few to a few hundred microseconds, with
//! short serial work between them. A general work-stealing pool (rayon) puts its idle workers to
//! sleep within a few microseconds and wakes them through the kernel at the next region: on the
//! project's 2-core VM that cost ≈ 7 µs per region, as much as a region of COBA 64k's work
//! (`docs/parallel.md`). Here a worker instead **spins** on a generation counter for a while
//! after each region ([`SPIN`]), so the next region, published by one atomic store, starts on
//! every worker at once; a worker that found nothing to do for that long parks on a condition
//! variable, and the caller wakes it only when some worker is parked.
//!
//! Worker `w` (`1..P`) runs partition `w`, the calling thread runs partition 0 and then **takes
//! over every partition whose worker has not claimed it yet** before it waits for the rest. On
//! an idle machine every worker claims its partition within a fraction of a microsecond, so the
//! assignment stays fixed and each partition's data stays in one core's cache from step to step;
//! on a loaded machine a worker the operating system has not scheduled does not hold up the
//! step: its partition runs on the caller instead. Which thread runs a partition never changes a
//! result, because every partition writes only what it owns.
//!
//! Safety rests on two rules: a partition's closure is only called by the thread that claimed
//! that partition for the current generation (one atomic `fetch_max` on its claim word), and
//! [`ForkJoin::run`] does not return (or unwind) before every claimed partition has finished. A
//! panic in a partition is caught, the other partitions finish, and the panic is resumed on the
//! calling thread.

use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long an idle worker (and a caller waiting for its workers) spins before it yields the
/// core or parks: long enough to bridge the serial work between two regions of a step and from
/// one step to the next, short enough that an idle simulation (a Python session between two
/// `run` calls) leaves the cores alone almost at once.
pub const SPIN: Duration = Duration::from_micros(200);

/// The closure of the current region, with its lifetime erased (see the module's safety rule).
type Job = *const (dyn Fn(usize) + Sync + 'static);

/// What the calling thread and the workers share.
struct Shared {
    /// Bumped by the caller to publish a region; a worker runs the region when it sees a value
    /// it has not run yet.
    generation: AtomicU64,
    /// The current region's closure; written before `generation` is bumped, read only by a
    /// thread that then claimed a partition for that generation.
    job: UnsafeCell<Option<Job>>,
    /// Per partition `1..P` (index `w − 1`): the last generation it was claimed for. Whoever
    /// raises it to the current generation runs the partition.
    claims: Box<[AtomicU64]>,
    /// Partitions `1..P` of the current region not finished yet.
    pending: AtomicUsize,
    /// The first panic of the current region, resumed by the caller.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    /// Workers parked on `wake`.
    parked: AtomicUsize,
    /// Guards `wake`'s waits.
    lock: Mutex<()>,
    /// Where parked workers wait for a new generation.
    wake: Condvar,
    /// Set once, when the team is dropped.
    shutdown: AtomicBool,
}

// SAFETY: `job` is written only by the caller between regions, when every partition of the
// previous generation has been claimed and finished and none of the next can be claimed before
// the generation bump that follows the write (release); a worker reads it only after acquiring
// that bump and winning the claim. Everything else is atomic or locked.
unsafe impl Sync for Shared {}
// SAFETY: as above; the raw pointer is only dereferenced under that protocol.
unsafe impl Send for Shared {}

/// A team of `P − 1` spinning worker threads; with the calling thread, `P` partitions.
pub struct ForkJoin {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    /// Held by the caller for a whole region: a second caller (another thread, or a region
    /// started from inside a region) runs its partitions inline instead of corrupting this one.
    busy: Mutex<()>,
}

impl std::fmt::Debug for ForkJoin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForkJoin")
            .field("threads", &self.threads())
            .finish()
    }
}

impl ForkJoin {
    /// A team for `threads` partitions (`threads − 1` workers, named `hebb-partition-{w}`).
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            generation: AtomicU64::new(0),
            job: UnsafeCell::new(None),
            claims: (1..threads.max(1)).map(|_| AtomicU64::new(0)).collect(),
            pending: AtomicUsize::new(0),
            panic: Mutex::new(None),
            parked: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            shutdown: AtomicBool::new(false),
        });
        let mut team = Self {
            shared,
            workers: Vec::with_capacity(threads.saturating_sub(1)),
            busy: Mutex::new(()),
        };
        for w in 1..threads.max(1) {
            let shared = Arc::clone(&team.shared);
            let handle = std::thread::Builder::new()
                .name(format!("hebb-partition-{w}"))
                .spawn(move || worker(&shared, w))?;
            // On an error above, dropping `team` stops the workers started so far.
            team.workers.push(handle);
        }
        Ok(team)
    }

    /// The number of partitions: the workers and the calling thread.
    #[inline]
    pub fn threads(&self) -> usize {
        self.workers.len() + 1
    }

    /// Run `f(p)` for every partition `p` in `0..threads`, partition 0 on the calling thread
    /// (and any other partition no worker has claimed by the time partition 0 is done), and
    /// return when all are done. A panic in any partition is resumed here once every partition
    /// has finished.
    pub fn run(&self, f: &(dyn Fn(usize) + Sync)) {
        let Ok(_busy) = self.busy.try_lock() else {
            // A region inside a region (or from a second thread): run it inline. Correct,
            // because partitions never depend on running at the same time.
            (0..self.threads()).for_each(f);
            return;
        };
        if self.workers.is_empty() {
            f(0);
            return;
        }
        let shared = &*self.shared;
        // SAFETY: erasing the lifetime is sound because this function does not return or
        // unwind before `pending` is back to 0, i.e. before every worker is done with `f`.
        let job: Job = unsafe {
            std::mem::transmute::<&(dyn Fn(usize) + Sync), &'static (dyn Fn(usize) + Sync)>(f)
        };
        // SAFETY: no worker reads `job` now: every partition of the previous region was claimed
        // and finished (we waited), and none of the next can be claimed before the bump below.
        unsafe { *shared.job.get() = Some(job) };
        shared.pending.store(self.workers.len(), Ordering::Relaxed);
        // SeqCst pairs with the parked-worker check (see `worker`): either that worker sees
        // this generation before it parks, or we see it parked and wake it.
        let generation = shared.generation.fetch_add(1, Ordering::SeqCst) + 1;
        if shared.parked.load(Ordering::SeqCst) > 0 {
            let _guard = shared.lock.lock().unwrap_or_else(PoisonError::into_inner);
            shared.wake.notify_all();
        }
        let mut own = catch_unwind(AssertUnwindSafe(|| f(0)));
        for w in 1..self.threads() {
            if shared.claim(w, generation) {
                // Its worker has not started: run it here rather than wait for the scheduler.
                let stolen = catch_unwind(AssertUnwindSafe(|| f(w)));
                shared.pending.fetch_sub(1, Ordering::Release);
                if own.is_ok() {
                    own = stolen;
                }
            }
        }
        spin_until(|| shared.pending.load(Ordering::Acquire) == 0);
        // SAFETY: every worker is done with the job.
        unsafe { *shared.job.get() = None };
        if let Err(payload) = own {
            resume_unwind(payload);
        }
        let worker_panic = shared
            .panic
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(payload) = worker_panic {
            resume_unwind(payload);
        }
    }
}

impl Drop for ForkJoin {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
        {
            let _guard = self
                .shared
                .lock
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            self.shared.wake.notify_all();
        }
        for handle in self.workers.drain(..) {
            // A worker never panics itself (partition panics are caught), so join cannot fail
            // in a way worth reporting from a destructor.
            let _ = handle.join();
        }
    }
}

impl Shared {
    /// Claim partition `w` (`1..P`) for `generation`: true for exactly one caller.
    #[inline]
    fn claim(&self, w: usize, generation: u64) -> bool {
        self.claims[w - 1].fetch_max(generation, Ordering::AcqRel) < generation
    }
}

/// Spin until `done()`, for at most [`SPIN`]; false if it was not done by then.
#[inline]
fn spin_for(done: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    let mut spins = 0u32;
    while !done() {
        std::hint::spin_loop();
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(64) && start.elapsed() > SPIN {
            return false;
        }
    }
    true
}

/// Spin, then keep yielding the core, until `done()`.
#[inline]
fn spin_until(done: impl Fn() -> bool) {
    if !spin_for(&done) {
        while !done() {
            std::thread::yield_now();
        }
    }
}

/// Worker `w`'s loop: wait for a new generation (spinning, then parked), run partition `w`.
fn worker(shared: &Shared, w: usize) {
    let mut seen = 0u64;
    loop {
        let moved = || shared.generation.load(Ordering::Acquire) != seen;
        let generation = if moved() || spin_for(moved) {
            shared.generation.load(Ordering::Acquire)
        } else {
            park(shared, seen)
        };
        seen = generation;
        if shared.shutdown.load(Ordering::Acquire) {
            return;
        }
        if !shared.claim(w, generation) {
            // The caller ran this partition already (we were late); never touch its closure.
            continue;
        }
        // SAFETY: the caller wrote `job` before bumping the generation we acquired, and keeps
        // the closure alive until the partition we just claimed decrements `pending` below.
        if let Some(job) = unsafe { *shared.job.get() } {
            // SAFETY: see above.
            let job = unsafe { &*job };
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| job(w))) {
                let mut slot = shared.panic.lock().unwrap_or_else(PoisonError::into_inner);
                slot.get_or_insert(payload);
            }
        }
        shared.pending.fetch_sub(1, Ordering::Release);
    }
}

/// Park until the generation moves past `seen`; returns the new generation.
fn park(shared: &Shared, seen: u64) -> u64 {
    let mut guard = shared.lock.lock().unwrap_or_else(PoisonError::into_inner);
    shared.parked.fetch_add(1, Ordering::SeqCst);
    loop {
        let generation = shared.generation.load(Ordering::SeqCst);
        if generation != seen {
            shared.parked.fetch_sub(1, Ordering::SeqCst);
            return generation;
        }
        guard = shared
            .wake
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_partition_runs_once_per_region() {
        for threads in 1..5 {
            let team = ForkJoin::new(threads).unwrap();
            assert_eq!(team.threads(), threads);
            let counts: Vec<AtomicUsize> = (0..threads).map(|_| AtomicUsize::new(0)).collect();
            for _ in 0..1000 {
                team.run(&|p| {
                    counts[p].fetch_add(1, Ordering::Relaxed);
                });
            }
            assert!(counts.iter().all(|c| c.load(Ordering::Relaxed) == 1000));
        }
    }

    #[test]
    fn parked_workers_wake_for_the_next_region() {
        let team = ForkJoin::new(3).unwrap();
        let sum = AtomicUsize::new(0);
        for round in 0..3 {
            // Long enough for every worker to give up spinning and park.
            std::thread::sleep(SPIN * 5);
            team.run(&|p| {
                sum.fetch_add(p + 1, Ordering::Relaxed);
            });
            assert_eq!(sum.load(Ordering::Relaxed), 6 * (round + 1));
        }
    }

    #[test]
    fn a_panic_in_a_worker_reaches_the_caller_after_every_partition_finished() {
        let team = ForkJoin::new(3).unwrap();
        let finished = AtomicUsize::new(0);
        let result = catch_unwind(AssertUnwindSafe(|| {
            team.run(&|p| {
                if p == 2 {
                    panic!("partition 2 failed");
                }
                std::thread::sleep(Duration::from_millis(5));
                finished.fetch_add(1, Ordering::SeqCst);
            });
        }));
        let payload = result.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"partition 2 failed"));
        assert_eq!(finished.load(Ordering::SeqCst), 2);
        // The team still works afterwards.
        let sum = AtomicUsize::new(0);
        team.run(&|p| {
            sum.fetch_add(p, Ordering::Relaxed);
        });
        assert_eq!(sum.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn a_region_inside_a_region_runs_inline() {
        let team = ForkJoin::new(2).unwrap();
        let inner = AtomicUsize::new(0);
        team.run(&|p| {
            if p == 0 {
                team.run(&|_| {
                    inner.fetch_add(1, Ordering::Relaxed);
                });
            }
        });
        assert_eq!(inner.load(Ordering::Relaxed), 2);
    }
}
