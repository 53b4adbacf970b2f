//! s3 resources declared in Terraform.

use super::Resource;
use super::eval::Evaluator;
use crate::model::Model;

pub fn resource(resource: &Resource, evaluator: &Evaluator, model: &mut Model) {
    let _ = (resource, evaluator, model);
}

/// Runs after every resource of the module was adapted: links resources to each other.
pub fn finish(model: &mut Model) {
    let _ = model;
}
