//! `.tf` files planning parsed to find their module calls, handed to the unit that lints them
//! so it does not read and parse them again. Bounded: past `MAX_HELD_BYTES` of source, planning
//! parses and drops, and the unit parses for itself.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::parse::ParseError;
use crate::source::FileId;

/// Source bytes whose trees may wait for their unit: every survey ends before the first unit
/// starts, so all of them are held at once (a tree weighs about 25 times its source).
const MAX_HELD_BYTES: usize = 2 * 1024 * 1024;

/// A file as `parse::hcl::parse_hcl_keeping_last` left it.
pub(super) struct PlannedFile {
    pub(super) text: Arc<str>,
    pub(super) body: hcl_edit::structure::Body,
    pub(super) duplicates: Vec<ParseError>,
}

/// What planning may still hold: shared by the surveys running in parallel.
pub(super) struct Budget(AtomicUsize);

impl Default for Budget {
    fn default() -> Budget {
        Budget(AtomicUsize::new(MAX_HELD_BYTES))
    }
}

impl Budget {
    /// Reserves `bytes` of the budget; false when they do not fit.
    pub(super) fn reserve(&self, bytes: usize) -> bool {
        self.0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(bytes)
            })
            .is_ok()
    }
}

/// The files held for the units linted on their own, taken once each.
#[derive(Default)]
pub(super) struct PlannedFiles(Mutex<HashMap<FileId, PlannedFile>>);

impl PlannedFiles {
    pub(super) fn new(files: HashMap<FileId, PlannedFile>) -> PlannedFiles {
        PlannedFiles(Mutex::new(files))
    }

    pub(super) fn take(&self, id: FileId) -> Option<PlannedFile> {
        // Each step is one removal: a panic elsewhere leaves the map consistent.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_refuses_what_does_not_fit_and_keeps_the_rest() {
        let budget = Budget::default();
        assert!(budget.reserve(MAX_HELD_BYTES - 10));
        assert!(!budget.reserve(11));
        assert!(budget.reserve(10));
        assert!(!budget.reserve(1));
    }
}
