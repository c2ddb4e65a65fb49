//! Cost of one optimizer step on the 784-128-10 network's 101,770 parameters, one thread, for
//! every optimizer kind, and the heap allocations a step makes (a counting global allocator).
//!
//! ```text
//! cargo run --release --example optimizer_bench
//! ```
//!
//! Prints `kind,us_per_step,allocations_per_step`: the median over 7 rounds of 200 steps each.
//! `EVICT_KB=2048` writes 2 MB between steps (untimed), as a training step's products do, so the
//! state comes from farther caches, as it does in training.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use lrtrain::model::{ModelConfig, Network};
use lrtrain::optim::OptimizerConfig;

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

/// Each kind with its defaults (SGD with momentum, as it is mostly used).
const KINDS: [(&str, &str); 17] = [
    ("sgd", "momentum = 0.9"),
    ("adagrad", ""),
    ("rmsprop", ""),
    ("adam", ""),
    ("adamw", ""),
    ("nadam", ""),
    ("radam", ""),
    ("adamax", ""),
    ("adadelta", ""),
    ("rprop", ""),
    ("asgd", ""),
    ("lion", ""),
    ("adafactor", ""),
    ("sgd_schedule_free", ""),
    ("adamw_schedule_free", ""),
    ("prodigy", ""),
    ("muon", ""),
];
const STEPS: usize = 200;

/// Writes every cache line of `buf`, pushing the optimizer's state out of the nearer caches.
fn evict(buf: &mut [u8]) {
    for line in buf.chunks_mut(64) {
        line[0] = line[0].wrapping_add(1);
    }
    black_box(buf);
}
const ROUNDS: usize = 7;

fn main() {
    let net = Network::new(&ModelConfig::default(), 784, 10, 1, 1, 42).unwrap();
    let layout = net.layout();
    let n = layout.num_params();
    let grads: Vec<f32> = (0..n)
        .map(|i| ((i * 7919 % 2001) as f32 - 1000.0) * 1e-5)
        .collect();
    // EVICT_KB=N writes N KB between steps (untimed), as a training step's products do.
    let evict_kb: usize = std::env::var("EVICT_KB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut sweep = vec![0u8; evict_kb * 1024];
    println!("kind,us_per_step,allocations_per_step");
    for (kind, extra) in KINDS {
        let mut cfg: OptimizerConfig =
            toml::from_str(&format!("kind = \"{kind}\"\n{extra}")).unwrap();
        cfg.resolve().unwrap();
        let mut opt = cfg.build(&layout);
        let mut params = net.params().to_vec();
        let lr = cfg.lr0() as f32 * 1e-3;
        opt.step(&mut params, &grads, lr); // state created
        let mut times = Vec::with_capacity(ROUNDS);
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        for _ in 0..ROUNDS {
            let mut took = 0.0;
            for _ in 0..STEPS {
                evict(&mut sweep);
                let start = Instant::now();
                opt.step(black_box(&mut params), black_box(&grads), lr);
                took += start.elapsed().as_secs_f64();
            }
            times.push(took / STEPS as f64 * 1e6);
        }
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        times.sort_by(f64::total_cmp);
        println!(
            "{kind},{:.1},{}",
            times[ROUNDS / 2],
            allocations as f64 / (STEPS * ROUNDS) as f64
        );
    }
}
