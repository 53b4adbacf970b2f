//! Local Terraform modules across directories (RULES.md 2.1): which scanned directories are linted
//! only through their callers, and the module directories one unit reads.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::UnitRun;
use super::files::{Fresh, decode, display, normalize, read, read_capped};
use super::shared::SharedModules;
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

/// The `.tf` files of every scanned Terraform directory, by normalized directory, and the
/// parsed ones several units read.
#[derive(Default)]
pub(super) struct Scanned {
    by_dir: std::collections::HashMap<PathBuf, Vec<FileEntry>>,
    pub(super) shared: SharedModules,
}

impl Scanned {
    pub(super) fn new(units: &[Unit]) -> Scanned {
        let mut by_dir = std::collections::HashMap::new();
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
        Scanned {
            by_dir,
            shared: SharedModules::default(),
        }
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

/// Only files naming a local source can call a local module: spares decoding and parsing the
/// rest.
fn may_call(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"module").is_some()
        && (memchr::memmem::find(bytes, b"\"./").is_some()
            || memchr::memmem::find(bytes, b"\"../").is_some())
}

/// What planning needs of a unit before linting it.
pub(super) struct Survey {
    /// The directories its `.tf` files call as local modules, itself excluded.
    pub(super) called: Vec<PathBuf>,
    /// The size of its files.
    pub(super) bytes: u64,
}

pub(super) fn survey(unit: &Unit, max_size: u64) -> Survey {
    let dir = unit_dir(unit);
    let mut bytes = 0u64;
    let mut called = BTreeSet::new();
    for file in &unit.files {
        let wanted = dir.is_some() && file.kind == FileKind::Terraform;
        // Only `.tf` files are read; the others are sized.
        let (size, raw) = match wanted {
            true => read_capped(&file.path, max_size).unwrap_or((0, None)),
            false => (std::fs::metadata(&file.path).map_or(0, |m| m.len()), None),
        };
        bytes = bytes.saturating_add(size);
        let (Some(dir), Some(raw)) = (dir.as_ref(), raw) else {
            continue;
        };
        // Most files call nothing: the bytes are searched before any decoding.
        if !may_call(&raw) {
            continue;
        }
        let Ok(text) = decode(&raw) else {
            continue;
        };
        let Ok(body) = parse::hcl::parse_hcl(text, file.id) else {
            continue;
        };
        for source in calls::local_sources(&body) {
            let target = target(dir, &source);
            if target != *dir {
                called.insert(target);
            }
        }
    }
    Survey {
        called: called.into_iter().collect(),
        bytes,
    }
}

/// Calls between scanned Terraform directories, by unit.
pub(super) struct CallGraph<'u> {
    index: BTreeMap<PathBuf, usize>,
    surveys: &'u [Survey],
}

impl<'u> CallGraph<'u> {
    /// `surveys[n]`: what unit `n` calls.
    pub(super) fn new(units: &[Unit], surveys: &'u [Survey]) -> CallGraph<'u> {
        let index = units
            .iter()
            .enumerate()
            .filter_map(|(at, unit)| Some((unit_dir(unit)?, at)))
            .collect();
        CallGraph { index, surveys }
    }

    fn edges(&self, at: usize) -> impl Iterator<Item = usize> + '_ {
        self.surveys
            .get(at)
            .into_iter()
            .flat_map(|survey| &survey.called)
            .filter_map(|dir| self.index.get(dir).copied())
    }

    /// Units reached from `from` within `MAX_DEPTH` calls, `from` included, marked in `reached`.
    fn reach(&self, from: usize, reached: &mut [bool]) {
        let mut queue = VecDeque::from([(from, 0usize)]);
        while let Some((at, depth)) = queue.pop_front() {
            match reached.get_mut(at) {
                Some(seen) if !*seen => *seen = true,
                _ => continue,
            }
            if depth < MAX_DEPTH {
                queue.extend(self.edges(at).map(|next| (next, depth + 1)));
            }
        }
    }

