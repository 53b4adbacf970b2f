//! Parsers that keep exact byte spans: HCL (hcl-edit), YAML (granit events) and strict JSON
//! (jsonc-parser), the last two into one located tree.

pub mod hcl;
pub mod json;
pub mod limits;
pub mod node;
pub mod yaml;

use crate::source::Span;

pub use node::{Entry, Node, NodeKind, ParseError, Parsed};

/// A comment as the parser saw it: `text` without the comment marker, trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub span: Span,
    pub text: Box<str>,
}
