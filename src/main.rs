//! The `cloudlint` binary: flags in, report out, exit status from the findings.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use cloudlint::cli::{Cli, ColorChoice, Command, RulesFormat, check_rule_id, explain, rules_table};
use cloudlint::{OutputFormat, lint, report, rules};

/// mimalloc: see `cloudlint::allocator` for why.
#[global_allocator]
static ALLOCATOR: cloudlint::allocator::Allocator = cloudlint::allocator::Allocator;

fn main() -> ExitCode {
    cloudlint::allocator::keep_freed_memory();
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("cloudlint: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli) -> Result<ExitCode, String> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match &cli.command {
        Some(Command::Rules { format }) => {
            let text = match format {
                RulesFormat::Table => rules_table(),
                RulesFormat::Json => report::rules::json(),
                RulesFormat::Markdown => report::rules::markdown(),
            };
            out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
            out.flush().map_err(|e| e.to_string())?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Explain { rule }) => {
            let name = check_rule_id(rule).map_err(|e| e.to_string())?;
            let meta = rules::find(name).ok_or_else(|| format!("unknown rule `{rule}`"))?;
            out.write_all(explain(meta).as_bytes())
                .map_err(|e| e.to_string())?;
            out.flush().map_err(|e| e.to_string())?;
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }
    let settings = cli.settings()?;
    let report = lint(&settings).map_err(|e| e.to_string())?;
    let terminal = std::io::stdout().is_terminal();
    let format = cli.format.unwrap_or(if terminal {
        OutputFormat::Pretty
    } else {
        OutputFormat::Concise
    });
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let writing = std::time::Instant::now();
    report::write(&report, format, color, &mut out)
        .map_err(|e| format!("cannot write output: {e}"))?;
    out.flush()
        .map_err(|e| format!("cannot write output: {e}"))?;
    if cli.timings {
        let mut timings = report.timings;
        timings.report += writing.elapsed();
        timings.wall += writing.elapsed();
        eprint!("{}", timings.render());
    }
    if cli.verbose {
        for path in &report.summary.skipped_paths {
            eprintln!("cloudlint: skipped {}", path.display());
        }
    }
    Ok(if cloudlint::lint::fails(&report, settings.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
