//! EBS storage: volumes, the block devices of instances, launch templates and launch
//! configurations, and the account-wide "encryption by default" setting.

use crate::model::{Leaf, ResourceRef, UnknownReason, Value};
use crate::source::Span;
use crate::text::Text;

#[derive(Debug, Default)]
pub struct Ebs {
    pub volumes: Vec<EbsVolume>,
    pub instances: Vec<Instance>,
    pub launch_templates: Vec<LaunchTemplate>,
    pub launch_configurations: Vec<LaunchConfiguration>,
    pub encryption_by_default: Vec<EncryptionByDefault>,
}

/// Device names AWS AMIs use for the root volume. A mapping with one of these names configures
/// the root; list position never does.
pub const ROOT_DEVICE_NAMES: &[&str] = &["/dev/xvda", "/dev/sda1"];

/// Conditions combined when judging the root of mappings chosen by `Fn::If`; beyond, every
/// mapping is taken as existing.
const MAX_ROOT_CONDITIONS: usize = 6;

/// Whether `name` is a root device name.
pub fn is_root_device_name(name: &str) -> bool {
    ROOT_DEVICE_NAMES.contains(&name)
}

/// A standalone volume (`aws_ebs_volume`, `AWS::EC2::Volume`).
#[derive(Clone, Debug, PartialEq)]
pub struct EbsVolume {
    pub resource: ResourceRef,
    /// Terraform provider configuration (`aws`, `aws.eu`); `None` outside Terraform.
    pub provider: Option<Text>,
    pub device: EbsDevice,
}

/// The encryption settings of one EBS volume, standalone or created by a block-device mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct EbsDevice {
    /// The header of the block holding the settings (resource, `root_block_device`, `ebs`, `Ebs`).
    pub header: Span,
    pub encrypted: Value<bool>,
    /// `None` when no snapshot is named: the volume starts empty.
    pub snapshot_id: Value<Option<Text>>,
}

impl EbsDevice {
    /// EBS creates unencrypted volumes unless told otherwise (or encryption by default is on).
    pub const DEFAULT_ENCRYPTED: bool = false;
}

/// One entry of a block-device list.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockDeviceMapping {
    pub span: Span,
    /// `None` when the format does not name the device (Terraform `root_block_device`).
    pub device_name: Option<Value<Text>>,
    /// `None` for mappings that create no EBS volume: instance store (`virtual_name`,
    /// `ephemeral_block_device`), suppressed (`no_device`), or without an `ebs` part.
    pub ebs: Option<EbsDevice>,
    /// Conditions under which the mapping is as described (`Fn::If` choosing the list, the
    /// mapping or its `Ebs`); empty when unconditional. Each branch is one mapping (RULES.md 2.4).
    pub when: Vec<(Text, bool)>,
}

/// The block devices of an instance or launch configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BlockDevices {
    /// Terraform `root_block_device`: the root whatever its name. Usually one; a `dynamic`
    /// block over a conditional collection gives one per branch, each with its conditions.
    pub root: Vec<RootDevice>,
    pub mappings: Vec<BlockDeviceMapping>,
    /// The mapping list itself is not known offline (a parameter, an unresolved expression).
    pub unresolved: Option<(UnknownReason, Span)>,
}

/// A Terraform `root_block_device` and the conditions under which it exists (empty when
/// unconditional): a root existing in one branch configures nothing in the other (RULES.md 2.4).
#[derive(Clone, Debug, PartialEq)]
pub struct RootDevice {
    pub device: EbsDevice,
    pub when: Vec<(Text, bool)>,
}

/// Whether the devices configure the root volume.
#[derive(Clone, Debug, PartialEq)]
pub enum RootConfigured {
    Yes,
    No,
    /// A device name (or the whole list) is not known: the first such value.
    Unknown {
        reason: UnknownReason,
        span: Span,
    },
    /// Not configured when the conditions have these outcomes (mappings chosen by `Fn::If`).
    NoWhen(Vec<(Text, bool)>),
}

