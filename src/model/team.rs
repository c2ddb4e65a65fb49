//! A fixed team of threads that wait for work by spinning: the fork-join of one training step.
//!
//! A step at batch 32 forks about four times (the two large products, the gradient norm, the
//! optimizer update), each piece lasting 10–60 µs. Rayon's idle workers fall asleep between such
//! forks, and waking one (a futex and, on a VM, an interrupt to the other virtual CPU) took about
//! as long as the piece itself: on the 2-core EPYC, 2 threads ran a batch-32 Fashion-MNIST epoch
//! no faster than 1 (0.49 vs 0.47 s; the Adam update alone 98 µs per step on 2 threads against
//! 84 µs on 1, timed inside the trainer). A team member instead spins on a generation counter for
//! [`SPIN`] after its last piece, so a fork reaches it in well under a microsecond while training
//! runs, and sleeps on a condition variable once training pauses (evaluation, I/O).
//!
//! Parts are claimed, not assigned: the caller and the members take the next unclaimed part
//! until none is left, and the caller waits only for parts a member has actually taken. A member
//! that the OS (or, on a VM, the hypervisor) has not scheduled therefore costs nothing but its
//! share of the parallelism: the caller runs its parts. (With fixed assignment, a 2-thread batch-32
//! epoch sometimes took 1.2 s instead of 0.39 s, the caller waiting out the other virtual CPU's
//! absences.) Every part computes the same values whichever thread runs it, so results do not
//! depend on who claimed what.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a member spins for the next piece before it sleeps. Longer than the gap between two
/// forks of a step (≤ a few hundred µs), shorter than anything a person would notice as load.
pub const SPIN: Duration = Duration::from_millis(2);

