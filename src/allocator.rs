//! The global allocator of the binary and the benchmarks: mimalloc.
//!
//! Parsing and resolution build many small nodes; with the system allocator, malloc and free were a
//! third of all instructions (callgrind). The `mimalloc` crate's wrapper sends every request through
//! `mi_malloc_aligned`, about three times the instructions of `mi_malloc` for the 8- and 16-byte
//! alignments nearly all requests have; this wrapper calls `mi_malloc` for those. mimalloc v2 (the
//! line ruff and others ship) spends fewer instructions per call here than v3.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned};
use libmimalloc_sys::{mi_zalloc, mi_zalloc_aligned};

/// `mi_option_purge_delay` in mimalloc v2's `mi_option_e` (`mimalloc.h`); the Rust bindings
/// name the options around it but not this one.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory for reuse instead of returning it to the OS 10 ms later. A run builds and
/// drops one syntax tree after another; with purging, each new tree faulted fresh zeroed pages
/// in, and the kernel's page clearing was an eighth of a corpus run (perf). Peak RSS is the
/// same: memory is reused, not added. Call once, first thing in `main`.
pub fn keep_freed_memory() {
    // SAFETY: sets a process-wide option; mimalloc reads it when it next considers purging.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// mimalloc aligns every block to this (`MI_MAX_ALIGN_SIZE`), and any block of at least this size
/// to it; smaller blocks are aligned to their size class.
const GUARANTEED_ALIGN: usize = 16;

pub struct Allocator;

/// Whether `mi_malloc`'s natural alignment satisfies `layout`.
fn naturally_aligned(layout: &Layout) -> bool {
    layout.align() <= GUARANTEED_ALIGN && layout.align() <= layout.size()
}

// SAFETY: every function forwards to mimalloc, which returns blocks of at least the requested size
// aligned as requested (`mi_malloc` only for layouts `naturally_aligned` admits), or null.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: plain FFI allocation calls with a size and a power-of-two alignment.
        unsafe {
            if naturally_aligned(&layout) {
                mi_malloc(layout.size()).cast()
            } else {
                mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe {
            if naturally_aligned(&layout) {
                mi_zalloc(layout.size()).cast()
            } else {
                mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` was returned by one of the mimalloc calls above.
        unsafe { mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from mimalloc; the new block keeps the old alignment requirement.
        unsafe {
            if naturally_aligned(&Layout::from_size_align_unchecked(new_size, layout.align())) {
                mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_as_requested() {
        let allocator = Allocator;
        for (size, align) in [
            (1, 1),
            (3, 2),
            (8, 8),
            (12, 4),
            (16, 16),
            (24, 8),
            (4, 8),
            (64, 64),
            (100, 32),
        ] {
            let layout = Layout::from_size_align(size, align).expect("valid layout");
            // SAFETY: non-zero sizes; each block is freed with the allocator that made it.
            unsafe {
                let block = allocator.alloc(layout);
                assert!(!block.is_null());
                assert_eq!(block as usize % align, 0, "{size}/{align}");
                let grown = allocator.realloc(block, layout, size * 3);
                assert_eq!(grown as usize % align, 0, "{size}/{align} grown");
                allocator.dealloc(
                    grown,
                    Layout::from_size_align(size * 3, align).expect("valid"),
                );
            }
        }
    }
}
