//! Evaluates Terraform expressions into located values (RULES.md 2.2): literals, templates,
//! variables (tfvars, then default), locals, literal attributes of resources, a set of pure
//! functions, and conditionals under the branch policy. Everything else is explicitly unknown.

use crate::text::Text;
use foldhash::HashMap;
use std::cell::{Cell, RefCell};

use hcl_edit::expr::{Expression, TraversalOperator, UnaryOperator};
use hcl_edit::template::{Element, Template};

use super::module::Module;
use crate::adapt::cloudformation::intrinsics::template_val;
use crate::adapt::val::{CopyBudget, Field, Segment, Val, ValKind, as_bool};
use crate::model::UnknownReason;
use crate::parse::limits::MAX_EVAL_DEPTH;
use crate::source::{FileId, Span};

mod assumed;
mod blocks;
mod for_expr;
mod operators;
mod outputs;
pub mod template_file;
pub(super) use outputs::{Declaring, unlink_data_sources};

pub use outputs::CallScope;

pub use operators::is_literal;
use operators::{binary, unknown_from};

/// Names bound while evaluating: `each`, `count`, a `dynamic` block's iterator.
#[derive(Clone, Default)]
pub struct Bindings {
    names: Vec<(Text, Val)>,
    /// Conditions whose outcome the instance's existence requires: `count = c ? 1 : 0` makes no
    /// instance unless `c` holds, so inside it `c ? a : b` is `a`, as a CloudFormation
    /// resource's `Condition` decides its `Fn::If`s.
    assumed: assumed::Assumed,
}

impl Bindings {
    pub fn with(&self, name: &str, value: Val) -> Bindings {
        let mut bound = self.clone();
        bound.names.push((name.into(), value));
        bound
    }

    /// These bindings where `condition` (as written in the module being evaluated) has
    /// `outcome`.
    pub fn assuming(mut self, condition: &str, outcome: bool) -> Bindings {
        self.assumed.assume(condition, outcome);
        self
    }

    fn get(&self, name: &str) -> Option<&Val> {
        self.names
            .iter()
            .rev()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v)
    }
}

/// Reads a file named by `file()`/`templatefile()`, relative to the module directory.
pub type FileLoader<'a> = &'a dyn Fn(&str) -> Option<(FileId, std::sync::Arc<str>)>;

pub struct Evaluator<'a> {
    pub module: &'a Module<'a>,
    pub loader: Option<FileLoader<'a>>,
    /// Evaluated locals with their weight; `None` while one is being evaluated.
    locals: RefCell<HashMap<&'a str, Option<Shared>>>,
    texts: HashMap<FileId, &'a str>,
    /// Depth of the expression being evaluated, references followed included.
    depth: Cell<usize>,
    /// Dynamic block instances the body being evaluated may still expand.
    dynamic_left: Cell<usize>,
    /// Elements `for` expressions may still iterate over (`for_expr::MAX_FOR_ITERATIONS`).
    for_left: Cell<usize>,
    /// `data.template_file` texts rendered so far, by name; `None` while one is being rendered
    /// (a cycle) or when it cannot be.
    rendered: RefCell<HashMap<Text, Option<Val>>>,
    copied: CopyBudget,
    /// The module instance's address prefix (`module.a.`; empty at the root): resource links
    /// name the instance's resources.
    pub prefix: Text,
    /// Inputs a module call binds, already evaluated in the caller (`super::calls`), with
    /// their weight.
    inputs: HashMap<Text, Shared>,
    /// Variables evaluated so far (default or tfvars), with their weight: a module reads the
    /// same variable from many places, and a default can be a large map.
    variables: RefCell<HashMap<&'a str, Shared>>,
    /// The unit's modules, to evaluate the outputs of this module's local calls.
    calls: Option<CallScope<'a>>,
    /// Outputs of called modules evaluated so far, by `<call>.<output>`.
    outputs: RefCell<HashMap<Text, Val>>,
    /// Files `file()`/`templatefile()` read verbatim, so a policy parsed from their text keeps
    /// spans in them wherever the string travelled (a local, `jsondecode`).
    verbatim: RefCell<HashMap<FileId, std::sync::Arc<str>>>,
    /// Files read so far: a file's first read is free, each further one is charged (`load_file`).
    files_read: RefCell<foldhash::HashSet<FileId>>,
}

/// A value read from many places (a variable, a local, a module input) with its weight: each
/// use copies only the part it reaches (`var.rules[k][0]` copies one number, not the map).
type Shared = (std::rc::Rc<Val>, usize);

/// A traversal past what a known value holds: Terraform rejects that, unless the attribute is an
/// `optional()` one of the variable's type, whose default is not read here.
pub(super) const MISSING_PART: UnknownReason =
    UnknownReason::Unsupported("the default of an attribute the value lacks");

