//! Terraform modules into the model: every `.tf` file of one directory is one module; each
//! resource body is evaluated, then handed to the service adapters.

pub mod calls;
mod cloudtrail;
mod ec2;
pub mod eval;
mod functions;
mod iam;
mod instances;
mod json_string;
pub mod module;
mod s3;
mod template_directives;
mod types;
mod written;

use crate::text::Text;
use foldhash::HashMap;

use eval::{Bindings, Evaluator};
use instances::Expansion;
use module::{BlockRef, Module, TfFile};

use crate::adapt::val::Val;
use crate::model::{Format, Model, ResourceRef};
use crate::source::Span;

/// One resource block, evaluated.
pub struct Resource<'a> {
    pub block: BlockRef<'a>,
    pub reference: ResourceRef,
    pub body: Val,
    /// The `provider` meta-argument as written (`aws`, `aws.eu`); `aws` when omitted.
    pub provider: Text,
    /// The `count`/`for_each` expression when it may create no instance: lint the resource as
    /// existing, but as a neutralizer of other findings it is unknown (RULES.md 2.4).
    pub exists_when: Option<Text>,
}

impl Resource<'_> {
    pub fn header(&self) -> Span {
        self.reference.span
    }

    pub fn resource_type(&self) -> &str {
        self.block.resource_type
    }
}

/// Adapts one module alone, its module calls not followed. `tfvars` come in Terraform's
/// precedence order, lowest first; `loader` reads files named by `file()` (none: such values stay
/// unknown).
pub fn adapt_module(
    files: &[TfFile],
    tfvars: &[TfFile],
    loader: Option<eval::FileLoader>,
    model: &mut Model,
) {
    adapt_unit(&Alone { files, loader }, tfvars, None, model);
}

/// Adapts a unit: its root module (`calls::ROOT`) with the local modules it calls.
/// `unreadable_tfvars`: a variable file Terraform would load for the root that cannot be read.
pub fn adapt_unit(
    library: &dyn calls::Library,
    tfvars: &[TfFile],
    unreadable_tfvars: Option<&str>,
    model: &mut Model,
) {
    let mut budget = calls::Budget::default();
    let outputs_left = std::cell::Cell::new(calls::MAX_OUTPUT_EVALUATIONS);
    let root = calls::Instance::root();
    // The root is called by nothing: no use of its documents is left to report.
    let _ = adapt_instance(
        library,
        (tfvars, unreadable_tfvars),
        (root, Vec::new()),
        &mut budget,
        &outputs_left,
        model,
    );
    ec2::finish(model);
    s3::finish(model);
    cloudtrail::finish(model);
}

/// Adapts one module instance and the instances of the local modules it calls. Its policy
/// documents are finished last, once the called modules have shown where the documents passed to
/// them are used (RULES.md 2.6), with the uses its callers made of the ones it returns
/// (`returned`); returns the uses of its callers' documents.
fn adapt_instance(
    library: &dyn calls::Library,
    (tfvars, unreadable_tfvars): (&[TfFile], Option<&str>),
    (mut instance, returned): (calls::Instance, Vec<iam::ForeignUse>),
    budget: &mut calls::Budget,
    outputs_left: &std::cell::Cell<usize>,
    model: &mut Model,
) -> Vec<iam::ForeignUse> {
    let files = library.files(instance.module);
    let mut module = Module::index(files, tfvars);
    module.unreadable_tfvars = unreadable_tfvars;
    // The callers' files too: a value bound to an input was written there, and a JSON string
    // from one is mapped back into its literal (RULES.md 2.6).
    let texts: HashMap<_, _> = instance
        .lineage()
        .iter()
        .flat_map(|&module| library.files(module))
        .chain(tfvars)
        .map(|file| (file.id, &*file.text))
        .collect();
    let at = instance.module;
    let load = |name: &str| library.load(at, name);
    let inputs = std::mem::take(&mut instance.inputs);
    let evaluator = Evaluator::new(&module, texts, Some(&load))
        .for_call(instance.prefix.clone(), inputs)
        .with_calls(instance.scope(library, outputs_left));
    let mut policies = iam::DataDocuments::default();
    policies.others_uses(&evaluator, returned);
    let mut instance_budget = instances::Budget::default();
    let may_name_documents = iam::may_name_documents(&module, files, &evaluator);
    for block in &module.resources {
        if may_name_documents && !iam::TYPES.contains(&block.resource_type) {
            policies.note_other_consumer(*block, &evaluator);
        }
        // Evaluating a body costs more than reading it: skip types no adapter reads.
        if !modelled(block.resource_type) {
            continue;
        }
        for mut resource in evaluate(&evaluator, *block, &mut instance_budget) {
            instance.apply(&mut resource);
            iam::resource(&resource, &evaluator, &mut policies, model);
            ec2::resource(&resource, &evaluator, model);
            s3::resource(&resource, &evaluator, model);
            cloudtrail::resource(&resource, &evaluator, model);
        }
    }
    let callees = calls::callees(&evaluator, &instance, library, budget);
    for call in callees.unfollowed {
        policies.note_unfollowed_call(call, &evaluator);
    }
    for callee in callees.instances {
        let returned = policies.uses_below(&callee.prefix);
        let uses = adapt_instance(
            library,
            (&[], None),
            (callee, returned),
            budget,
            outputs_left,
            model,
        );
        policies.others_uses(&evaluator, uses);
    }
    policies.finish(&evaluator, &mut instance_budget, model)
}

