//! ec2 resources declared in CloudFormation.

#[path = "ebs.rs"]
mod ebs;
#[path = "security_group.rs"]
mod security_group;

use super::{Context, Resource};
use crate::model::Model;

pub fn resource(resource: &Resource, context: &Context, model: &mut Model) {
    let _ = context;
    ebs::resource(resource, context, model);
    security_group::resource(resource, model);
}

/// Whether the EBS or security-group adapter reads resources of this type.
pub fn reads(resource_type: &str) -> bool {
    ebs::TYPES.contains(&resource_type) || security_group::TYPES.contains(&resource_type)
}

/// Runs after every resource of the template was adapted: links resources to each other.
pub fn finish(model: &mut Model) {
    model.ec2.ebs.link_templates_by_name();
    security_group::finish(model);
}
