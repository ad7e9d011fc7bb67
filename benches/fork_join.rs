//! Criterion benchmarks of the cost of one parallel region (`hebb_core::parallel::ForkJoin`):
//! an empty region, and regions of about 2 µs and 20 µs of work split over 2 partitions,
//! against the same work on one thread. A network step has a handful of regions (one per
//! partitioned system), so the empty region's time, multiplied by that count, is the per-step
//! price of threads. Run with `cargo bench --bench fork_join`.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use hebb::core::parallel::fork_join::ForkJoin;

/// `work` iterations of a dependent integer chain: compute that no thread can share.
fn spin(work: usize, p: usize) -> usize {
    (0..work).fold(p, |s, i| s.wrapping_add(black_box(i ^ s)))
}

fn regions(c: &mut Criterion) {
    let team = ForkJoin::new(2).expect("threads start");
    let sink = AtomicUsize::new(0);
    for work in [0usize, 2_000, 20_000] {
        c.bench_function(&format!("region_2_threads_work_{work}"), |b| {
            b.iter(|| team.run(&|p| _ = sink.fetch_add(spin(work, p), Ordering::Relaxed)));
        });
        c.bench_function(&format!("serial_work_{work}"), |b| {
            b.iter(|| {
                for p in 0..2 {
                    sink.fetch_add(spin(work, p), Ordering::Relaxed);
                }
            });
        });
    }
}

criterion_group!(benches, regions);
criterion_main!(benches);
