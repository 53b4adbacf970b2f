//! Local Terraform modules across directories (RULES.md 2.1): which scanned directories are linted
//! only through their callers, and the module directories one unit reads.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::UnitRun;
use super::files::{Fresh, display, normalize, read};
use crate::adapt::terraform::calls::{self, Library, MAX_DEPTH};
use crate::adapt::terraform::module::TfFile;
use crate::diagnostic::Diagnostic;
use crate::discover::{FileEntry, FileKind, Unit};
use crate::parse;
use crate::rules::builtin;
use crate::source::{FileId, Span};

/// Module directories one unit reads (the root included): bounds memory on hostile layouts.
const MAX_MODULES: usize = 64;
/// `.tf` files read from one module directory outside the scan.
const MAX_FILES_PER_MODULE: usize = 256;

/// The `.tf` files of every scanned Terraform directory, by normalized directory.
#[derive(Default)]
pub(super) struct Scanned {
    by_dir: BTreeMap<PathBuf, Vec<FileEntry>>,
}

impl Scanned {
    pub(super) fn new(units: &[Unit]) -> Scanned {
        let mut by_dir = BTreeMap::new();
        for unit in units {
            if let Some(dir) = unit_dir(unit) {
                let files = unit
                    .files
                    .iter()
                    .filter(|f| f.kind == FileKind::Terraform)
                    .cloned()
                    .collect();
                by_dir.insert(dir, files);
            }
        }
        Scanned { by_dir }
    }
}

/// The normalized directory of a Terraform unit; `None` for a template or policy.
pub(super) fn unit_dir(unit: &Unit) -> Option<PathBuf> {
    let first = unit.files.first()?;
    if !matches!(first.kind, FileKind::Terraform | FileKind::TerraformVars) {
        return None;
    }
    Some(normalize(first.path.parent().unwrap_or(Path::new(""))))
}

/// The directory a local `source` names from the module directory `from`.
fn target(from: &Path, source: &str) -> PathBuf {
    normalize(&from.join(source))
}

/// Only files naming a local source can call a local module: spares parsing the rest.
fn may_call(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memmem::find(bytes, b"module").is_some()
        && (memchr::memmem::find(bytes, b"\"./").is_some()
            || memchr::memmem::find(bytes, b"\"../").is_some())
}

/// The directories a unit's `.tf` files call as local modules, itself excluded.
pub(super) fn called_dirs(unit: &Unit, max_size: u64) -> Vec<PathBuf> {
    let Some(dir) = unit_dir(unit) else {
        return Vec::new();
    };
    let mut out = BTreeSet::new();
    for file in unit.files.iter().filter(|f| f.kind == FileKind::Terraform) {
        let Ok(text) = read(file, max_size) else {
            continue;
        };
        if !may_call(&text) {
            continue;
        }
        let Ok(body) = parse::hcl::parse_hcl(&text, file.id) else {
            continue;
        };
        for source in calls::local_sources(&body) {
            let called = target(&dir, &source);
            if called != dir {
                out.insert(called);
            }
        }
    }
    out.into_iter().collect()
}