/// One module with no modules to call.
struct Alone<'a> {
    files: &'a [TfFile],
    loader: Option<eval::FileLoader<'a>>,
}

impl calls::Library for Alone<'_> {
    fn files(&self, module: usize) -> &[TfFile] {
        if module == calls::ROOT {
            self.files
        } else {
            &[]
        }
    }

    fn resolve(&self, _from: usize, _source: &str) -> Option<usize> {
        None
    }

    fn load(
        &self,
        _module: usize,
        name: &str,
    ) -> Option<(crate::source::FileId, std::sync::Arc<str>)> {
        self.loader.and_then(|load| load(name))
    }
}

/// Whether some service adapter reads resources of this type.
fn modelled(resource_type: &str) -> bool {
    iam::TYPES.contains(&resource_type)
        || ec2::reads(resource_type)
        || s3::TYPES.contains(&resource_type)
        || cloudtrail::TYPES.contains(&resource_type)
}

/// Evaluates each instance of a resource (RULES.md 2.2); none when `count`/`for_each` is known
/// to create no instance. Instances beyond the module's budget: one with Unknown bindings.
fn evaluate<'a>(
    evaluator: &Evaluator<'a>,
    block: BlockRef<'a>,
    budget: &mut instances::Budget,
) -> Vec<Resource<'a>> {
    let address = format!("{}.{}", block.resource_type, block.name);
    let each = match instances::expand(evaluator, block) {
        Expansion::Nothing => return Vec::new(),
        Expansion::Single {
            bindings,
            exists_when,
        } => return vec![instance(evaluator, block, address, &bindings, exists_when)],
        Expansion::Each(each) => each,
    };
    let others = each.len().saturating_sub(1);
    let mut out: Vec<Resource> = Vec::with_capacity(each.len());
    for one in each {
        let resource = instance(
            evaluator,
            block,
            format!("{address}{}", one.key.suffix()),
            &one.bindings,
            None,
        );
        let size = resource.body.node_count();
        // The first instance is what one costs today; the others must fit the budget (checked
        // ahead on the first one's size, to give up before evaluating them).
        let fits = match out.first() {
            None => budget.has(size.saturating_mul(others)),
            Some(_) => budget.take(size),
        };
        if !fits {
            let bindings = instances::unknown_bindings(block);
            return vec![instance(evaluator, block, address, &bindings, None)];
        }
        out.push(resource);
    }
    out
}

