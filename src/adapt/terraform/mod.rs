//! Terraform modules into the model: every `.tf` file of one directory is one module; each
//! resource body is evaluated, then handed to the service adapters.

mod cloudtrail;
mod ec2;
pub mod eval;
mod functions;
mod iam;
mod json_string;
pub mod module;
mod s3;

use std::collections::HashMap;

use eval::{Bindings, Evaluator};
use module::{BlockRef, Module, TfFile};

use crate::adapt::val::{Val, ValKind};
use crate::model::{Format, Model, ResourceRef, UnknownReason};
use crate::source::Span;

/// One resource block, evaluated.
pub struct Resource<'a> {
    pub block: BlockRef<'a>,
    pub reference: ResourceRef,
    pub body: Val,
    /// The `provider` meta-argument as written (`aws`, `aws.eu`); `aws` when omitted.
    pub provider: Box<str>,
}

impl Resource<'_> {
    pub fn header(&self) -> Span {
        self.reference.span
    }

    pub fn resource_type(&self) -> &str {
        self.block.resource_type
    }
}

/// Adapts one module. `tfvars` come in Terraform's precedence order, lowest first.
pub fn adapt_module(files: &[TfFile], tfvars: &[TfFile], model: &mut Model) {
    let module = Module::index(files, tfvars);
    let texts: HashMap<_, _> = files
        .iter()
        .chain(tfvars)
        .map(|file| (file.id, &*file.text))
        .collect();
    let evaluator = Evaluator::new(&module, texts);
    let mut policies = iam::DataDocuments::default();
    for block in &module.resources {
        let Some(resource) = evaluate(&evaluator, *block) else {
            continue;
        };
        iam::resource(&resource, &evaluator, &mut policies, model);
        ec2::resource(&resource, &evaluator, model);
        s3::resource(&resource, &evaluator, model);
        cloudtrail::resource(&resource, &evaluator, model);
    }
    policies.finish(&evaluator, model);
    ec2::finish(model);
    s3::finish(model);
    cloudtrail::finish(model);
}

/// Evaluates a resource once; `None` when `count`/`for_each` is known to create no instance.
fn evaluate<'a>(evaluator: &Evaluator<'a>, block: BlockRef<'a>) -> Option<Resource<'a>> {
    let header = block.header();
    let address = format!("{}.{}", block.resource_type, block.name);
    let mut bindings = Bindings::default();
    let body = &block.block.body;
    if let Some(count) = body.get_attribute("count") {
        let count = evaluator.eval(&count.value, block.file, &bindings);
        if crate::adapt::val::as_integer(&count) == Some(0) {
            return None;
        }
        let index = Val::unknown(UnknownReason::Reference("count.index".into()), header);
        bindings = bindings.with("count", object(&[("index", index)], header));
    }
    if let Some(for_each) = body.get_attribute("for_each") {
        let for_each = evaluator.eval(&for_each.value, block.file, &bindings);
        let empty = match &for_each.kind {
            ValKind::List(items) => items.is_empty(),
            ValKind::Object(fields) => fields.is_empty(),
            _ => false,
        };
        if empty {
            return None;
        }
        let key = Val::unknown(UnknownReason::Reference("each.key".into()), header);
        let value = Val::unknown(UnknownReason::Reference("each.value".into()), header);
        bindings = bindings.with("each", object(&[("key", key), ("value", value)], header));
    }
    let span = Span::new(
        block.file,
        hcl_edit::Span::span(block.block).map_or(0, |r| r.start),
        hcl_edit::Span::span(block.block).map_or(0, |r| r.end),
    );
    let evaluated = evaluator.body(body, block.file, span, &bindings);
    let provider = body
        .get_attribute("provider")
        .map(|attr| {
            evaluator
                .source(eval::span_of_expr(block.file, &attr.value))
                .trim()
                .into()
        })
        .unwrap_or_else(|| "aws".into());
    Some(Resource {
        block,
        reference: ResourceRef {
            address: address.into(),
            format: Format::Terraform,
            span: header,
        },
        body: evaluated,
        provider,
    })
}

fn object(fields: &[(&str, Val)], span: Span) -> Val {
    Val::new(
        ValKind::Object(
            fields
                .iter()
                .map(|(key, value)| crate::adapt::val::Field {
                    key: (*key).into(),
                    key_span: span,
                    value: value.clone(),
                    is_block: false,
                })
                .collect(),
        ),
        span,
    )
}
