//! How `just bench` and `just bench-hosts` time a call: the median over batches, and a ratio
//! to a baseline taken over batches that alternate with the baseline's, so that the machine's
//! load drifting between two measurements does not enter the ratio.

use std::time::{Duration, Instant};

/// How many batches, each about how long.
#[derive(Clone, Copy)]
pub struct Batches {
    pub rounds: usize,
    pub batch: Duration,
}

impl Batches {
    /// Median over the batches of the time per call of `f`.
    pub fn per_call(self, f: &mut dyn FnMut()) -> Duration {
        let n = self.calls_in(self.batch, f);
        let mut times: Vec<f64> = (0..self.rounds).map(|_| time(f, n)).collect();
        Duration::from_secs_f64(median(&mut times))
    }

    /// The time per call of `f`, and its ratio to `base`'s: batches of the two alternate, and
    /// the ratio is the median of the batch pairs' ratios.
    pub fn against(self, base: &mut dyn FnMut(), f: &mut dyn FnMut()) -> (Duration, f64) {
        let (n_base, n_f) = (
            self.calls_in(self.batch / 2, base),
            self.calls_in(self.batch / 2, f),
        );
        let mut times = Vec::with_capacity(self.rounds);
        let mut ratios = Vec::with_capacity(self.rounds);
        for _ in 0..self.rounds {
            let t_base = time(base, n_base);
            let t = time(f, n_f);
            times.push(t);
            ratios.push(t / t_base);
        }
        (
            Duration::from_secs_f64(median(&mut times)),
            median(&mut ratios),
        )
    }

    /// How many calls of `f` take about `span` (the calls warm it up).
    fn calls_in(self, span: Duration, f: &mut dyn FnMut()) -> u32 {
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < span {
            f();
            n += 1;
        }
        n.max(1)
    }
}

/// Seconds per call over `n` calls of `f`.
fn time(f: &mut dyn FnMut(), n: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_secs_f64() / f64::from(n)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
