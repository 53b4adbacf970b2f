//! The engine: reads, parses and adapts each unit in parallel, runs the rules, stamps and sorts
//! the diagnostics so the output never depends on the thread count.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::{self, FileEntry, FileKind, Unit};
use crate::model::AccountFactKind;
use crate::model::Model;
use crate::rules::{self, Finding, Findings, Rule, RuleMeta, builtin};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::suppress;

mod files;
mod modules;
mod plan;
mod shared;
mod timings;
mod units;

pub use files::FileIds;
use files::{display, normalize, read};
use modules::Scanned;
use plan::Plan;
pub use timings::Timings;
pub use units::may_be_relevant;
use units::{document_unit, terraform_unit};

/// Everything a run needs, resolved once from flags and configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    pub paths: Vec<PathBuf>,
    pub threads: usize,
    pub max_file_size: u64,
    pub no_ignore: bool,
    pub exclude: Vec<String>,
    /// Enabled rules, by id.
    pub rules: BTreeSet<&'static str>,
    pub show_unknown: bool,
    /// Keep suppressed findings in the report (they are always counted).
    pub show_suppressed: bool,
    /// Report directives that silence nothing (`unused-suppression`).
    pub unused_suppressions: bool,
    /// `[severity]` overrides from the configuration file.
    pub severity: std::collections::BTreeMap<&'static str, Severity>,
    /// `[[per-path-ignores]]`: rules dropped in files matching the globs.
    pub per_path_ignores: Vec<(globset::GlobSet, BTreeSet<&'static str>)>,
    /// Lowest severity that fails the run (`None`: never).
    pub fail_on: Option<Severity>,
    /// CloudFormation parameter values (`--cfn-parameters`), overriding defaults.
    pub cfn_parameters: std::collections::BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            paths: vec![PathBuf::from(".")],
            threads: 0,
            max_file_size: 10 * 1024 * 1024,
            no_ignore: false,
            exclude: Vec::new(),
            rules: rules::ALL.iter().map(|rule| rule.meta.name).collect(),
            show_unknown: false,
            show_suppressed: false,
            unused_suppressions: true,
            severity: Default::default(),
            per_path_ignores: Vec::new(),
            fail_on: Some(Severity::Low),
            cfn_parameters: Default::default(),
        }
    }
}

/// The outcome of a run: sorted diagnostics and the texts they point into.
#[derive(Debug)]
pub struct Report {
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    /// Suppressed findings, kept only with `Settings::show_suppressed` (always counted).
    pub suppressed: Vec<SuppressedDiagnostic>,
    /// The rules that ran, in id order (SARIF lists them).
    pub rules: Vec<&'static RuleMeta>,
    pub summary: Summary,
    /// Time per stage; never part of the output, which must not vary between runs.
    pub timings: Timings,
}

/// A finding a suppression directive silenced, and the reason the directive gave.
#[derive(Clone, Debug)]
pub struct SuppressedDiagnostic {
    pub diagnostic: Diagnostic,
    pub reason: Option<Box<str>>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Files read and linted (or parsed for resolution).
    pub files_scanned: usize,
    /// Files found but not linted: not a template or policy, or not a kind cloudlint reads.
    pub files_skipped: usize,
    /// Files that could not be read or parsed.
    pub files_failed: usize,
    /// Findings silenced by suppression directives.
    pub suppressed: usize,
    pub skipped_paths: Vec<PathBuf>,
}

#[derive(Debug)]
pub enum LintError {
    Discover(discover::DiscoverError),
    Threads(String),
}

impl std::fmt::Display for LintError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LintError::Discover(error) => error.fmt(f),
            LintError::Threads(message) => write!(f, "cannot start worker threads: {message}"),
        }
    }
}