/// The piece of work being shared: a borrowed closure with its lifetime erased (see `split`).
type Job = *const (dyn Fn(usize) + Sync + 'static);

/// An atomic on its own cache line, so the leader's and the members' polling do not collide.
#[repr(align(128))]
#[derive(Default)]
struct Padded<T>(T);

/// `generation << 32 | next part to claim`: one word, so a claim names the generation it is for.
fn state(generation: u64, next: u64) -> u64 {
    generation << 32 | next
}

struct Shared {
    /// The current generation and its next unclaimed part; published (SeqCst) after the job.
    state: Padded<AtomicU64>,
    /// Parts of the current generation that have finished.
    done: Padded<AtomicUsize>,
    /// The job's data and vtable pointers and its part count, written by the leader only while
    /// no part of the previous generation can still be claimed.
    job_data: AtomicUsize,
    job_vtable: AtomicUsize,
    parts: AtomicUsize,
    threads: usize,
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
    shutdown: AtomicBool,
    panicked: AtomicBool,
}

impl Shared {
    fn job(&self) -> Job {
        let raw = [
            self.job_data.load(Ordering::SeqCst),
            self.job_vtable.load(Ordering::SeqCst),
        ];
        // SAFETY: the two words were stored from a `Job` by `split` (fat pointers are two
        // words); the caller dereferences it only after claiming a part of its generation.
        unsafe { std::mem::transmute::<[usize; 2], Job>(raw) }
    }

    /// Claims and runs parts of `generation` until none is left (or a newer generation began);
    /// returns the first panic of a part, if any.
    fn claim_and_run(&self, generation: u64) -> Option<Box<dyn std::any::Any + Send>> {
        let mut panic = None;
        loop {
            let parts = self.parts.load(Ordering::SeqCst) as u64;
            let job = self.job();
            let s = self.state.0.load(Ordering::SeqCst);
            let next = s & 0xffff_ffff;
            if s >> 32 != generation & 0xffff_ffff || next >= parts {
                return panic;
            }
            if self
                .state
                .0
                .compare_exchange(s, s + 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_err()
            {
                continue;
            }
            // SAFETY: the claim succeeded while part `next` < parts of this generation was
            // unclaimed, so the generation is not finished and its closure is alive (the leader
            // waits for every claimed part); `job` and `parts` were read after the generation
            // was published and before it could finish, so they are this generation's.
            let f = unsafe { &*job };
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| f(next as usize))) {
                // Flagged before the part counts as done, so the leader cannot miss it.
                self.panicked.store(true, Ordering::SeqCst);
                panic.get_or_insert(p);
            }
            self.done.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

// SAFETY: all shared fields are atomics or synchronised by `lock`; the job pointer is
// dereferenced only under the claiming protocol above.
unsafe impl Sync for Shared {}
unsafe impl Send for Shared {}

/// A team of `threads` threads: the caller of [`Team::split`] and `threads − 1` members.
pub struct Team {
    shared: Arc<Shared>,
    members: Vec<JoinHandle<()>>,
    /// Serialises leaders: `split` from two threads at once would overwrite the job.
    leader: Mutex<()>,
}

impl Team {
    /// `threads` ≥ 1 (one is the caller); errors if the OS refuses a thread.
    pub fn new(threads: usize) -> anyhow::Result<Team> {
        let threads = threads.max(1);
        let shared = Arc::new(Shared {
            state: Padded(AtomicU64::new(0)),
            done: Padded(AtomicUsize::new(0)),
            job_data: AtomicUsize::new(0),
            job_vtable: AtomicUsize::new(0),
            parts: AtomicUsize::new(0),
            threads,
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            shutdown: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
        });
        let mut members = Vec::with_capacity(threads - 1);
        for w in 1..threads {
            let s = shared.clone();
            let h = std::thread::Builder::new()
                .name(format!("lrtrain-team-{w}"))
                .spawn(move || member(&s))
                .map_err(|e| anyhow::anyhow!("cannot start {threads} worker threads: {e}"))?;
            members.push(h);
        }
        Ok(Team {
            shared,
            members,
            leader: Mutex::new(()),
        })
    }

    /// Threads in the team, the caller included.
    pub fn threads(&self) -> usize {
        self.shared.threads
    }

    /// Runs `f(0)`, …, `f(parts − 1)`, each exactly once, on the caller and whichever members
    /// claim them, and returns when all have returned. Panics if a part panicked.
    pub fn split(&self, parts: usize, f: &(dyn Fn(usize) + Sync)) {
        if parts <= 1 || self.shared.threads == 1 {
            (0..parts).for_each(f);
            return;
        }
        let _leader = self.leader.lock().unwrap_or_else(|e| e.into_inner());
        let s = &*self.shared;
        // SAFETY: the lifetime is erased only for the duration of this call: a part is run only
        // after being claimed, and this function returns only once every part has finished.
        let job: Job = unsafe { std::mem::transmute::<&(dyn Fn(usize) + Sync), Job>(f) };
        // SAFETY: a fat pointer is two words.
        let [data, vtable] = unsafe { std::mem::transmute::<Job, [usize; 2]>(job) };
        // The previous generation is finished (every part claimed and done), so no claim can
        // succeed until the new state below is published; members reading these now discard them.
        s.job_data.store(data, Ordering::SeqCst);
        s.job_vtable.store(vtable, Ordering::SeqCst);
        s.parts.store(parts, Ordering::SeqCst);
        s.done.0.store(0, Ordering::SeqCst);
        let generation = (s.state.0.load(Ordering::SeqCst) >> 32) + 1;
        s.state
            .0
            .store(state(generation & 0xffff_ffff, 0), Ordering::SeqCst);
        if s.sleepers.load(Ordering::SeqCst) > 0 {
            let _g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.wake.notify_all();
        }
        let previous = CURRENT.with(|c| c.replace(std::ptr::null()));
        let mine = s.claim_and_run(generation);
        CURRENT.with(|c| c.set(previous));
        let mut waited = 0u32;
        while s.done.0.load(Ordering::SeqCst) < parts {
            pause(&mut waited);
        }
        let flagged = s.panicked.swap(false, Ordering::SeqCst);
        if let Some(payload) = mine {
            std::panic::resume_unwind(payload);
        }
        if flagged {
            panic!("a worker thread panicked during a parallel loop");
        }
    }

    /// Runs `f` with this team as the thread's current team, so [`split`] inside it uses the
    /// team (the trainer installs it for each step).
    pub fn install<R>(&self, f: impl FnOnce() -> R) -> R {
        let previous = CURRENT.with(|c| c.replace(self as *const Team));
        struct Restore(*const Team);
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT.with(|c| c.set(self.0));
            }
        }
        let _restore = Restore(previous);
        f()
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        let s = &*self.shared;
        s.shutdown.store(true, Ordering::SeqCst);
        {
            let _g = s.lock.lock().unwrap_or_else(|e| e.into_inner());
            s.wake.notify_all();
        }
        for h in self.members.drain(..) {
            let _ = h.join();
        }
    }
}

thread_local! {
    /// The team installed on this thread by [`Team::install`]; null outside one, and while this
    /// thread is already leading a split (nested splits run sequentially).
    static CURRENT: Cell<*const Team> = const { Cell::new(std::ptr::null()) };
}

/// Threads of the current team (1 outside one).
pub fn current_threads() -> usize {
    CURRENT.with(|c| {
        let t = c.get();
        // SAFETY: a non-null pointer was set by `install`, whose borrow of the team outlives it.
        if t.is_null() {
            1
        } else {
            unsafe { (*t).threads() }
        }
    })
}

/// [`Team::split`] on the current team, or a plain loop outside one.
pub fn split(parts: usize, f: &(dyn Fn(usize) + Sync)) {
    let team = CURRENT.with(|c| c.get());
    if team.is_null() {
        (0..parts).for_each(f);
    } else {
        // SAFETY: as in `current_threads`.
        unsafe { (*team).split(parts, f) }
    }
}

/// A mutable slice that the parts of a split cut into disjoint ranges, one each.
pub struct Disjoint<'a, T> {
    ptr: *mut T,
    len: usize,
    _borrow: std::marker::PhantomData<&'a mut [T]>,
}

