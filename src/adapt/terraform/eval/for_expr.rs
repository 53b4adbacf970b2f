//! `for` expressions over a known collection (`[for r in var.rules : r.cidr]`,
//! `{ for k, v in var.rules : k => v if v.enabled }`): Terraform's iteration order (list order;
//! an object's keys sorted), the filter, and grouping (`...`). A collection, filter or key that is
//! not known leaves the whole result unknown: which elements exist is then not known.

use hcl_edit::expr::ForExpr;

use super::{Bindings, Evaluator, span_of};
use crate::adapt::val::{Field, Val, ValKind, as_bool};
use crate::model::UnknownReason;
use crate::source::{FileId, Span};
use crate::text::Text;

/// Elements one `for` expression iterates over at most.
const MAX_FOR_ELEMENTS: usize = 256;

/// Elements all `for` expressions of an evaluation iterate over at most: nested ones multiply
/// (four levels over 256 elements would be 4 billion), so past this the result is unknown.
pub(super) const MAX_FOR_ITERATIONS: usize = 50_000;

impl Evaluator<'_> {
    pub(super) fn for_expression(
        &self,
        expr: &ForExpr,
        file: FileId,
        bindings: &Bindings,
        span: Span,
        depth: usize,
    ) -> Val {
        let collection = self.eval_at(&expr.intro.collection_expr, file, bindings, depth);
        self.for_over(expr, collection, file, bindings, span, depth)
    }

    fn for_over(
        &self,
        expr: &ForExpr,
        collection: Val,
        file: FileId,
        bindings: &Bindings,
        span: Span,
        depth: usize,
    ) -> Val {
        let elements: Vec<(Val, Val)> = match collection.kind {
            ValKind::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(index, item)| {
                    let key = Val::new(ValKind::Number(index.to_string().into()), item.span);
                    (key, item)
                })
                .collect(),
            ValKind::Object(mut fields) => {
                fields.sort_by(|a, b| a.key.cmp(&b.key));
                fields
                    .into_iter()
                    .map(|field| {
                        let key = Val::new(ValKind::String(field.key), field.key_span);
                        (key, field.value)
                    })
                    .collect()
            }
            // Each branch's collection gives that branch's result.
            ValKind::Conditional {
                condition,
                when_true,
                when_false,
            } => {
                let when_true = self.for_over(expr, *when_true, file, bindings, span, depth);
                let when_false = self.for_over(expr, *when_false, file, bindings, span, depth);
                return Val::new(
                    ValKind::Conditional {
                        condition,
                        when_true: Box::new(when_true),
                        when_false: Box::new(when_false),
                    },
                    span,
                );
            }
            ValKind::Unknown(reason) => return Val::unknown(reason, span),
            _ => return unsupported(span),
        };
        let left = self.for_left.get();
        if elements.len() > MAX_FOR_ELEMENTS || elements.len() > left {
            self.for_left.set(0);
            return Val::too_large(span);
        }
        self.for_left.set(left - elements.len());
        let (key_name, value_name) = match &expr.intro.key_var {
            Some(key) => (Some(key.as_str()), expr.intro.value_var.as_str()),
            None => (None, expr.intro.value_var.as_str()),
        };
        let mut items: Vec<Val> = Vec::new();
        let mut fields: Vec<Field> = Vec::new();
        for (key, value) in elements {
            let mut scope = bindings.with(value_name, value);
            if let Some(name) = key_name {
                scope = scope.with(name, key);
            }
            if let Some(filter) = &expr.cond {
                let keep = self.eval_at(&filter.expr, file, &scope, depth);
                match as_bool(&keep) {
                    Some(true) => {}
                    Some(false) => continue,
                    None => return unknown_like(&keep, span),
                }
            }
            let value = self.eval_at(&expr.value_expr, file, &scope, depth);
            if !self.copied.spend(value.weight()) {
                return Val::too_large(span);
            }
            let Some(key_expr) = &expr.key_expr else {
                items.push(value);
                continue;
            };
            let key = self.eval_at(key_expr, file, &scope, depth);
            let Some(name) = key.scalar_text() else {
                return unknown_like(&key, span);
            };
            let name: Text = name.into();
            let key_span = span_of(file, key_expr);
            match fields.iter_mut().find(|field| field.key == name) {
                // Grouping collects every value of a key into a list.
                Some(field) if expr.grouping => {
                    if let ValKind::List(values) = &mut field.value.kind {
                        values.push(value);
                    }
                }
                // Terraform rejects a key produced twice without grouping.
                Some(_) => return unsupported(span),
                None => {
                    let value = match expr.grouping {
                        true => Val::new(ValKind::List(vec![value]), span),
                        false => value,
                    };
                    fields.push(Field {
                        key: name,
                        key_span,
                        value,
                        is_block: false,
                    });
                }
            }
        }
        match expr.key_expr {
            Some(_) => Val::new(ValKind::Object(fields), span),
            None => Val::new(ValKind::List(items), span),
        }
    }
}