fn instance<'a>(
    evaluator: &Evaluator<'a>,
    block: BlockRef<'a>,
    address: String,
    bindings: &Bindings,
    exists_when: Option<Text>,
) -> Resource<'a> {
    let header = block.header();
    let body = &block.block.body;
    let span = Span::new(
        block.file,
        hcl_edit::Span::span(block.block).map_or(0, |r| r.start),
        hcl_edit::Span::span(block.block).map_or(0, |r| r.end),
    );
    let evaluated = evaluator.body(body, block.file, span, bindings);
    let provider = body
        .get_attribute("provider")
        .map(|attr| {
            evaluator
                .source(eval::span_of_expr(block.file, &attr.value))
                .trim()
                .into()
        })
        .unwrap_or_else(|| "aws".into());
    Resource {
        block,
        reference: ResourceRef {
            address: address.into(),
            format: Format::Terraform,
            span: header,
        },
        body: evaluated,
        provider,
        exists_when,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::iam::{PolicyKind, Statement};
    use crate::source::FileId;

    fn adapt(text: &str) -> Model {
        let body = crate::parse::hcl::parse_hcl(text, FileId(0)).expect("valid HCL");
        let files = [TfFile {
            id: FileId(0),
            text: Arc::from(text),
            body,
        }];
        let mut model = Model::default();
        adapt_module(&files, &[], None, &mut model);
        model
    }

    fn first_statement(model: &Model) -> &Statement {
        model.iam.policies[0]
            .statements
            .iter()
            .next()
            .expect("a statement")
    }

    fn text_at(text: &str, span: Span) -> &str {
        &text[span.range()]
    }

    #[test]
    fn jsonencode_elements_keep_hcl_spans() {
        let text = "resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({\n    Statement = [{\n      Effect = \"Allow\"\n      Action = [\"s3:GetObject\", \"*\"]\n      Resource = \"*\"\n    }]\n  })\n}\n";
        let model = adapt(text);
        let statement = first_statement(&model);
        let action = statement.action.as_ref().expect("action");
        assert_eq!(text_at(text, action.items[1].span()), "\"*\"");
        assert_eq!(model.iam.policies[0].kind, PolicyKind::Identity);
    }

    #[test]
    fn heredoc_json_maps_into_the_tf_file() {
        let text = "resource \"aws_iam_policy\" \"p\" {\n  policy = <<EOF\n{\"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"${var.arn}\"}]}\nEOF\n}\n";
        let model = adapt(text);
        let statement = first_statement(&model);
        let action = statement.action.as_ref().expect("action");
        assert_eq!(text_at(text, action.span), "\"Action\": \"*\"");
        let resource = statement.resource.as_ref().expect("resource");
        assert!(
            resource.items[0].known().is_none(),
            "interpolation is unknown"
        );
    }

    #[test]
    fn escaped_string_json_maps_to_the_decoded_characters() {
        let text = "resource \"aws_iam_policy\" \"p\" {\n  policy = \"{\\\"Statement\\\": {\\\"Effect\\\": \\\"Allow\\\", \\\"Action\\\": \\\"*\\\", \\\"Resource\\\": \\\"*\\\"}}\"\n}\n";
        let model = adapt(text);
        let statement = first_statement(&model);
        let effect = statement.effect.as_ref().expect("effect");
        assert_eq!(effect.known().map(|e| &**e), Some("Allow"));
        assert!(text_at(text, effect.span()).starts_with("\\\"Effect\\\": \\\"Allow"));
    }

    #[test]
    fn data_source_effect_defaults_to_allow_and_consumers_are_labels() {
        let text = "data \"aws_iam_policy_document\" \"d\" {\n  statement {\n    actions   = [\"*\"]\n    resources = [\"*\"]\n  }\n}\nresource \"aws_iam_policy\" \"a\" {\n  policy = data.aws_iam_policy_document.d.json\n}\nresource \"aws_iam_role_policy\" \"b\" {\n  policy = data.aws_iam_policy_document.d.json\n}\n";
        let model = adapt(text);
        assert_eq!(model.iam.policies.len(), 1);
        let document = &model.iam.policies[0];
        assert_eq!(document.consumers.len(), 2);
        let effect = first_statement(&model).effect.as_ref().expect("effect");
        assert!(matches!(
            effect,
            crate::model::Value::Known {
                origin: crate::model::Origin::AwsDefault,
                ..
            }
        ));
    }

    #[test]
    fn variable_defaults_are_located_at_the_use_site() {
        let text = "variable \"a\" {\n  default = \"*\"\n}\ndata \"aws_iam_policy_document\" \"d\" {\n  statement {\n    actions   = [var.a]\n    resources = [\"*\"]\n  }\n}\n";
        let model = adapt(text);
        let action = first_statement(&model).action.as_ref().expect("action");
        let crate::model::Value::Known { span, origin, .. } = &action.items[0] else {
            panic!("known expected");
        };
        assert_eq!(text_at(text, *span), "var.a");
        let crate::model::Origin::Explicit {
            defined_at: Some(at),
        } = origin
        else {
            panic!("defined_at expected");
        };
        assert_eq!(text_at(text, *at), "\"*\"");
    }

    #[test]
    fn variables_without_default_are_unknown() {
        let text = "variable \"a\" {}\ndata \"aws_iam_policy_document\" \"d\" {\n  statement {\n    actions   = [var.a]\n    resources = [\"*\"]\n  }\n}\n";
        let model = adapt(text);
        let action = first_statement(&model).action.as_ref().expect("action");
        assert!(matches!(
            action.items[0],
            crate::model::Value::Unknown { .. }
        ));
    }

    #[test]
    fn override_documents_replace_statements_with_the_same_sid() {
        let text = "data \"aws_iam_policy_document\" \"base\" {\n  statement {\n    sid       = \"All\"\n    actions   = [\"*\"]\n    resources = [\"*\"]\n  }\n}\ndata \"aws_iam_policy_document\" \"narrow\" {\n  statement {\n    sid       = \"All\"\n    actions   = [\"s3:GetObject\"]\n    resources = [\"*\"]\n  }\n}\ndata \"aws_iam_policy_document\" \"final\" {\n  source_policy_documents   = [data.aws_iam_policy_document.base.json]\n  override_policy_documents = [data.aws_iam_policy_document.narrow.json]\n}\n";
        let model = adapt(text);
        let last = model.iam.policies.last().expect("documents");
        let actions: Vec<_> = last
            .statements
            .iter()
            .flat_map(|s| {
                s.action
                    .iter()
                    .flat_map(|a| a.items.iter().filter_map(|v| v.known()))
            })
            .collect();
        assert_eq!(
            actions.iter().map(|a| &***a).collect::<Vec<_>>(),
            ["s3:GetObject"]
        );
    }

    #[test]
    fn count_zero_creates_no_resource() {
        let text = "resource \"aws_iam_policy\" \"p\" {\n  count = 0\n  policy = jsonencode({Statement = [{Effect = \"Allow\", Action = \"*\", Resource = \"*\"}]})\n}\n";
        assert!(adapt(text).iam.policies.is_empty());
    }

    #[test]
    fn instances_are_adapted_one_by_one_under_their_addresses() {
        let text = "resource \"aws_ebs_volume\" \"v\" {\n  for_each = { a = true, b = false }\n  encrypted = each.value\n}\nresource \"aws_iam_policy\" \"p\" {\n  count = 3\n  policy = data.aws_iam_policy_document.d.json\n}\ndata \"aws_iam_policy_document\" \"d\" {\n  statement {\n    actions   = [\"*\"]\n    resources = [\"*\"]\n  }\n}\n";
        let model = adapt(text);
        let volumes: Vec<(&str, Option<bool>)> = model
            .ec2
            .ebs
            .volumes
            .iter()
            .map(|v| {
                let encrypted = v.device.encrypted.known().copied();
                (&*v.resource.address, encrypted)
            })
            .collect();
        assert_eq!(
            volumes,
            [
                ("aws_ebs_volume.v[\"a\"]", Some(true)),
                ("aws_ebs_volume.v[\"b\"]", Some(false)),
            ]
        );
        // Three instances consume the document at one place: one label, three owners.
        let document = &model.iam.policies[0];
        assert_eq!(document.consumers.len(), 1);
        assert_eq!(document.attached_to.len(), 3);
    }

    #[test]
    fn instances_beyond_the_module_budget_are_one_with_unknown_bindings() {
        let cidrs: Vec<String> = (0..40_000)
            .map(|i| format!("\"10.{}.{}.0/24\"", i / 250, i % 250))
            .collect();
        let text = format!(
            "locals {{\n  cidrs = [{}]\n}}\nresource \"aws_security_group\" \"g\" {{\n  count = 32\n  name = count.index\n  ingress {{\n    cidr_blocks = local.cidrs\n  }}\n}}\n",
            cidrs.join(", ")
        );
        let model = adapt(&text);
        let groups = &model.ec2.security_groups.groups;
        assert_eq!(groups.len(), 1);
        assert_eq!(&*groups[0].resource.address, "aws_security_group.g");
        assert_eq!(groups[0].ingress.len(), 1);
    }

    #[test]
    fn literal_conditions_pick_their_branch_others_keep_both() {
        let text = "variable \"env\" {}\nlocals {\n  a = true ? \"*\" : \"s3:GetObject\"\n  b = var.env == \"prod\" ? \"*\" : \"s3:GetObject\"\n}\ndata \"aws_iam_policy_document\" \"d\" {\n  statement {\n    actions   = [local.a, local.b]\n    resources = [\"*\"]\n  }\n}\n";
        let model = adapt(text);
        let action = first_statement(&model).action.as_ref().expect("action");
        assert_eq!(action.items[0].known().map(|a| &**a), Some("*"));
        let crate::model::Value::Conditional { condition, .. } = &action.items[1] else {
            panic!("conditional expected");
        };
        assert_eq!(&**condition, "var.env == \"prod\"");
    }

    #[test]
    fn try_moves_past_an_attribute_the_value_lacks_and_an_unknown_index_stays_unknown() {
        let text = "variable \"i\" {}\nlocals {\n  o = { a = \"s3:GetObject\" }\n  l = [\"*\"]\n}\ndata \"aws_iam_policy_document\" \"d\" {\n  statement {\n    actions   = [try(local.o.missing, \"s3:PutObject\"), local.o.missing, local.l[var.i]]\n    resources = [\"*\"]\n  }\n}\n";
        let model = adapt(text);
        let action = first_statement(&model).action.as_ref().expect("action");
        assert_eq!(action.items[0].known().map(|a| &**a), Some("s3:PutObject"));
        let crate::model::Value::Unknown { reason, .. } = &action.items[1] else {
            panic!("unknown expected");
        };
        assert_eq!(*reason, eval::MISSING_PART);
        let crate::model::Value::Unknown { reason, .. } = &action.items[2] else {
            panic!("unknown expected");
        };
        assert_eq!(*reason, crate::model::UnknownReason::Variable("i".into()));
    }

    #[test]
    fn optional_attributes_take_their_declared_defaults_at_every_level() {
        let text = "variable \"p\" {\n  type = map(list(object({\n    actions   = optional(list(string), [\"*\"])\n    resources = list(string)\n    sid       = optional(string)\n  })))\n  default = { a = [{ resources = [\"*\"] }] }\n}\ndata \"aws_iam_policy_document\" \"d\" {\n  statement {\n    sid       = coalesce(var.p.a[0].sid, \"none\")\n    actions   = var.p.a[0].actions\n    resources = var.p.a[0].resources\n  }\n}\n";
        let model = adapt(text);
        let statement = first_statement(&model);
        let action = statement.action.as_ref().expect("action");
        assert_eq!(action.items[0].known().map(|a| &**a), Some("*"));
        let sid = statement.sid.as_ref().and_then(|sid| sid.known());
        assert_eq!(sid.map(|s| &**s), Some("none"));
    }

    #[test]
    fn self_referencing_locals_do_not_loop() {
        let text = "locals {\n  a = local.b\n  b = local.a\n}\ndata \"aws_iam_policy_document\" \"d\" {\n  statement {\n    actions   = [local.a]\n    resources = [\"*\"]\n  }\n}\n";
        let model = adapt(text);
        let action = first_statement(&model).action.as_ref().expect("action");
        assert!(action.items[0].known().is_none());
    }
}
