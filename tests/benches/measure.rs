//! Timing shared by the benchmark binaries: run a closure n times, or two in alternation,
//! and report percentiles.
// Each benchmark binary compiles this module and uses a part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// Percentiles of one measurement.
pub struct Figures {
    pub median: Duration,
    pub p90: Duration,
    pub p99: Duration,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (unit, scale) = if self.median < Duration::from_millis(1) {
            ("us", 1e6)
        } else {
            ("ms", 1e3)
        };
        let v = |d: Duration| d.as_secs_f64() * scale;
        write!(
            f,
            "median {:.2} {unit}, p90 {:.2} {unit}, p99 {:.2} {unit}",
            v(self.median),
            v(self.p90),
            v(self.p99)
        )
    }
}

/// Runs `f` `n / 10` times to warm up, then `n` times timed.
pub fn measure(n: usize, mut f: impl FnMut()) -> Figures {
    for _ in 0..n / 10 {
        f();
    }
    figures((0..n).map(|_| time(&mut f)).collect())
}

/// Two closures measured in alternation, so that drift over the run (CPU frequency, the page
/// cache, other load on the machine) falls on both alike: `rounds` rounds of `per_round.0`
/// calls of `a`, then `per_round.1` calls of `b`, after `rounds / 10` rounds untimed.
pub fn measure_alternating(
    rounds: usize,
    per_round: (usize, usize),
    mut a: impl FnMut(),
    mut b: impl FnMut(),
) -> (Figures, Figures) {
    let mut a_times = Vec::with_capacity(rounds * per_round.0);
    let mut b_times = Vec::with_capacity(rounds * per_round.1);
    for round in 0..rounds + rounds / 10 {
        let timed = round >= rounds / 10;
        for _ in 0..per_round.0 {
            let t = time(&mut a);
            if timed {
                a_times.push(t);
            }
        }
        for _ in 0..per_round.1 {
            let t = time(&mut b);
            if timed {
                b_times.push(t);
            }
        }
    }
    (figures(a_times), figures(b_times))
}

/// How long one call of `f` takes.
fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

/// The percentiles of some timings (at least one).
fn figures(mut times: Vec<Duration>) -> Figures {
    times.sort();
    let n = times.len();
    Figures {
        median: times[n / 2],
        p90: times[n * 9 / 10],
        p99: times[n * 99 / 100],
    }
}
