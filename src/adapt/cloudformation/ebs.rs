//! EBS storage declared in CloudFormation: volumes, instance and launch-configuration block
//! device mappings, and launch templates.

use super::{Context, Resource};
use crate::adapt::block_device::{NoDeviceFalse, Volume, created_device, volume_branches};
use crate::adapt::val::{Conditions, conditional_branches, conditional_items};
use crate::adapt::val::{Field, Val, as_bool, as_snapshot, field_value, opaque};
use crate::model::ec2::ebs::{
    BlockDeviceMapping, BlockDevices, EbsDevice, EbsVolume, Instance, LaunchConfiguration,
    LaunchTemplate, LaunchTemplateRef,
};
use crate::model::{Model, UnknownReason, Value};
use crate::source::Span;

/// Resource types this adapter reads.
pub const TYPES: &[&str] = &[
    "AWS::EC2::Volume",
    "AWS::EC2::Instance",
    "AWS::AutoScaling::LaunchConfiguration",
    "AWS::EC2::LaunchTemplate",
];

pub fn resource(resource: &Resource, context: &Context, model: &mut Model) {
    let properties = &resource.properties;
    let header = resource.header();
    let ebs = &mut model.ec2.ebs;
    match resource.resource_type {
        "AWS::EC2::Volume" => ebs.volumes.push(EbsVolume {
            resource: resource.reference.clone(),
            provider: None,
            device: device(properties, header),
        }),
        "AWS::EC2::Instance" => ebs.instances.push(Instance {
            resource: resource.reference.clone(),
            provider: None,
            devices: block_devices(properties),
            launch_template: properties.get("LaunchTemplate").and_then(template_link),
            template_expression: properties
                .get("LaunchTemplate")
                .and_then(template_field)
                .filter(|field| field.value.unknown_reason().is_some())
                .and_then(|field| {
                    crate::adapt::cloudformation::expression_text(&field.value, context)
                }),
        }),
        "AWS::AutoScaling::LaunchConfiguration" => {
            ebs.launch_configurations.push(LaunchConfiguration {
                resource: resource.reference.clone(),
                provider: None,
                devices: block_devices(properties),
            })
        }
        "AWS::EC2::LaunchTemplate" => {
            let mappings = properties
                .get("LaunchTemplateData")
                .map(template_mappings)
                .unwrap_or_default();
            ebs.launch_templates.push(LaunchTemplate {
                resource: resource.reference.clone(),
                provider: None,
                name: properties
                    .get("LaunchTemplateName")
                    .and_then(Val::as_str)
                    .map(Into::into),
                name_expression: properties
                    .get("LaunchTemplateName")
                    .filter(|value| value.unknown_reason().is_some())
                    .and_then(|value| {
                        crate::adapt::cloudformation::expression_text(value, context)
                    }),
                mappings,
            });
        }
        _ => {}
    }
}

fn block_devices(properties: &Val) -> BlockDevices {
    let mut devices = BlockDevices::default();
    let Some(list) = properties.get("BlockDeviceMappings") else {
        return devices;
    };
    if let Some(reason) = list.unknown_reason() {
        devices.unresolved = Some((reason, list.span));
        return devices;
    }
    // The list, a mapping or its `Ebs` chosen by `Fn::If`: each branch is a mapping of its
    // own, existing under the conditions leading to it (RULES.md 2.4).
    for (when, item) in conditional_items(list) {
        mapping(item, when, &mut devices.mappings);
    }
    devices
}

/// The mappings of a template's `LaunchTemplateData`. Data chosen by `Fn::If` gives each
/// branch's mappings under its condition (RULES.md 2.4). Data or a mapping list not known
/// offline is one mapping of which nothing is known: a template has no list-level unknown, and
/// an instance on it must find its root unverifiable, not unconfigured.
fn template_mappings(data: &Val) -> Vec<BlockDeviceMapping> {
    let mut out = Vec::new();
    for (when, branch) in conditional_branches(data) {
        if branch.is_absent() {
            continue;
        }
        if opaque(branch).is_some() {
            mapping(branch, when, &mut out);
            continue;
        }
        let devices = block_devices(branch);
        if let Some((reason, span)) = devices.unresolved {
            mapping(&Val::unknown(reason, span), when.clone(), &mut out);
        }
        out.extend(devices.mappings.into_iter().map(|mut each| {
            each.when.splice(0..0, when.iter().cloned());
            each
        }));
    }
    out
}