/// Lints every file under the settings' paths.
pub fn lint(settings: &Settings) -> Result<Report, LintError> {
    let started = std::time::Instant::now();
    let excludes = discover::exclude_set(&settings.exclude).map_err(LintError::Discover)?;
    let discovery = discover::discover(
        &settings.paths,
        settings.no_ignore,
        &excludes,
        settings.threads,
    )
    .map_err(LintError::Discover)?;
    let enabled: Vec<&'static Rule> = rules::ALL
        .iter()
        .filter(|rule| settings.rules.contains(rule.meta.name))
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        // Depth limits bound every recursion; a roomy stack (reserved, not committed) is the
        // margin behind them.
        .stack_size(64 * 1024 * 1024)
        .build()
        .map_err(|e| LintError::Threads(e.to_string()))?;
    let ids = FileIds::new(&discovery.units);
    let mut scanned = Scanned::new(&discovery.units);
    let Plan {
        units,
        modules_of,
        order,
        users,
    } = plan::plan(discovery.units, settings.max_file_size, &pool);
    scanned.shared = shared::SharedModules::new(users);
    let discovered = started.elapsed();
    let outcomes: Vec<UnitOutcome> = plan::run_in_order(&pool, &order, |at| {
        let unit = units.get(at)?;
        let modules = modules_of.get(at).map_or(&[][..], Vec::as_slice);
        Some(lint_unit_guarded(
            unit, modules, settings, &enabled, &ids, &scanned,
        ))
    });
    let mut timings = Timings {
        discover: discovered,
        ..Timings::default()
    };
    for outcome in &outcomes {
        timings.add(&outcome.timings);
    }
    let assembling = std::time::Instant::now();
    let mut report = assemble(outcomes, discovery.skipped, settings.show_unknown);
    report.rules = enabled.iter().map(|rule| &rule.meta).collect();
    timings.report = assembling.elapsed();
    timings.wall = started.elapsed();
    report.timings = timings;
    Ok(report)
}

/// What one unit produced.
#[derive(Default)]
struct UnitOutcome {
    diagnostics: Vec<Diagnostic>,
    /// Findings to settle against the account facts of other units.
    conditional: Vec<(AccountFactKind, Diagnostic)>,
    suppressed: Vec<SuppressedDiagnostic>,
    suppressed_count: usize,
    declared: Vec<AccountFactKind>,
    sources: Vec<SourceFile>,
    scanned: usize,
    /// Scanned files of called modules, read by every unit calling them: counted once.
    shared_scanned: BTreeSet<PathBuf>,
    shared_failed: BTreeSet<PathBuf>,
    /// Reported files of called modules this unit read.
    module_reported: Vec<FileId>,
    /// Directives that silenced something here (`Directives::used`).
    used_directives: Vec<(Span, &'static str)>,
    /// The raw policy file a document unit linted on its own.
    document_file: Option<FileId>,
    /// Files whose text a Terraform unit modelled as policy documents (read through `file()`).
    policy_files: BTreeSet<FileId>,
    skipped: Vec<PathBuf>,
    failed: usize,
    timings: Timings,
}

/// Lints one unit, turning a panic into a diagnostic, then lets go of the shared modules it
/// may have read (`modules`).
fn lint_unit_guarded(
    unit: &Unit,
    modules: &[PathBuf],
    settings: &Settings,
    enabled: &[&'static Rule],
    ids: &FileIds,
    scanned: &Scanned,
) -> UnitOutcome {
    let mut outcome = lint_unit_caught(unit, settings, enabled, ids, scanned);
    let started = std::time::Instant::now();
    drop(scanned.shared.release(modules));
    outcome.timings.parse += started.elapsed();
    outcome
}

fn lint_unit_caught(
    unit: &Unit,
    settings: &Settings,
    enabled: &[&'static Rule],
    ids: &FileIds,
    scanned: &Scanned,
) -> UnitOutcome {
    match catch_unwind(AssertUnwindSafe(|| {
        lint_unit(unit, settings, enabled, None, ids, scanned)
    })) {
        Ok(outcome) => outcome,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            let mut outcome = UnitOutcome::default();
            for file in unit.files.iter().filter(|f| f.reported) {
                outcome.diagnostics.push(Diagnostic::builtin(
                    &builtin::INTERNAL_ERROR,
                    Span::new(file.id, 0, 0),
                    format!("cloudlint failed on this file: {what}"),
                ));
                outcome
                    .sources
                    .push(SourceFile::new(file.id, display(&file.path), Arc::from("")));
                outcome.failed += 1;
            }
            outcome
        }
    }
}

/// Per-unit state while linting.
struct UnitRun<'s> {
    outcome: UnitOutcome,
    /// Text to lint instead of reading the file (in-memory linting).
    memory: Option<Arc<str>>,
    texts: Vec<(FileId, String, Arc<str>)>,
    settings: &'s Settings,
    directives: suppress::Directives,
}

impl UnitRun<'_> {
    fn parse_error(&mut self, file: &FileEntry, span: Span, message: String) {
        if file.reported {
            self.outcome.diagnostics.push(Diagnostic::builtin(
                &builtin::PARSE_ERROR,
                span,
                message,
            ));
        }
        self.outcome.failed += 1;
    }

