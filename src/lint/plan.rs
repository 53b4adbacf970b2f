//! Which units are linted, in which order, and which module directories they share: a
//! directory another one calls as a local module is linted through its callers only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use super::modules::{self, CallGraph, Survey};
use crate::discover::Unit;

pub(super) struct Plan {
    /// The units linted on their own.
    pub(super) units: Vec<Unit>,
    /// For each unit, the scanned directories it may read as modules.
    pub(super) modules_of: Vec<Vec<PathBuf>>,
    /// Indices into `units`, in the order to lint them.
    pub(super) order: Vec<usize>,
    /// How many units may read each directory.
    pub(super) users: HashMap<PathBuf, usize>,
}

pub(super) fn plan(units: Vec<Unit>, max_file_size: u64, pool: &rayon::ThreadPool) -> Plan {
    let surveys: Vec<Survey> = pool.install(|| {
        units
            .par_iter()
            .with_max_len(1)
            .map(|unit| modules::survey(unit, max_file_size))
            .collect()
    });
    let graph = CallGraph::new(&units, &surveys);
    let linted = graph.roots(&units);
    let modules_of: Vec<Vec<PathBuf>> = linted
        .iter()
        .enumerate()
        .map(|(at, linted)| match linted {
            true => graph.modules_of(at, &units),
            false => Vec::new(),
        })
        .collect();
    // What a unit costs: its files and the modules it reads (a caller adapts their instances).
    let dir_bytes: HashMap<PathBuf, u64> = units
        .iter()
        .zip(&surveys)
        .filter_map(|(unit, survey)| Some((modules::unit_dir(unit)?, survey.bytes)))
        .collect();
    let costs: Vec<u64> = surveys
        .iter()
        .zip(&modules_of)
        .map(|(survey, modules)| {
            let called: u64 = modules.iter().filter_map(|d| dir_bytes.get(d)).sum();
            survey.bytes.saturating_add(called)
        })
        .collect();
    let units = kept(units, &linted);
    let modules_of = kept(modules_of, &linted);
    let costs = kept(costs, &linted);
    Plan {
        order: schedule(&costs, &modules_of),
        users: users(&modules_of),
        units,
        modules_of,
    }
}

/// Runs `work` on every index of `order` on the pool's threads, taking them from the front of
/// one queue, and returns the results by index (not by order). Rayon's splitting would start
/// the second thread halfway down the list, away from the largest units and from the units
/// sharing a module with the first thread's.
pub(super) fn run_in_order<T: Send>(
    pool: &rayon::ThreadPool,
    order: &[usize],
    work: impl Fn(usize) -> Option<T> + Sync,
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, T)>> = Mutex::new(Vec::with_capacity(order.len()));
    pool.scope(|scope| {
        for _ in 0..pool.current_num_threads() {
            scope.spawn(|_| {
                while let Some(&at) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if let Some(result) = work(at) {
                        done.lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner())
                            .push((at, result));
                    }
                }
            });
        }
    });
    let mut done = done
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    done.sort_by_key(|(at, _)| *at);
    done.into_iter().map(|(_, result)| result).collect()
}

/// The items whose flag in `keep` is set.
fn kept<T>(items: Vec<T>, keep: &[bool]) -> Vec<T> {
    items
        .into_iter()
        .zip(keep)
        .filter_map(|(item, keep)| keep.then_some(item))
        .collect()
}

/// How many units may read each directory.
pub(super) fn users(modules_of: &[Vec<PathBuf>]) -> HashMap<PathBuf, usize> {
    let mut users: HashMap<PathBuf, usize> = HashMap::new();
    for dir in modules_of.iter().flatten() {
        *users.entry(dir.clone()).or_default() += 1;
    }
    users
}

/// The order to lint units in: largest (`costs`) first, which keeps both threads busy to the
/// end, except that units reading a common module run one after another, so its trees are held
/// briefly. A group goes where its largest unit would.
pub(super) fn schedule(costs: &[u64], modules_of: &[Vec<PathBuf>]) -> Vec<usize> {
    let mut by_cost: Vec<usize> = (0..costs.len()).collect();
    by_cost.sort_by_key(|&at| std::cmp::Reverse(costs.get(at).copied().unwrap_or(0)));
    // Union-find over units, joined through the directories they read.
    let mut parent: Vec<usize> = (0..costs.len()).collect();
    fn find(parent: &mut [usize], mut at: usize) -> usize {
        while let Some(&up) = parent.get(at) {
            if up == at {
                break;
            }
            // Path halving keeps the chains short.
            let grand = parent.get(up).copied().unwrap_or(up);
            if let Some(slot) = parent.get_mut(at) {
                *slot = grand;
            }
            at = grand;
        }
        at
    }
    let mut first_reader: HashMap<&Path, usize> = HashMap::new();
    for &at in &by_cost {
        for dir in modules_of.get(at).into_iter().flatten() {
            let other = *first_reader.entry(dir.as_path()).or_insert(at);
            let (a, b) = (find(&mut parent, at), find(&mut parent, other));
            if a != b
                && let Some(slot) = parent.get_mut(a)
            {
                *slot = b;
            }
        }
    }
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut groups: Vec<usize> = Vec::new();
    for &at in &by_cost {
        let group = find(&mut parent, at);
        let list = members.entry(group).or_default();
        if list.is_empty() {
            groups.push(group);
        }
        list.push(at);
    }
    groups
        .into_iter()
        .flat_map(|group| members.remove(&group).unwrap_or_default())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_runs_once_and_results_come_back_by_index() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a pool");
        let results = run_in_order(&pool, &[3, 0, 2, 1], |at| (at != 2).then_some(at * 10));
        assert_eq!(results, [0, 10, 30]);
    }

    #[test]
    fn units_reading_a_common_module_run_together_where_the_largest_would() {
        let m = || vec![PathBuf::from("m")];
        let costs = [50, 100, 10, 80, 5];
        let modules_of = [m(), vec![], m(), vec![], vec![]];
        // By cost: 1 (100), 3 (80), 0 (50), 2 (10), 4 (5); 2 follows 0.
        assert_eq!(schedule(&costs, &modules_of), [1, 3, 0, 2, 4]);
        let modules_of = [vec![], vec![], m(), vec![], m()];
        assert_eq!(schedule(&costs, &modules_of), [1, 3, 0, 2, 4]);
        let modules_of = [vec![], m(), vec![], vec![], m()];
        assert_eq!(schedule(&costs, &modules_of), [1, 4, 3, 0, 2]);
        assert_eq!(users(&modules_of).get(Path::new("m")), Some(&2));
    }
}
