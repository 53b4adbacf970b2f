//! Flags EBS volumes, and block-device mappings creating them, that will be created unencrypted.

use crate::model::ec2::ebs::{BlockDevices, Ebs, EbsDevice, LaunchTemplateRef, RootConfigured};
use crate::model::value::consistent_conditions;
use crate::model::{AccountFactKind, Leaf, Model, Origin, ResourceRef, Value, when_clause};
use crate::rules::{Findings, Format, Rule, RuleMeta, Service, Severity};
use crate::source::Span;
use crate::text::Text;

pub const RULE: Rule = Rule {
    meta: RuleMeta {
        name: "ec2-unencrypted-ebs-volume",
        module: module_path!(),
        service: Service::Ec2,
        severity: Severity::High,
        formats: &[Format::Terraform, Format::CloudFormation],
        summary: "EBS volume or block device is created unencrypted",
        rationale: "EBS volumes hold instance data, often including secrets, database files and \
logs. An unencrypted volume stores that data, its snapshots and the traffic between the instance \
and the volume in clear text, and a snapshot shared by mistake exposes it to whoever receives it. \
EBS creates volumes unencrypted unless `encrypted` is set, EBS encryption by default is on for the \
account and region, or the volume is restored from an encrypted snapshot. An instance without a \
root device setting gets its root volume from the AMI snapshot, which public AMIs ship unencrypted.",
        remediation: "Terraform: set `encrypted = true` on `aws_ebs_volume`, on every \
`root_block_device` and `ebs_block_device` of `aws_instance` and `aws_launch_configuration`, and \
`encrypted = \"true\"` in every `ebs` block of an `aws_launch_template`:\n\n\
```hcl\nresource \"aws_instance\" \"web\" {\n  root_block_device {\n    encrypted = true\n  }\n}\n```\n\n\
Or turn on encryption by default for the account and region in the same configuration:\n\n\
```hcl\nresource \"aws_ebs_encryption_by_default\" \"this\" {\n  enabled = true\n}\n```\n\n\
CloudFormation: set `Encrypted: true` on `AWS::EC2::Volume` and in the `Ebs` of every \
`BlockDeviceMappings` entry of `AWS::EC2::Instance`, `AWS::EC2::LaunchTemplate` \
(`LaunchTemplateData`) and `AWS::AutoScaling::LaunchConfiguration`, including one for the root \
device (`/dev/xvda` or `/dev/sda1`):\n\n\
```yaml\nBlockDeviceMappings:\n  - DeviceName: /dev/xvda\n    Ebs:\n      Encrypted: true\n```",
        references: &[
            "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html",
            "https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html",
            "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-3",
        ],
        aliases: &[
            "AWS-0026",
            "AWS-0131",
            "AWS-0008",
            "CKV_AWS_3",
            "CKV_AWS_8",
            "cc997676-481b-4e93-aa81-d19f8c5e9b12",
            "4de9de27-254e-424f-bd70-4c1e95790838",
            "80b7ac3f-d2b7-4577-9b10-df7913497162",
            "40078463-6806-4bc0-b86e-7f121df601c1",
            "F1",
        ],
    },
    check,
};

const NOT_ENCRYPTED: &str = "EBS volume is not encrypted";
const DEFAULTS_UNENCRYPTED: &str = "encrypted is not set and EBS volumes default to unencrypted";

/// Whether account-wide encryption by default settles a resource's volumes (RULES.md 2.1).
enum Account {
    Applies,
    /// Declared in the unit but for another provider, or not known to be on: the reason.
    MayApply(String),
    /// Not declared in this unit; another unit may still declare it.
    Absent,
}

