//! ec2 resources declared in Terraform.

#[path = "ebs.rs"]
mod ebs;
#[path = "security_group.rs"]
mod security_group;

use super::Resource;
use super::eval::Evaluator;
use crate::model::Model;

/// Whether this adapter reads resources of this type.
pub fn reads(resource_type: &str) -> bool {
    ebs::TYPES.contains(&resource_type) || security_group::TYPES.contains(&resource_type)
}

pub fn resource(resource: &Resource, evaluator: &Evaluator, model: &mut Model) {
    ebs::resource(resource, evaluator, model);
    security_group::resource(resource, model);
}

/// Runs after every resource of the module was adapted: links resources to each other.
pub fn finish(model: &mut Model) {
    model.ec2.ebs.link_templates_by_name();
    security_group::finish(model);
}
