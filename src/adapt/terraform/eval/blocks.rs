//! Block bodies as objects, with `dynamic` blocks expanded under a budget.

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Body, Structure};

use super::{Bindings, Evaluator, MAX_DYNAMIC_BLOCKS, span_of};
use crate::adapt::terraform::module::header_span;
use crate::adapt::val::{Conditions, Field, Val, ValKind, block_under, conditional_branches};
use crate::model::UnknownReason;
use crate::parse::limits::MAX_EVAL_DEPTH;
use crate::source::{FileId, Span};

impl Evaluator<'_> {
    /// A block body as an object: attributes and nested blocks (repeated blocks repeat the key),
    /// `dynamic` blocks expanded over their known collection.
    pub fn body(&self, body: &Body, file: FileId, span: Span, bindings: &Bindings) -> Val {
        let outer = self.dynamic_left.replace(MAX_DYNAMIC_BLOCKS);
        let value = self.body_at(body, file, span, bindings, 0);
        self.dynamic_left.set(outer);
        value
    }

    fn body_at(
        &self,
        body: &Body,
        file: FileId,
        span: Span,
        bindings: &Bindings,
        depth: usize,
    ) -> Val {
        let mut fields = Vec::new();
        if depth > MAX_EVAL_DEPTH {
            return Val::new(ValKind::Object(fields), span);
        }
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attribute) => fields.push(Field {
                    key: attribute.key.as_str().into(),
                    key_span: span_of(file, &attribute.key),
                    value: self.eval(&attribute.value, file, bindings),
                    is_block: false,
                }),
                Structure::Block(block) if block.ident.as_str() == "dynamic" => {
                    self.dynamic(block, file, bindings, depth, &mut fields);
                }
                Structure::Block(block) => {
                    let block_span = span_of(file, block);
                    fields.push(Field {
                        key: block.ident.as_str().into(),
                        key_span: header_span(file, block),
                        value: self.body_at(&block.body, file, block_span, bindings, depth + 1),
                        is_block: true,
                    });
                }
            }
        }
        Val::new(ValKind::Object(fields), span)
    }

    fn dynamic(
        &self,
        block: &hcl_edit::structure::Block,
        file: FileId,
        bindings: &Bindings,
        depth: usize,
        fields: &mut Vec<Field>,
    ) {
        let Some(name) = block.labels.first().map(|l| l.as_str()) else {
            return;
        };
        let Some(content) = block.body.get_blocks("content").next() else {
            return;
        };
        let iterator = block
            .body
            .get_attribute("iterator")
            .and_then(|a| match &a.value {
                Expression::Variable(v) => Some(v.as_str().to_string()),
                _ => None,
            })
            .unwrap_or_else(|| name.to_string());
        let header = header_span(file, block);
        let content_span = span_of(file, block);
        let for_each = block
            .body
            .get_attribute("for_each")
            .map(|a| self.eval(&a.value, file, bindings));
        // A conditional collection: each branch's blocks, existing under its conditions
        // (RULES.md 2.4).
        let branches: Vec<(Conditions, Option<&Val>)> = match &for_each {
            Some(collection) => conditional_branches(collection)
                .into_iter()
                .map(|(conditions, branch)| (conditions, Some(branch)))
                .collect(),
            None => vec![(Conditions::new(), None)],
        };
        let elements: Vec<(Conditions, Val, Val)> = branches
            .into_iter()
            .flat_map(|(conditions, collection)| {
                elements_of(collection, header)
                    .into_iter()
                    .map(move |(key, value)| (conditions.clone(), key, value))
            })
            .collect();
        for (conditions, key, value) in elements {
            let iteration = Val::new(
                ValKind::Object(vec![
                    Field {
                        key: "key".into(),
                        key_span: key.span,
                        value: key,
                        is_block: false,
                    },
                    Field {
                        key: "value".into(),
                        key_span: value.span,
                        value,
                        is_block: false,
                    },
                ]),
                header,
            );
            let left = self.dynamic_left.get();
            if left == 0 {
                // Nested dynamic blocks multiply: past the budget the block is unknown, not
                // silently dropped.
                fields.push(Field {
                    key: name.into(),
                    key_span: header,
                    value: Val::unknown(
                        UnknownReason::Unsupported("more dynamic blocks than cloudlint expands"),
                        header,
                    ),
                    is_block: true,
                });
                return;
            }
            self.dynamic_left.set(left - 1);
            let scope = bindings.with(&iterator, iteration);
            let body = self.body_at(&content.body, file, content_span, &scope, depth + 1);
            fields.push(Field {
                key: name.into(),
                key_span: header,
                value: block_under(&conditions, body),
                is_block: true,
            });
        }
    }
}

/// The (key, value) pairs a `dynamic` block iterates over; one unknown pair when the collection
/// is not known.
fn elements_of(collection: Option<&Val>, header: Span) -> Vec<(Val, Val)> {
    match collection.map(|v| &v.kind) {
        Some(ValKind::List(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                (
                    Val::new(ValKind::Number(i.to_string().into()), item.span),
                    item.clone(),
                )
            })
            .collect(),
        Some(ValKind::Object(entries)) => entries
            .iter()
            .map(|f| {
                (
                    Val::new(ValKind::String(f.key.clone()), f.key_span),
                    f.value.clone(),
                )
            })
            .collect(),
        // Terraform rejects a null `for_each`, so a branch yielding null makes no block
        // (`var.x != null ? var.x : []` with `x` null: none in either branch).
        Some(ValKind::Null) => Vec::new(),
        _ => {
            let reason = collection
                .and_then(Val::unknown_reason)
                .unwrap_or(UnknownReason::Unsupported("a dynamic block's collection"));
            vec![(
                Val::unknown(reason.clone(), header),
                Val::unknown(reason, header),
            )]
        }
    }
}