// SAFETY: a `Disjoint` only hands out ranges its caller promises are disjoint, so sharing it is
// sharing distinct `&mut [T]`s, which is sound for `T: Send`.
unsafe impl<T: Send> Sync for Disjoint<'_, T> {}
unsafe impl<T: Send> Send for Disjoint<'_, T> {}

impl<'a, T> Disjoint<'a, T> {
    pub fn new(slice: &'a mut [T]) -> Self {
        Disjoint {
            ptr: slice.as_mut_ptr(),
            len: slice.len(),
            _borrow: std::marker::PhantomData,
        }
    }

    /// Elements `range` (clamped to the slice).
    ///
    /// # Safety
    /// Ranges taken while another taken range is alive must not overlap.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn range(&self, range: std::ops::Range<usize>) -> &mut [T] {
        let end = range.end.min(self.len);
        let start = range.start.min(end);
        // SAFETY: inside the borrowed slice; disjointness is the caller's promise.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(start), end - start) }
    }
}

/// One round of waiting: a CPU pause, and now and then a yield, so a team larger than the
/// machine's cores still lets the others run.
#[inline]
fn pause(waited: &mut u32) {
    *waited = waited.wrapping_add(1);
    if waited.is_multiple_of(1024) {
        std::thread::yield_now();
    } else {
        std::hint::spin_loop();
    }
}

/// A member's life: wait for a new generation, claim its parts, until shutdown.
fn member(s: &Shared) {
    // Generations start at 1, so a member that starts late still joins the first one.
    let mut seen = 0;
    loop {
        let mut waited = 0u32;
        let mut since: Option<Instant> = None;
        let generation = loop {
            let g = s.state.0.load(Ordering::SeqCst) >> 32;
            if g != seen {
                break g;
            }
            if s.shutdown.load(Ordering::Relaxed) {
                return;
            }
            pause(&mut waited);
            if waited.is_multiple_of(256) {
                let start = *since.get_or_insert_with(Instant::now);
                if start.elapsed() > SPIN {
                    sleep(s, seen);
                    since = None;
                }
            }
        };
        // A panic is flagged for the leader inside; the payload itself is dropped here.
        let _ = s.claim_and_run(generation);
        seen = generation;
    }
}

/// Sleeps until the generation moves past `seen` or the team shuts down.
fn sleep(s: &Shared, seen: u64) {
    let mut guard = s.lock.lock().unwrap_or_else(|e| e.into_inner());
    s.sleepers.fetch_add(1, Ordering::SeqCst);
    while s.state.0.load(Ordering::SeqCst) >> 32 == seen && !s.shutdown.load(Ordering::SeqCst) {
        guard = s.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
    }
    s.sleepers.fetch_sub(1, Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_runs_exactly_once_and_the_members_take_a_share() {
        let team = Team::new(3).unwrap();
        for parts in [0, 1, 2, 3, 7, 64] {
            let hits: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
            team.split(parts, &|i| {
                hits[i].fetch_add(1, Ordering::Relaxed);
            });
            assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
        }
        // Parts that take a while: the members, spinning, claim some of them.
        let names: Vec<Mutex<String>> = (0..32).map(|_| Mutex::new(String::new())).collect();
        team.split(32, &|i| {
            std::thread::sleep(Duration::from_millis(3));
            *names[i].lock().unwrap() = std::thread::current().name().unwrap_or("").into();
        });
        let by_members = names
            .iter()
            .filter(|n| n.lock().unwrap().starts_with("lrtrain-team-"))
            .count();
        assert!(
            (1..32).contains(&by_members),
            "{by_members} of 32 parts ran on members"
        );
    }

    #[test]
    fn members_that_fell_asleep_wake_for_the_next_split() {
        let team = Team::new(2).unwrap();
        let sum = AtomicUsize::new(0);
        for round in 0..3 {
            std::thread::sleep(SPIN * 3);
            team.split(4, &|i| {
                sum.fetch_add(i + round, Ordering::Relaxed);
            });
        }
        assert_eq!(sum.load(Ordering::Relaxed), 3 * 6 + 4 * 3);
    }

    #[test]
    fn a_panicking_part_panics_the_caller_and_the_team_still_works() {
        let team = Team::new(2).unwrap();
        let r = catch_unwind(AssertUnwindSafe(|| {
            team.split(2, &|i| assert!(i != 1, "part 1 fails"));
        }));
        assert!(r.is_err());
        let n = AtomicUsize::new(0);
        team.split(2, &|_| {
            n.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(n.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn split_uses_the_installed_team_and_nested_splits_run_in_place() {
        let team = Team::new(2).unwrap();
        assert_eq!(current_threads(), 1);
        team.install(|| {
            assert_eq!(current_threads(), 2);
            let n = AtomicUsize::new(0);
            split(2, &|_| {
                // inside a part no team is current: this runs on the part's own thread
                split(3, &|_| {
                    n.fetch_add(1, Ordering::Relaxed);
                });
            });
            assert_eq!(n.load(Ordering::Relaxed), 6);
        });
        assert_eq!(current_threads(), 1);
    }
}