    /// Keys a reported file repeats: the file is linted with the last value of each.
    fn duplicate_keys(&mut self, duplicates: &[crate::parse::ParseError]) {
        for duplicate in duplicates {
            self.outcome.diagnostics.push(Diagnostic::builtin(
                &builtin::DUPLICATE_KEY,
                duplicate.span,
                duplicate.message.clone(),
            ));
        }
    }

    fn read(&mut self, file: &FileEntry) -> Option<Arc<str>> {
        let read = match &self.memory {
            Some(text) => Ok(text.clone()),
            None => Timings::time(&mut self.outcome.timings.read, || {
                read(file, self.settings.max_file_size)
            }),
        };
        match read {
            Ok(text) => {
                self.texts
                    .push((file.id, display(&file.path), text.clone()));
                Some(text)
            }
            Err(unreadable) => {
                self.texts
                    .push((file.id, display(&file.path), unreadable.text));
                self.parse_error(file, unreadable.span, unreadable.message);
                None
            }
        }
    }
}

/// Lints one file's text held in memory (no file system access), with every rule enabled.
/// Panics are not caught here, so property tests see them.
pub fn lint_text(name: &str, text: &str) -> Vec<Diagnostic> {
    let path = PathBuf::from(name);
    let Some(kind) = FileKind::of(&path) else {
        return Vec::new();
    };
    let unit = Unit {
        files: vec![FileEntry {
            id: FileId(0),
            path,
            kind,
            reported: true,
        }],
    };
    let settings = Settings::default();
    let enabled: Vec<&'static Rule> = rules::ALL.iter().collect();
    lint_unit(
        &unit,
        &settings,
        &enabled,
        Some(Arc::from(text)),
        &FileIds::empty(),
        &Scanned::default(),
    )
    .diagnostics
}