    /// The scanned directories unit `from` may read as modules, its own excluded.
    pub(super) fn modules_of(&self, from: usize, units: &[Unit]) -> Vec<PathBuf> {
        let mut reached = BTreeSet::from([from]);
        let mut queue = VecDeque::from([(from, 0usize)]);
        while let Some((at, depth)) = queue.pop_front() {
            if depth >= MAX_DEPTH {
                continue;
            }
            for next in self.edges(at) {
                if reached.insert(next) {
                    queue.push_back((next, depth + 1));
                }
            }
        }
        reached.remove(&from);
        reached
            .into_iter()
            .filter_map(|at| units.get(at).and_then(unit_dir))
            .collect()
    }

    /// Which units are linted on their own: every template and policy, every Terraform
    /// directory no other scanned directory calls, and, for calls that only go round in cycles,
    /// the first directory of each cycle by path. A directory reached from those is linted
    /// through its callers.
    pub(super) fn roots(&self, units: &[Unit]) -> Vec<bool> {
        let mut is_called = vec![false; units.len()];
        for at in 0..units.len() {
            for callee in self.edges(at) {
                if callee != at
                    && let Some(slot) = is_called.get_mut(callee)
                {
                    *slot = true;
                }
            }
        }
        let mut root: Vec<bool> = is_called.iter().map(|called| !called).collect();
        let mut reached = vec![false; units.len()];
        for (at, is_root) in root.iter().enumerate() {
            if *is_root {
                self.reach(at, &mut reached);
            }
        }
        // Directories only cycles reach: by path (the index's order), so the choice does not
        // depend on unit order.
        for at in self.index.values().copied() {
            if reached.get(at) == Some(&false) {
                if let Some(slot) = root.get_mut(at) {
                    *slot = true;
                }
                self.reach(at, &mut reached);
            }
        }
        root
    }
}

/// The module directories one unit reads: its own (`calls::ROOT`) and every local module it
/// calls, directly or not, each read once.
pub(super) struct UnitLibrary<'f> {
    modules: Vec<(PathBuf, ModuleFiles)>,
    edges: BTreeMap<(usize, String), usize>,
    fresh: &'f Fresh<'f>,
}