/// Which units are linted on their own: every template and policy, every Terraform directory no
/// other scanned directory calls, and, for calls that only go round in cycles, the first
/// directory of each cycle by path. A directory reached from those is linted through its callers.
pub(super) fn roots(units: &[Unit], called: &[Vec<PathBuf>]) -> Vec<bool> {
    let dirs: Vec<Option<PathBuf>> = units.iter().map(unit_dir).collect();
    let index: BTreeMap<&Path, usize> = dirs
        .iter()
        .enumerate()
        .filter_map(|(at, dir)| Some((dir.as_deref()?, at)))
        .collect();
    let edges = |at: usize| -> Vec<usize> {
        called
            .get(at)
            .map(|dirs| {
                dirs.iter()
                    .filter_map(|d| index.get(d.as_path()).copied())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut is_called = vec![false; units.len()];
    for at in 0..units.len() {
        for callee in edges(at) {
            if callee != at {
                is_called[callee] = true;
            }
        }
    }
    let mut root: Vec<bool> = is_called.iter().map(|called| !called).collect();
    let mut reached = vec![false; units.len()];
    let reach = |from: usize, reached: &mut Vec<bool>| {
        let mut queue = VecDeque::from([(from, 0usize)]);
        while let Some((at, depth)) = queue.pop_front() {
            if reached.get(at).copied().unwrap_or(true) {
                continue;
            }
            if let Some(slot) = reached.get_mut(at) {
                *slot = true;
            }
            if depth < MAX_DEPTH {
                queue.extend(edges(at).into_iter().map(|next| (next, depth + 1)));
            }
        }
    };
    for (at, is_root) in root.iter().enumerate() {
        if *is_root {
            reach(at, &mut reached);
        }
    }
    // Directories only cycles reach: by path, so the choice does not depend on unit order.
    let mut rest: Vec<(&Path, usize)> = index
        .iter()
        .map(|(dir, at)| (*dir, *at))
        .filter(|(_, at)| reached.get(*at) == Some(&false))
        .collect();
    rest.sort();
    for (_, at) in rest {
        if reached.get(at) == Some(&false) {
            if let Some(slot) = root.get_mut(at) {
                *slot = true;
            }
            reach(at, &mut reached);
        }
    }
    root
}

/// The module directories one unit reads: its own (`calls::ROOT`) and every local module it
/// calls, directly or not, each read once.
pub(super) struct UnitLibrary<'f> {
    modules: Vec<(PathBuf, Vec<TfFile>)>,
    edges: BTreeMap<(usize, String), usize>,
    fresh: &'f Fresh<'f>,
}

impl Library for UnitLibrary<'_> {
    fn files(&self, module: usize) -> &[TfFile] {
        self.modules.get(module).map_or(&[], |(_, files)| files)
    }

    fn resolve(&self, from: usize, source: &str) -> Option<usize> {
        self.edges.get(&(from, source.to_string())).copied()
    }

    fn load(&self, module: usize, name: &str) -> Option<(FileId, Arc<str>)> {
        let (dir, _) = self.modules.get(module)?;
        self.fresh.load(&dir.join(name), true)
    }
}

impl<'f> UnitLibrary<'f> {
    /// Reads the modules `root` calls, breadth first, up to `MAX_DEPTH` calls deep.
    pub(super) fn read(
        dir: PathBuf,
        root: Vec<TfFile>,
        scanned: &Scanned,
        fresh: &'f Fresh<'f>,
        run: &mut UnitRun,
    ) -> UnitLibrary<'f> {
        let mut library = UnitLibrary {
            modules: vec![(dir, root)],
            edges: BTreeMap::new(),
            fresh,
        };
        let mut queue = VecDeque::from([(calls::ROOT, 0usize)]);
        while let Some((at, depth)) = queue.pop_front() {
            if depth >= MAX_DEPTH {
                continue;
            }
            let Some((from, files)) = library.modules.get(at) else {
                continue;
            };
            let from = from.clone();
            let sources: Vec<String> = files
                .iter()
                .flat_map(|file| calls::local_sources(&file.body))
                .collect();
            for source in sources {
                if library.edges.contains_key(&(at, source.clone())) {
                    continue;
                }
                let called = target(&from, &source);
                let known = library.modules.iter().position(|(d, _)| *d == called);
                let callee = match known {
                    Some(callee) => callee,
                    None if library.modules.len() < MAX_MODULES => {
                        let Some(files) = read_module(&called, scanned, fresh, run) else {
                            continue;
                        };
                        library.modules.push((called, files));
                        queue.push_back((library.modules.len() - 1, depth + 1));
                        library.modules.len() - 1
                    }
                    None => continue,
                };
                library.edges.insert((at, source), callee);
            }
        }
        library
    }
}

