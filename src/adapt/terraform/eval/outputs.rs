//! `module.<name>.<output>` of a local module call: the output's `value`, evaluated in the called
//! module with the call's arguments, so `bucket = module.site.id` links to the module's bucket.
//! Remote modules, calls with `count`/`for_each`, cycles and calls past `MAX_DEPTH` stay unknown.

use std::cell::Cell;

use foldhash::HashMap;
use hcl_edit::expr::TraversalOperator;
use hcl_edit::structure::Block;

use super::{Bindings, Evaluator};
use crate::adapt::terraform::calls::{self, Library, MAX_DEPTH};
use crate::adapt::terraform::module::Module;
use crate::adapt::val::{Val, ValKind};
use crate::model::UnknownReason;
use crate::source::{FileId, Span};
use crate::text::Text;

/// Where an evaluator's module sits among the unit's modules, to follow its calls' outputs.
#[derive(Clone)]
pub struct CallScope<'a> {
    pub library: &'a dyn Library,
    pub module: usize,
    /// The modules from the root to this one.
    pub path: Vec<usize>,
    /// Output evaluations the unit may still do ([`calls::MAX_OUTPUT_EVALUATIONS`]).
    pub outputs_left: &'a Cell<usize>,
}

impl<'a> Evaluator<'a> {
    /// Lets `module.<name>.<output>` follow the local calls of `scope.module`.
    pub fn with_calls(mut self, scope: CallScope<'a>) -> Evaluator<'a> {
        self.calls = Some(scope);
        self
    }

    /// `module.<name>.<output>` followed by `operators` (`.attr`, `["key"]`), at `span`; `names`
    /// are the operators' attribute names.
    pub(super) fn module_output(
        &self,
        operators: &[hcl_edit::Decorated<TraversalOperator>],
        names: &[Option<&str>],
        file: FileId,
        bindings: &Bindings,
        span: Span,
        depth: usize,
    ) -> Val {
        let unknown = || Val::unknown(UnknownReason::Reference(self.source(span).into()), span);
        let (Some(Some(call)), Some(Some(output))) = (names.first(), names.get(1)) else {
            return unknown();
        };
        let key = format!("{call}.{output}");
        let cached = self.outputs.borrow().get(key.as_str()).cloned();
        let value = match cached {
            Some(value) => value,
            None => {
                let value = self.evaluate_output(call, output).unwrap_or_else(unknown);
                self.outputs.borrow_mut().insert(key.into(), value.clone());
                value
            }
        };
        if value.unknown_reason().is_some() {
            return Val { span, ..value };
        }
        if !self.copied.spend(value.weight()) {
            return Val::too_large(span);
        }
        let value = super::relocate(value, span);
        let rest = operators.get(2..).unwrap_or(&[]);
        self.walk(value, rest, file, bindings, span, depth)
    }

    /// The output's value in a fresh evaluator of the called module; `None` when the call or the
    /// output cannot be followed.
    fn evaluate_output(&self, call: &str, output: &str) -> Option<Val> {
        let scope = self.calls.as_ref()?;
        if scope.path.len() > MAX_DEPTH || scope.outputs_left.get() == 0 {
            return None;
        }
        scope.outputs_left.set(scope.outputs_left.get() - 1);
        let (call_file, block) = find_call(scope.library.files(scope.module), call)?;
        // One value stands for every instance only when there is a single one.
        if block.body.has_attribute("count") || block.body.has_attribute("for_each") {
            return None;
        }
        let source = calls::local_source(block)?;
        let callee = scope.library.resolve(scope.module, source)?;
        if scope.path.contains(&callee) {
            return None;
        }
        let files = scope.library.files(callee);
        let value = files.iter().find_map(|file| {
            file.body
                .get_blocks("output")
                .find(|b| b.labels.first().is_some_and(|l| l.as_str() == output))
                .and_then(|b| b.body.get_attribute("value"))
                .map(|attribute| (file.id, &attribute.value))
        });
        let (value_file, value) = value?;
        let inputs: HashMap<Text, Val> =
            calls::inputs(self, block, call_file, &Bindings::default());
        let module = Module::index(files, &[]);
        let texts = files.iter().map(|file| (file.id, &*file.text)).collect();
        let mut path = scope.path.clone();
        path.push(callee);
        let prefix: Text = format!("{}module.{call}.", self.prefix).into();
        let evaluator = Evaluator::new(&module, texts, None)
            .for_call(prefix, inputs)
            .with_calls(CallScope {
                library: scope.library,
                module: callee,
                path,
                outputs_left: scope.outputs_left,
            });
        // The callee's evaluation continues this one's depth budget.
        evaluator.depth.set(self.depth.get());
        let mut value = evaluator.eval(value, value_file, &Bindings::default());
        unlink_data_sources(
            &mut value,
            "a data source inside a called module",
            Some(Declaring::Callee(&evaluator.prefix)),
        );
        Some(value)
    }
}

/// Data sources are linked within their module instance (`data.x.y` carries no module prefix):
/// one crossing a module boundary (an output read by the caller, an input bound in the callee) is
/// unknown there, never the other module's data source of that name.
/// A policy document passed down to a callee or returned to a caller stays named as the
/// declaring instance's, for it to learn where the document is used.
pub(in crate::adapt::terraform) fn unlink_data_sources(
    value: &mut Val,
    reason: &'static str,
    declaring: Option<Declaring>,
) {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        if let ValKind::Link { target, .. } = &value.kind
            && target.starts_with("data.")
        {
            let reason = match declaring {
                Some(declaring) if target.starts_with("data.aws_iam_policy_document.") => {
                    let (instance, from_callee) = match declaring {
                        Declaring::Caller(prefix) => (prefix, false),
                        Declaring::Callee(prefix) => (prefix, true),
                    };
                    UnknownReason::ModuleDocument {
                        instance: instance.clone(),
                        target: target.clone(),
                        from_callee,
                    }
                }
                _ => UnknownReason::Unsupported(reason),
            };
            *value = Val::unknown(reason, value.span);
            continue;
        }
        value.push_children_mut(&mut pending);
    }
}

/// The module instance (its address prefix) declaring the data sources of a value crossing a
/// module boundary.
#[derive(Clone, Copy)]
pub(in crate::adapt::terraform) enum Declaring<'t> {
    /// The calling instance, for a module input.
    Caller(&'t Text),
    /// The called instance, for an output.
    Callee(&'t Text),
}

fn find_call<'f>(
    files: &'f [crate::adapt::terraform::module::TfFile],
    call: &str,
) -> Option<(FileId, &'f Block)> {
    files.iter().find_map(|file| {
        file.body
            .get_blocks("module")
            .find(|block| block.labels.first().is_some_and(|l| l.as_str() == call))
            .map(|block| (file.id, block))
    })
}
