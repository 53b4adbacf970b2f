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

/// Beyond this many formula nodes read over all assignments, nothing is implied: the work per
/// `Fn::If` stays bounded whatever the conditions (formulas are read once per assignment).
const MAX_WORK: usize = 20_000;

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
    if comparisons.keys.len() > MAX_COMPARISONS
        || comparisons.read.saturating_mul(1 << comparisons.keys.len()) > MAX_WORK
    {
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

/// The comparisons literals do not decide, each as its two operands in a canonical spelling,
/// and what each `Fn::Equals` node read (by address) is: one of them, or a constant.
#[derive(Default)]
struct Comparisons {
    keys: Vec<(String, String)>,
    nodes: HashMap<*const Node, Comparison>,
    /// Formula nodes read while collecting: what one assignment's evaluation reads at most.
    read: usize,
}

#[derive(Clone, Copy)]
enum Comparison {
    Undecided(usize),
    Constant(bool),
}

impl Comparisons {
    /// Records the undecided comparisons of `formula`; `None` for a formula it cannot read.
    fn collect(
        &mut self,
        conditions: &HashMap<&str, &Node>,
        formula: &Node,
        depth: usize,
    ) -> Option<()> {
        self.read += 1;
        if depth > MAX_DEPTH || self.read > MAX_WORK {
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
                let read = match (literal(&key.0), literal(&key.1)) {
                    (Some(a), Some(b)) => Comparison::Constant(a == b),
                    _ => match self.keys.iter().position(|known| *known == key) {
                        Some(at) => Comparison::Undecided(at),
                        None => {
                            self.keys.push(key);
                            Comparison::Undecided(self.keys.len() - 1)
                        }
                    },
                };
                self.nodes.insert(std::ptr::from_ref(formula), read);
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
            "Fn::Equals" => match self.nodes.get(&std::ptr::from_ref(formula))? {
                Comparison::Constant(equal) => Some(*equal),
                Comparison::Undecided(at) => Some(assignment & (1 << at) != 0),
            },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::json::parse_json;
    use crate::source::FileId;

    /// What `holding` implies for `name` among the `conditions` (a JSON object).
    fn implied_by(conditions: &str, holding: &[(&str, bool)], name: &str) -> Option<bool> {
        let root = parse_json(conditions, FileId(0), 0)
            .root
            .expect("valid JSON");
        let named: HashMap<&str, &Node> = root
            .as_map()
            .expect("an object")
            .iter()
            .map(|entry| (&*entry.key, &entry.value))
            .collect();
        implied(&named, holding, name)
    }

    const CONDITIONS: &str = r#"{
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "IsDev": {"Fn::Equals": ["dev", {"Ref": "Env"}]},
        "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        "Either": {"Fn::Or": [{"Condition": "IsProd"}, {"Condition": "IsDev"}]},
        "Keyed": {"Fn::Equals": [{"Ref": "Key"}, "k"]}
    }"#;

    #[test]
    fn negations_and_other_literals_are_implied() {
        type Holding<'a> = &'a [(&'a str, bool)];
        let cases: [(Holding, &str, bool); 5] = [
            (&[("NotProd", true)], "IsProd", false),
            (&[("IsProd", false)], "NotProd", true),
            (&[("IsProd", true)], "IsDev", false),
            (&[("IsDev", true)], "Either", true),
            (&[("Either", true), ("IsProd", false)], "IsDev", true),
        ];
        for (holding, name, outcome) in cases {
            assert_eq!(
                implied_by(CONDITIONS, holding, name),
                Some(outcome),
                "{name}"
            );
        }
    }

    #[test]
    fn what_other_values_decide_is_not_implied() {
        assert_eq!(implied_by(CONDITIONS, &[("Either", true)], "IsProd"), None);
        assert_eq!(implied_by(CONDITIONS, &[("IsProd", true)], "Keyed"), None);
        assert_eq!(implied_by(CONDITIONS, &[], "IsProd"), None);
        assert_eq!(implied_by(CONDITIONS, &[("Missing", true)], "IsProd"), None);
    }

    #[test]
    fn too_many_comparisons_imply_nothing() {
        let wide: Vec<String> = (0..=MAX_COMPARISONS)
            .map(|at| format!(r#"{{"Fn::Equals": [{{"Ref": "P{at}"}}, "x"]}}"#))
            .collect();
        let conditions = format!(
            r#"{{"Wide": {{"Fn::Or": [{}]}}, "First": {}}}"#,
            wide.join(","),
            wide[0]
        );
        assert_eq!(implied_by(&conditions, &[("First", true)], "Wide"), None);
    }
}
