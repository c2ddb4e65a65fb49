//! Speed of `Network::loss_and_grad` on the reference workload, MLP 784-128-10 with ReLU and
//! softmax cross-entropy, over random data.
//!
//! ```text
//! cargo run --release --example network_bench              # seconds per 60,000-row epoch
//! cargo run --release --example network_bench -- products  # the products alone: gemm vs ndarray
//! ```
//!
//! The epoch table counts 2·m·n·k over every product of a pass (≈ 24.5 GFLOP per epoch) and
//! reports the median of several epochs, plus how many heap allocations one call makes (a counting
//! global allocator; all of them happen inside gemm).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use lrtrain::model::matmul::{Operand, PARALLEL_MIN_WORK, Parallel, STRATEGY, Strategy, matmul};
use lrtrain::model::{MlpConfig, ModelConfig, Network, Targets};
use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const ROWS: usize = 60_000;
const INPUTS: usize = 784;
const HIDDEN: usize = 128;
const CLASSES: usize = 10;
/// Distinct random rows the batches cycle through (all 60,000 would be 188 MB of f32).
const POOL_ROWS: usize = 8192;

fn random(len: usize, seed: u64) -> Vec<f32> {
    (0..len as u64)
        .map(|i| (lrtrain::config::seed::splitmix64(seed ^ i) >> 40) as f32 / (1u64 << 24) as f32)
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn epochs() {
    let x = random(POOL_ROWS * INPUTS, 1);
    let labels: Vec<u32> = (0..POOL_ROWS as u64)
        .map(|i| (lrtrain::config::seed::splitmix64(i) % CLASSES as u64) as u32)
        .collect();
    // STRATEGY=gemm|bands and MIN_WORK=… override the network's choices, for measuring them.
    let strategy = match std::env::var("STRATEGY").as_deref() {
        Ok("gemm") => Strategy::Gemm,
        Ok("bands") => Strategy::Bands,
        _ => STRATEGY,
    };
    let min_work = std::env::var("MIN_WORK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(PARALLEL_MIN_WORK);
    let reps: usize = std::env::var("REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    println!(
        "MLP 784-{}-10 relu, loss_and_grad over {ROWS} rows; median of {reps} epochs after one warm-up; \
         {strategy:?} above {min_work} multiply-adds",
        std::env::var("HIDDEN").unwrap_or("128".into())
    );
    println!("| batch | threads | s/epoch | GFLOP/s | allocations per call |");
    println!("|---|---|---|---|---|");
    // BATCH=… and THREADS=… restrict the table to one row or column.
    let only = |var: &str| {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
    };
    let (only_batch, only_threads) = (only("BATCH"), only("THREADS"));
    // HIDDEN=1024,1024: another network than 784-128-10.
    let hidden: Option<Vec<usize>> = std::env::var("HIDDEN")
        .ok()
        .map(|v| v.split(',').filter_map(|w| w.trim().parse().ok()).collect());
    for batch in [32, 128, 1024] {
        for threads in [1, 2] {
            if only_batch.is_some_and(|b| b != batch) || only_threads.is_some_and(|t| t != threads)
            {
                continue;
            }
            let model = match &hidden {
                Some(h) => ModelConfig::Mlp(MlpConfig {
                    hidden: h.clone(),
                    ..MlpConfig::default()
                }),
                None => ModelConfig::default(),
            };
            let mut net = Network::new(&model, INPUTS, CLASSES, batch, threads, 42).unwrap();
            net.tune_matmul(strategy, min_work);
            let mut grads = vec![0.0f32; net.num_params()];
            let mut one_epoch = || {
                let start = Instant::now();
                let (mut done, mut flops, mut calls, mut loss) = (0, 0u64, 0, 0.0);
                let allocs = ALLOCATIONS.load(Ordering::Relaxed);
                while done < ROWS {
                    let n = batch.min(ROWS - done);
                    let first = (calls * batch) % (POOL_ROWS - batch + 1);
                    let xb = &x[first * INPUTS..(first + n) * INPUTS];
                    let yb = &labels[first..first + n];
                    loss += net.loss_and_grad(xb, Targets::Classes(yb), &mut grads).loss;
                    flops += net.train_flops(n);
                    done += n;
                    calls += 1;
                }
                black_box((loss, &grads));
                let allocs = (ALLOCATIONS.load(Ordering::Relaxed) - allocs) as f64 / calls as f64;
                (start.elapsed().as_secs_f64(), flops, allocs)
            };
            one_epoch();
            let runs: Vec<_> = (0..reps).map(|_| one_epoch()).collect();
            let secs = median(runs.iter().map(|r| r.0).collect());
            let flops = runs[0].1 as f64;
            println!(
                "| {batch} | {threads} | {secs:.3} | {:.1} | {:.1} |",
                flops / secs / 1e9,
                runs[0].2
            );
        }
    }
}

/// Median seconds of one call of `f`, from 7 samples of enough calls to take ~10 ms each.
fn time(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    f();
    let once = start.elapsed().as_secs_f64().max(1e-7);
    let calls = ((0.01 / once) as usize).clamp(1, 100_000);
    median(
        (0..7)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..calls {
                    f();
                }
                start.elapsed().as_secs_f64() / calls as f64
            })
            .collect(),
    )
}

