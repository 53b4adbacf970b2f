//! Flags CloudTrail trails that do not validate the integrity of their log files.

use crate::model::cloudtrail::Trail;
use crate::model::{Leaf, Model, Origin};
use crate::rules::{Findings, Format, Rule, RuleMeta, Service, Severity};

pub const RULE: Rule = Rule {
    meta: RuleMeta {
        name: "cloudtrail-log-validation-disabled",
        module: module_path!(),
        service: Service::CloudTrail,
        severity: Severity::Medium,
        formats: &[Format::Terraform, Format::CloudFormation],
        summary: "CloudTrail trail writes no digest files proving its logs are untouched",
        rationale: "With log file validation on, CloudTrail delivers a signed digest file every hour \
that lets you prove the log files were not changed, deleted or forged after delivery. Without it, \
whoever can write to the log bucket can rewrite history unnoticed, and the logs lose their value as \
evidence. Only the console turns validation on by default: the API, Terraform and CloudFormation \
leave it off unless it is set. Organization trails are trails like any other; CloudTrail Lake event \
data stores write no digest files and are not checked.",
        remediation: "Turn validation on.\n\nTerraform:\n\n\
```hcl\nresource \"aws_cloudtrail\" \"main\" {\n  # ...\n  enable_log_file_validation = true\n}\n```\n\n\
CloudFormation:\n\n\
```yaml\nTrail:\n  Type: AWS::CloudTrail::Trail\n  Properties:\n    EnableLogFileValidation: true\n```\n\n\
Check the digests with `aws cloudtrail validate-logs`.",
        references: &[
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-intro.html",
            "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudtrail-controls.html#cloudtrail-4",
        ],
        aliases: &[
            "AWS-0016",
            "CKV_AWS_36",
            "52ffcfa6-6c70-4ea6-8376-d828d3961669",
            "2a3560fe-52ca-4443-b34f-bf0ed5eb74c8",
        ],
    },
    check,
};

fn check(model: &Model, findings: &mut Findings) {
    for trail in &model.cloudtrail.trails {
        check_trail(trail, findings);
    }
}

/// Judges every branch (RULES.md 2.4): each one turning validation off is a finding; an unknown
/// branch only matters when no branch is a finding.
fn check_trail(trail: &Trail, findings: &mut Findings) {
    let on = &trail.resource;
    let branches = trail.log_file_validation.branches();
    let mut unknown = Vec::new();
    let mut reported = false;
    for branch in &branches {
        match branch.leaf {
            Leaf::Known { value: true, .. } => {}
            Leaf::Known {
                value: false,
                origin: Origin::Explicit { defined_at },
                span,
            } => {
                let message = format!("log file validation is turned off{}", branch.when());
                findings.report(on, span, message).defined_at(defined_at);
                reported = true;
            }
            Leaf::Known {
                value: false,
                origin: Origin::AwsDefault,
                span,
            } => {
                let message = format!(
                    "log file validation is not set and defaults to off{}",
                    branch.when()
                );
                findings.report(on, span, message);
                reported = true;
            }
            Leaf::Unknown { reason, span } => unknown.push((span, reason)),
        }
    }
    if !reported {
        for (span, reason) in unknown {
            findings.unverifiable(on, span, "whether log file validation is on", reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::model::testing::{header, resource, run, span, unknown_var};

    fn trail(log_file_validation: Value<bool>) -> Model {
        let mut model = Model::default();
        model.cloudtrail.trails.push(Trail {
            resource: resource(),
            log_file_validation,
        });
        model
    }

    #[test]
    fn explicit_false_points_at_the_attribute() {
        let out = run(&RULE, trail(Value::explicit(false, span(40))));
        assert_eq!(out.spans(), [span(40)]);
        assert_eq!(out.messages(), ["log file validation is turned off"]);
    }

    #[test]
    fn omitted_points_at_the_header() {
        let value = Value::aws_default(Trail::DEFAULT_LOG_FILE_VALIDATION, header());
        let out = run(&RULE, trail(value));
        assert_eq!(out.spans(), [header()]);
        assert_eq!(
            out.messages(),
            ["log file validation is not set and defaults to off"]
        );
    }

    #[test]
    fn true_passes() {
        let out = run(&RULE, trail(Value::explicit(true, span(40))));
        assert!(out.spans().is_empty() && out.unverified() == 0);
    }

    #[test]
    fn unknown_is_unverifiable_not_reported() {
        let out = run(&RULE, trail(unknown_var("validate", 30)));
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
    }

    #[test]
    fn a_variable_default_is_labelled_where_it_was_set() {
        let value = Value::Known {
            value: false,
            origin: Origin::Explicit {
                defined_at: Some(span(90)),
            },
            span: span(40),
        };
        let out = run(&RULE, trail(value));
        assert_eq!(out.0[0].labels[0].span, span(90));
    }

    #[test]
    fn each_branch_is_judged_with_its_condition() {
        let value = Value::Conditional {
            condition: "IsProd".into(),
            when_true: Box::new(Value::explicit(true, span(10))),
            when_false: Box::new(Value::aws_default(false, span(20))),
        };
        let out = run(&RULE, trail(value));
        assert_eq!(out.spans(), [span(20)]);
        assert_eq!(
            out.messages(),
            ["log file validation is not set and defaults to off when IsProd is false"]
        );
    }

    #[test]
    fn an_unknown_branch_beside_a_violation_adds_no_note() {
        let value = Value::Conditional {
            condition: "c".into(),
            when_true: Box::new(unknown_var("v", 10)),
            when_false: Box::new(Value::explicit(false, span(20))),
        };
        let out = run(&RULE, trail(value));
        assert_eq!(out.spans(), [span(20)]);
        assert_eq!(out.unverified(), 0);
    }
}
