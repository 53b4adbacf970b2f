//! Finds the files to lint, sorts them, gives them stable ids and groups them into lint units.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::source::FileId;

/// Directories never descended into, whatever the ignore files say.
const PRUNED_DIRS: &[&str] = &[".git", ".terraform", "node_modules", ".terragrunt-cache"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Terraform,
    TerraformVars,
    /// YAML or JSON that may be a CloudFormation template.
    Yaml,
    /// JSON that may be a template or a policy document.
    Json,
}

impl FileKind {
    pub fn of(path: &Path) -> Option<FileKind> {
        let name = path.file_name()?.to_str()?;
        // Only the variable files Terraform loads itself; other JSON stays JSON.
        if name.ends_with(".json") && is_auto_tfvars(name) {
            return Some(FileKind::TerraformVars);
        }
        let extension = name.rsplit_once('.')?.1;
        Some(match extension {
            "tf" => FileKind::Terraform,
            "tfvars" => FileKind::TerraformVars,
            "yaml" | "yml" | "template" => FileKind::Yaml,
            "json" => FileKind::Json,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
pub struct FileEntry {
    pub id: FileId,
    pub path: PathBuf,
    pub kind: FileKind,
    /// Findings in this file are reported (it was named or found by the walk); otherwise it is
    /// read only to resolve values (a sibling of a `.tf` file named alone).
    pub reported: bool,
}

/// One unit of linting: a Terraform module directory, or one template or policy file.
#[derive(Clone, Debug)]
pub struct Unit {
    pub files: Vec<FileEntry>,
}

#[derive(Debug)]
pub struct Discovery {
    pub units: Vec<Unit>,
    /// Files found whose name says nothing cloudlint reads (listed with `--verbose`).
    pub skipped: Vec<PathBuf>,
}

#[derive(Debug)]
pub enum DiscoverError {
    Missing(PathBuf),
    BadGlob(String),
}

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoverError::Missing(path) => {
                write!(f, "{}: no such file or directory", path.display())
            }
            DiscoverError::BadGlob(message) => write!(f, "invalid --exclude pattern: {message}"),
        }
    }
}

pub fn exclude_set(patterns: &[String]) -> Result<GlobSet, DiscoverError> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| DiscoverError::BadGlob(format!("{pattern}: {e}")))?;
        builder.add(glob);
        // `dir/**` style: also match the pattern below any directory.
        if !pattern.starts_with('/') && !pattern.starts_with("**/") {
            let anywhere = format!("**/{pattern}");
            if let Ok(glob) = GlobBuilder::new(&anywhere).literal_separator(true).build() {
                builder.add(glob);
            }
        }
    }
    builder
        .build()
        .map_err(|e| DiscoverError::BadGlob(e.to_string()))
}

fn excluded(excludes: &GlobSet, path: &Path, root: &Path) -> bool {
    let relative = path.strip_prefix(root).unwrap_or(path);
    excludes.is_match(relative) || excludes.is_match(path)
}

/// Finds the files under `paths`, walking directories on `threads` threads; the result is sorted,
/// so it does not depend on the order the walk met them.
pub fn discover(
    paths: &[PathBuf],
    no_ignore: bool,
    excludes: &GlobSet,
    threads: usize,
) -> Result<Discovery, DiscoverError> {
    let mut found: BTreeSet<PathBuf> = BTreeSet::new();
    let mut skipped = Vec::new();
    for root in paths {
        let metadata =
            std::fs::symlink_metadata(root).map_err(|_| DiscoverError::Missing(root.clone()))?;
        if !metadata.is_dir() {
            // Named explicitly: always scanned.
            if FileKind::of(root).is_some() {
                found.insert(root.clone());
            } else {
                skipped.push(root.clone());
            }
            continue;
        }
        let walked = std::sync::Mutex::new((Vec::new(), Vec::new()));
        walker(root, no_ignore, threads).run(|| {
            let walked = &walked;
            Box::new(move |entry| {
                let Ok(entry) = entry else {
                    return ignore::WalkState::Continue;
                };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return ignore::WalkState::Continue;
                }
                let path = entry.into_path();
                if excluded(excludes, &path, root) {
                    return ignore::WalkState::Continue;
                }
                // A poisoned lock only means another walker thread panicked: keep its entries.
                let mut walked = walked
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                match FileKind::of(&path) {
                    Some(_) => walked.0.push(path),
                    None => walked.1.push(path),
                }
                ignore::WalkState::Continue
            })
        });
        let (kept, other) = walked
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        found.extend(kept);
        skipped.extend(other);
    }
    skipped.sort();
    Ok(Discovery {
        units: units(found),
        skipped,
    })
}

