//! Time spent per stage, summed over units (so over threads): what `--timings` prints.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timings {
    /// Finding the files, then planning: which directories call which as modules (a byte scan,
    /// and a parse of the files that name a local source), and the order to lint units in.
    pub discover: Duration,
    pub read: Duration,
    pub parse: Duration,
    /// Resolution and adapters (including suppression directives): syntax to model.
    pub adapt: Duration,
    pub rules: Duration,
    /// Sorting, deduplicating and writing the output.
    pub report: Duration,
    /// Elapsed time of the whole run.
    pub wall: Duration,
}

impl Timings {
    /// Runs `work`, adding its duration to `stage`.
    pub fn time<T>(stage: &mut Duration, work: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = work();
        *stage += start.elapsed();
        out
    }

    pub fn add(&mut self, other: &Timings) {
        self.discover += other.discover;
        self.read += other.read;
        self.parse += other.parse;
        self.adapt += other.adapt;
        self.rules += other.rules;
        self.report += other.report;
    }

    /// A table of the stages with their share of the summed time.
    pub fn render(&self) -> String {
        let stages = [
            ("discover", self.discover),
            ("read", self.read),
            ("parse", self.parse),
            ("adapt", self.adapt),
            ("rules", self.rules),
            ("report", self.report),
        ];
        let total: Duration = stages.iter().map(|(_, time)| *time).sum();
        let mut out = String::from("stage       seconds   share  (CPU time summed over threads)\n");
        for (name, time) in stages {
            let share = if total.is_zero() {
                0.0
            } else {
                100.0 * time.as_secs_f64() / total.as_secs_f64()
            };
            let _ = writeln!(out, "{name:<9} {:>9.3} {share:>6.1}%", time.as_secs_f64());
        }
        let _ = writeln!(out, "{:<9} {:>9.3}", "total", total.as_secs_f64());
        let _ = writeln!(out, "{:<9} {:>9.3}", "wall", self.wall.as_secs_f64());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_and_stages_accumulate() {
        let mut timings = Timings {
            parse: Duration::from_millis(300),
            rules: Duration::from_millis(100),
            ..Timings::default()
        };
        timings.add(&Timings {
            parse: Duration::from_millis(300),
            ..Timings::default()
        });
        let table = timings.render();
        assert!(table.contains("parse         0.600   85.7%"), "{table}");
        assert!(table.contains("rules         0.100   14.3%"), "{table}");
        let mut slot = Duration::ZERO;
        assert_eq!(Timings::time(&mut slot, || 7), 7);
    }
}