fn check(model: &Model, findings: &mut Findings) {
    let ebs = &model.ec2.ebs;
    for volume in &ebs.volumes {
        let account = account(ebs, volume.provider.as_deref());
        device(&volume.resource, &volume.device, &[], &account, findings);
    }
    for instance in &ebs.instances {
        let account = account(ebs, instance.provider.as_deref());
        let on = &instance.resource;
        devices(on, &instance.devices, &account, findings);
        root(
            on,
            &instance.devices,
            instance.launch_template.as_ref(),
            ebs,
            &account,
            findings,
        );
    }
    for configuration in &ebs.launch_configurations {
        let account = account(ebs, configuration.provider.as_deref());
        let on = &configuration.resource;
        devices(on, &configuration.devices, &account, findings);
        root(on, &configuration.devices, None, ebs, &account, findings);
    }
    for template in &ebs.launch_templates {
        let account = account(ebs, template.provider.as_deref());
        for mapping in &template.mappings {
            if let Some(ebs_device) = &mapping.ebs {
                device(
                    &template.resource,
                    ebs_device,
                    &mapping.when,
                    &account,
                    findings,
                );
            }
        }
    }
}

fn account(ebs: &Ebs, provider: Option<&str>) -> Account {
    let mut outcome = Account::Absent;
    for setting in &ebs.encryption_by_default {
        let same = provider == Some(&*setting.provider);
        let branches = setting.enabled.branches();
        let all_on = branches
            .iter()
            .all(|b| matches!(b.leaf, Leaf::Known { value: true, .. }));
        let maybe_on = branches
            .iter()
            .any(|b| !matches!(b.leaf, Leaf::Known { value: false, .. }));
        if same && all_on {
            return Account::Applies;
        }
        if maybe_on && matches!(outcome, Account::Absent) {
            let address = &setting.resource.address;
            outcome = Account::MayApply(if same {
                format!("EBS encryption by default in `{address}` is on")
            } else {
                format!(
                    "EBS encryption by default in `{address}` (provider `{}`) covers this provider",
                    setting.provider
                )
            });
        }
    }
    outcome
}

fn devices(on: &ResourceRef, devices: &BlockDevices, account: &Account, findings: &mut Findings) {
    for root in &devices.root {
        device(on, &root.device, &root.when, account, findings);
    }
    for mapping in &devices.mappings {
        if let Some(ebs_device) = &mapping.ebs {
            device(on, ebs_device, &mapping.when, account, findings);
        }
    }
}

/// One volume, existing when the conditions `exists_when` hold: violating branches are reported;
/// else an unknown makes it unverifiable.
fn device(
    on: &ResourceRef,
    device: &EbsDevice,
    exists_when: &[(Text, bool)],
    account: &Account,
    findings: &mut Findings,
) {
    if matches!(account, Account::Applies) {
        return;
    }
    // Branches needing a condition both true and false (the mapping exists only when `IsProd`
    // is true, its flag is false only when it is false) describe no deployment.
    let branches: Vec<_> = device
        .encrypted
        .branches()
        .into_iter()
        .filter_map(|branch| {
            let conditions = consistent_conditions(
                exists_when
                    .iter()
                    .map(|(condition, outcome)| (&**condition, *outcome))
                    .chain(branch.conditions.iter().copied()),
            )?;
            Some((branch.leaf, when_clause(conditions)))
        })
        .collect();
    if branches
        .iter()
        .all(|(leaf, _)| matches!(leaf, Leaf::Known { value: true, .. }))
    {
        return;
    }
    if snapshot(on, &device.snapshot_id, findings) {
        return;
    }
    let mut violated = false;
    let mut unknown = None;
    for (leaf, when) in branches {
        match leaf {
            Leaf::Known { value: true, .. } => {}
            Leaf::Known {
                value: false,
                origin: Origin::Explicit { defined_at },
                span,
            } => {
                violated = true;
                let message = format!("{NOT_ENCRYPTED}{when}");
                violation(on, span, message, defined_at, account, findings);
            }
            Leaf::Known {
                value: false,
                origin: Origin::AwsDefault,
                span,
            } => {
                violated = true;
                let message = format!("{DEFAULTS_UNENCRYPTED}{when}");
                violation(on, span, message, None, account, findings);
            }
            Leaf::Unknown { reason, span } => {
                unknown = unknown.or(Some((reason, span)));
            }
        }
    }
    if let (false, Some((reason, span))) = (violated, unknown) {
        findings.unverifiable(on, span, "whether the EBS volume is encrypted", reason);
    }
}

