//! Values the way an offline linter knows them: written, defaulted by AWS, unknown, or depending
//! on a condition it cannot decide.

use crate::source::Span;
use crate::text::Text;

#[derive(Clone, Debug, PartialEq)]
pub enum Value<T> {
    Known {
        value: T,
        origin: Origin,
        span: Span,
    },
    Unknown {
        reason: UnknownReason,
        span: Span,
    },
    /// `c ? a : b` or `Fn::If` whose condition is not known: each branch is judged (RULES.md 2.4).
    Conditional {
        condition: Text,
        when_true: Box<Value<T>>,
        when_false: Box<Value<T>>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Written in the source; `defined_at` is where a variable, local or parameter value was
    /// written when the span is a use site.
    Explicit { defined_at: Option<Span> },
    /// Omitted; the AWS or provider default applies and the span is the enclosing header.
    AwsDefault,
}

impl Origin {
    /// Where a variable, local or parameter wrote the value, for a `value set here` label.
    pub fn defined_at(self) -> Option<Span> {
        match self {
            Origin::Explicit { defined_at } => defined_at,
            Origin::AwsDefault => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnknownReason {
    Variable(Text),
    /// A root module variable that a variable file Terraform loads by itself
    /// (`terraform.tfvars`, `*.auto.tfvars`) may set, while that file cannot be read or parsed.
    UnreadableVariables {
        variable: Text,
        file: Text,
    },
    Parameter(Text),
    /// A CloudFormation parameter read inside an `Fn::If` branch (or a resource `Condition`) that
    /// its value, default or given, would not take: there the parameter holds another value.
    /// `placeholder`: the branch is decided by other parameters, and this one's default is the
    /// empty string, left to be filled in by whoever switches the branch on.
    ParameterElsewhere {
        name: Text,
        condition: Text,
        holds: bool,
        placeholder: bool,
    },
    Reference(Text),
    /// A value set by a resource whose existence is undecided: its `count`/`for_each` as
    /// written (`count = var.on ? 1 : 0`), or its CloudFormation `Condition`.
    MayNotExist(Text),
    Function(Text),
    Intrinsic(&'static str),
    Unsupported(&'static str),
    /// A list element, or element field, omitted in this branch (`Ref AWS::NoValue`, `null`): no
    /// element at all, so it passes no test, yet it is no Known text a rule could report.
    Omitted,
    /// A string with unknown parts: `literal` is the text with each unknown part written `*`,
    /// the widest value it can take, so a test that fails on it fails on every value.
    /// `known_wildcard`: a known part holds `*` or `?` itself, in every value.
    Partial {
        literal: Text,
        reason: Box<UnknownReason>,
        known_wildcard: bool,
        /// The string with each unknown part given one value it can take, when every value
        /// it can take is alike to every rule's test, so a test passing on this one passes on
        /// the string: the unknown parts are all CloudFormation's `AWS::Partition`, always a
        /// partition name (`arn:${AWS::Partition}:*:*:*:*` is every resource in any partition).
        representative: Option<Text>,
    },
    /// Another module instance's `aws_iam_policy_document` (`instance`: its address prefix,
    /// empty at the root): a caller's passed in through a module input, or a callee's returned
    /// through an output. Unknown where it arrives, like every data source of another instance,
    /// yet named, so the declaring instance learns which resource reads its document and as what
    /// kind of policy (RULES.md 2.6).
    ModuleDocument {
        instance: Text,
        target: Text,
        from_callee: bool,
    },
}

impl UnknownReason {
    /// Whether a value with this reason could pass `test`: `false` when its known parts
    /// already rule it out (`arn:aws:s3:::${var.b}/*` is never "all resources").
    pub fn could_be(&self, test: impl Fn(&str) -> bool) -> bool {
        match self {
            UnknownReason::Partial { literal, .. } => test(literal),
            UnknownReason::Omitted => false,
            _ => true,
        }
    }

    /// The text a partly unknown string passes every test as, when there is one (`Partial`'s
    /// `representative`).
    pub fn representative(&self) -> Option<&str> {
        match self {
            UnknownReason::Partial {
                representative: Some(text),
                ..
            } => Some(text),
            _ => None,
        }
    }

    /// Why the value is unknown, as a clause for "cannot verify" notes.
    pub fn describe(&self) -> String {
        match self {
            UnknownReason::Variable(name) => format!("variable `{name}` has no default value"),
            UnknownReason::UnreadableVariables { variable, file } => {
                format!("variable `{variable}` may be set in `{file}`, which cannot be read")
            }
            UnknownReason::Parameter(name) => format!("parameter `{name}` has no default value"),
            UnknownReason::ParameterElsewhere {
                name,
                condition,
                holds,
                placeholder: false,
            } => {
                format!("parameter `{name}` takes another value whenever `{condition}` is {holds}")
            }
            UnknownReason::ParameterElsewhere {
                name,
                condition,
                holds,
                placeholder: true,
            } => format!(
                "parameter `{name}` defaults to an empty string, to be given whenever `{condition}` is {holds}"
            ),
            UnknownReason::Reference(what) => format!("`{what}` is only known once deployed"),
            UnknownReason::MayNotExist(what) => {
                format!("whether the resource setting it exists depends on `{what}`")
            }
            UnknownReason::Function(name) => format!("function `{name}` is not evaluated"),
            UnknownReason::Intrinsic(name)
                if name.starts_with("Fn::") || name.starts_with("Ref") =>
            {
                format!("`{name}` is resolved by CloudFormation at deploy time")
            }
            UnknownReason::Intrinsic(name) => {
                format!("{name} is resolved by CloudFormation at deploy time")
            }
            UnknownReason::Unsupported(what) => format!("{what} is not evaluated"),
            UnknownReason::Omitted => "the element is omitted in this branch".to_string(),
            UnknownReason::Partial { reason, .. } => reason.describe(),
            UnknownReason::ModuleDocument {
                from_callee: false, ..
            } => "a data source in the calling module is not evaluated".to_string(),
            UnknownReason::ModuleDocument {
                from_callee: true, ..
            } => "a data source inside a called module is not evaluated".to_string(),
        }
    }
}

/// Conditions and the outcome each must have.
type Conditions<'a> = Vec<(&'a str, bool)>;

/// The leaves of a value; inline for the common single leaf.
pub type Branches<'a, T> = smallvec::SmallVec<[Branch<'a, T>; 1]>;

/// One leaf of a value with the conditions leading to it: what a rule judges.
#[derive(Clone, Debug, PartialEq)]
pub struct Branch<'a, T> {
    pub leaf: Leaf<'a, T>,
    pub conditions: Vec<(&'a str, bool)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Leaf<'a, T> {
    Known {
        value: &'a T,
        origin: Origin,
        span: Span,
    },
    Unknown {
        reason: &'a UnknownReason,
        span: Span,
    },
}

impl<T> Branch<'_, T> {
    /// ` when IsProd is false` (empty when unconditional): appended to a violation's message.
    pub fn when(&self) -> String {
        when_clause(self.conditions.iter().copied())
    }
}

/// Conditions of both sides, `None` when they contradict each other (one condition would need
/// both outcomes).
pub fn merge_when<'a>(a: &[(&'a str, bool)], b: &[(&'a str, bool)]) -> Option<Conditions<'a>> {
    consistent_conditions(a.iter().chain(b).copied())
}

/// ` when A is true and B is false` for a list of (condition, outcome) pairs.
pub fn when_clause<'a>(conditions: impl IntoIterator<Item = (&'a str, bool)>) -> String {
    let mut out = String::new();
    for (at, (condition, outcome)) in conditions.into_iter().enumerate() {
        out.push_str(if at == 0 { " when " } else { " and " });
        out.push_str(condition);
        out.push_str(if outcome { " is true" } else { " is false" });
    }
    out
}

/// Conditions gathered from several conditional values (an entry, its ports, its CIDR) as one
/// deployment needs them, each named once; `None` when they need one condition both true and
/// false: no deployment has all those values at once, so they never combine into a finding.
pub fn consistent_conditions<'a>(
    conditions: impl IntoIterator<Item = (&'a str, bool)>,
) -> Option<Vec<(&'a str, bool)>> {
    let mut out: Vec<(&str, bool)> = Vec::new();
    for (condition, outcome) in conditions {
        match out.iter().find(|(seen, _)| *seen == condition) {
            Some((_, required)) if *required != outcome => return None,
            Some(_) => {}
            None => out.push((condition, outcome)),
        }
    }
    Some(out)
}

impl<T> Value<T> {
    pub fn explicit(value: T, span: Span) -> Value<T> {
        Value::Known {
            value,
            origin: Origin::Explicit { defined_at: None },
            span,
        }
    }

