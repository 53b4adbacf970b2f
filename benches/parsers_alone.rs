//! The parsers alone on the files of a directory: the floor `scripts/bench.sh` compares the whole
//! pipeline with. Reads every file cloudlint would read into memory, then times only parsing
//! (and dropping the trees, which the pipeline pays too), on one thread, best of three.
//! Usage: `cargo bench --bench parsers_alone -- <dir>...` (no directory: prints usage).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cloudlint::discover::{FileKind, discover, exclude_set};
use cloudlint::parse::{hcl, json, yaml};
use cloudlint::source::FileId;

/// The binary's allocator, so the figures are the shipped tool's.
#[global_allocator]
static ALLOCATOR: cloudlint::allocator::Allocator = cloudlint::allocator::Allocator;

/// Skipped like the tool's default `--max-file-size`.
const MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

struct Input {
    kind: FileKind,
    tfvars_json: bool,
    text: String,
}

fn main() {
    cloudlint::allocator::keep_freed_memory();
    let paths: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .map(PathBuf::from)
        .collect();
    if paths.is_empty() {
        println!("usage: cargo bench --bench parsers_alone -- <dir>...");
        return;
    }
    let Ok(excludes) = exclude_set(&[]) else {
        return;
    };
    let discovery = match discover(&paths, false, &excludes, 1) {
        Ok(discovery) => discovery,
        Err(error) => {
            eprintln!("{error:?}");
            std::process::exit(2);
        }
    };
    let inputs: Vec<Input> = discovery
        .units
        .iter()
        .flat_map(|unit| unit.files.iter())
        .filter(|file| std::fs::metadata(&file.path).is_ok_and(|m| m.len() <= MAX_FILE_SIZE))
        .filter_map(|file| {
            let text = std::fs::read_to_string(&file.path).ok()?;
            let tfvars_json = file.kind == FileKind::TerraformVars
                && file.path.extension().is_some_and(|e| e == "json");
            Some(Input {
                kind: file.kind,
                tfvars_json,
                text,
            })
        })
        .collect();
    let relevant: Vec<&Input> = inputs
        .iter()
        .filter(|input| {
            matches!(input.kind, FileKind::Terraform | FileKind::TerraformVars)
                || cloudlint::lint::may_be_relevant(&input.text)
        })
        .collect();
    let every: Vec<&Input> = inputs.iter().collect();
    report("every file", &every);
    report("files past the byte scan", &relevant);
}

fn report(what: &str, inputs: &[&Input]) {
    let bytes: usize = inputs.iter().map(|input| input.text.len()).sum();
    let best = (0..3).map(|_| parse_all(inputs)).min().unwrap_or_default();
    println!(
        "parsers alone, {what}: {} files, {:.1} MB, {:.3} s, {:.1} MB/s",
        inputs.len(),
        bytes as f64 / 1e6,
        best.as_secs_f64(),
        bytes as f64 / 1e6 / best.as_secs_f64().max(1e-9),
    );
}

fn parse_all(inputs: &[&Input]) -> Duration {
    let started = Instant::now();
    for input in inputs {
        let text = input.text.as_str();
        match input.kind {
            FileKind::Terraform | FileKind::TerraformVars if input.tfvars_json => {
                drop(std::hint::black_box(hcl::parse_tfvars_json(
                    text,
                    FileId(0),
                )));
            }
            FileKind::Terraform | FileKind::TerraformVars => {
                drop(std::hint::black_box(hcl::parse_hcl(text, FileId(0))));
            }
            FileKind::Json => drop(std::hint::black_box(json::parse_json(text, FileId(0), 0))),
            FileKind::Yaml if text.trim_start().starts_with('{') => {
                drop(std::hint::black_box(json::parse_json(text, FileId(0), 0)));
            }
            FileKind::Yaml => drop(std::hint::black_box(yaml::parse_yaml(text, FileId(0)))),
        }
    }
    started.elapsed()
}
