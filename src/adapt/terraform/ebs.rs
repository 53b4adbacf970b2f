//! EBS storage declared in Terraform: volumes, instance and launch-configuration block devices,
//! launch templates, and account-wide encryption by default.

use super::Evaluator;
use super::Resource;
use crate::adapt::block_device::{NoDeviceFalse, created_device, volume_branches};
use crate::adapt::val::{
    Conditions, Field, Val, as_bool, as_snapshot, field_value, opaque, value_under,
};
use crate::model::ec2::ebs::{
    BlockDeviceMapping, BlockDevices, EbsDevice, EbsVolume, EncryptionByDefault, Instance,
    LaunchConfiguration, LaunchTemplate, LaunchTemplateRef, RootDevice,
};
use crate::model::{AccountFactKind, Model, UnknownReason, Value};
use crate::source::Span;
use crate::text::Text;

/// Resource types this adapter reads; others are not evaluated at all.
pub const TYPES: &[&str] = &[
    "aws_ebs_encryption_by_default",
    "aws_ebs_volume",
    "aws_instance",
    "aws_launch_configuration",
    "aws_launch_template",
    "aws_spot_instance_request",
];

pub fn resource(resource: &Resource, evaluator: &Evaluator, model: &mut Model) {
    let body = &resource.body;
    let header = resource.header();
    let provider = Some(resource.provider.clone());
    let ebs = &mut model.ec2.ebs;
    match resource.resource_type() {
        "aws_ebs_volume" => ebs.volumes.push(EbsVolume {
            resource: resource.reference.clone(),
            provider,
            device: device(body, header),
        }),
        "aws_instance" | "aws_spot_instance_request" => {
            let (when, template) = match body.blocks_when("launch_template").into_iter().next() {
                Some((_, when, block)) => (when, template_field(block)),
                None => (Conditions::new(), None),
            };
            // A block from one branch of a `dynamic` block's conditional `for_each` is no
            // template in the other (RULES.md 2.4).
            let no_template = |at| Value::explicit(LaunchTemplateRef::None, at);
            let launch_template = template.map(|field| {
                let linked = crate::adapt::launch_template::template_ref(field);
                value_under(&when, linked, &no_template)
            });
            ebs.instances.push(Instance {
                resource: resource.reference.clone(),
                provider,
                devices: block_devices(body),
                launch_template,
                template_expression: template
                    .and_then(|field| unresolved_text(&field.value, evaluator)),
            })
        }
        "aws_launch_configuration" => ebs.launch_configurations.push(LaunchConfiguration {
            resource: resource.reference.clone(),
            provider,
            devices: block_devices(body),
        }),
        "aws_launch_template" => ebs.launch_templates.push(LaunchTemplate {
            resource: resource.reference.clone(),
            provider,
            name: body.get("name").and_then(Val::as_str).map(Into::into),
            name_expression: body
                .get("name")
                .and_then(|value| unresolved_text(value, evaluator)),
            mappings: body
                .blocks_when("block_device_mappings")
                .into_iter()
                .flat_map(|(span, when, block)| template_mappings(span, &when, block))
                .collect(),
        }),
        "aws_ebs_encryption_by_default" => {
            let enabled = field_value(
                body,
                "enabled",
                header,
                EncryptionByDefault::DEFAULT_ENABLED,
                &as_bool,
            );
            // Existence is no branch (RULES.md 2.4): as a neutralizer it is Unknown.
            let enabled = match &resource.exists_when {
                Some(expression) if enabled.known() != Some(&false) => {
                    Value::unknown(UnknownReason::Reference(expression.clone()), enabled.span())
                }
                _ => enabled,
            };
            let kind = AccountFactKind::EbsEncryptionByDefault;
            if enabled.known() != Some(&false) && !model.facts.declared.contains(&kind) {
                model.facts.declared.push(kind);
            }
            model
                .ec2
                .ebs
                .encryption_by_default
                .push(EncryptionByDefault {
                    resource: resource.reference.clone(),
                    provider: resource.provider.clone(),
                    enabled,
                });
        }
        _ => {}
    }
}

/// Nested blocks named `key` with their headers; `key = [{...}]` elements count as blocks.
fn blocks<'a>(body: &'a Val, key: &str) -> Vec<(Span, &'a Val)> {
    body.blocks_when(key)
        .into_iter()
        .map(|(span, _, block)| (span, block))
        .collect()
}

fn block_devices(body: &Val) -> BlockDevices {
    let mut devices = BlockDevices {
        root: body
            .blocks_when("root_block_device")
            .into_iter()
            .map(|(header, when, block)| RootDevice {
                device: device(block, header),
                when,
            })
            .collect(),
        ..BlockDevices::default()
    };
    for (header, exists_when, block) in body.blocks_when("ebs_block_device") {
        let volumes = volume_branches(block.get("no_device"), None, NoDeviceFalse::KeepsDevice);
        for (more, volume) in volumes {
            let mut when = exists_when.clone();
            when.extend(more);
            devices.mappings.push(BlockDeviceMapping {
                span: header,
                device_name: device_name(block),
                ebs: created_device(volume, || device(block, header)),
                when,
            });
        }
    }
    // Instance store: no EBS volume, but it names a device.
    for (header, block) in blocks(body, "ephemeral_block_device") {
        devices.mappings.push(BlockDeviceMapping {
            span: header,
            device_name: device_name(block),
            ebs: None,
            when: Vec::new(),
        });
    }
    devices
}