impl Library for UnitLibrary<'_> {
    fn files(&self, module: usize) -> &[TfFile] {
        self.modules
            .get(module)
            .map_or(&[], |(_, files)| files.files())
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
            modules: vec![(dir, ModuleFiles::Own(root))],
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
                .files()
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

/// The parsed `.tf` files of one module directory in a unit's library.
enum ModuleFiles {
    Own(Vec<TfFile>),
    Shared(Arc<ScannedModule>),
}

impl ModuleFiles {
    fn files(&self) -> &[TfFile] {
        match self {
            ModuleFiles::Own(files) => files,
            ModuleFiles::Shared(module) => &module.files,
        }
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
) -> Option<ModuleFiles> {
    if let Some(entries) = scanned.by_dir.get(dir) {
        let max_size = run.settings.max_file_size;
        let module = scanned
            .shared
            .get(dir, || ScannedModule::read(entries, max_size));
        module.record(run);
        return (!module.files.is_empty()).then_some(ModuleFiles::Shared(module));
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "tf"))
        .collect();
    paths.sort();
    paths.truncate(MAX_FILES_PER_MODULE);
    let mut files = Vec::new();
    for path in paths {
        let Some((id, text)) = fresh.load(&path, false) else {
            continue;
        };
        if let Ok(body) = parse::hcl::parse_hcl(&text, id) {
            files.push(TfFile { id, text, body });
        }
    }
    (!files.is_empty()).then_some(ModuleFiles::Own(files))
}

/// The scanned `.tf` files of a called module directory, read and parsed once for every unit
/// calling it (`SharedModules`).
pub(super) struct ScannedModule {
    files: Vec<TfFile>,
    /// Every scanned file as read, with what stopped it being read or parsed.
    read: Vec<(FileEntry, Arc<str>, Option<Failure>)>,
    /// Keys the reported files repeat in an object (`duplicate-key`).
    duplicates: Vec<crate::parse::ParseError>,
}

/// Where reading or parsing a file stopped, and why.
type Failure = (Span, String);

impl ScannedModule {
    fn read(entries: &[FileEntry], max_size: u64) -> ScannedModule {
        let mut module = ScannedModule {
            files: Vec::new(),
            read: Vec::new(),
            duplicates: Vec::new(),
        };
        for entry in entries {
            let (text, error) = match read(entry, max_size) {
                Ok(text) => match parse::hcl::parse_hcl_keeping_last(&text, entry.id) {
                    Ok((body, duplicates)) => {
                        if entry.reported {
                            module.duplicates.extend(duplicates);
                        }
                        module.files.push(TfFile {
                            id: entry.id,
                            text: text.clone(),
                            body,
                        });
                        (text, None)
                    }
                    Err(error) => (text, Some((error.span, error.message))),
                },
                Err(unreadable) => (unreadable.text, Some((unreadable.span, unreadable.message))),
            };
            module.read.push((entry.clone(), text, error));
        }
        module
    }

    pub(super) fn source_bytes(&self) -> usize {
        self.read.iter().map(|(_, text, _)| text.len()).sum()
    }

    /// What reading the module means for one unit calling it: its texts, and for reported files
    /// their directives and errors. Counted once per path across units.
    fn record(&self, run: &mut UnitRun) {
        run.duplicate_keys(&self.duplicates);
        // `files` holds the files read without error, in the order of `read`.
        let mut parsed = self.files.iter();
        for (entry, text, error) in &self.read {
            run.outcome.shared_scanned.insert(entry.path.clone());
            run.texts
                .push((entry.id, display(&entry.path), text.clone()));
            match error {
                Some((span, message)) => shared_error(entry, *span, message.clone(), run),
                None => {
                    if let Some(file) = parsed.next()
                        && entry.reported
                    {
                        run.directives.add_hcl(&file.body, &file.text, file.id);
                        run.outcome.module_reported.push(file.id);
                    }
                }
            }
        }
    }

    #[cfg(test)]
    pub(super) fn of_text_len(bytes: usize) -> ScannedModule {
        let entry = FileEntry {
            id: FileId(0),
            path: PathBuf::from("m/main.tf"),
            kind: FileKind::Terraform,
            reported: true,
        };
        ScannedModule {
            files: Vec::new(),
            read: vec![(entry, Arc::from(" ".repeat(bytes)), None)],
            duplicates: Vec::new(),
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

    fn calls(names: &[&str]) -> Survey {
        Survey {
            called: names.iter().map(PathBuf::from).collect(),
            bytes: 0,
        }
    }

    #[test]
    fn called_directories_are_no_roots() {
        let units = [unit("r"), unit("r/m"), unit("other")];
        let called = [calls(&["r/m"]), calls(&[]), calls(&[])];
        assert_eq!(
            CallGraph::new(&units, &called).roots(&units),
            [true, false, true]
        );
    }

    #[test]
    fn a_cycle_nobody_else_calls_keeps_its_first_directory() {
        let units = [unit("b"), unit("a")];
        let called = [calls(&["a"]), calls(&["b"])];
        assert_eq!(CallGraph::new(&units, &called).roots(&units), [false, true]);
    }

    #[test]
    fn a_unit_may_read_every_directory_it_reaches_but_its_own() {
        let units = [unit("app"), unit("m"), unit("m/inner"), unit("other")];
        let called = [
            calls(&["m", "app"]),
            calls(&["m/inner"]),
            calls(&[]),
            calls(&[]),
        ];
        let graph = CallGraph::new(&units, &called);
        assert_eq!(
            graph.modules_of(0, &units),
            [PathBuf::from("m"), PathBuf::from("m/inner")]
        );
        assert!(graph.modules_of(3, &units).is_empty());
    }

    #[test]
    fn a_directory_calling_itself_stays_a_root() {
        let units = [unit("a")];
        let called = [calls(&["a"])];
        assert_eq!(CallGraph::new(&units, &called).roots(&units), [true]);
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
        assert!(may_call(b"module \"a\" {\n  source = \"./m\"\n}\n"));
        assert!(!may_call(
            b"module \"a\" {\n  source = \"hashicorp/x/aws\"\n}\n"
        ));
    }
}