/// A volume restored from a snapshot is encrypted if the snapshot is, which is not known
/// offline: records the note and returns true when a snapshot may be named.
fn snapshot(on: &ResourceRef, snapshot_id: &Value<Option<Text>>, findings: &mut Findings) -> bool {
    for branch in snapshot_id.branches() {
        match branch.leaf {
            Leaf::Known { value: None, .. } => {}
            Leaf::Known {
                value: Some(id),
                span,
                ..
            } => {
                findings.unverifiable_because(
                    on,
                    span,
                    format!("whether the EBS volume is encrypted: it follows snapshot `{id}`"),
                );
                return true;
            }
            Leaf::Unknown { reason, span } => {
                findings.unverifiable(
                    on,
                    span,
                    "the snapshot the EBS volume is created from",
                    reason,
                );
                return true;
            }
        }
    }
    false
}

/// The root volume when no device configures it: from the launch template if one is linked,
/// else from the AMI snapshot, taken as unencrypted.
fn root(
    on: &ResourceRef,
    devices: &BlockDevices,
    template: Option<&Value<LaunchTemplateRef>>,
    ebs: &Ebs,
    account: &Account,
    findings: &mut Findings,
) {
    if matches!(account, Account::Applies) || devices.root_configured() == RootConfigured::Yes {
        return;
    }
    let Some(template) = template else {
        unconfigured_root(on, devices, &[], account, findings);
        return;
    };
    // The instance launches with its own mappings and the template's: a root mapping in either
    // configures the root. The template's mappings are judged on the template itself.
    for branch in template.branches() {
        match branch.leaf {
            Leaf::Known {
                value: LaunchTemplateRef::Address(address),
                span,
                ..
            } => match ebs.launch_template(address) {
                Some(template) => unconfigured_root(
                    on,
                    &devices.launched_with(template),
                    &branch.conditions,
                    account,
                    findings,
                ),
                None => {
                    findings.unverifiable_because(
                        on,
                        span,
                        format!("the root volume comes from `{address}`, which is not a launch template of the scanned files"),
                    );
                }
            },
            Leaf::Known {
                value: LaunchTemplateRef::None,
                ..
            } => unconfigured_root(on, devices, &branch.conditions, account, findings),
            Leaf::Known {
                value: LaunchTemplateRef::Name(name),
                span,
                ..
            } => {
                findings.unverifiable_because(
                    on,
                    span,
                    format!("the root volume comes from launch template `{name}`, outside the scanned files"),
                );
            }
            Leaf::Unknown { reason, span } => {
                findings.unverifiable(
                    on,
                    span,
                    "the root volume set by the launch template",
                    reason,
                );
            }
        }
    }
}

/// Reports the root volume of `devices` at the resource header when no mapping configures it,
/// under the conditions `when` choosing the launch template (RULES.md 5.5).
fn unconfigured_root(
    on: &ResourceRef,
    devices: &BlockDevices,
    when: &[(&str, bool)],
    account: &Account,
    findings: &mut Findings,
) {
    let outcomes = match devices.root_configured() {
        RootConfigured::Yes => return,
        RootConfigured::No => Vec::new(),
        RootConfigured::NoWhen(outcomes) => outcomes,
        RootConfigured::Unknown { reason, span } => {
            findings.unverifiable(on, span, "whether the root volume is configured", &reason);
            return;
        }
    };
    let conditions = when
        .iter()
        .copied()
        .chain(outcomes.iter().map(|(c, outcome)| (&**c, *outcome)));
    if let Some(conditions) = consistent_conditions(conditions) {
        let message = format!("{DEFAULTS_UNENCRYPTED}{}", when_clause(conditions));
        violation(on, on.span, message, None, account, findings);
    }
}

