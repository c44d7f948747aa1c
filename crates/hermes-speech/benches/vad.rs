//! Cost of one 32 ms VAD frame: one stream at a time against batches of
//! 1, 8, 64 and 256 streams' frames in one inference. A batch's time
//! divided by its size is the cost per call per frame; 32 ms divided by
//! that is how many concurrent calls one core keeps up with.
//!
//! `cargo bench -p hermes-speech --features vad --bench vad` (the model
//! and ONNX Runtime must be fetched: scripts/models.sh). One session, one
//! thread: the figures are per core. The audio is noise at speech level
//! (the model's cost does not depend on what it hears); no gate.
//!
//! After criterion's wall-clock figures, a table of the same runs in CPU
//! time of the benchmark thread (Linux's `/proc/thread-self/schedstat`;
//! ONNX Runtime with one intra-op thread computes on the caller's thread):
//! on a shared machine wall time counts the other processes' turns on the
//! core, CPU time does not. `HERMES_BENCH_FRAMES` (default 20,000) frames
//! per row.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hermes_speech::vad::{FRAME, SileroVad, VadStream};

/// Frames of noise at about −26 dBFS, cycled through.
fn frames(n: usize) -> Vec<Vec<f32>> {
    let mut x: u32 = 0x1234_5678;
    (0..n)
        .map(|_| {
            (0..FRAME)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    (x as f32 / u32::MAX as f32 - 0.5) * 0.17
                })
                .collect()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let vad = SileroVad::load_with_sessions(&common::models_dir(), 1)
        .unwrap_or_else(|e| panic!("Silero VAD is not usable: {e}\nRun scripts/models.sh first."));
    let audio = frames(97);

    let mut group = c.benchmark_group("vad");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));

    group.throughput(Throughput::Elements(1));
    group.bench_function("one stream, probability", |b| {
        let mut stream = vad.stream();
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % audio.len();
            black_box(vad.probability(&mut stream, &audio[i]).unwrap())
        });
    });

    for batch in [1usize, 8, 64, 256] {
        group.throughput(Throughput::Elements(batch as u64));
        group.bench_with_input(
            BenchmarkId::new("batched probabilities", batch),
            &batch,
            |b, &batch| {
                let mut streams: Vec<VadStream> = (0..batch).map(|_| vad.stream()).collect();
                let mut step = 0;
                b.iter(|| {
                    step += 1;
                    let mut items: Vec<(&mut VadStream, &[f32])> = streams
                        .iter_mut()
                        .enumerate()
                        .map(|(k, s)| (s, &audio[(step + k) % audio.len()][..]))
                        .collect();
                    black_box(vad.probabilities(&mut items).unwrap())
                });
            },
        );
    }
    group.finish();
}

/// Nanoseconds this thread has spent on a CPU.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("/proc/thread-self/schedstat (Linux) is needed for the CPU-time table")
}

fn cpu_time_table(_: &mut Criterion) {
    let vad = SileroVad::load_with_sessions(&common::models_dir(), 1).unwrap();
    let audio = frames(97);
    let total: usize = std::env::var("HERMES_BENCH_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    println!();
    println!("| batch | wall µs/frame | CPU µs/frame | calls per core (32 ms / CPU) |");
    println!("|---|---|---|---|");
    for batch in [1usize, 8, 64, 256] {
        let mut streams: Vec<VadStream> = (0..batch).map(|_| vad.stream()).collect();
        let rounds = total.div_ceil(batch);
        // Warm-up: the first runs at a new batch size plan memory.
        for step in 0..3 {
            let mut items: Vec<(&mut VadStream, &[f32])> = streams
                .iter_mut()
                .enumerate()
                .map(|(k, s)| (s, &audio[(step + k) % audio.len()][..]))
                .collect();
            black_box(vad.probabilities(&mut items).unwrap());
        }
        let (wall, cpu) = (Instant::now(), thread_cpu_ns());
        for step in 0..rounds {
            let mut items: Vec<(&mut VadStream, &[f32])> = streams
                .iter_mut()
                .enumerate()
                .map(|(k, s)| (s, &audio[(step + k) % audio.len()][..]))
                .collect();
            black_box(vad.probabilities(&mut items).unwrap());
        }
        let n = (rounds * batch) as f64;
        let wall_us = wall.elapsed().as_secs_f64() * 1e6 / n;
        let cpu_us = (thread_cpu_ns() - cpu) as f64 / 1e3 / n;
        println!(
            "| {batch} | {wall_us:.1} | {cpu_us:.1} | {:.0} |",
            32_000.0 / cpu_us
        );
    }
}

criterion_group!(benches, bench, cpu_time_table);
criterion_main!(benches);