fn lint_unit(
    unit: &Unit,
    settings: &Settings,
    enabled: &[&'static Rule],
    memory: Option<Arc<str>>,
    ids: &FileIds,
    scanned: &Scanned,
) -> UnitOutcome {
    let mut run = UnitRun {
        memory,
        outcome: UnitOutcome::default(),
        texts: Vec::new(),
        settings,
        directives: suppress::Directives::default(),
    };
    let mut model = Model::default();
    let is_module = unit
        .files
        .iter()
        .any(|f| matches!(f.kind, FileKind::Terraform | FileKind::TerraformVars));
    let mut loaded = BTreeSet::new();
    if is_module {
        loaded = terraform_unit(unit, &mut run, &mut model, ids, scanned);
        // A file merged into a data source (`source_policy_documents = [file(...)]`) gives
        // statements, not the document: their spans name it.
        run.outcome.policy_files = model
            .iam
            .policies
            .iter()
            .flat_map(|d| {
                let statements = d.statements.iter().map(|statement| statement.span.file);
                std::iter::once(d.span.file).chain(statements)
            })
            .collect();
    } else if let Some(file) = unit.files.first() {
        document_unit(file, &mut run, &mut model);
        run.outcome.document_file = Some(file.id);
    }
    let mut reported: BTreeSet<FileId> = unit
        .files
        .iter()
        .filter(|f| f.reported)
        .map(|f| f.id)
        .collect();
    reported.extend(loaded);
    let rules_started = std::time::Instant::now();
    for rule in enabled {
        let mut findings = Findings::new();
        (rule.check)(&model, &mut findings);
        for finding in findings.into_vec() {
            if !reported.contains(&finding.primary.file) {
                continue;
            }
            let unless = finding.unless;
            let mut diagnostic = stamp(&rule.meta, finding);
            if let Some(severity) = settings.severity.get(rule.meta.name) {
                diagnostic.severity = *severity;
            }
            if ignored_here(settings, unit, &run.texts, &diagnostic) {
                continue;
            }
            if let Some(reason) = run.directives.suppress(&diagnostic) {
                run.outcome
                    .suppressed
                    .push(SuppressedDiagnostic { diagnostic, reason });
                continue;
            }
            match unless {
                Some(kind) if !diagnostic.unverifiable => {
                    run.outcome.conditional.push((kind, diagnostic))
                }
                _ => run.outcome.diagnostics.push(diagnostic),
            }
        }
    }
    run.outcome.timings.rules += rules_started.elapsed();
    run.outcome.declared = model.facts.declared.clone();
    let directives = std::mem::take(&mut run.directives);
    run.outcome.used_directives = directives.used();
    run.outcome
        .diagnostics
        .extend(directives.leftovers(&settings.rules, settings.unused_suppressions));
    if !settings.show_unknown {
        run.outcome.diagnostics.retain(|d| !d.unverifiable);
        run.outcome
            .suppressed
            .retain(|s| !s.diagnostic.unverifiable);
    }
    run.outcome.suppressed_count = run.outcome.suppressed.len();
    if !settings.show_suppressed {
        run.outcome.suppressed.clear();
    }
    // Keep only the texts diagnostics point into.
    let pointed: BTreeSet<FileId> = run
        .outcome
        .diagnostics
        .iter()
        .chain(run.outcome.conditional.iter().map(|(_, d)| d))
        .chain(run.outcome.suppressed.iter().map(|s| &s.diagnostic))
        .flat_map(|d| std::iter::once(d.primary.file).chain(d.labels.iter().map(|l| l.span.file)))
        .collect();
    let texts = std::mem::take(&mut run.texts);
    for (id, path, text) in texts {
        if pointed.contains(&id) {
            run.outcome.sources.push(SourceFile::new(id, path, text));
        }
    }
    run.outcome
}

/// Whether a `[[per-path-ignores]]` entry drops this finding in its file.
fn ignored_here(
    settings: &Settings,
    unit: &Unit,
    texts: &[(FileId, String, Arc<str>)],
    diagnostic: &Diagnostic,
) -> bool {
    if settings.per_path_ignores.is_empty() {
        return false;
    }
    let at = diagnostic.primary.file;
    // A file of the unit, or one it read itself (a called module's).
    let Some(path) = unit
        .files
        .iter()
        .find(|f| f.id == at)
        .map(|f| normalize(&f.path))
        .or_else(|| {
            texts
                .iter()
                .find(|(id, _, _)| *id == at)
                .map(|(_, path, _)| normalize(std::path::Path::new(path)))
        })
    else {
        return false;
    };
    settings
        .per_path_ignores
        .iter()
        .any(|(globs, rules)| rules.contains(diagnostic.rule.name) && globs.is_match(&path))
}

fn stamp(meta: &'static RuleMeta, finding: Finding) -> Diagnostic {
    Diagnostic {
        rule: meta,
        severity: meta.severity,
        message: Diagnostic::shorten_quotes(finding.message),
        primary: finding.primary,
        labels: finding.labels,
        resource: Some(finding.resource.as_str().into()),
        unverifiable: finding.unverifiable,
    }
}

fn assemble(mut outcomes: Vec<UnitOutcome>, skipped: Vec<PathBuf>, show_unknown: bool) -> Report {
    let mut diagnostics = Vec::new();
    let mut sources = Vec::new();
    let mut summary = Summary {
        skipped_paths: skipped,
        ..Summary::default()
    };
    // A policy file a Terraform consumer reads through `file()` (or merges into a data source)
    // is linted once, as that consumer's document (its kinds, its bucket's settings; RULES.md 2.6): what the file gave
    // on its own, judged without them, gives way. Parse errors and directive problems stay.
    let policy_files: BTreeSet<FileId> = outcomes
        .iter()
        .flat_map(|o| o.policy_files.iter().copied())
        .collect();
    for outcome in &mut outcomes {
        if outcome
            .document_file
            .is_some_and(|file| policy_files.contains(&file))
        {
            let builtin = |d: &Diagnostic| builtin::ALL.iter().any(|b| b.name == d.rule.name);
            outcome.diagnostics.retain(builtin);
            outcome.conditional.clear();
            outcome.suppressed.clear();
            outcome.suppressed_count = 0;
        }
    }
    // A finding another unit's account-wide setting may remove becomes "cannot verify".
    let declared_by: Vec<BTreeSet<AccountFactKind>> = outcomes
        .iter()
        .map(|o| o.declared.iter().copied().collect())
        .collect();
    for (unit, outcome) in outcomes.iter_mut().enumerate() {
        for (kind, mut diagnostic) in std::mem::take(&mut outcome.conditional) {
            let elsewhere = declared_by
                .iter()
                .enumerate()
                .any(|(other, kinds)| other != unit && kinds.contains(&kind));
            if elsewhere {
                diagnostic.unverifiable = true;
                diagnostic.message = format!(
                    "cannot verify: {} unless the account-wide setting declared in another directory applies",
                    diagnostic.message
                )
                .into();
                if !show_unknown {
                    continue;
                }
            }
            outcome.diagnostics.push(diagnostic);
        }
    }
    // A module file is linted in every unit calling it: a directive used in one is not unused.
    let used: BTreeSet<(Span, String)> = outcomes
        .iter()
        .flat_map(|o| o.used_directives.iter())
        .map(|(span, rule)| (*span, suppress::unused_message(rule)))
        .collect();
    if !used.is_empty() {
        for outcome in &mut outcomes {
            outcome.diagnostics.retain(|d| {
                d.rule.name != builtin::UNUSED_SUPPRESSION.name
                    || !used.contains(&(d.primary, d.message.to_string()))
            });
        }
    }
    let mut suppressed = Vec::new();
    let mut shared_scanned = BTreeSet::new();
    let mut shared_failed = BTreeSet::new();
    for outcome in outcomes {
        shared_scanned.extend(outcome.shared_scanned);
        shared_failed.extend(outcome.shared_failed);
        diagnostics.extend(outcome.diagnostics);
        suppressed.extend(outcome.suppressed);
        summary.suppressed += outcome.suppressed_count;
        sources.extend(outcome.sources);
        summary.files_scanned += outcome.scanned;
        summary.files_failed += outcome.failed;
        summary.skipped_paths.extend(outcome.skipped);
    }
    summary.files_scanned += shared_scanned.len();
    summary.files_failed += shared_failed.len();
    summary.skipped_paths.sort();
    summary.files_skipped = summary.skipped_paths.len();
    // Of duplicates (a policy file also read through `file()`), keep the one with most context.
    diagnostics.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then_with(|| b.labels.len().cmp(&a.labels.len()))
            .then_with(|| a.resource.cmp(&b.resource))
    });
    diagnostics.dedup_by(|a, b| same_finding(a, b));
    // A document linted twice (a policy file also rendered through `templatefile()`) may give a
    // finding and a note, or two notes, at one place: the finding, else the first note, stays.
    let decided: foldhash::HashSet<(Span, &'static str)> = diagnostics
        .iter()
        .filter(|d| !d.unverifiable)
        .map(|d| (d.primary, d.rule.name))
        .collect();
    let mut noted: foldhash::HashSet<(Span, &'static str)> = foldhash::HashSet::default();
    diagnostics.retain(|d| {
        !d.unverifiable
            || (!decided.contains(&(d.primary, d.rule.name))
                && noted.insert((d.primary, d.rule.name)))
    });
    suppressed.sort_by(|a: &SuppressedDiagnostic, b| {
        a.diagnostic.sort_key().cmp(&b.diagnostic.sort_key())
    });
    suppressed.dedup_by(|a, b| same_finding(&a.diagnostic, &mut b.diagnostic));
    Report {
        sources: SourceMap::new(sources),
        diagnostics,
        suppressed,
        rules: Vec::new(),
        summary,
        timings: Timings::default(),
    }
}

/// Whether `dropped` repeats `kept`. The same finding on several instances of one resource
/// (`count`/`for_each`) names the resource rather than its first instance. The finding is one,
/// its context the union: every consumer of a policy file read through `file()`, every call of
/// a module setting the value (RULES.md 2.6: one finding, consumers as labels).
fn same_finding(dropped: &Diagnostic, kept: &mut Diagnostic) -> bool {
    if dropped.sort_key() != kept.sort_key() {
        return false;
    }
    for label in &dropped.labels {
        if !kept.labels.contains(label) {
            kept.labels.push(label.clone());
        }
    }
    if let (Some(a), Some(b)) = (&dropped.resource, &kept.resource) {
        let resource = without_keys(b);
        if a != b && resource == without_keys(a) {
            kept.resource = Some(resource.into());
        }
    }
    true
}

/// A Terraform address without its instance keys, module calls' included
/// (`module.m["a.b"].aws_s3_bucket.b[0]` is `module.m.aws_s3_bucket.b`).
fn without_keys(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut rest = address;
    while let Some(at) = rest.find('[') {
        out.push_str(&rest[..at]);
        let key = &rest[at + 1..];
        let mut quoted = false;
        let mut escaped = false;
        let mut end = None;
        for (i, c) in key.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if quoted => escaped = true,
                '"' => quoted = !quoted,
                ']' if !quoted => {
                    end = Some(i + 1);
                    break;
                }
                _ => {}
            }
        }
        match end {
            Some(end) => rest = &key[end..],
            // Not a key: keep the text as written.
            None => {
                out.push_str(&rest[at..]);
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether the report fails the run at `threshold` (`None`: never fails).
pub fn fails(report: &Report, threshold: Option<Severity>) -> bool {
    let Some(threshold) = threshold else {
        return false;
    };
    report.diagnostics.iter().any(|d| {
        !d.unverifiable && (d.severity >= threshold || d.rule.name == builtin::PARSE_ERROR.name)
    })
}

/// Message helper used by reporters for help text.
pub fn help_of(meta: &RuleMeta) -> Cow<'static, str> {
    if meta.formats.is_empty() {
        Cow::Borrowed(meta.summary)
    } else {
        Cow::Owned(format!(
            "{}; see `cloudlint explain {}`",
            meta.summary, meta.name
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(resource: &str) -> Diagnostic {
        let mut diagnostic = Diagnostic::builtin(
            &builtin::INTERNAL_ERROR,
            Span::new(FileId(0), 1, 2),
            "message".into(),
        );
        diagnostic.resource = Some(resource.into());
        diagnostic
    }

    #[test]
    fn one_finding_on_several_instances_names_their_resource() {
        let mut kept = on("aws_ebs_volume.v[0]");
        assert!(same_finding(&on("aws_ebs_volume.v[1]"), &mut kept));
        assert_eq!(kept.resource.as_deref(), Some("aws_ebs_volume.v"));
        let mut kept = on("aws_ebs_volume.v[0]");
        assert!(same_finding(&on("aws_ebs_volume.w[0]"), &mut kept));
        assert_eq!(kept.resource.as_deref(), Some("aws_ebs_volume.v[0]"));
        let mut other = on("aws_ebs_volume.v[1]");
        other.message = "other".into();
        assert!(!same_finding(&other, &mut kept));
    }
}