/// Where a traversal's operators lead inside a value.
enum Reached<'v> {
    Part(&'v Val),
    /// An unknown value on the way: the whole traversal is that unknown.
    Unknown(&'v Val),
    /// A key, index or splat that cannot be followed.
    Nothing,
    /// An index not known offline.
    UnknownIndex(UnknownReason),
}

/// Why a `file()`/`templatefile()` value is unknown when no file of the unit could be read at
/// its path (missing, outside the scanned tree, over the size limit).
pub(super) const UNREADABLE_FILE: UnknownReason =
    UnknownReason::Unsupported("a file that could not be read");

/// What `file()`/`templatefile()` found at a path.
pub enum Loaded {
    Text(FileId, std::sync::Arc<str>),
    /// No loader, or no readable file of the unit at that path.
    Missing,
    /// Read again once the unit's copy budget is spent.
    OverBudget,
}

/// Largest local value kept (nodes plus string bytes / 16): `concat(local.a, local.a)` chains
/// double at each step.
const MAX_VALUE_WEIGHT: usize = 200_000;

/// A value kept for later uses (a local, a module input) with its weight: unknown past
/// [`MAX_VALUE_WEIGHT`].
pub(super) fn capped(value: Val) -> (Val, usize) {
    let weight = value.weight();
    if weight > MAX_VALUE_WEIGHT {
        let value = Val::too_large(value.span);
        let weight = value.weight();
        return (value, weight);
    }
    (value, weight)
}

/// Dynamic block instances expanded per resource body: nested `dynamic` blocks multiply, so
/// without a budget twelve levels over ten elements would be 10^12 blocks.
const MAX_DYNAMIC_BLOCKS: usize = 1_000;

fn span_of(file: FileId, node: &impl hcl_edit::Span) -> Span {
    node.span()
        .map_or(Span::new(file, 0, 0), |r| Span::new(file, r.start, r.end))
}

impl<'a> Evaluator<'a> {
    pub fn new(
        module: &'a Module<'a>,
        texts: HashMap<FileId, &'a str>,
        loader: Option<FileLoader<'a>>,
    ) -> Evaluator<'a> {
        Evaluator {
            module,
            loader,
            locals: RefCell::new(HashMap::default()),
            texts,
            depth: Cell::new(0),
            dynamic_left: Cell::new(MAX_DYNAMIC_BLOCKS),
            for_left: Cell::new(for_expr::MAX_FOR_ITERATIONS),
            rendered: RefCell::new(HashMap::default()),
            copied: CopyBudget::default(),
            prefix: "".into(),
            inputs: HashMap::default(),
            variables: RefCell::new(HashMap::default()),
            calls: None,
            outputs: RefCell::new(HashMap::default()),
            verbatim: RefCell::new(HashMap::default()),
            files_read: RefCell::new(foldhash::HashSet::default()),
        }
    }

    /// The evaluator of a called module instance: addresses under `prefix`, variables bound
    /// from `inputs` before their defaults.
    pub fn for_call(mut self, prefix: Text, inputs: HashMap<Text, Val>) -> Evaluator<'a> {
        self.prefix = prefix;
        self.inputs = inputs
            .into_iter()
            .map(|(name, value)| {
                let weight = value.weight();
                (name, (std::rc::Rc::new(value), weight))
            })
            .collect();
        self
    }

    /// The value a module call binds to the input `name`, as evaluated in the caller.
    pub fn input(&self, name: &str) -> Option<&Val> {
        self.inputs.get(name).map(|(value, _)| &**value)
    }

    /// The values the call binds to the module's variables.
    pub fn inputs(&self) -> impl Iterator<Item = &Val> {
        self.inputs.values().map(|(value, _)| &**value)
    }

    /// The whole text of one of the module's files.
    pub fn file_text(&self, file: FileId) -> &str {
        self.texts.get(&file).copied().unwrap_or("")
    }

    /// Source text under a span, for conditions named in messages.
    pub fn source(&self, span: Span) -> &str {
        self.texts
            .get(&span.file)
            .and_then(|text| text.get(span.range()))
            .unwrap_or("")
    }

    /// Evaluates an expression. Following a reference (a local, a variable, another resource's
    /// attribute) evaluates its definition from inside the expression being evaluated, so the
    /// depth carries on from there: a chain of 20,000 locals must not overflow the stack.
    pub fn eval(&self, expr: &Expression, file: FileId, bindings: &Bindings) -> Val {
        self.eval_at(expr, file, bindings, self.depth.get() + 1)
    }

    fn eval_at(&self, expr: &Expression, file: FileId, bindings: &Bindings, depth: usize) -> Val {
        let outer = self.depth.replace(depth);
        let value = self.eval_expression(expr, file, bindings, depth);
        self.depth.set(outer);
        value
    }

    fn eval_expression(
        &self,
        expr: &Expression,
        file: FileId,
        bindings: &Bindings,
        depth: usize,
    ) -> Val {
        let span = span_of(file, expr);
        if depth > MAX_EVAL_DEPTH {
            return Val::unknown(
                UnknownReason::Unsupported("a too deeply nested expression"),
                span,
            );
        }
        let next = depth + 1;
        match expr {
            Expression::Null(_) => Val::new(ValKind::Null, span),
            Expression::Bool(b) => Val::new(ValKind::Bool(*b.value()), span),
            Expression::Number(n) => Val::new(ValKind::Number(n.value().to_string().into()), span),
            Expression::String(s) => Val::new(ValKind::String(s.value().as_str().into()), span),
            Expression::Array(array) => Val::new(
                ValKind::List(
                    array
                        .iter()
                        .map(|e| self.eval_at(e, file, bindings, next))
                        .collect(),
                ),
                span,
            ),
            Expression::Object(object) => {
                let fields = object
                    .iter()
                    .map(|(key, value)| {
                        let key_span = span_of(file, key);
                        let name: Text = match key {
                            hcl_edit::expr::ObjectKey::Ident(ident) => ident.as_str().into(),
                            hcl_edit::expr::ObjectKey::Expression(expr) => {
                                match self.eval_at(expr, file, bindings, next).scalar_text() {
                                    Some(text) => text.into(),
                                    None => self.source(key_span).into(),
                                }
                            }
                        };
                        Field {
                            key: name,
                            key_span,
                            value: self.eval_at(value.expr(), file, bindings, next),
                            is_block: false,
                        }
                    })
                    .collect();
                Val::new(ValKind::Object(fields), span)
            }
            Expression::StringTemplate(template) => {
                self.template(template, file, bindings, span, next)
            }
            Expression::HeredocTemplate(heredoc) => {
                self.template(&heredoc.template, file, bindings, span, next)
            }
            Expression::Parenthesis(inner) => Val {
                span,
                ..self.eval_at(inner.inner(), file, bindings, next)
            },
            Expression::Variable(name) => match bindings.get(name.as_str()) {
                Some(value) => relocate(value.clone(), span),
                None => Val::unknown(UnknownReason::Reference(name.as_str().into()), span),
            },
            Expression::Conditional(cond) => {
                // The parsed condition, not its text: nothing to parse again.
                match bindings
                    .assumed
                    .decide_parsed(&cond.cond_expr, self.file_text(file))
                {
                    Some(true) => return self.eval_at(&cond.true_expr, file, bindings, next),
                    Some(false) => return self.eval_at(&cond.false_expr, file, bindings, next),
                    None => {}
                }
                let written = assumed::one_line(self.source(span_of(file, &cond.cond_expr)));
                let condition = self.eval_at(&cond.cond_expr, file, bindings, next);
                let when_true = self.eval_at(&cond.true_expr, file, bindings, next);
                let when_false = self.eval_at(&cond.false_expr, file, bindings, next);
                match (is_literal(&cond.cond_expr), as_bool(&condition)) {
                    (true, Some(true)) => when_true,
                    (true, Some(false)) => when_false,
                    _ => Val::new(
                        ValKind::Conditional {
                            condition: written.into(),
                            when_true: Box::new(when_true),
                            when_false: Box::new(when_false),
                        },
                        span,
                    ),
                }
            }
            Expression::FuncCall(call) => self.call(call, file, bindings, span, next),
            Expression::Traversal(traversal) => {
                // `encrypted = var.on` where the instance exists only when `var.on` holds.
                let assumed = (!bindings.assumed.is_empty())
                    .then(|| bindings.assumed.fact(&assumed::squeeze(self.source(span))))
                    .flatten();
                match assumed {
                    Some(outcome) => Val::new(ValKind::Bool(outcome), span),
                    None => self.traversal(traversal, file, bindings, span, next),
                }
            }
            Expression::UnaryOp(op) => {
                let value = self.eval_at(&op.expr, file, bindings, next);
                match (op.operator.value(), &value.kind) {
                    (UnaryOperator::Not, _) => match as_bool(&value) {
                        Some(b) => Val::new(ValKind::Bool(!b), span),
                        None => unknown_from(&value, span, "an operator"),
                    },
                    (UnaryOperator::Neg, ValKind::Number(n)) => {
                        Val::new(ValKind::Number(format!("-{n}").into()), span)
                    }
                    (UnaryOperator::Neg, _) => unknown_from(&value, span, "an operator"),
                }
            }
            Expression::BinaryOp(op) => {
                let lhs = self.eval_at(&op.lhs_expr, file, bindings, next);
                let rhs = self.eval_at(&op.rhs_expr, file, bindings, next);
                binary(*op.operator.value(), &lhs, &rhs, span)
            }
            Expression::ForExpr(for_expr) => {
                self.for_expression(for_expr, file, bindings, span, next)
            }
        }
    }

    fn template(
        &self,
        template: &Template,
        file: FileId,
        bindings: &Bindings,
        span: Span,
        depth: usize,
    ) -> Val {
        // `"${x}"` is `x` itself, whatever its type.
        if let Some(Element::Interpolation(only)) = template.as_single_element() {
            return Val {
                span,
                ..self.eval_at(&only.expr, file, bindings, depth)
            };
        }
        let mut segments = Vec::new();
        for element in template.iter() {
            match element {
                Element::Literal(text) => {
                    segments.push(Segment::Text(text.value().as_str().into()))
                }
                Element::Interpolation(interpolation) => {
                    let value = self.eval_at(&interpolation.expr, file, bindings, depth);
                    match value.scalar_text() {
                        Some(text) => segments.push(Segment::Text(text.into())),
                        None => {
                            segments.push(Segment::Unknown(value.unknown_reason().unwrap_or(
                                UnknownReason::Unsupported("a non-string interpolation"),
                            )))
                        }
                    }
                }
                Element::Directive(_) => segments.push(Segment::Unknown(
                    UnknownReason::Unsupported("a template directive"),
                )),
            }
        }
        let mut val = template_val(merge_text(segments), span);
        if let ValKind::Template(_) = val.kind {
            val.defined_at = None;
        }
        val
    }

    fn traversal(
        &self,
        traversal: &hcl_edit::expr::Traversal,
        file: FileId,
        bindings: &Bindings,
        span: Span,
        depth: usize,
    ) -> Val {
        let Expression::Variable(root) = &traversal.expr else {
            let base = self.eval_at(&traversal.expr, file, bindings, depth);
            return self.walk(base, &traversal.operators, file, bindings, span, depth);
        };
        let root = root.as_str();
        let names: Vec<Option<&str>> = traversal
            .operators
            .iter()
            .map(|op| match op.value() {
                TraversalOperator::GetAttr(ident) => Some(ident.as_str()),
                _ => None,
            })
            .collect();
        let first = names.first().copied().flatten();
        match root {
            "var" | "local" => {
                let Some(name) = first else {
                    return Val::unknown(UnknownReason::Reference(root.into()), span);
                };
                let shared = if root == "var" {
                    self.variable(name, span)
                } else {
                    self.local(name, span)
                };
                match shared {
                    Ok(shared) => {
                        let rest = traversal.operators.get(1..).unwrap_or(&[]);
                        let value = self.copy_reached(&shared, rest, file, bindings, span, depth);
                        self.settle_assumed(value, bindings)
                    }
                    Err(value) => value,
                }
            }
            "path" => Val::new(ValKind::String(".".into()), span),
            // A `dynamic` block's iterator (`ingress.value.port`) shadows resource types.
            name if bindings.get(name).is_some() => match bindings.get(name) {
                Some(value) => {
                    let value = relocate(value.clone(), span);
                    self.walk(value, &traversal.operators, file, bindings, span, depth)
                }
                None => Val::unknown(UnknownReason::Reference(self.source(span).into()), span),
            },
            // `resource.type.name.attr` is Terraform's spelling of `type.name.attr` that no
            // future reserved word can shadow.
            "resource" if traversal.operators.len() >= 2 => match first {
                Some(resource_type) => {
                    let unprefixed = hcl_edit::expr::Traversal::new(
                        Expression::Variable(hcl_edit::Ident::new(resource_type).into()),
                        traversal.operators.get(1..).unwrap_or(&[]).to_vec(),
                    );
                    self.resource_attribute(resource_type, &unprefixed, file, bindings, span, depth)
                }
                None => Val::unknown(UnknownReason::Reference(self.source(span).into()), span),
            },
            "module" if bindings.get(root).is_none() => {
                self.module_output(&traversal.operators, &names, file, bindings, span, depth)
            }
            "count" | "each" | "self" | "module" | "terraform" => match bindings.get(root) {
                Some(value) => {
                    let value = relocate(value.clone(), span);
                    self.walk(value, &traversal.operators, file, bindings, span, depth)
                }
                None => Val::unknown(UnknownReason::Reference(self.source(span).into()), span),
            },
            "data" => {
                let (Some(Some(kind)), Some(Some(name))) = (names.first(), names.get(1)) else {
                    return Val::unknown(UnknownReason::Reference(self.source(span).into()), span);
                };
                // The attribute after any index or splat: `data.t.n[0].json`, `data.t.n[*].json`.
                let attribute = names.iter().skip(2).flatten().next().copied().unwrap_or("");
                if *kind == "template_file"
                    && attribute == "rendered"
                    && names.len() == 3
                    && let Some(rendered) = self.template_file_rendered(name, span)
                {
                    return rendered;
                }
                if self.module.data_source(kind, name).is_some()
                    && *kind == "aws_iam_policy_document"
                {
                    let link = Val::new(
                        ValKind::Link {
                            target: format!("data.{kind}.{name}").into(),
                            attribute: attribute.into(),
                        },
                        span,
                    );
                    // A splat is a list of the instances' documents, one element standing for them.
                    return match splat_at(traversal, 2) {
                        true => Val::new(ValKind::List(vec![link]), span),
                        false => link,
                    };
                }
                Val::unknown(UnknownReason::Reference(self.source(span).into()), span)
            }
            resource_type => {
                self.resource_attribute(resource_type, traversal, file, bindings, span, depth)
            }
        }
    }

    /// `type.name.attr` (with any `[index]` after the name): a literal attribute of a resource in
    /// the module, or a link to it (to the instance a Known index names: `type.name["k"]`).
    fn resource_attribute(
        &self,
        resource_type: &str,
        traversal: &hcl_edit::expr::Traversal,
        file: FileId,
        bindings: &Bindings,
        span: Span,
        depth: usize,
    ) -> Val {
        let mut attrs = traversal
            .operators
            .iter()
            .filter_map(|op| match op.value() {
                TraversalOperator::GetAttr(ident) => Some(ident.as_str()),
                _ => None,
            });
        let (Some(name), attribute) = (attrs.next(), attrs.next()) else {
            return Val::unknown(UnknownReason::Reference(self.source(span).into()), span);
        };
        let Some(target) = self.module.resource(resource_type, name) else {
            return Val::unknown(UnknownReason::Reference(self.source(span).into()), span);
        };
        let attribute = attribute.unwrap_or("");
        // `type.name[*].attr`: a list of the instances' attribute, one element standing for them.
        let listed = |value: Val| match splat_at(traversal, 1) {
            true => Val::new(ValKind::List(vec![value]), span),
            false => value,
        };
        if let Some(attr) = target.block.body.get_attribute(attribute)
            && is_literal(&attr.value)
        {
            let value = self.eval(&attr.value, target.file, &Bindings::default());
            if value.scalar_text().is_some() {
                return listed(relocate(value, span));
            }
        }
        let instance = match traversal.operators.get(1).map(|op| op.value()) {
            Some(TraversalOperator::Index(index)) => {
                super::instances::index_suffix(&self.eval_at(index, file, bindings, depth + 1))
            }
            Some(TraversalOperator::LegacyIndex(index)) => Some(format!("[{}]", index.value())),
            _ => None,
        };
        listed(Val::new(
            ValKind::Link {
                target: format!(
                    "{}{resource_type}.{name}{}",
                    self.prefix,
                    instance.unwrap_or_default()
                )
                .into(),
                attribute: attribute.into(),
            },
            span,
        ))
    }

    /// The part of a value the operators reach, the value itself kept where it was written.
    fn walk(
        &self,
        value: Val,
        operators: &[hcl_edit::Decorated<TraversalOperator>],
        file: FileId,
        bindings: &Bindings,
        span: Span,
        depth: usize,
    ) -> Val {
        if operators.is_empty() {
            return value;
        }
        match self.reach(&value, operators, file, bindings, depth) {
            Reached::Part(part) => part.clone(),
            Reached::Unknown(unknown) => Val {
                span,
                ..unknown.clone()
            },
            Reached::Nothing => Val::unknown(MISSING_PART, span),
            Reached::UnknownIndex(reason) => Val::unknown(reason, span),
        }
    }

    /// The part of a shared value the operators reach, copied to the use site `span` and
    /// charged to the copy budget.
    fn copy_reached(
        &self,
        (value, weight): &Shared,
        operators: &[hcl_edit::Decorated<TraversalOperator>],
        file: FileId,
        bindings: &Bindings,
        span: Span,
        depth: usize,
    ) -> Val {
        let part = match self.reach(value, operators, file, bindings, depth) {
            Reached::Part(part) => part,
            Reached::Unknown(unknown) => {
                return Val {
                    span,
                    ..relocate(unknown.clone(), span)
                };
            }
            Reached::Nothing => return Val::unknown(MISSING_PART, span),
            Reached::UnknownIndex(reason) => return Val::unknown(reason, span),
        };
        let weight = match operators.is_empty() {
            true => *weight,
            false => part.weight(),
        };
        match self.copied.spend(weight) {
            true => relocate(part.clone(), span),
            false => Val::too_large(span),
        }
    }

    fn reach<'v>(
        &self,
        mut value: &'v Val,
        operators: &[hcl_edit::Decorated<TraversalOperator>],
        file: FileId,
        bindings: &Bindings,
        depth: usize,
    ) -> Reached<'v> {
        for op in operators {
            if value.unknown_reason().is_some() {
                return Reached::Unknown(value);
            }
            let next = match op.value() {
                TraversalOperator::GetAttr(ident) => value.get(ident.as_str()),
                TraversalOperator::Index(index) => {
                    let index = self.eval_at(index, file, bindings, depth + 1);
                    if let Some(reason) = index.unknown_reason() {
                        return Reached::UnknownIndex(reason);
                    }
                    match (
                        &value.kind,
                        crate::adapt::val::as_integer(&index),
                        index.scalar_text(),
                    ) {
                        (ValKind::List(items), Some(i), _) => {
                            usize::try_from(i).ok().and_then(|i| items.get(i))
                        }
                        (ValKind::Object(_), _, Some(key)) => value.get(&key),
                        _ => None,
                    }
                }
                TraversalOperator::LegacyIndex(i) => match &value.kind {
                    ValKind::List(items) => {
                        usize::try_from(*i.value()).ok().and_then(|i| items.get(i))
                    }
                    _ => None,
                },
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => None,
            };
            match next {
                Some(next) => value = next,
                None => return Reached::Nothing,
            }
        }
        Reached::Part(value)
    }

    /// `var.name`: the module call's argument, tfvars, then the default, given the defaults of
    /// its type's optional attributes; `Err` with the value to use when there is none to share
    /// (unknown).
    fn variable(&self, name: &str, use_site: Span) -> Result<Shared, Val> {
        let typed = self.module.variable_types.get_key_value(name);
        let key: Option<&'a str> = typed.map(|(key, _)| *key).or_else(|| {
            self.module
                .variables
                .get_key_value(name)
                .map(|(key, _)| *key)
        });
        if let Some(cached) = key.and_then(|key| self.variables.borrow().get(key).cloned()) {
            return Ok(cached);
        }
        let value = match self.inputs.get(name) {
            Some(bound) if typed.is_none() => return Ok(bound.clone()),
            Some((bound, _)) => (**bound).clone(),
            None => {
                if let Some(file) = self.module.unreadable_tfvars {
                    let reason = UnknownReason::UnreadableVariables {
                        variable: name.into(),
                        file: file.into(),
                    };
                    return Err(Val::unknown(reason, use_site));
                }
                let Some(located) = self.module.variables.get(name) else {
                    return Err(Val::unknown(UnknownReason::Variable(name.into()), use_site));
                };
                // A default refers to nothing, so evaluating it cannot come back here.
                self.eval(located.item, located.file, &Bindings::default())
            }
        };
        let value = match typed {
            Some((_, ty)) => super::types::with_optional_defaults(value, ty.item, &|default| {
                self.eval(default, ty.file, &Bindings::default())
            }),
            None => value,
        };
        let weight = value.weight();
        let shared = (std::rc::Rc::new(value), weight);
        if let Some(key) = key {
            self.variables.borrow_mut().insert(key, shared.clone());
        }
        Ok(shared)
    }

    fn local(&self, name: &str, use_site: Span) -> Result<Shared, Val> {
        let unknown = || {
            Val::unknown(
                UnknownReason::Reference(format!("local.{name}").into()),
                use_site,
            )
        };
        let Some((&key, located)) = self.module.locals.get_key_value(name) else {
            return Err(unknown());
        };
        if let Some(cached) = self.locals.borrow().get(key) {
            return match cached {
                Some(shared) => Ok(shared.clone()),
                None => Err(Val::unknown(
                    UnknownReason::Unsupported("a local that refers to itself"),
                    use_site,
                )),
            };
        }
        self.locals.borrow_mut().insert(key, None);
        // Locals evaluated one after another can each wrap (or double) the previous one's value.
        let (mut value, mut weight) =
            capped(self.eval(located.item, located.file, &Bindings::default()));
        if value.depth() > MAX_EVAL_DEPTH {
            value = Val::unknown(
                UnknownReason::Unsupported("a too deeply nested value"),
                value.span,
            );
            weight = value.weight();
        }
        let shared = (std::rc::Rc::new(value), weight);
        self.locals.borrow_mut().insert(key, Some(shared.clone()));
        Ok(shared)
    }

    /// A local (evaluated once for the whole module) read inside an instance whose existence
    /// fixes conditions: its conditionals on them, written in this module, take that branch
    /// here. A value a caller bound to an input was written in the caller, where the same text
    /// names other variables, and stays as it is.
    fn settle_assumed(&self, mut value: Val, bindings: &Bindings) -> Val {
        if bindings.assumed.is_empty() {
            return value;
        }
        let mut stack = vec![&mut value];
        while let Some(node) = stack.pop() {
            loop {
                let outcome = match &node.kind {
                    ValKind::Conditional { condition, .. }
                        if self.module.declares(origin(node).file) =>
                    {
                        bindings.assumed.decide(condition)
                    }
                    _ => None,
                };
                let Some(outcome) = outcome else { break };
                let kind = std::mem::replace(&mut node.kind, ValKind::Null);
                let ValKind::Conditional {
                    when_true,
                    when_false,
                    ..
                } = kind
                else {
                    break;
                };
                *node = if outcome { *when_true } else { *when_false };
            }
            node.push_children_mut(&mut stack);
        }
        value
    }

    fn call(
        &self,
        call: &hcl_edit::expr::FuncCall,
        file: FileId,
        bindings: &Bindings,
        span: Span,
        depth: usize,
    ) -> Val {
        let name = call.name.name.as_str();
        let args: Vec<Val> = call
            .args
            .iter()
            .map(|a| self.eval_at(a, file, bindings, depth))
            .collect();
        match name {
            "file" | "templatefile" => self.read_file(name, &args, span),
            "jsondecode" => match args.first().and_then(|text| self.verbatim_file(text)) {
                Some((id, text)) => json_in_file(id, &text)
                    .unwrap_or_else(|| super::functions::call(name, args, span)),
                None => super::functions::call(name, args, span),
            },
            _ => super::functions::call(name, args, span),
        }
    }

    /// `file(path)` and `templatefile(path, vars)` (RULES.md 2.2), read relative to the module. A
    /// text read verbatim is a string spanning its whole file; a rendered one is at the call.
    fn read_file(&self, name: &str, args: &[Val], span: Span) -> Val {
        if let (Some(path), "templatefile") = (args.first(), name) {
            let render = |vars: &Val| -> Result<Val, ()> {
                Ok(self.read_file(name, &[path.clone(), vars.clone()], span))
            };
            if let Some(Ok(branches)) = templatefile_branches(args.get(1), span, &render) {
                return branches;
            }
        }
        let unknown = || Val::unknown(UNREADABLE_FILE, span);
        let path = args.first();
        if let Some(reason) = path.and_then(Val::unknown_reason) {
            return Val::unknown(reason, span);
        }
        let Some(path) = path.and_then(Val::scalar_text) else {
            return unknown();
        };
        let (id, text) = match self.load_file(&path) {
            Loaded::Text(id, text) => (id, text),
            Loaded::Missing => return unknown(),
            Loaded::OverBudget => return Val::too_large(span),
        };
        let kind = match name {
            "templatefile" => {
                let resolve = |name: &str| template_variable(args.get(1), name);
                crate::adapt::val::rendered_template(&text, &resolve)
            }
            _ => ValKind::String(text.as_ref().into()),
        };
        if matches!(&kind, ValKind::String(rendered) if **rendered == *text) {
            let whole = Span::new(id, 0, text.len());
            self.verbatim.borrow_mut().insert(id, text);
            return Val::new(kind, whole);
        }
        Val::new(kind, span)
    }

    /// A file named by `file()`/`templatefile()`. Each use is parsed and modelled anew, so every
    /// read after a file's first is charged to the copy budget like a copied value: a 3 MB
    /// policy file named by 300 resources took 11 GB before.
    pub fn load_file(&self, path: &str) -> Loaded {
        let Some((id, text)) = self.loader.and_then(|load| load(path)) else {
            return Loaded::Missing;
        };
        let first = self.files_read.borrow_mut().insert(id);
        // A JSON text's value tree weighs about a node per 8 bytes (`Val::weight`).
        if !first && !self.copied.spend(text.len() / 8 + 1) {
            return Loaded::OverBudget;
        }
        Loaded::Text(id, text)
    }

    /// The file a string is the whole verbatim text of (read by `file()`), with that text: JSON
    /// parsed from it gets spans in the file rather than at the use site.
    pub fn verbatim_file(&self, value: &Val) -> Option<(FileId, std::sync::Arc<str>)> {
        let ValKind::String(string) = &value.kind else {
            return None;
        };
        let origin = value.defined_at.unwrap_or(value.span);
        let verbatim = self.verbatim.borrow();
        let text = verbatim.get(&origin.file)?;
        let whole = origin.start == 0 && usize::try_from(origin.end).ok() == Some(text.len());
        (whole && **string == **text).then(|| (origin.file, text.clone()))
    }
}