/// The parsed `.tf` files of a module directory: the scanned ones with their reporting, or,
/// outside the scan, the directory's `.tf` files read for resolution only. `None` when the
/// directory holds no readable `.tf` file.
fn read_module(
    dir: &Path,
    scanned: &Scanned,
    fresh: &Fresh,
    run: &mut UnitRun,
) -> Option<Vec<TfFile>> {
    let mut files = Vec::new();
    if let Some(entries) = scanned.by_dir.get(dir) {
        for entry in entries {
            if let Some(file) = read_scanned(entry, run) {
                files.push(file);
            }
        }
    } else {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "tf"))
            .collect();
        paths.sort();
        paths.truncate(MAX_FILES_PER_MODULE);
        for path in paths {
            let Some((id, text)) = fresh.load(&path, false) else {
                continue;
            };
            if let Ok(body) = parse::hcl::parse_hcl(&text, id) {
                files.push(TfFile { id, text, body });
            }
        }
    }
    (!files.is_empty()).then_some(files)
}

/// A scanned `.tf` file of a called module: read and parsed like the unit's own, its directives
/// and parse errors kept when it is reported. Counted once per path across units.
fn read_scanned(entry: &FileEntry, run: &mut UnitRun) -> Option<TfFile> {
    run.outcome.shared_scanned.insert(entry.path.clone());
    let text = match read(entry, run.settings.max_file_size) {
        Ok(text) => text,
        Err((message, text, at)) => {
            let end = text
                .get(at..)
                .and_then(|rest| rest.chars().next())
                .map_or(at, |c| at + c.len_utf8());
            run.texts.push((entry.id, display(&entry.path), text));
            shared_error(entry, Span::new(entry.id, at, end), message, run);
            return None;
        }
    };
    run.texts
        .push((entry.id, display(&entry.path), text.clone()));
    match parse::hcl::parse_hcl(&text, entry.id) {
        Ok(body) => {
            if entry.reported {
                run.directives.add_hcl(&body, &text, entry.id);
                run.outcome.module_reported.push(entry.id);
            }
            Some(TfFile {
                id: entry.id,
                text,
                body,
            })
        }
        Err(error) => {
            shared_error(entry, error.span, error.message, run);
            None
        }
    }
}

fn shared_error(entry: &FileEntry, span: Span, message: String, run: &mut UnitRun) {
    if entry.reported {
        run.outcome
            .diagnostics
            .push(Diagnostic::builtin(&builtin::PARSE_ERROR, span, message));
    }
    run.outcome.shared_failed.insert(entry.path.clone());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(dir: &str) -> Unit {
        Unit {
            files: vec![FileEntry {
                id: FileId(0),
                path: PathBuf::from(format!("{dir}/main.tf")),
                kind: FileKind::Terraform,
                reported: true,
            }],
        }
    }

    fn dirs(names: &[&str]) -> Vec<PathBuf> {
        names.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn called_directories_are_no_roots() {
        let units = [unit("r"), unit("r/m"), unit("other")];
        let called = [dirs(&["r/m"]), vec![], vec![]];
        assert_eq!(roots(&units, &called), [true, false, true]);
    }

    #[test]
    fn a_cycle_nobody_else_calls_keeps_its_first_directory() {
        let units = [unit("b"), unit("a")];
        let called = [dirs(&["a"]), dirs(&["b"])];
        assert_eq!(roots(&units, &called), [false, true]);
    }

    #[test]
    fn a_directory_calling_itself_stays_a_root() {
        let units = [unit("a")];
        assert_eq!(roots(&units, &[dirs(&["a"])]), [true]);
    }

    #[test]
    fn local_sources_resolve_against_the_caller() {
        assert_eq!(
            target(Path::new("env/prod"), "../../modules/x/"),
            PathBuf::from("modules/x")
        );
        assert_eq!(target(Path::new("a"), "./"), PathBuf::from("a"));
    }

    #[test]
    fn only_files_naming_local_paths_are_parsed() {
        assert!(may_call("module \"a\" {\n  source = \"./m\"\n}\n"));
        assert!(!may_call(
            "module \"a\" {\n  source = \"hashicorp/x/aws\"\n}\n"
        ));
    }
}