/// (name, lhs, rhs, lhs transposed, rhs transposed, m, k, n)
type Case<'a> = (
    &'a str,
    &'a [f32],
    &'a [f32],
    bool,
    bool,
    usize,
    usize,
    usize,
);

fn products() {
    let seq = Parallel::new(1).unwrap();
    let two = Parallel::new(2)
        .unwrap()
        .with_min_work(0)
        .with_strategy(Strategy::Gemm);
    let bands = Parallel::new(2)
        .unwrap()
        .with_min_work(0)
        .with_strategy(Strategy::Bands);
    println!("GFLOP/s of each product of the 784-128-10 pass (median of 7 samples)");
    println!("| batch | product | m×k·k×n | ndarray 1 thr | gemm 1 thr | gemm 2 thr | 2 bands |");
    println!("|---|---|---|---|---|---|---|");
    for n in [32, 128, 1024] {
        let x = random(n * INPUTS, 2);
        let w1 = random(INPUTS * HIDDEN, 3);
        let d1 = random(n * HIDDEN, 4);
        let w2 = random(HIDDEN * CLASSES, 5);
        let d2 = random(n * CLASSES, 6);
        let cases: [Case; 5] = [
            ("forward 1: x·W1", &x, &w1, false, false, n, INPUTS, HIDDEN),
            ("dW1 = xᵀ·δ1", &x, &d1, true, false, INPUTS, n, HIDDEN),
            (
                "forward 2: h·W2",
                &d1,
                &w2,
                false,
                false,
                n,
                HIDDEN,
                CLASSES,
            ),
            ("dW2 = hᵀ·δ2", &d1, &d2, true, false, HIDDEN, n, CLASSES),
            ("dh = δ2·W2ᵀ", &d2, &w2, false, true, n, CLASSES, HIDDEN),
        ];
        for (name, a, b, ta, tb, m, k, nn) in cases {
            let mut out = vec![0.0f32; m * nn];
            let gflop = 2.0 * (m * k * nn) as f64 / 1e9;
            let nd = time(|| {
                let av = if ta {
                    ArrayView2::from_shape((k, m), a).unwrap().reversed_axes()
                } else {
                    ArrayView2::from_shape((m, k), a).unwrap()
                };
                let bv = if tb {
                    ArrayView2::from_shape((nn, k), b).unwrap().reversed_axes()
                } else {
                    ArrayView2::from_shape((k, nn), b).unwrap()
                };
                let mut ov = ArrayViewMut2::from_shape((m, nn), &mut out[..]).unwrap();
                general_mat_mul(1.0, &av, &bv, 0.0, &mut ov);
            });
            let op_a = Operand {
                data: a,
                rows: m,
                cols: k,
                transposed: ta,
            };
            let op_b = Operand {
                data: b,
                rows: k,
                cols: nn,
                transposed: tb,
            };
            let g1 = time(|| matmul(&mut out, op_a, op_b, false, &seq));
            let g2 = time(|| two.run(|| matmul(&mut out, op_a, op_b, false, &two)));
            let b2 = time(|| bands.run(|| matmul(&mut out, op_a, op_b, false, &bands)));
            println!(
                "| {n} | {name} | {m}×{k}·{k}×{nn} | {:.1} | {:.1} | {:.1} | {:.1} |",
                gflop / nd,
                gflop / g1,
                gflop / g2,
                gflop / b2
            );
        }
    }
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("products") => products(),
        None | Some("epochs") => epochs(),
        Some(other) => {
            eprintln!("network_bench: expected `epochs` or `products`, found `{other}`");
            std::process::exit(2);
        }
    }
}