/// Renders double with each variable a condition chooses: beyond this many, they stay unknown.
const MAX_CONDITIONAL_TEMPLATE_VARIABLES: usize = 4;

/// A `templatefile` call whose variables `vars` hold one chosen by a condition not known offline
/// (`{ action = var.admin ? "*" : "s3:GetObject" }`): what `render` makes of the variables of
/// each branch, as that conditional (RULES.md 2.4); the first error of a branch. `None` when no
/// variable is chosen so, or too many are (each is then unknown).
pub fn templatefile_branches<E>(
    vars: Option<&Val>,
    span: Span,
    render: &dyn Fn(&Val) -> Result<Val, E>,
) -> Option<Result<Val, E>> {
    let vars = vars?;
    let ValKind::Object(fields) = &vars.kind else {
        return None;
    };
    let is_conditional = |field: &Field| matches!(field.value.kind, ValKind::Conditional { .. });
    let conditional = fields.iter().filter(|field| is_conditional(field)).count();
    if conditional > MAX_CONDITIONAL_TEMPLATE_VARIABLES {
        return None;
    }
    let at = fields.iter().position(is_conditional)?;
    let ValKind::Conditional {
        condition,
        when_true,
        when_false,
    } = &fields.get(at)?.value.kind
    else {
        return None;
    };
    // The branch in place of the conditional; a conditional left in it or in another variable
    // is split in turn.
    let branch = |value: &Val| {
        let mut fields = fields.clone();
        if let Some(field) = fields.get_mut(at) {
            field.value = value.clone();
        }
        let vars = Val {
            kind: ValKind::Object(fields),
            ..vars.clone()
        };
        templatefile_branches(Some(&vars), span, render).unwrap_or_else(|| render(&vars))
    };
    let when_true = match branch(when_true) {
        Ok(value) => value,
        Err(error) => return Some(Err(error)),
    };
    let when_false = match branch(when_false) {
        Ok(value) => value,
        Err(error) => return Some(Err(error)),
    };
    Some(Ok(Val::new(
        ValKind::Conditional {
            condition: condition.clone(),
            when_true: Box::new(when_true),
            when_false: Box::new(when_false),
        },
        span,
    )))
}

