//! S3 buckets and the resources configuring them, declared in Terraform.

use super::Resource;
use super::eval::{Evaluator, span_of_expr};
use crate::adapt::val::{Conditions, Val, ValKind, as_bool, as_text, field_value, value_under};
use crate::model::s3::{
    AccountBlock, Acl, Bucket, BucketName, CannedAcl, Child, Flag, Grantee, Ownership,
    PublicAccessBlock, Reach, Target,
};
use crate::model::{AccountFactKind, Model, UnknownReason, Value};
use crate::source::Span;
use crate::text::Text;

/// Resource types this adapter reads; others are not evaluated at all.
pub const TYPES: &[&str] = &[
    "aws_s3_account_public_access_block",
    "aws_s3_bucket",
    "aws_s3_bucket_acl",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_public_access_block",
];

pub fn resource(resource: &Resource, evaluator: &Evaluator, model: &mut Model) {
    let body = &resource.body;
    let header = resource.header();
    let s3 = &mut model.s3;
    let may_not_exist = resource
        .exists_when
        .as_ref()
        .map(|expression| UnknownReason::Reference(expression.clone()));
    match resource.resource_type() {
        "aws_s3_bucket" => {
            s3.buckets.push(Bucket {
                resource: resource.reference.clone(),
                name: bucket_name(resource, evaluator),
                provider: resource.provider.clone(),
                exists_when: resource.exists_when.clone(),
            });
            let own = || Target::Reference(resource.reference.address.clone());
            let grants: Vec<_> = body
                .blocks_when("grant")
                .into_iter()
                .filter_map(|(_, when, grant)| grantee(grant, &when))
                .collect();
            if body.field("acl").is_some() || !grants.is_empty() {
                let acl = Acl {
                    header,
                    canned: body.field("acl").map(|_| canned_acl(body, header)),
                    grants,
                };
                s3.acls.push(child(resource, own(), acl));
            }
            if body.field("policy").is_some() {
                s3.policies.push(child(resource, own(), ()));
            }
        }
        "aws_s3_bucket_acl" => {
            let grants = nested(&Conditions::new(), body, "access_control_policy")
                .into_iter()
                .flat_map(|(when, policy)| nested(&when, policy, "grant"))
                .flat_map(|(when, grant)| nested(&when, grant, "grantee"))
                .filter_map(|(when, grantee_block)| grantee(grantee_block, &when))
                .collect();
            let acl = Acl {
                header,
                canned: body.field("acl").map(|_| canned_acl(body, header)),
                grants,
            };
            s3.acls
                .push(child(resource, target(resource, evaluator), acl));
        }
        "aws_s3_bucket_policy" => {
            s3.policies
                .push(child(resource, target(resource, evaluator), ()));
        }
        "aws_s3_bucket_public_access_block" => {
            let block = access_block(body, header);
            s3.access_blocks
                .push(child(resource, target(resource, evaluator), block));
        }
        "aws_s3_bucket_ownership_controls" => {
            // A rule from one branch of a `dynamic` block's conditional `for_each` sets no
            // ownership in the other (RULES.md 2.4).
            let none = |at: Span| Value::aws_default(Text::default(), at);
            let object_ownership = body
                .blocks_when("rule")
                .into_iter()
                .map(|(_, when, rule)| {
                    let ownership = field_value(
                        rule,
                        "object_ownership",
                        rule.span,
                        Text::default(),
                        &as_text,
                    );
                    value_under(&when, ownership, &none)
                })
                .collect();
            let ownership = Ownership {
                header,
                object_ownership,
            };
            s3.ownership
                .push(child(resource, target(resource, evaluator), ownership));
        }
        "aws_s3_account_public_access_block" => {
            let mut block = access_block(body, header);
            if let Some(reason) = &may_not_exist {
                block.may_not_exist(reason);
            }
            let not_off = |flag: &Flag| flag.value.known() != Some(&false);
            if not_off(&block.ignore_public_acls) {
                model
                    .facts
                    .declared
                    .push(AccountFactKind::S3IgnorePublicAcls);
            }
            if not_off(&block.restrict_public_buckets) {
                model
                    .facts
                    .declared
                    .push(AccountFactKind::S3RestrictPublicBuckets);
            }
            if block.flags().into_iter().all(not_off) {
                model
                    .facts
                    .declared
                    .push(AccountFactKind::S3AllPublicAccessBlocked);
            }
            model.s3.account_blocks.push(AccountBlock {
                resource: resource.reference.clone(),
                provider: resource.provider.clone(),
                block,
            });
        }
        _ => {}
    }
}

/// Runs after every resource of the module was adapted: links resources to each other.
pub fn finish(model: &mut Model) {
    model.s3.link();
    model.s3.settle_existence();
}

fn child<T>(resource: &Resource, target: Target, item: T) -> Child<T> {
    Child {
        exists_when: resource.exists_when.clone(),
        ..Child::new(
            resource.reference.clone(),
            resource.provider.clone(),
            target,
            item,
        )
    }
}

/// The attribute's expression as written, to match the same unresolved expression (of the same
/// module instance).
fn expression_text(resource: &Resource, evaluator: &Evaluator, key: &str) -> Option<Text> {
    let attribute = resource.block.block.body.get_attribute(key)?;
    super::written::written_expression(
        evaluator,
        span_of_expr(resource.block.file, &attribute.value),
    )
}