fn mapping(item: &Val, when: Conditions, out: &mut Vec<BlockDeviceMapping>) {
    if let Some(reason) = opaque(item) {
        // Neither its device nor its settings are known: the root and the volume are unverifiable.
        out.push(BlockDeviceMapping {
            span: item.span,
            device_name: Some(Value::unknown(reason, item.span)),
            ebs: Some(device(item, item.span)),
            when,
        });
        return;
    }
    let device_name = item.field("DeviceName").map(|field| {
        let absent =
            |span| Value::unknown(UnknownReason::Unsupported("an omitted device name"), span);
        field
            .value
            .to_value(field.span(), &absent, &|val| val.as_str().map(Into::into))
    });
    // `NoDevice: {}` suppresses the device whatever its value; only a launch configuration's
    // boolean `NoDevice: false` leaves it in place.
    let volumes = volume_branches(
        item.get("NoDevice"),
        item.get("VirtualName"),
        NoDeviceFalse::KeepsDevice,
    );
    for (more, volume) in volumes {
        let mut when = when.clone();
        when.extend(more);
        let Some(field) = item.field("Ebs").filter(|_| volume != Volume::NotCreated) else {
            out.push(BlockDeviceMapping {
                span: item.span,
                device_name: device_name.clone(),
                ebs: None,
                when,
            });
            continue;
        };
        // `Ebs: !If [...]`: one mapping per branch; `AWS::NoValue` creates no volume.
        for (more, ebs) in conditional_branches(&field.value) {
            let mut when = when.clone();
            when.extend(more);
            out.push(BlockDeviceMapping {
                span: item.span,
                device_name: device_name.clone(),
                ebs: match ebs.is_absent() {
                    true => None,
                    false => created_device(volume.clone(), || device(ebs, field.key_span)),
                },
                when,
            });
        }
    }
}

fn device(properties: &Val, header: Span) -> EbsDevice {
    let no_snapshot = Value::aws_default(None, header);
    if let Some(reason) = opaque(properties) {
        return EbsDevice {
            header,
            encrypted: Value::unknown(reason, properties.span),
            snapshot_id: no_snapshot,
        };
    }
    EbsDevice {
        header,
        encrypted: field_value(
            properties,
            "Encrypted",
            header,
            EbsDevice::DEFAULT_ENCRYPTED,
            &as_bool,
        ),
        snapshot_id: field_value(properties, "SnapshotId", header, None, &as_snapshot),
    }
}

/// `LaunchTemplate: {LaunchTemplateId: !Ref T}` or `{LaunchTemplateName: web}`; chosen by
/// `Fn::If`, each branch's, `AWS::NoValue` being no template (RULES.md 2.4).
fn template_link(spec: &Val) -> Option<Value<LaunchTemplateRef>> {
    if spec.is_absent() {
        return None;
    }
    Some(spec.branch_values(spec.span, &|branch, span| {
        if branch.is_absent() {
            return Value::explicit(LaunchTemplateRef::None, branch.span);
        }
        if let Some(reason) = opaque(branch) {
            return Value::unknown(reason, span);
        }
        match template_field(branch) {
            Some(field) => crate::adapt::launch_template::template_ref(field),
            None => Value::unknown(
                UnknownReason::Unsupported("a launch template named by neither id nor name"),
                span,
            ),
        }
    }))
}

/// The property naming the template.
fn template_field(spec: &Val) -> Option<&Field> {
    spec.field("LaunchTemplateId")
        .or_else(|| spec.field("LaunchTemplateName"))
}
