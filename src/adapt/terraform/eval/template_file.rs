//! `data "template_file"` (the deprecated template provider, common in older configurations):
//! its `rendered` is its `template` (or the file `filename` names) rendered with its `vars`,
//! as `templatefile()` renders (RULES.md 2.2), so a policy built that way is checked rather
//! than left unknown. One with `count`/`for_each`, or whose text is not known, stays unknown.

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::template::Element;

use super::{Bindings, Evaluator, template_variable};
use crate::adapt::val::{Val, ValKind, rendered_template};
use crate::source::Span;

/// What a `template_file` renders.
pub enum TemplateSource {
    /// A file (`filename`, or `template = file(path)`): rendered as `templatefile(path, vars)`.
    File { path: Val, vars: Val },
    /// Template text written in the block.
    Text { text: Val, vars: Val },
}

/// The data source's name when `expr` is `data.template_file.<name>.rendered`.
pub fn rendered_name(expr: &Expression) -> Option<&str> {
    let Expression::Traversal(traversal) = expr else {
        return None;
    };
    let Expression::Variable(root) = &traversal.expr else {
        return None;
    };
    let names: Vec<&str> = traversal
        .operators
        .iter()
        .map(|op| match op.value() {
            TraversalOperator::GetAttr(name) => Some(name.as_str()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    match (root.as_str(), names.as_slice()) {
        ("data", ["template_file", name, "rendered"]) => Some(name),
        _ => None,
    }
}

impl Evaluator<'_> {
    /// What `data.template_file.<name>` renders; `None` when it cannot tell.
    pub fn template_file_source(&self, name: &str, span: Span) -> Option<TemplateSource> {
        let data = self.module.data_source("template_file", name)?;
        let body = &data.block.body;
        if body.has_attribute("count") || body.has_attribute("for_each") {
            return None;
        }
        let bindings = Bindings::default();
        let vars = match body.get_attribute("vars") {
            Some(vars) => self.eval(&vars.value, data.file, &bindings),
            None => Val::new(ValKind::Object(Vec::new()), span),
        };
        if let Some(filename) = body.get_attribute("filename") {
            let path = self.eval(&filename.value, data.file, &bindings);
            return Some(TemplateSource::File { path, vars });
        }
        let template = &body.get_attribute("template")?.value;
        // `template = file(path)`, also written `"${file(path)}"`: the file rendered in place.
        let inner = match template {
            Expression::StringTemplate(written) => match written.as_single_element() {
                Some(Element::Interpolation(only)) => &only.expr,
                _ => template,
            },
            _ => template,
        };
        if let Expression::FuncCall(call) = inner
            && call.name.name.as_str() == "file"
            && let [path] = call.args.iter().collect::<Vec<_>>().as_slice()
        {
            let path = self.eval(path, data.file, &bindings);
            return Some(TemplateSource::File { path, vars });
        }
        let text = self.eval(template, data.file, &bindings);
        Some(TemplateSource::Text { text, vars })
    }

    /// `data.template_file.<name>.rendered` at `span`; `None` when it cannot be rendered, or
    /// reads itself. Rendered once: templates naming others many times would multiply.
    pub(super) fn template_file_rendered(&self, name: &str, span: Span) -> Option<Val> {
        let cached = self.rendered.borrow().get(name).cloned();
        let value = match cached {
            Some(value) => value,
            None => {
                self.rendered.borrow_mut().insert(name.into(), None);
                let value = self.render_template_file(name, span);
                self.rendered
                    .borrow_mut()
                    .insert(name.into(), value.clone());
                value
            }
        }?;
        if !self.copied.spend(value.weight()) {
            return Some(Val::too_large(span));
        }
        Some(super::relocate(value, span))
    }

    fn render_template_file(&self, name: &str, span: Span) -> Option<Val> {
        match self.template_file_source(name, span)? {
            TemplateSource::File { path, vars } => {
                Some(self.read_file("templatefile", &[path, vars], span))
            }
            TemplateSource::Text { text, vars } => {
                let ValKind::String(text) = &text.kind else {
                    return None;
                };
                let resolve = |name: &str| template_variable(Some(&vars), name);
                Some(Val::new(rendered_template(text, &resolve), span))
            }
        }
    }
}