fn bucket_name(resource: &Resource, evaluator: &Evaluator) -> Option<BucketName> {
    let value = resource.body.get("bucket")?;
    match &value.kind {
        ValKind::String(name) => Some(BucketName::Literal(name.clone())),
        _ => expression_text(resource, evaluator, "bucket").map(|written| BucketName::Expression {
            written,
            pattern: value.wildcard_pattern(),
            span: value.span,
        }),
    }
}

/// The bucket a child resource names in `bucket` (RULES.md 2.1).
fn target(resource: &Resource, evaluator: &Evaluator) -> Target {
    let Some(value) = resource.body.get("bucket") else {
        return Target::Unknown {
            reason: UnknownReason::Unsupported("a missing `bucket`"),
            span: resource.header(),
        };
    };
    match &value.kind {
        // A bucket of this module instance, or of another one passed in as an argument.
        ValKind::Link { target, .. } if in_module(target).starts_with("aws_s3_bucket.") => {
            Target::Reference(target.clone())
        }
        ValKind::String(name) => Target::Name(name.clone()),
        _ => {
            let reason = value.unknown_reason().unwrap_or(UnknownReason::Unsupported(
                "a bucket name of an unexpected type",
            ));
            match expression_text(resource, evaluator, "bucket") {
                Some(text) => Target::Expression {
                    text,
                    reason,
                    span: value.span,
                },
                None => Target::Unknown {
                    reason,
                    span: value.span,
                },
            }
        }
    }
}

/// An address without its `module.<name>.` and `module.<name>[<key>].` prefixes: the resource's
/// address in its module. A key is a number or a quoted string, which may hold dots.
fn in_module(mut address: &str) -> &str {
    while let Some(rest) = address.strip_prefix("module.") {
        let name_end = rest.find(['.', '[']).unwrap_or(rest.len());
        let Some(after) = skip_key(&rest[name_end..]) else {
            break;
        };
        match after.strip_prefix('.') {
            Some(inner) => address = inner,
            None => break,
        }
    }
    address
}

/// The text after an instance key `[0]` or `["a.b"]` at the start of `text` (`text` itself when
/// there is none); `None` when the key is not closed.
fn skip_key(text: &str) -> Option<&str> {
    let Some(rest) = text.strip_prefix('[') else {
        return Some(text);
    };
    let mut quoted = false;
    let mut escaped = false;
    for (at, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ']' if !quoted => return rest.get(at + 1..),
            _ => {}
        }
    }
    None
}

fn canned_acl(body: &Val, header: Span) -> Value<CannedAcl> {
    const PUBLIC: [&str; 3] = ["public-read", "public-read-write", "authenticated-read"];
    let private = CannedAcl::read("private".into(), PUBLIC);
    field_value(body, "acl", header, private, &|val| {
        as_text(val).map(|written| CannedAcl::read(written, PUBLIC))
    })
}

/// The blocks `key` of `parent` (which exists under `outer`), each with all its conditions.
fn nested<'a>(outer: &Conditions, parent: &'a Val, key: &str) -> Vec<(Conditions, &'a Val)> {
    parent
        .blocks_when(key)
        .into_iter()
        .map(|(_, inner, block)| ([outer.as_slice(), &inner].concat(), block))
        .collect()
}

/// The `uri` of a grant or grantee block existing under `when`; grants to a user id or e-mail
/// are never public. A grant from one branch of a `dynamic` block's conditional `for_each` is
/// no grant in the other (RULES.md 2.4).
fn grantee(block: &Val, when: &Conditions) -> Option<Value<Grantee>> {
    let field = block.field("uri")?;
    let absent = |at: Span| {
        Value::aws_default(
            Grantee {
                written: "".into(),
                reach: Reach::Private,
            },
            at,
        )
    };
    let uri = field.value.to_value(field.span(), &absent, &|val| {
        let written = as_text(val)?;
        Some(Grantee {
            reach: grantee_reach(&written),
            written,
        })
    });
    // The other side of each condition has no grant: a private one, located at the same `uri`.
    Some(value_under(when, uri, &absent))
}

fn access_block(body: &Val, header: Span) -> PublicAccessBlock {
    let flag = |name: &'static str| Flag {
        name,
        value: field_value(
            body,
            name,
            header,
            PublicAccessBlock::FLAG_DEFAULT,
            &as_bool,
        ),
    };
    PublicAccessBlock {
        header,
        block_public_acls: flag("block_public_acls"),
        block_public_policy: flag("block_public_policy"),
        ignore_public_acls: flag("ignore_public_acls"),
        restrict_public_buckets: flag("restrict_public_buckets"),
    }
}

/// The two predefined groups that make a grant public.
fn grantee_reach(uri: &str) -> Reach {
    const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
    const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
    let uri = uri.trim();
    if uri.eq_ignore_ascii_case(ALL_USERS) {
        Reach::Everyone
    } else if uri.eq_ignore_ascii_case(AUTHENTICATED_USERS) {
        Reach::AnyAwsAccount
    } else {
        Reach::Private
    }
}