impl BlockDevices {
    pub fn root_configured(&self) -> RootConfigured {
        if self.root.iter().any(|root| root.when.is_empty()) {
            return RootConfigured::Yes;
        }
        // Conditions choosing mappings or root blocks: judge each combination of outcomes
        // (RULES.md 2.4).
        let mut names: Vec<&str> = Vec::new();
        let conditions = self.mappings.iter().map(|m| &m.when);
        let named_when = self
            .mappings
            .iter()
            .filter_map(|m| m.device_name.as_ref())
            .flat_map(|name| name.branches())
            .flat_map(|branch| branch.conditions);
        for name in conditions
            .chain(self.root.iter().map(|r| &r.when))
            .flatten()
            .map(|(name, _)| &**name)
            .chain(named_when.map(|(name, _)| name))
        {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        if names.is_empty() || names.len() > MAX_ROOT_CONDITIONS {
            return self.root_configured_where(&[]);
        }
        let outcomes = |combination: u32| -> Vec<(Text, bool)> {
            names
                .iter()
                .enumerate()
                .map(|(at, name)| ((*name).into(), combination & (1 << at) == 0))
                .collect()
        };
        let mut unknown = None;
        let mut unconfigured = Vec::new();
        for combination in 0..1u32 << names.len() {
            match self.root_configured_where(&outcomes(combination)) {
                RootConfigured::Yes => {}
                RootConfigured::No | RootConfigured::NoWhen(_) => unconfigured.push(combination),
                found @ RootConfigured::Unknown { .. } => {
                    unknown.get_or_insert(found);
                }
            }
        }
        let Some(&first) = unconfigured.first() else {
            return unknown.unwrap_or(RootConfigured::Yes);
        };
        // Widen the first failing combination: a condition whose other outcome fails too (the
        // rest fixed as far as they still are) does not decide the root, so the message names
        // only the conditions that do, and none when every combination fails.
        let mut fixed: u32 = (1 << names.len()) - 1;
        for at in 0..names.len() {
            let widened = fixed & !(1 << at);
            let all_fail = (0..1u32 << names.len())
                .filter(|c| c & widened == first & widened)
                .all(|c| unconfigured.contains(&c));
            if all_fail {
                fixed = widened;
            }
        }
        if fixed == 0 {
            return RootConfigured::No;
        }
        RootConfigured::NoWhen(
            outcomes(first)
                .into_iter()
                .enumerate()
                .filter(|(at, _)| fixed & (1 << at) != 0)
                .map(|(_, outcome)| outcome)
                .collect(),
        )
    }

    /// Whether the mappings existing under `outcomes` (all when empty) configure the root.
    fn root_configured_where(&self, outcomes: &[(Text, bool)]) -> RootConfigured {
        let mut unknown = self.unresolved.clone();
        let holds = |name: &str, outcome: bool| {
            outcomes
                .iter()
                .all(|(other, chosen)| &**other != name || *chosen == outcome)
        };
        let exists =
            |when: &[(Text, bool)]| when.iter().all(|(name, outcome)| holds(name, *outcome));
        if self.root.iter().any(|root| exists(&root.when)) {
            return RootConfigured::Yes;
        }
        for mapping in self.mappings.iter().filter(|m| exists(&m.when)) {
            let Some(name) = &mapping.device_name else {
                continue;
            };
            // A name chosen by `Fn::If` names the root only where its condition holds.
            let chosen = name.branches().into_iter().filter(|branch| {
                branch
                    .conditions
                    .iter()
                    .all(|(name, outcome)| holds(name, *outcome))
            });
            for branch in chosen {
                match branch.leaf {
                    Leaf::Known { value, .. } if is_root_device_name(value) => {
                        return RootConfigured::Yes;
                    }
                    Leaf::Known { .. } => {}
                    Leaf::Unknown { reason, span } => {
                        if unknown.is_none() {
                            unknown = Some((reason.clone(), span));
                        }
                    }
                }
            }
        }
        match unknown {
            Some((reason, span)) => RootConfigured::Unknown { reason, span },
            None => RootConfigured::No,
        }
    }

    /// The devices an instance launches with on `template`: its own, then the template's. AWS
    /// lets the instance's override the template's by device name; the template's are judged
    /// on the template, so here they only tell whether some mapping configures the root.
    pub fn launched_with(&self, template: &LaunchTemplate) -> BlockDevices {
        BlockDevices {
            root: self.root.clone(),
            mappings: self
                .mappings
                .iter()
                .chain(&template.mappings)
                .cloned()
                .collect(),
            unresolved: self.unresolved.clone(),
        }
    }

    /// Every EBS volume the devices create, root first.
    pub fn ebs_devices(&self) -> impl Iterator<Item = &EbsDevice> {
        self.root
            .iter()
            .map(|root| &root.device)
            .chain(self.mappings.iter().filter_map(|m| m.ebs.as_ref()))
    }
}

/// How an instance names its launch template.
#[derive(Clone, Debug, PartialEq)]
pub enum LaunchTemplateRef {
    /// A template of the same unit, by address or logical id.
    Address(Text),
    /// A literal name no template of the unit carries: a template outside the scan.
    Name(Text),
    /// No template, in this branch of a conditional (`Fn::If` with `AWS::NoValue`, a `dynamic`
    /// block over a conditional collection).
    None,
}

/// `aws_instance`, `aws_spot_instance_request`, `AWS::EC2::Instance`.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    pub resource: ResourceRef,
    pub provider: Option<Text>,
    pub devices: BlockDevices,
    pub launch_template: Option<Value<LaunchTemplateRef>>,
    /// The template id or name as written when it is not known offline (`var.lt`), to link to a
    /// template named by the very same expression (RULES.md 2.1).
    pub template_expression: Option<Text>,
}

