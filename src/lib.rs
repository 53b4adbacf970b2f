//! cloudlint: an offline, span-accurate security linter for Terraform, CloudFormation and AWS IAM
//! policy documents. Parse, adapt into one typed model, run rules, report at exact spans.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod adapt;
pub mod allocator;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod lint;
pub mod model;
pub mod parse;
pub mod report;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod text;

pub use lint::{Report, Settings, lint};
pub use report::OutputFormat;
