//! TEMPORARY stub until the real strict JSON parser lands.
use super::{Node, NodeKind, ParseError, Parsed, node::Entry};
use crate::source::{FileId, Span};
use jsonc_parser::ast::Value as J;

pub fn parse_json(text: &str, file: FileId, base: u32) -> Parsed {
    let options = jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_extended_string_escapes: false,
        allow_non_finite_numbers: false,
    };
    match jsonc_parser::parse_to_ast(text, &Default::default(), &options) {
        Ok(result) => Parsed {
            root: result.value.as_ref().map(|v| convert(v, file, base)),
            errors: vec![],
            comments: vec![],
        },
        Err(e) => Parsed {
            root: None,
            errors: vec![ParseError {
                message: e.to_string(),
                span: Span::new(
                    file,
                    e.range().start + base as usize,
                    e.range().end + base as usize,
                ),
            }],
            comments: vec![],
        },
    }
}

fn convert(v: &J, file: FileId, base: u32) -> Node {
    use jsonc_parser::common::Ranged;
    let r = v.range();
    let span = Span::new(file, r.start + base as usize, r.end + base as usize);
    let kind = match v {
        J::NullKeyword(_) => NodeKind::Null,
        J::BooleanLit(b) => NodeKind::Bool(b.value),
        J::NumberLit(n) => NodeKind::Number(n.value.into()),
        J::StringLit(s) => NodeKind::String(s.value.to_string().into()),
        J::Array(a) => NodeKind::Seq(a.elements.iter().map(|e| convert(e, file, base)).collect()),
        J::Object(o) => NodeKind::Map(
            o.properties
                .iter()
                .map(|p| {
                    let kr = p.name.range();
                    Entry {
                        key: p.name.as_str().into(),
                        key_span: Span::new(file, kr.start + base as usize, kr.end + base as usize),
                        value: convert(&p.value, file, base),
                    }
                })
                .collect(),
        ),
    };
    Node::new(span, kind)
}
