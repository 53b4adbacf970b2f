//! A named condition decided by the conditions known to hold where it is read: the resource's
//! own `Condition` and the enclosing `Fn::If` branches. `Condition: NotProd` with
//! `NotProd: !Not [!Condition IsProd]` makes `!If [IsProd, a, b]` read `b`, as CloudFormation
//! only ever deploys that branch (RULES.md 2.4).
//!
//! Each condition is a formula over its `Fn::Equals` comparisons that literals do not decide.
//! The condition is implied when every truth assignment of those comparisons that satisfies the
//! holding conditions gives it one value. Two comparisons of the same operand with different
//! literals are never both true.

use foldhash::HashMap;

use crate::parse::{Node, NodeKind};

/// Beyond this many undecided comparisons, nothing is implied (2^n assignments are tried).
const MAX_COMPARISONS: usize = 10;

/// How deep formulas may nest through `Fn::And`, `Fn::Not` and `Condition`.
const MAX_DEPTH: usize = 32;

/// The value `name` must have wherever each of `holding` has its outcome, if every deployment
/// agrees; `None` when it depends on something else or cannot be read.
pub fn implied(
    conditions: &HashMap<&str, &Node>,
    holding: &[(&str, bool)],
    name: &str,
) -> Option<bool> {
    if holding.is_empty() {
        return None;
    }
    let mut comparisons = Comparisons::default();
    for condition in holding.iter().map(|(c, _)| *c).chain([name]) {
        comparisons.collect(conditions, conditions.get(condition)?, 0)?;
    }
    if comparisons.keys.len() > MAX_COMPARISONS {
        return None;
    }
    let (mut can_be_true, mut can_be_false) = (false, false);
    for assignment in 0..1u32 << comparisons.keys.len() {
        if !comparisons.possible(assignment) {
            continue;
        }
        let evaluate = |condition: &str| {
            let formula = conditions.get(condition)?;
            comparisons.evaluate(conditions, formula, assignment, 0)
        };
        let mut deployed = true;
        for (condition, outcome) in holding {
            deployed &= evaluate(condition)? == *outcome;
        }
        if deployed {
            match evaluate(name)? {
                true => can_be_true = true,
                false => can_be_false = true,
            }
        }
    }
    match (can_be_true, can_be_false) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// The comparisons literals do not decide, each as its two operands in a canonical spelling.
#[derive(Default)]
struct Comparisons {
    keys: Vec<(String, String)>,
}

impl Comparisons {
    /// Records the undecided comparisons of `formula`; `None` for a formula it cannot read.
    fn collect(
        &mut self,
        conditions: &HashMap<&str, &Node>,
        formula: &Node,
        depth: usize,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let (function, args) = function(formula)?;
        match function {
            "Condition" => {
                let name = args.as_str()?;
                self.collect(conditions, conditions.get(name)?, depth + 1)
            }
            "Fn::Not" | "Fn::And" | "Fn::Or" => {
                for arg in args.as_seq()? {
                    self.collect(conditions, arg, depth + 1)?;
                }
                Some(())
            }
            "Fn::Equals" => {
                let key = comparison(args)?;
                let undecided = literal(&key.0).is_none() || literal(&key.1).is_none();
                if undecided && !self.keys.contains(&key) {
                    self.keys.push(key);
                }
                Some(())
            }
            _ => None,
        }
    }

    /// Whether `assignment` (bit `i` = comparison `i` holds) is consistent: one operand never
    /// equals two different literals.
    fn possible(&self, assignment: u32) -> bool {
        let mut equal_to: Vec<(&str, &str)> = Vec::new();
        let holding = self
            .keys
            .iter()
            .enumerate()
            .filter(|(at, _)| assignment & (1 << at) != 0);
        for (_, (a, b)) in holding {
            // Sorted operands: a literal (`=...`) comes first.
            let (Some(value), None) = (literal(a), literal(b)) else {
                continue;
            };
            match equal_to.iter().find(|(operand, _)| *operand == b.as_str()) {
                Some((_, other)) if *other != value => return false,
                Some(_) => {}
                None => equal_to.push((b, value)),
            }
        }
        true
    }

    fn evaluate(
        &self,
        conditions: &HashMap<&str, &Node>,
        formula: &Node,
        assignment: u32,
        depth: usize,
    ) -> Option<bool> {
        if depth > MAX_DEPTH {
            return None;
        }
        let (function, args) = function(formula)?;
        let each = || -> Option<Vec<bool>> {
            args.as_seq()?
                .iter()
                .map(|arg| self.evaluate(conditions, arg, assignment, depth + 1))
                .collect()
        };
        match function {
            "Condition" => {
                let formula = conditions.get(args.as_str()?)?;
                self.evaluate(conditions, formula, assignment, depth + 1)
            }
            "Fn::Not" => match each()?.as_slice() {
                [value] => Some(!value),
                _ => None,
            },
            "Fn::And" => Some(each()?.iter().all(|value| *value)),
            "Fn::Or" => Some(each()?.iter().any(|value| *value)),
            "Fn::Equals" => {
                let key = comparison(args)?;
                if let (Some(a), Some(b)) = (literal(&key.0), literal(&key.1)) {
                    return Some(a == b);
                }
                let at = self.keys.iter().position(|known| *known == key)?;
                Some(assignment & (1 << at) != 0)
            }
            _ => None,
        }
    }
}

/// The one function of a condition formula and its argument.
fn function(formula: &Node) -> Option<(&str, &Node)> {
    match formula.as_map()? {
        [entry] => Some((&entry.key, &entry.value)),
        _ => None,
    }
}

/// The operands of `Fn::Equals`, spelled canonically and in a fixed order (equality is
/// symmetric).
fn comparison(args: &Node) -> Option<(String, String)> {
    let [a, b] = args.as_seq()? else {
        return None;
    };
    let (a, b) = (spelling(a, 0)?, spelling(b, 0)?);
    Some(if a <= b { (a, b) } else { (b, a) })
}

/// The text of a literal operand's spelling.
fn literal(spelled: &str) -> Option<&str> {
    spelled.strip_prefix('=')
}

/// A canonical spelling of an operand: literals as `=text` (CloudFormation compares strings),
/// anything else by its structure.
fn spelling(node: &Node, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    Some(match &node.kind {
        NodeKind::String(text) | NodeKind::Number(text) => format!("={text}"),
        NodeKind::Bool(flag) => format!("={flag}"),
        NodeKind::Null => "null".into(),
        NodeKind::Seq(items) => {
            let items: Option<Vec<String>> =
                items.iter().map(|item| spelling(item, depth + 1)).collect();
            format!("[{}]", items?.join(","))
        }
        NodeKind::Map(entries) => {
            let entries: Option<Vec<String>> = entries
                .iter()
                .map(|entry| {
                    Some(format!(
                        "{}:{}",
                        entry.key,
                        spelling(&entry.value, depth + 1)?
                    ))
                })
                .collect();
            format!("{{{}}}", entries?.join(","))
        }
    })
}