fn unsupported(span: Span) -> Val {
    Val::unknown(UnknownReason::Unsupported("a `for` expression"), span)
}

/// The result of a `for` expression whose filter or key is `value`, not known: unknown for
/// the same reason.
fn unknown_like(value: &Val, span: Span) -> Val {
    match value.unknown_reason() {
        Some(reason) => Val::unknown(reason, span),
        None => unsupported(span),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use foldhash::HashMap;

    use super::*;
    use crate::adapt::terraform::module::{Module, TfFile};

    /// The value of `local.out` in a module made of `text`, written compactly: scalars as
    /// text, lists `[a,b]`, objects `{k=v,...}`, unknown `?`.
    fn out(text: &str) -> String {
        let files = [TfFile {
            id: FileId(0),
            text: Arc::from(text),
            body: crate::parse::hcl::parse_hcl(text, FileId(0)).expect("valid HCL"),
        }];
        let module = Module::index(&files, &[]);
        let texts = HashMap::from_iter([(FileId(0), text)]);
        let evaluator = Evaluator::new(&module, texts, None);
        let local = files[0]
            .body
            .get_blocks("locals")
            .find_map(|block| block.body.get_attribute("out"))
            .expect("local.out");
        compact(&evaluator.eval(&local.value, FileId(0), &Bindings::default()))
    }

    fn compact(value: &Val) -> String {
        match &value.kind {
            ValKind::List(items) => {
                let items: Vec<String> = items.iter().map(compact).collect();
                format!("[{}]", items.join(","))
            }
            ValKind::Object(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|field| format!("{}={}", field.key, compact(&field.value)))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }
            _ => value.scalar_text().unwrap_or_else(|| "?".into()),
        }
    }

    #[test]
    fn lists_keep_their_order_and_objects_iterate_by_sorted_key() {
        let text = r#"locals {
          out = [for i, v in ["b", "a"] : "${i}${v}"]
        }"#;
        assert_eq!(out(text), "[0b,1a]");
        let text = r#"locals {
          out = [for k, v in { z = 1, a = 2 } : "${k}${v}"]
        }"#;
        assert_eq!(out(text), "[a2,z1]");
    }

    #[test]
    fn filters_drop_elements_and_keys_build_objects() {
        let text = r#"locals {
          out = { for k, v in { ssh = 22, web = 443 } : k => v if v != 443 }
        }"#;
        assert_eq!(out(text), "{ssh=22}");
    }

    #[test]
    fn grouping_collects_the_values_of_a_repeated_key() {
        let text = r#"locals {
          out = { for v in ["a1", "a2", "b1"] : substr(v, 0, 1) => v... }
        }"#;
        // `substr` is not evaluated: the key is unknown, so the object is.
        assert_eq!(out(text), "?");
        let text = r#"locals {
          out = { for v in [["a", 1], ["a", 2], ["b", 3]] : v[0] => v[1]... }
        }"#;
        assert_eq!(out(text), "{a=[1,2],b=[3]}");
    }

    #[test]
    fn a_repeated_key_without_grouping_or_an_unknown_filter_is_unknown() {
        let text = r#"locals {
          out = { for v in ["a", "a"] : v => v }
        }"#;
        assert_eq!(out(text), "?");
        let text = r#"locals {
          out = [for v in ["a", "b"] : v if var.keep]
        }"#;
        assert_eq!(out(text), "?");
        let text = r#"locals {
          out = [for v in var.items : v]
        }"#;
        assert_eq!(out(text), "?");
    }
}
