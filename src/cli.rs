//! Command-line interface: flags into `Settings`, and the `rules` / `explain` commands.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config;
use crate::diagnostic::Severity;
use crate::lint::Settings;
use crate::report::OutputFormat;
use crate::rules::{self, RuleMeta};

const EXIT_CODES: &str = "Exit status:
  0  no finding at or above --fail-on
  1  at least one finding at or above --fail-on (parse errors count unless --fail-on never)
  2  cloudlint itself failed: bad flag, unknown rule id, a named path that does not exist";

/// Offline, span-accurate security linter for Terraform, CloudFormation and AWS IAM policies.
#[derive(Debug, Parser)]
#[command(name = "cloudlint", version, after_help = EXIT_CODES, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Files or directories to lint (directories are walked, honouring .gitignore).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format [default: pretty on a terminal, concise otherwise].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Lowest severity that makes the exit status 1.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Configuration file [default: .cloudlint.toml in the current directory, else in the first
    /// scanned directory].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore any .cloudlint.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,

    /// Run only these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub select: Vec<String>,

    /// Do not run these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULE")]
    pub ignore: Vec<String>,

    /// Skip paths matching this glob (`*` does not cross `/`); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Do not honour .gitignore and .ignore files.
    #[arg(long)]
    pub no_ignore: bool,

    /// Also report, as notes, every place a rule had to stop at a value it cannot know offline.
    #[arg(long)]
    pub show_unknown: bool,

    /// Also list findings silenced by `cloudlint:ignore` and other suppressions.
    #[arg(long)]
    pub show_suppressed: bool,

    /// Do not report suppression directives that silence nothing.
    #[arg(long)]
    pub no_unused_suppressions: bool,

    /// CloudFormation parameter values overriding defaults: a JSON file `{"Name": "value"}` or the
    /// AWS CLI's `[{"ParameterKey": ..., "ParameterValue": ...}]`.
    #[arg(long, value_name = "FILE")]
    pub cfn_parameters: Option<PathBuf>,

    /// Files larger than this many bytes are reported and not parsed.
    #[arg(long, default_value_t = 10 * 1024 * 1024, value_name = "BYTES")]
    pub max_file_size: u64,

    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,

    /// Colour in pretty output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,

    /// List the files that were found but not linted.
    #[arg(long, short)]
    pub verbose: bool,

    /// Print the time spent per stage (discover, read, parse, adapt, rules, report) to stderr.
    #[arg(long)]
    pub timings: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every rule: id, severity, formats and summary.
    Rules {
        /// `table` (default), `json` (every field) or `markdown` (docs/rules.md).
        #[arg(long, value_enum, default_value = "table")]
        format: RulesFormat,
    },
    /// Print a rule's documentation.
    Explain {
        /// Rule id, e.g. iam-wildcard-admin-policy.
        rule: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Never => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// An unknown rule id, with the closest known one.
#[derive(Debug)]
pub struct UnknownRule {
    pub name: String,
    pub suggestion: Option<&'static str>,
}

impl std::fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown rule `{}`", self.name)?;
        if let Some(suggestion) = self.suggestion {
            write!(f, "; did you mean `{suggestion}`?")?;
        }
        write!(f, " (`cloudlint rules` lists them)")
    }
}

pub fn check_rule_id(name: &str) -> Result<&'static str, UnknownRule> {
    rules::all_names()
        .find(|known| *known == name)
        .ok_or_else(|| UnknownRule {
            name: name.to_string(),
            suggestion: rules::all_names()
                .min_by_key(|known| rules::iam::edit_distance(name, known))
                .filter(|known| rules::iam::edit_distance(name, known) <= known.len() / 3 + 1),
        })
}

impl Cli {
    pub fn settings(&self) -> Result<Settings, String> {
        let paths = if self.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            self.paths.clone()
        };
        let file = if self.no_config {
            None
        } else {
            config::locate(self.config.as_deref(), &paths)
                .map(|path| config::load(&path))
                .transpose()?
        };
        let file = file.unwrap_or_default();
        // Flags win over the file: `--select`/`--ignore` replace its lists, `--exclude` adds.
        let mut enabled: BTreeSet<&'static str> = if !self.select.is_empty() {
            self.select
                .iter()
                .map(|name| check_rule_id(name.trim()))
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?
        } else if let Some(select) = &file.select {
            select.clone()
        } else {
            rules::ALL.iter().map(|rule| rule.meta.name).collect()
        };
        if self.ignore.is_empty() {
            for name in &file.ignore {
                enabled.remove(name);
            }
        }
        for name in &self.ignore {
            enabled.remove(check_rule_id(name.trim()).map_err(|e| e.to_string())?);
        }
        let mut exclude = file.exclude.clone();
        exclude.extend(self.exclude.iter().cloned());
        let mut per_path_ignores = Vec::new();
        for (glob, rules) in &file.per_path_ignores {
            let globs = crate::discover::exclude_set(std::slice::from_ref(glob))
                .map_err(|e| format!("{}: {e}", file.path.display()))?;
            per_path_ignores.push((globs, rules.clone()));
        }
        let fail_on = match (self.fail_on, file.fail_on) {
            (Some(flag), _) => flag.threshold(),
            (None, Some(from_file)) => from_file,
            (None, None) => Some(Severity::Low),
        };
        Ok(Settings {
            paths,
            severity: file.severity.clone(),
            per_path_ignores,
            fail_on,
            threads: self.threads,
            max_file_size: self.max_file_size,
            no_ignore: self.no_ignore,
            exclude,
            rules: enabled,
            show_unknown: self.show_unknown,
            show_suppressed: self.show_suppressed,
            unused_suppressions: !self.no_unused_suppressions,
            cfn_parameters: match &self.cfn_parameters {
                Some(path) => crate::config::read_cfn_parameters(path)?,
                None => Default::default(),
            },
        })
    }
}

/// `cloudlint rules`: one line per rule.
pub fn rules_table() -> String {
    let mut out = String::new();
    for rule in rules::ALL {
        let meta = &rule.meta;
        let formats: Vec<&str> = meta.formats.iter().map(|f| f.name()).collect();
        out.push_str(&format!(
            "{:<36} {:<8} {:<40} {}\n",
            meta.name,
            meta.severity.name(),
            formats.join(","),
            meta.summary
        ));
    }
    out
}

/// `cloudlint explain RULE`: the rule's documentation as Markdown.
pub fn explain(meta: &RuleMeta) -> String {
    let mut out = format!("# {}\n\n{}\n\n", meta.name, meta.summary);
    out.push_str(&format!(
        "Severity: {} ({})\n",
        meta.severity.name(),
        meta.severity.level().name()
    ));
    if !meta.formats.is_empty() {
        let formats: Vec<&str> = meta.formats.iter().map(|f| f.name()).collect();
        out.push_str(&format!("Formats: {}\n", formats.join(", ")));
    }
    if !meta.aliases.is_empty() {
        out.push_str(&format!("Aliases: {}\n", meta.aliases.join(", ")));
    }
    out.push_str(&format!(
        "\n## Why\n\n{}\n\n## Fix\n\n{}\n",
        meta.rationale, meta.remediation
    ));
    if !meta.references.is_empty() {
        out.push_str("\n## References\n\n");
        for reference in meta.references {
            out.push_str(&format!("- {reference}\n"));
        }
    }
    out
}
