//! ec2 resources declared in CloudFormation.

#[path = "security_group.rs"]
mod security_group;

use super::{Context, Resource};
use crate::model::Model;

pub fn resource(resource: &Resource, context: &Context, model: &mut Model) {
    security_group::resource(resource, model);
    let _ = (resource, context, model);
}

/// Runs after every resource of the template was adapted: links resources to each other.
pub fn finish(model: &mut Model) {
    security_group::finish(model);
    let _ = model;
}
