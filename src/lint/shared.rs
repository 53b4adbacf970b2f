//! Parsed module directories that several units call (every example of a module repository
//! calls its root): parsed once, dropped when the last unit that may call them is done.
//! Bounded: past `MAX_HELD_BYTES` of source held, a unit parses a module for itself.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::modules::ScannedModule;

/// Source bytes whose trees may be held at once: a tree weighs about 25 times its source (the
/// corpus' 5.2 MB of Terraform parse into 119 MB), so this keeps shared trees near 50 MB.
const MAX_HELD_BYTES: usize = 2 * 1024 * 1024;

#[derive(Default)]
pub(super) struct SharedModules {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<PathBuf, Entry>,
    held_bytes: usize,
}

struct Entry {
    /// Units that may still read the directory.
    users_left: usize,
    module: Option<Arc<ScannedModule>>,
}

impl SharedModules {
    /// `users`: how many units may read each directory; only those read by two or more are kept.
    pub(super) fn new(users: HashMap<PathBuf, usize>) -> SharedModules {
        let entries = users
            .into_iter()
            .filter(|(_, count)| *count > 1)
            .map(|(dir, users_left)| {
                let entry = Entry {
                    users_left,
                    module: None,
                };
                (dir, entry)
            })
            .collect();
        SharedModules {
            state: Mutex::new(State {
                entries,
                held_bytes: 0,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the map consistent: each step is one insert.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The directory's parsed files: kept from an earlier unit, or parsed by `parse` (outside
    /// the lock) and kept when other units may read them and the budget allows.
    pub(super) fn get(
        &self,
        dir: &Path,
        parse: impl FnOnce() -> ScannedModule,
    ) -> Arc<ScannedModule> {
        let shared = {
            let state = self.state();
            match state.entries.get(dir) {
                Some(Entry {
                    module: Some(module),
                    ..
                }) => return module.clone(),
                Some(entry) => entry.users_left > 0,
                None => false,
            }
        };
        let module = Arc::new(parse());
        if shared {
            let mut state = self.state();
            let bytes = module.source_bytes();
            let fits = state.held_bytes.saturating_add(bytes) <= MAX_HELD_BYTES;
            let mut held = false;
            if let Some(entry) = state.entries.get_mut(dir)
                && entry.module.is_none()
                && entry.users_left > 0
                && fits
            {
                entry.module = Some(module.clone());
                held = true;
            }
            if held {
                state.held_bytes += bytes;
            }
        }
        module
    }

    /// A unit that may have read `dirs` is done: the modules no unit will read any more are
    /// returned, for the caller to drop outside the lock.
    pub(super) fn release(&self, dirs: &[PathBuf]) -> Vec<Arc<ScannedModule>> {
        let mut state = self.state();
        let mut freed = Vec::new();
        for dir in dirs {
            let Some(entry) = state.entries.get_mut(dir) else {
                continue;
            };
            entry.users_left = entry.users_left.saturating_sub(1);
            if entry.users_left == 0
                && let Some(module) = entry.module.take()
            {
                freed.push(module);
            }
        }
        let bytes: usize = freed.iter().map(|module| module.source_bytes()).sum();
        state.held_bytes = state.held_bytes.saturating_sub(bytes);
        freed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(bytes: usize) -> ScannedModule {
        ScannedModule::of_text_len(bytes)
    }

    #[test]
    fn a_directory_read_by_two_units_is_parsed_once_and_freed_after_both() {
        let shared = SharedModules::new(HashMap::from([(PathBuf::from("m"), 2)]));
        let mut parses = 0;
        let first = shared.get(Path::new("m"), || {
            parses += 1;
            module(10)
        });
        let second = shared.get(Path::new("m"), || {
            parses += 1;
            module(10)
        });
        assert_eq!(parses, 1);
        assert!(Arc::ptr_eq(&first, &second));
        assert!(shared.release(&[PathBuf::from("m")]).is_empty());
        assert_eq!(shared.release(&[PathBuf::from("m")]).len(), 1);
        assert_eq!(shared.state().held_bytes, 0);
    }

    #[test]
    fn a_directory_read_by_one_unit_is_not_kept() {
        let shared = SharedModules::new(HashMap::from([(PathBuf::from("m"), 1)]));
        let mut parses = 0;
        for _ in 0..2 {
            shared.get(Path::new("m"), || {
                parses += 1;
                module(10)
            });
        }
        assert_eq!(parses, 2);
    }

    #[test]
    fn modules_past_the_budget_are_parsed_by_each_unit() {
        let shared = SharedModules::new(HashMap::from([
            (PathBuf::from("big"), 2),
            (PathBuf::from("small"), 2),
        ]));
        let mut parses = 0;
        for _ in 0..2 {
            shared.get(Path::new("big"), || {
                parses += 1;
                module(MAX_HELD_BYTES + 1)
            });
        }
        assert_eq!(parses, 2);
        let mut parses = 0;
        for _ in 0..2 {
            shared.get(Path::new("small"), || {
                parses += 1;
                module(10)
            });
        }
        assert_eq!(parses, 1);
    }
}
