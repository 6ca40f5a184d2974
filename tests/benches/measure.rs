//! Timing shared by the benchmark binaries: run a closure n times, report percentiles.
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

/// How long one call of `f` takes.
pub fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

/// The percentiles of some timings (at least one).
pub fn figures(mut times: Vec<Duration>) -> Figures {
    times.sort();
    let n = times.len();
    Figures {
        median: times[n / 2],
        p90: times[n * 9 / 10],
        p99: times[n * 99 / 100],
    }
}