/// The text a `templatefile` placeholder `${name}` takes from the call's variables `vars`.
/// A placeholder that is no variable of the call (Terraform rejects the call) is unknown.
pub fn template_variable(vars: Option<&Val>, name: &str) -> Result<Text, UnknownReason> {
    let missing = || UnknownReason::Unsupported("a template variable the call does not pass");
    let vars = vars.ok_or_else(missing)?;
    if let Some(reason) = vars.unknown_reason() {
        return Err(reason);
    }
    let field = vars.get(name).ok_or_else(missing)?;
    if let Some(reason) = field.unknown_reason() {
        return Err(reason);
    }
    let not_text = || UnknownReason::Unsupported("a template variable that is not a string");
    field.scalar_text().map(Into::into).ok_or_else(not_text)
}

/// The JSON text of a whole file as a value with spans in that file; `None` when it is not JSON.
pub fn json_in_file(file: FileId, text: &str) -> Option<Val> {
    json_in_file_with(file, text, &|string| ValKind::String(string.into()))
}

/// As `json_in_file`, each string read through `string` (`templatefile` placeholders).
pub fn json_in_file_with(
    file: FileId,
    text: &str,
    string: &dyn Fn(&str) -> ValKind,
) -> Option<Val> {
    let parsed = crate::parse::json::parse_json(text, file, 0);
    parsed
        .root
        .filter(|_| parsed.errors.is_empty())
        .map(|root| crate::adapt::val::from_node_with(&root, string))
}