fn violation(
    on: &ResourceRef,
    span: Span,
    message: String,
    defined_at: Option<Span>,
    account: &Account,
    findings: &mut Findings,
) {
    match account {
        Account::Applies => {}
        Account::MayApply(why) => {
            findings.unverifiable_because(on, span, format!("{message} unless {why}"));
        }
        Account::Absent => {
            findings
                .report(on, span, message)
                .defined_at(defined_at)
                .unless(AccountFactKind::EbsEncryptionByDefault);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UnknownReason;
    use crate::model::ec2::ebs::{
        BlockDeviceMapping, EbsVolume, EncryptionByDefault, Instance, LaunchTemplate,
    };
    use crate::model::testing::{header, resource, run, span, unknown_var};

    fn ebs_device(encrypted: Value<bool>) -> EbsDevice {
        EbsDevice {
            header: span(10),
            encrypted,
            snapshot_id: Value::aws_default(None, span(10)),
        }
    }

    fn volume(encrypted: Value<bool>) -> Model {
        let mut model = Model::default();
        model.ec2.ebs.volumes.push(EbsVolume {
            resource: resource(),
            provider: Some("aws".into()),
            device: ebs_device(encrypted),
        });
        model
    }

    fn instance(devices: BlockDevices, template: Option<Value<LaunchTemplateRef>>) -> Model {
        let mut model = Model::default();
        model.ec2.ebs.instances.push(Instance {
            resource: resource(),
            provider: Some("aws".into()),
            devices,
            launch_template: template,
            template_expression: None,
        });
        model
    }

    fn mapping(name: &str, ebs: Option<EbsDevice>) -> BlockDeviceMapping {
        BlockDeviceMapping {
            span: span(20),
            device_name: Some(Value::explicit(name.into(), span(21))),
            ebs,
            when: Vec::new(),
        }
    }

    fn account_default(model: &mut Model, provider: &str, enabled: Value<bool>) {
        model
            .ec2
            .ebs
            .encryption_by_default
            .push(EncryptionByDefault {
                resource: resource(),
                provider: provider.into(),
                enabled,
            });
    }

    #[test]
    fn explicit_false_points_at_the_attribute() {
        let out = run(&RULE, volume(Value::explicit(false, span(40))));
        assert_eq!(out.spans(), [span(40)]);
        assert_eq!(out.messages(), [NOT_ENCRYPTED]);
    }

    #[test]
    fn omitted_points_at_the_header_with_the_default_wording() {
        let out = run(&RULE, volume(Value::aws_default(false, header())));
        assert_eq!(out.spans(), [header()]);
        assert_eq!(out.messages(), [DEFAULTS_UNENCRYPTED]);
    }

    #[test]
    fn findings_may_be_removed_by_another_units_account_default() {
        let out = run(&RULE, volume(Value::explicit(false, span(40))));
        assert_eq!(
            out.0[0].unless,
            Some(AccountFactKind::EbsEncryptionByDefault)
        );
    }

    #[test]
    fn encrypted_passes_and_unknown_is_unverifiable() {
        assert!(
            run(&RULE, volume(Value::explicit(true, span(40))))
                .0
                .is_empty()
        );
        let out = run(&RULE, volume(unknown_var("enc", 40)));
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
    }

    #[test]
    fn a_conditional_reports_the_false_branch_with_its_condition() {
        let value = Value::Conditional {
            condition: "IsProd".into(),
            when_true: Box::new(Value::explicit(true, span(41))),
            when_false: Box::new(Value::explicit(false, span(42))),
        };
        let out = run(&RULE, volume(value));
        assert_eq!(out.spans(), [span(42)]);
        assert_eq!(
            out.messages(),
            ["EBS volume is not encrypted when IsProd is false"]
        );
    }

    #[test]
    fn a_snapshot_makes_an_unencrypted_volume_unverifiable() {
        let mut model = volume(Value::aws_default(false, header()));
        model.ec2.ebs.volumes[0].device.snapshot_id =
            Value::explicit(Some("snap-1".into()), span(50));
        let out = run(&RULE, model);
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
    }

    #[test]
    fn account_default_in_the_same_provider_passes() {
        let mut model = volume(Value::aws_default(false, header()));
        account_default(&mut model, "aws", Value::aws_default(true, span(60)));
        assert!(run(&RULE, model).0.is_empty());
    }

    #[test]
    fn account_default_turned_off_does_not_help() {
        let mut model = volume(Value::aws_default(false, header()));
        account_default(&mut model, "aws", Value::explicit(false, span(60)));
        assert_eq!(run(&RULE, model).spans(), [header()]);
    }

    #[test]
    fn account_default_for_another_provider_is_unverifiable() {
        let mut model = volume(Value::aws_default(false, header()));
        account_default(&mut model, "aws.eu", Value::aws_default(true, span(60)));
        let out = run(&RULE, model);
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
    }

    #[test]
    fn an_instance_without_root_settings_fails_at_its_header() {
        let out = run(&RULE, instance(BlockDevices::default(), None));
        assert_eq!(out.spans(), [header()]);
    }

    #[test]
    fn the_root_is_found_by_name_not_position() {
        let devices = BlockDevices {
            mappings: vec![
                mapping("/dev/sdb", None),
                mapping(
                    "/dev/xvda",
                    Some(ebs_device(Value::explicit(true, span(30)))),
                ),
            ],
            ..BlockDevices::default()
        };
        assert!(run(&RULE, instance(devices, None)).0.is_empty());
        let devices = BlockDevices {
            mappings: vec![mapping(
                "/dev/sdf",
                Some(ebs_device(Value::explicit(true, span(30)))),
            )],
            ..BlockDevices::default()
        };
        assert_eq!(run(&RULE, instance(devices, None)).spans(), [header()]);
    }

    #[test]
    fn a_linked_template_settles_the_root_on_the_template() {
        let linked = Value::explicit(LaunchTemplateRef::Address(resource().address), span(70));
        let mut model = instance(BlockDevices::default(), Some(linked));
        model.ec2.ebs.launch_templates.push(LaunchTemplate {
            name_expression: None,
            resource: resource(),
            provider: Some("aws".into()),
            name: None,
            mappings: vec![mapping(
                "/dev/xvda",
                Some(ebs_device(Value::explicit(false, span(31)))),
            )],
        });
        let out = run(&RULE, model);
        assert_eq!(out.spans(), [span(31)]);
        assert_eq!(out.unverified(), 0);
    }

    #[test]
    fn an_instance_on_a_template_without_a_root_mapping_fails_at_its_header() {
        let mut by_address = resource();
        by_address.address = "t".into();
        let linked = Value::explicit(LaunchTemplateRef::Address("t".into()), span(70));
        let mut model = instance(BlockDevices::default(), Some(linked));
        model.ec2.ebs.launch_templates.push(LaunchTemplate {
            name_expression: None,
            resource: by_address,
            provider: Some("aws".into()),
            name: None,
            mappings: vec![mapping(
                "/dev/sdf",
                Some(ebs_device(Value::explicit(true, span(31)))),
            )],
        });
        assert_eq!(run(&RULE, model).spans(), [header()]);
    }

    #[test]
    fn an_unknown_template_makes_the_root_unverifiable() {
        let unknown = Value::unknown(UnknownReason::Variable("template_id".into()), span(70));
        let out = run(&RULE, instance(BlockDevices::default(), Some(unknown)));
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
        let outside = Value::explicit(LaunchTemplateRef::Name("lt-0abc".into()), span(70));
        let out = run(&RULE, instance(BlockDevices::default(), Some(outside)));
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
    }

    #[test]
    fn an_unknown_device_name_makes_the_root_unverifiable() {
        let devices = BlockDevices {
            mappings: vec![BlockDeviceMapping {
                span: span(20),
                device_name: Some(unknown_var("device", 21)),
                ebs: Some(ebs_device(Value::explicit(true, span(30)))),
                when: Vec::new(),
            }],
            ..BlockDevices::default()
        };
        let out = run(&RULE, instance(devices, None));
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
    }
}