/// `aws_launch_template`, `AWS::EC2::LaunchTemplate`.
#[derive(Clone, Debug, PartialEq)]
pub struct LaunchTemplate {
    pub resource: ResourceRef,
    pub provider: Option<Text>,
    /// The literal template name, which instances may link by.
    pub name: Option<Text>,
    /// The name as written when it is not known offline, which instances may link by too.
    pub name_expression: Option<Text>,
    pub mappings: Vec<BlockDeviceMapping>,
}

/// `aws_launch_configuration`, `AWS::AutoScaling::LaunchConfiguration`.
#[derive(Clone, Debug, PartialEq)]
pub struct LaunchConfiguration {
    pub resource: ResourceRef,
    pub provider: Option<Text>,
    pub devices: BlockDevices,
}

/// `aws_ebs_encryption_by_default`: every new volume of the account and region is encrypted.
#[derive(Clone, Debug, PartialEq)]
pub struct EncryptionByDefault {
    pub resource: ResourceRef,
    pub provider: Text,
    pub enabled: Value<bool>,
}

impl EncryptionByDefault {
    /// The resource turns the setting on unless `enabled = false`.
    pub const DEFAULT_ENABLED: bool = true;
}

impl Ebs {
    /// The launch template of the unit an instance links to by `address`; an instance of a
    /// template with `count` or `for_each` (`t[0]`) links to the template linted as one.
    pub fn launch_template(&self, address: &str) -> Option<&LaunchTemplate> {
        let addresses = self.launch_templates.iter().map(|t| &*t.resource.address);
        let at = ResourceRef::linked_position(addresses, address)?;
        self.launch_templates.get(at)
    }

