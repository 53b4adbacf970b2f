//! s3 resources declared in CloudFormation.

use super::{Context, Resource};
use crate::model::Model;

pub fn resource(resource: &Resource, context: &Context, model: &mut Model) {
    let _ = (resource, context, model);
}

/// Runs after every resource of the template was adapted: links resources to each other.
pub fn finish(model: &mut Model) {
    let _ = model;
}