/// One mapping per branch of its `no_device`/`virtual_name` conditionals (usually one), each
/// existing under `exists_when` too.
fn template_mappings(
    header: Span,
    exists_when: &Conditions,
    block: &Val,
) -> Vec<BlockDeviceMapping> {
    let volumes = volume_branches(
        block.get("no_device"),
        block.get("virtual_name"),
        NoDeviceFalse::Suppresses,
    );
    let ebs = block.blocks_when("ebs").into_iter().next();
    // An `ebs` block that exists in one branch only: the mapping's volume exists there.
    let ebs_when = ebs
        .as_ref()
        .map(|(_, when, _)| when.clone())
        .unwrap_or_default();
    volumes
        .into_iter()
        .map(|(more, volume)| {
            let mut when = exists_when.clone();
            when.extend(ebs_when.iter().cloned());
            when.extend(more);
            BlockDeviceMapping {
                span: header,
                device_name: device_name(block),
                ebs: ebs.as_ref().and_then(|(ebs_header, _, ebs)| {
                    created_device(volume, || device(ebs, *ebs_header))
                }),
                when,
            }
        })
        .collect()
}

fn device_name(block: &Val) -> Option<Value<Text>> {
    let field = block.field("device_name")?;
    let absent = |span| Value::unknown(UnknownReason::Unsupported("an omitted device name"), span);
    Some(
        field
            .value
            .to_value(field.span(), &absent, &|val| val.as_str().map(Into::into)),
    )
}

/// The encryption settings of a volume or block; a block that is not known offline (a
/// `dynamic` block over an unknown collection, a conditional list) leaves `encrypted` unknown.
fn device(block: &Val, header: Span) -> EbsDevice {
    let no_snapshot = Value::aws_default(None, header);
    if let Some(reason) = opaque(block) {
        return EbsDevice {
            header,
            encrypted: Value::unknown(reason, block.span),
            snapshot_id: no_snapshot,
        };
    }
    EbsDevice {
        header,
        encrypted: field_value(
            block,
            "encrypted",
            header,
            EbsDevice::DEFAULT_ENCRYPTED,
            &as_bool,
        ),
        snapshot_id: field_value(block, "snapshot_id", header, None, &as_snapshot),
    }
}

/// A value not known offline as written (`var.lt_name`, under the module instance's prefix), to
/// link by the very same expression (RULES.md 2.1).
fn unresolved_text(value: &Val, evaluator: &Evaluator) -> Option<Text> {
    value.unknown_reason()?;
    super::super::written::written_expression(evaluator, value.span)
}

/// The field naming the template: `launch_template { id = aws_launch_template.t.id }` or
/// `{ name = "web" }`.
fn template_field(block: &Val) -> Option<&Field> {
    block.field("id").or_else(|| block.field("name"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapt::val::ValKind;
    use crate::source::FileId;

    fn at(start: usize, end: usize) -> Span {
        Span::new(FileId(0), start, end)
    }

    fn object(fields: Vec<(&str, Val, bool)>) -> Val {
        Val::new(
            ValKind::Object(
                fields
                    .into_iter()
                    .enumerate()
                    .map(|(i, (key, value, is_block))| Field {
                        key: key.into(),
                        key_span: at(i * 10, i * 10 + 3),
                        value,
                        is_block,
                    })
                    .collect(),
            ),
            at(0, 100),
        )
    }

    /// The volume of a template mapping without conditionals.
    fn only_ebs(mapping: &Val) -> Option<EbsDevice> {
        let mut mappings = template_mappings(at(0, 3), &Conditions::new(), mapping);
        assert_eq!(mappings.len(), 1);
        mappings.pop().and_then(|mapping| mapping.ebs)
    }

    #[test]
    fn a_template_mapping_with_no_device_creates_no_volume() {
        let ebs = object(vec![]);
        let mapping = object(vec![
            (
                "no_device",
                Val::new(ValKind::String("".into()), at(50, 52)),
                false,
            ),
            ("ebs", ebs, true),
        ]);
        assert_eq!(only_ebs(&mapping), None);
    }

    #[test]
    fn an_empty_ebs_block_defaults_to_unencrypted_at_its_header() {
        let mapping = object(vec![("ebs", object(vec![]), true)]);
        let ebs = only_ebs(&mapping);
        assert_eq!(
            ebs.map(|device| device.encrypted),
            Some(Value::aws_default(false, at(0, 3)))
        );
    }

    #[test]
    fn a_template_reference_links_by_address() {
        let link = Val::new(
            ValKind::Link {
                target: "aws_launch_template.t".into(),
                attribute: "id".into(),
            },
            at(50, 70),
        );
        let block = object(vec![("id", link, false)]);
        assert!(matches!(
            template_field(&block).map(crate::adapt::launch_template::template_ref),
            Some(Value::Known { value: crate::model::ec2::ebs::LaunchTemplateRef::Address(address), .. })
                if &*address == "aws_launch_template.t"
        ));
    }
}