/// A `templatefile` JSON text as a value with spans in its file (RULES.md 2.6): a placeholder
/// inside a JSON string is rendered (`val::rendered_template`), one outside strings is an
/// Unknown node, unknown for the reason its variable is (`resolve`) or, known, because such a
/// placeholder is not evaluated. `None` when it is not JSON.
pub fn template_json_in_file(
    file: FileId,
    text: &str,
    resolve: &dyn Fn(&str) -> Result<Text, UnknownReason>,
) -> Option<Val> {
    let string = |string: &str| match string.strip_prefix(crate::adapt::embedded::UNKNOWN_MARK) {
        Some("") => ValKind::Unknown(UnknownReason::Unsupported(
            "a template expression other than a variable",
        )),
        Some(name) => ValKind::Unknown(resolve(name).err().unwrap_or(UnknownReason::Unsupported(
            "a template placeholder outside a JSON string",
        ))),
        None => crate::adapt::val::rendered_template(string, resolve),
    };
    let Some((json, offsets)) = crate::adapt::embedded::template_placeholders_as_nodes(text) else {
        return json_in_file_with(file, text, &string);
    };
    let map = crate::adapt::embedded::OffsetMap::Table(offsets);
    let parsed = crate::adapt::embedded::parse_mapped_json(&json, file, &map);
    parsed
        .root
        .filter(|_| parsed.errors.is_empty())
        .map(|root| crate::adapt::val::from_node_with(&root, &string))
}