    pub fn aws_default(value: T, header: Span) -> Value<T> {
        Value::Known {
            value,
            origin: Origin::AwsDefault,
            span: header,
        }
    }

    pub fn unknown(reason: UnknownReason, span: Span) -> Value<T> {
        Value::Unknown { reason, span }
    }

    /// Every leaf with the conditions leading to it, depth first, true branch first.
    pub fn branches(&self) -> Branches<'_, T> {
        // Most values are not conditional: one leaf, no allocation.
        match self {
            Value::Known {
                value,
                origin,
                span,
            } => {
                return smallvec::smallvec![Branch {
                    leaf: Leaf::Known {
                        value,
                        origin: *origin,
                        span: *span,
                    },
                    conditions: Vec::new(),
                }];
            }
            Value::Unknown { reason, span } => {
                return smallvec::smallvec![Branch {
                    leaf: Leaf::Unknown {
                        reason,
                        span: *span,
                    },
                    conditions: Vec::new(),
                }];
            }
            Value::Conditional { .. } => {}
        }
        let mut out = Branches::new();
        let mut stack: Vec<(&Value<T>, Conditions)> = vec![(self, Vec::new())];
        while let Some((value, conditions)) = stack.pop() {
            match value {
                Value::Known {
                    value,
                    origin,
                    span,
                } => out.push(Branch {
                    leaf: Leaf::Known {
                        value,
                        origin: *origin,
                        span: *span,
                    },
                    conditions,
                }),
                Value::Unknown { reason, span } => out.push(Branch {
                    leaf: Leaf::Unknown {
                        reason,
                        span: *span,
                    },
                    conditions,
                }),
                Value::Conditional {
                    condition,
                    when_true,
                    when_false,
                } => {
                    let mut on_false = conditions.clone();
                    on_false.push((condition, false));
                    let mut on_true = conditions;
                    on_true.push((condition, true));
                    stack.push((when_false, on_false));
                    stack.push((when_true, on_true));
                }
            }
        }
        out
    }