fn walker(root: &Path, no_ignore: bool, threads: usize) -> ignore::WalkParallel {
    ignore::WalkBuilder::new(root)
        .hidden(false)
        .ignore(!no_ignore)
        .git_ignore(!no_ignore)
        .git_global(false)
        .git_exclude(!no_ignore)
        .parents(!no_ignore)
        .require_git(false)
        .follow_links(false)
        // 0: one per core, as for the lint threads.
        .threads(threads)
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir
                && entry.depth() > 0
                && entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| PRUNED_DIRS.contains(&n)))
        })
        .build_parallel()
}

/// Groups files into units and assigns ids: reported files first in path order, then the
/// siblings read only for resolution, also in path order. A file's id is its rank in that order,
/// so paths are compared only once, when `found` was sorted.
fn units(found: BTreeSet<PathBuf>) -> Vec<Unit> {
    let found: Vec<PathBuf> = found.into_iter().collect();
    let mut modules: BTreeMap<&Path, Vec<usize>> = BTreeMap::new();
    let mut single: Vec<usize> = Vec::new();
    for (rank, path) in found.iter().enumerate() {
        match FileKind::of(path) {
            Some(FileKind::Terraform | FileKind::TerraformVars) => {
                let dir = path.parent().unwrap_or(Path::new(""));
                modules.entry(dir).or_default().push(rank);
            }
            Some(FileKind::Yaml | FileKind::Json) => single.push(rank),
            None => {}
        }
    }
    // Module files the walk left out (ignored or excluded) are still read for resolution.
    let mut context_only: BTreeSet<PathBuf> = BTreeSet::new();
    for (dir, ranks) in &modules {
        let listing = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let Ok(entries) = std::fs::read_dir(listing) else {
            continue;
        };
        let names: std::collections::HashSet<&std::ffi::OsStr> = ranks
            .iter()
            .filter_map(|&rank| found.get(rank)?.file_name())
            .collect();
        for entry in entries.flatten() {
            let name = entry.file_name();
            if names.contains(name.as_os_str()) || !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let path = dir.join(name);
            if is_module_file(&path) {
                context_only.insert(path);
            }
        }
    }
    let mut context_by_dir: BTreeMap<PathBuf, Vec<(usize, PathBuf)>> = BTreeMap::new();
    for (at, path) in context_only.into_iter().enumerate() {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        context_by_dir
            .entry(dir)
            .or_default()
            .push((found.len() + at, path));
    }
    let entry = |rank: usize, path: PathBuf, reported: bool| FileEntry {
        id: FileId(u32::try_from(rank).unwrap_or(u32::MAX)),
        kind: FileKind::of(&path).unwrap_or(FileKind::Json),
        path,
        reported,
    };
    let mut units = Vec::new();
    for (dir, ranks) in &modules {
        let mut files: Vec<FileEntry> = ranks
            .iter()
            .filter_map(|&rank| Some(entry(rank, found.get(rank)?.clone(), true)))
            .collect();
        if let Some(context) = context_by_dir.remove(*dir) {
            files.extend(
                context
                    .into_iter()
                    .map(|(rank, path)| entry(rank, path, false)),
            );
        }
        units.push(Unit { files });
    }
    for rank in single {
        if let Some(path) = found.get(rank) {
            units.push(Unit {
                files: vec![entry(rank, path.clone(), true)],
            });
        }
    }
    units
}

/// `.tf` files and the tfvars Terraform loads automatically.
fn is_module_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name.ends_with(".tf") || is_auto_tfvars(name)
}

/// The variable files Terraform loads automatically: `terraform.tfvars(.json)` and
/// `*.auto.tfvars(.json)`.
pub fn is_auto_tfvars(name: &str) -> bool {
    let name = name.strip_suffix(".json").unwrap_or(name);
    name == "terraform.tfvars" || name.ends_with(".auto.tfvars")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_extensions() {
        assert_eq!(
            FileKind::of(Path::new("a/main.tf")),
            Some(FileKind::Terraform)
        );
        assert_eq!(FileKind::of(Path::new("x.template")), Some(FileKind::Yaml));
        assert_eq!(FileKind::of(Path::new("p.json")), Some(FileKind::Json));
        assert_eq!(FileKind::of(Path::new("README.md")), None);
        for vars in ["terraform.tfvars.json", "a/b.auto.tfvars.json", "c.tfvars"] {
            assert_eq!(FileKind::of(Path::new(vars)), Some(FileKind::TerraformVars));
        }
        assert_eq!(
            FileKind::of(Path::new("prod.tfvars.json")),
            Some(FileKind::Json)
        );
    }

    #[test]
    fn excludes_do_not_cross_directories_with_a_single_star() {
        let set = exclude_set(&["vendor/*.tf".to_string()]).unwrap();
        assert!(set.is_match("vendor/a.tf"));
        assert!(!set.is_match("vendor/deep/a.tf"));
    }
}