    /// Resolves instances naming their template by a literal name to a template of the unit
    /// carrying that name; other names stay as they are (a template outside the scan). An
    /// unknown id or name links to the one template named by the very same expression.
    pub fn link_templates_by_name(&mut self) {
        let templates = &self.launch_templates;
        for instance in &mut self.instances {
            if let (Some(Value::Unknown { span, .. }), Some(expression)) =
                (&instance.launch_template, &instance.template_expression)
            {
                let mut named = templates
                    .iter()
                    .filter(|t| t.name_expression.as_ref() == Some(expression));
                if let (Some(template), None) = (named.next(), named.next()) {
                    instance.launch_template = Some(Value::explicit(
                        LaunchTemplateRef::Address(template.resource.address.clone()),
                        *span,
                    ));
                }
                continue;
            }
            let Some(Value::Known { value, .. }) = &mut instance.launch_template else {
                continue;
            };
            let LaunchTemplateRef::Name(name) = value else {
                continue;
            };
            if let Some(template) = templates
                .iter()
                .find(|t| t.name.as_deref() == Some(&**name))
            {
                *value = LaunchTemplateRef::Address(template.resource.address.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{resource, span};

    #[test]
    fn an_instance_naming_a_template_of_the_unit_links_to_it() {
        let mut ebs = Ebs::default();
        let mut template = resource();
        template.address = "aws_launch_template.web".into();
        ebs.launch_templates.push(LaunchTemplate {
            name_expression: None,
            resource: template,
            provider: None,
            name: Some("web".into()),
            mappings: Vec::new(),
        });
        for name in ["web", "elsewhere"] {
            ebs.instances.push(Instance {
                resource: resource(),
                provider: None,
                devices: BlockDevices::default(),
                launch_template: Some(Value::explicit(
                    LaunchTemplateRef::Name(name.into()),
                    span(5),
                )),
                template_expression: None,
            });
        }
        ebs.link_templates_by_name();
        let links: Vec<_> = ebs
            .instances
            .iter()
            .filter_map(|i| i.launch_template.as_ref().and_then(Value::known))
            .collect();
        assert_eq!(
            links,
            [
                &LaunchTemplateRef::Address("aws_launch_template.web".into()),
                &LaunchTemplateRef::Name("elsewhere".into()),
            ]
        );
    }

    #[test]
    fn the_root_is_recognized_by_its_device_name() {
        let named = |name: &str| BlockDeviceMapping {
            span: span(1),
            device_name: Some(Value::explicit(name.into(), span(2))),
            ebs: None,
            when: Vec::new(),
        };
        let devices = BlockDevices {
            mappings: vec![named("/dev/sdb"), named("/dev/sda1")],
            ..BlockDevices::default()
        };
        assert_eq!(devices.root_configured(), RootConfigured::Yes);
        let devices = BlockDevices {
            mappings: vec![named("/dev/sdb")],
            ..BlockDevices::default()
        };
        assert_eq!(devices.root_configured(), RootConfigured::No);
    }

    #[test]
    fn only_the_conditions_that_decide_the_root_are_named() {
        let mapping = |name: &str, when: &[(&str, bool)]| BlockDeviceMapping {
            span: span(1),
            device_name: Some(Value::explicit(name.into(), span(2))),
            ebs: None,
            when: when.iter().map(|(c, b)| ((*c).into(), *b)).collect(),
        };
        // No branch maps the root: unconditional, whatever chooses the other mappings.
        let devices = BlockDevices {
            mappings: vec![
                mapping("/dev/sdb", &[("IsProd", true)]),
                mapping("/dev/sdc", &[("IsProd", false), ("IsDev", true)]),
            ],
            ..BlockDevices::default()
        };
        assert_eq!(devices.root_configured(), RootConfigured::No);
        // Only the production branch maps it: the finding holds when IsProd is false.
        let devices = BlockDevices {
            mappings: vec![
                mapping("/dev/xvda", &[("IsProd", true)]),
                mapping("/dev/sdc", &[("IsDev", true)]),
            ],
            ..BlockDevices::default()
        };
        assert_eq!(
            devices.root_configured(),
            RootConfigured::NoWhen(vec![("IsProd".into(), false)])
        );
    }

    #[test]
    fn a_root_block_in_one_branch_configures_nothing_in_the_other() {
        let root = RootDevice {
            device: EbsDevice {
                header: span(3),
                encrypted: Value::explicit(true, span(3)),
                snapshot_id: Value::aws_default(None, span(3)),
            },
            when: vec![("var.c".into(), true)],
        };
        let devices = BlockDevices {
            root: vec![root.clone()],
            ..BlockDevices::default()
        };
        assert_eq!(
            devices.root_configured(),
            RootConfigured::NoWhen(vec![("var.c".into(), false)])
        );
        let other_branch = RootDevice {
            when: vec![("var.c".into(), false)],
            ..root.clone()
        };
        let devices = BlockDevices {
            root: vec![root, other_branch],
            ..BlockDevices::default()
        };
        assert_eq!(devices.root_configured(), RootConfigured::Yes);
    }

    #[test]
    fn an_unknown_template_links_only_by_the_very_same_expression() {
        let mut ebs = Ebs::default();
        let mut template = resource();
        template.address = "aws_launch_template.web".into();
        ebs.launch_templates.push(LaunchTemplate {
            name_expression: Some("var.name".into()),
            resource: template,
            provider: None,
            name: None,
            mappings: Vec::new(),
        });
        for expression in ["var.name", "var.other"] {
            ebs.instances.push(Instance {
                resource: resource(),
                provider: None,
                devices: BlockDevices::default(),
                launch_template: Some(Value::unknown(UnknownReason::Variable("x".into()), span(5))),
                template_expression: Some(expression.into()),
            });
        }
        ebs.link_templates_by_name();
        let linked: Vec<bool> = ebs
            .instances
            .iter()
            .map(|i| i.launch_template.as_ref().and_then(Value::known).is_some())
            .collect();
        assert_eq!(linked, [true, false]);
    }
}