    /// The known value when there is exactly one possible value and it is known.
    pub fn known(&self) -> Option<&T> {
        match self {
            Value::Known { value, .. } => Some(value),
            Value::Unknown { .. } | Value::Conditional { .. } => None,
        }
    }

    /// Where the value is: the span of the first leaf.
    pub fn span(&self) -> Span {
        let mut value = self;
        loop {
            match value {
                Value::Known { span, .. } | Value::Unknown { span, .. } => return *span,
                Value::Conditional { when_true, .. } => value = when_true,
            }
        }
    }

    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Value<U> {
        self.map_inner(&mut f)
    }

    fn map_inner<U>(self, f: &mut impl FnMut(T) -> U) -> Value<U> {
        match self {
            Value::Known {
                value,
                origin,
                span,
            } => Value::Known {
                value: f(value),
                origin,
                span,
            },
            Value::Unknown { reason, span } => Value::Unknown { reason, span },
            Value::Conditional {
                condition,
                when_true,
                when_false,
            } => Value::Conditional {
                condition,
                when_true: Box::new(when_true.map_inner(f)),
                when_false: Box::new(when_false.map_inner(f)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn at(start: usize) -> Span {
        Span::new(FileId(0), start, start + 1)
    }

    #[test]
    fn an_undecided_existence_names_the_meta_argument_not_a_deployed_value() {
        // A count chosen by a variable is decided per deployment, not "known once deployed".
        let reason = UnknownReason::MayNotExist("count = var.protect ? 1 : 0".into());
        assert_eq!(
            reason.describe(),
            "whether the resource setting it exists depends on `count = var.protect ? 1 : 0`"
        );
    }

    #[test]
    fn branches_carry_their_conditions_in_order() {
        let value = Value::Conditional {
            condition: "IsProd".into(),
            when_true: Box::new(Value::explicit(true, at(1))),
            when_false: Box::new(Value::Conditional {
                condition: "Strict".into(),
                when_true: Box::new(Value::explicit(true, at(2))),
                when_false: Box::new(Value::explicit(false, at(3))),
            }),
        };
        let branches = value.branches();
        assert_eq!(branches.len(), 3);
        assert_eq!(branches[0].when(), " when IsProd is true");
        assert_eq!(
            branches[2].when(),
            " when IsProd is false and Strict is false"
        );
        assert!(matches!(branches[2].leaf, Leaf::Known { value: false, .. }));
    }

    #[test]
    fn conditions_are_named_once_and_never_both_ways() {
        assert_eq!(
            consistent_conditions([("A", true), ("B", false), ("A", true)]),
            Some(vec![("A", true), ("B", false)])
        );
        assert_eq!(consistent_conditions([("A", true), ("A", false)]), None);
    }

    #[test]
    fn an_unconditional_value_has_one_branch_and_no_clause() {
        let value = Value::explicit(1, at(0));
        let branches = value.branches();
        assert_eq!(branches.len(), 1);
        assert_eq!(branches[0].when(), "");
    }
}