/// Whether the traversal's operator at `at` is a splat (`[*]` or `.*`).
fn splat_at(traversal: &hcl_edit::expr::Traversal, at: usize) -> bool {
    traversal.operators.get(at).is_some_and(|op| {
        matches!(
            op.value(),
            TraversalOperator::FullSplat(_) | TraversalOperator::AttrSplat(_)
        )
    })
}

/// Moves a value defined elsewhere to its use site, keeping where each part was written.
/// Where a value was written: its definition when it was read through a name, else where it is.
pub fn origin(value: &Val) -> Span {
    value.defined_at.unwrap_or(value.span)
}

pub fn relocate(mut value: Val, use_site: Span) -> Val {
    let mut stack = vec![&mut value];
    while let Some(val) = stack.pop() {
        if val.span != use_site {
            val.defined_at = val.defined_at.or(Some(val.span));
            val.span = use_site;
        }
        if let ValKind::Object(fields) = &mut val.kind {
            // Keys move with their values: a key left at the definition would stretch the span
            // of a relocated attribute from the definition to the use site.
            for field in fields.iter_mut() {
                field.key_span = use_site;
            }
        }
        val.push_children_mut(&mut stack);
    }
    value
}

fn merge_text(segments: Vec<Segment>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::with_capacity(segments.len());
    for segment in segments {
        match (out.last_mut(), segment) {
            (Some(Segment::Text(last)), Segment::Text(text)) => {
                *last = format!("{last}{text}").into();
            }
            (_, segment) => out.push(segment),
        }
    }
    out
}

/// The span of an expression in `file`.
pub fn span_of_expr(file: FileId, expr: &Expression) -> Span {
    span_of(file, expr)
}
