//! ec2 resources declared in Terraform.

#[path = "security_group.rs"]
mod security_group;

use super::Resource;
use super::eval::Evaluator;
use crate::model::Model;

pub fn resource(resource: &Resource, evaluator: &Evaluator, model: &mut Model) {
    security_group::resource(resource, model);
    let _ = (resource, evaluator, model);
}

/// Runs after every resource of the module was adapted: links resources to each other.
pub fn finish(model: &mut Model) {
    security_group::finish(model);
    let _ = model;
}
