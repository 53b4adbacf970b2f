//! Local module calls (RULES.md 2.1, 2.2): a `module` block whose `source` is a local path is
//! adapted as part of its caller's unit, once per call, with its variables bound from the call's
//! arguments (evaluated in the caller), its resources under `module.<name>.` and its providers
//! mapped to the caller's; their outputs are evaluated on demand (`eval::outputs`). Remote
//! modules are not fetched: nothing of them is linted and their outputs stay unknown.

use crate::text::Text;
use foldhash::HashMap;
use std::sync::Arc;

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, Body};

use super::Resource;
use super::eval::{Bindings, Evaluator, capped, span_of_expr};
use super::instances::{self, Expansion};
use super::module::{BlockRef, TfFile};
use crate::adapt::val::Val;
use crate::source::FileId;

/// Nesting of module calls followed below the root module.
pub const MAX_DEPTH: usize = 8;
/// Module instances adapted per unit: calls fanning out at every level stay bounded.
pub const MAX_INSTANCES: usize = 256;
/// Module outputs evaluated per unit (each builds an evaluator of the called module): outputs
/// referring to several outputs of the next module down would multiply at each level.
pub const MAX_OUTPUT_EVALUATIONS: usize = 256;
/// The module linted as the unit's root.
pub const ROOT: usize = 0;

/// Meta-arguments of a `module` block; every other attribute is an input.
const META: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// Whether a `module` block's argument binds an input (it is no meta-argument).
pub fn is_input(argument: &str) -> bool {
    !META.contains(&argument)
}

/// The module directories a unit can read, numbered by the engine (`ROOT` is the unit's own).
pub trait Library {
    /// The `.tf` files of a module.
    fn files(&self, module: usize) -> &[TfFile];
    /// The module a local `source` names when called from `from`; `None` when it cannot be read.
    fn resolve(&self, from: usize, source: &str) -> Option<usize>;
    /// A file named by `file()`/`templatefile()`, relative to the module's directory.
    fn load(&self, module: usize, name: &str) -> Option<(FileId, Arc<str>)>;
}

/// Whether a module `source` is a local path (Terraform requires the `./` or `../` prefix).
pub fn is_local(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

/// The local `source` of every `module` block of a file, in order: what the engine must read.
pub fn local_sources(body: &Body) -> Vec<String> {
    body.get_blocks("module")
        .filter_map(source_of)
        .filter(|source| is_local(source))
        .map(str::to_string)
        .collect()
}

/// The `source` of a `module` block when it is a local path.
pub(super) fn local_source(block: &Block) -> Option<&str> {
    source_of(block).filter(|source| is_local(source))
}

/// A literal `source`; Terraform accepts no other.
fn source_of(block: &Block) -> Option<&str> {
    match &block.body.get_attribute("source")?.value {
        Expression::String(source) => Some(source.value().as_str()),
        _ => None,
    }
}

/// One module instance being adapted.
pub struct Instance {
    pub module: usize,
    /// `module.a.module.b.`; empty at the root.
    pub prefix: Text,
    /// Variables bound by the call, evaluated in the caller.
    pub inputs: HashMap<Text, Val>,
    /// The module's provider configurations (`aws`, `aws.eu`) and the root's they stand for.
    providers: Vec<(Text, Text)>,
    /// The call's `count`/`for_each` when it may create no instance (RULES.md 2.4).
    exists_when: Option<Text>,
    /// The modules from the root to this one, to stop cycles.
    path: Vec<usize>,
}

impl Instance {
    pub fn root() -> Instance {
        Instance {
            module: ROOT,
            prefix: "".into(),
            inputs: HashMap::default(),
            providers: Vec::new(),
            exists_when: None,
            path: vec![ROOT],
        }
    }

    /// The modules from the root to this one, itself included: where the values bound to its
    /// inputs were written.
    pub fn lineage(&self) -> &[usize] {
        &self.path
    }

    /// The scope the instance's evaluator follows module outputs in.
    pub fn scope<'a>(
        &self,
        library: &'a dyn Library,
        outputs_left: &'a std::cell::Cell<usize>,
    ) -> super::eval::CallScope<'a> {
        super::eval::CallScope {
            library,
            module: self.module,
            path: self.path.clone(),
            outputs_left,
        }
    }

    /// The root module's name for the provider configuration this module calls `local`.
    pub fn provider(&self, local: &str) -> Text {
        if self.prefix.is_empty() {
            return local.into();
        }
        match self.providers.iter().find(|(name, _)| **name == *local) {
            Some((_, root)) => root.clone(),
            // Neither passed nor inherited (an alias the call does not pass, or the module's own
            // `provider` block): a configuration of its own, the same as no other.
            None => format!("{}{local}", self.prefix).into(),
        }
    }

    /// Places a resource of this instance in the unit: address, provider, existence.
    pub fn apply(&self, resource: &mut Resource) {
        if self.prefix.is_empty() {
            return;
        }
        resource.reference.address =
            format!("{}{}", self.prefix, resource.reference.address).into();
        resource.provider = self.provider(&resource.provider);
        if resource.exists_when.is_none() {
            resource.exists_when = self.exists_when.clone();
        }
    }
}

/// Instances left to adapt in this unit.
pub struct Budget(pub usize);

impl Default for Budget {
    fn default() -> Budget {
        Budget(MAX_INSTANCES)
    }
}

/// The module calls of an instance: the instances to adapt, and the calls that are not followed
/// (remote or unreadable sources, cycles, past the unit's bounds), whose modules are not linted.
/// Instances come in file order, except that a module whose outputs another call's arguments
/// read comes after that call: the policy documents it returns are finished once every use of
/// them is known (RULES.md 2.6).
#[derive(Default)]
pub struct Callees<'a> {
    pub instances: Vec<Instance>,
    pub unfollowed: Vec<BlockRef<'a>>,
}

/// The module calls of the instance `caller`.
pub fn callees<'a>(
    evaluator: &Evaluator,
    caller: &Instance,
    library: &'a dyn Library,
    budget: &mut Budget,
) -> Callees<'a> {
    let mut out = Callees::default();
    // Per instance, its call's label and the calls its arguments read outputs of.
    let mut reads: Vec<(&str, Vec<String>)> = Vec::new();
    let too_deep = caller.path.len() > MAX_DEPTH;
    for file in library.files(caller.module) {
        for block in file.body.get_blocks("module") {
            let [label] = block.labels.as_slice() else {
                continue;
            };
            let call = BlockRef {
                file: file.id,
                block,
                resource_type: "module",
                name: label.as_str(),
            };
            // One instance per known key or index (RULES.md 2.2), else one standing for all.
            let expanded: Vec<(String, Bindings, Option<Text>)> =
                match instances::expand(evaluator, call) {
                    Expansion::Nothing => continue,
                    Expansion::Single {
                        bindings,
                        exists_when,
                    } => vec![(String::new(), bindings, exists_when)],
                    Expansion::Each(each) => each
                        .into_iter()
                        .map(|instance| (instance.key.suffix(), instance.bindings, None))
                        .collect(),
                };
            let module = source_of(block)
                .filter(|source| is_local(source))
                .and_then(|source| library.resolve(caller.module, source))
                .filter(|module| !too_deep && !caller.path.contains(module));
            let Some(module) = module else {
                out.unfollowed.push(call);
                continue;
            };
            let outputs_read = modules_read(block);
            for (key, bindings, exists_when) in expanded {
                if budget.0 == 0 {
                    out.unfollowed.push(call);
                    break;
                }
                budget.0 -= 1;
                let mut path = caller.path.clone();
                path.push(module);
                let prefix: Text =
                    format!("{}module.{}{key}.", caller.prefix, label.as_str()).into();
                out.instances.push(Instance {
                    module,
                    inputs: inputs(evaluator, block, file.id, &bindings),
                    providers: providers(evaluator, block, file.id, caller, library, module),
                    exists_when: exists_when.or_else(|| caller.exists_when.clone()),
                    prefix,
                    path,
                });
                reads.push((label.as_str(), outputs_read.clone()));
            }
        }
    }
    let order = readers_first(&reads);
    let mut instances: Vec<Option<Instance>> = out.instances.into_iter().map(Some).collect();
    out.instances = order
        .into_iter()
        .filter_map(|at| instances.get_mut(at).and_then(Option::take))
        .collect();
    out
}

/// The module calls (`module.<name>.<output>`) a call's arguments read outputs of.
fn modules_read(block: &Block) -> Vec<String> {
    struct Reads(Vec<String>);
    impl hcl_edit::visit::Visit for Reads {
        fn visit_traversal(&mut self, traversal: &hcl_edit::expr::Traversal) {
            if let Expression::Variable(root) = &traversal.expr
                && root.as_str() == "module"
                && let Some(hcl_edit::expr::TraversalOperator::GetAttr(name)) =
                    traversal.operators.first().map(|op| op.value())
                && !self.0.iter().any(|known| known == name.as_str())
            {
                self.0.push(name.as_str().to_string());
            }
            hcl_edit::visit::visit_traversal(self, traversal);
        }
    }
    let mut reads = Reads(Vec::new());
    for attribute in block.body.attributes() {
        if is_input(attribute.key.as_str()) {
            hcl_edit::visit::visit_expr(&mut reads, &attribute.value);
        }
    }
    reads.0
}

/// Indices of `calls` (label, labels it reads; one entry per instance) with every call before
/// the calls it reads, otherwise in the given order; calls reading each other (Terraform rejects
/// the cycle) keep it.
fn readers_first(calls: &[(&str, Vec<String>)]) -> Vec<usize> {
    // The calls by label, in order of first appearance, with their instances.
    let mut labels: Vec<(&str, &[String], Vec<usize>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::default();
    for (at, (label, read)) in calls.iter().enumerate() {
        let slot = *index.entry(label).or_insert_with(|| {
            labels.push((label, read.as_slice(), Vec::new()));
            labels.len() - 1
        });
        if let Some((_, _, instances)) = labels.get_mut(slot) {
            instances.push(at);
        }
    }
    // How many other calls read each call's outputs.
    let mut readers = vec![0usize; labels.len()];
    for (label, read, _) in &labels {
        for name in read.iter().filter(|name| name != label) {
            if let Some(&read_at) = index.get(name.as_str()) {
                readers[read_at] += 1;
            }
        }
    }
    let mut placed = vec![false; labels.len()];
    let mut order = Vec::with_capacity(calls.len());
    let mut left = labels.len();
    while left > 0 {
        let ready: Vec<usize> = (0..labels.len())
            .filter(|&at| !placed[at] && readers[at] == 0)
            .collect();
        // A cycle: the rest in the given order.
        let ready = match ready.is_empty() {
            true => (0..labels.len()).filter(|&at| !placed[at]).collect(),
            false => ready,
        };
        for at in ready {
            placed[at] = true;
            left -= 1;
            let Some((label, read, instances)) = labels.get(at) else {
                continue;
            };
            order.extend_from_slice(instances);
            for name in read.iter().filter(|name| name != label) {
                if let Some(&read_at) = index.get(name.as_str()) {
                    readers[read_at] = readers[read_at].saturating_sub(1);
                }
            }
        }
    }
    order
}

/// Every argument that is no meta-argument, evaluated in the caller's scope.
pub(super) fn inputs(
    evaluator: &Evaluator,
    block: &Block,
    file: FileId,
    bindings: &Bindings,
) -> HashMap<Text, Val> {
    block
        .body
        .attributes()
        .filter(|attribute| is_input(attribute.key.as_str()))
        .map(|attribute| {
            // Nested calls passing `concat(var.x, var.x)` down would double at each level.
            let (mut value, _) = capped(evaluator.eval(&attribute.value, file, bindings));
            super::eval::unlink_data_sources(
                &mut value,
                "a data source in the calling module",
                Some(super::eval::Declaring::Caller(&evaluator.prefix)),
            );
            (attribute.key.as_str().into(), value)
        })
        .collect()
}

/// The callee's provider configurations in the root's names: `providers = { aws = aws.eu }`
/// first; without it the default configurations are inherited unless the module declares its own
/// `provider` block.
fn providers(
    evaluator: &Evaluator,
    block: &Block,
    file: FileId,
    caller: &Instance,
    library: &dyn Library,
    module: usize,
) -> Vec<(Text, Text)> {
    let mut out: Vec<(Text, Text)> = Vec::new();
    if let Some(attribute) = block.body.get_attribute("providers") {
        if let Expression::Object(object) = &attribute.value {
            for (key, value) in object.iter() {
                let name = match key {
                    ObjectKey::Ident(ident) => ident.as_str().to_string(),
                    ObjectKey::Expression(expr) => evaluator
                        .source(span_of_expr(file, expr))
                        .trim()
                        .to_string(),
                };
                let passed = evaluator.source(span_of_expr(file, value.expr())).trim();
                out.push((name.into(), caller.provider(passed)));
            }
        }
        return out;
    }
    let declares_own = library
        .files(module)
        .iter()
        .flat_map(|file| file.body.get_blocks("provider"))
        .any(|block| {
            matches!(block.labels.as_slice(), [label] if label.as_str() == "aws")
                && block.body.get_attribute("alias").is_none()
        });
    if !declares_own {
        out.push(("aws".into(), caller.provider("aws")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::iam::PolicyKind;
    use crate::model::s3::Link;
    use crate::model::{Model, Origin, Value};

    /// Module directories held in memory: `modules[0]` is the root; `edges` name what calls what.
    struct Dirs {
        modules: Vec<Vec<TfFile>>,
        edges: Vec<(usize, &'static str, usize)>,
    }

    impl Library for Dirs {
        fn files(&self, module: usize) -> &[TfFile] {
            self.modules.get(module).map_or(&[], Vec::as_slice)
        }

        fn resolve(&self, from: usize, source: &str) -> Option<usize> {
            self.edges
                .iter()
                .find(|(f, s, _)| *f == from && *s == source)
                .map(|(_, _, to)| *to)
        }

        fn load(&self, _module: usize, _name: &str) -> Option<(FileId, Arc<str>)> {
            None
        }
    }

    fn file(id: u32, text: &str) -> TfFile {
        TfFile {
            id: FileId(id),
            text: Arc::from(text),
            body: crate::parse::hcl::parse_hcl(text, FileId(id)).expect("valid HCL"),
        }
    }

    /// `texts[i]` is module `i`'s only file (file id `i`).
    fn adapt(texts: &[&str], edges: Vec<(usize, &'static str, usize)>) -> Model {
        let dirs = Dirs {
            modules: (0..)
                .zip(texts)
                .map(|(id, text)| vec![file(id, text)])
                .collect(),
            edges,
        };
        let mut model = Model::default();
        super::super::adapt_unit(&dirs, &[], None, &mut model);
        model
    }

    const CALL: &str = "module \"data\" {\n  source    = \"./volume\"\n  encrypted = false\n}\n";
    const VOLUME: &str = "variable \"encrypted\" {}\nresource \"aws_ebs_volume\" \"v\" {\n  encrypted = var.encrypted\n}\n";

    fn volumes(model: &Model) -> Vec<(&str, Option<&str>, &Value<bool>)> {
        model
            .ec2
            .ebs
            .volumes
            .iter()
            .map(|v| {
                (
                    &*v.resource.address,
                    v.provider.as_deref(),
                    &v.device.encrypted,
                )
            })
            .collect()
    }

    #[test]
    fn arguments_bind_variables_at_the_use_site_set_at_the_call() {
        let model = adapt(&[CALL, VOLUME], vec![(0, "./volume", 1)]);
        let [(address, provider, encrypted)] = volumes(&model)[..] else {
            panic!("one volume expected");
        };
        assert_eq!(address, "module.data.aws_ebs_volume.v");
        assert_eq!(provider, Some("aws"));
        let Value::Known {
            value: false,
            span,
            origin: Origin::Explicit {
                defined_at: Some(at),
            },
        } = encrypted
        else {
            panic!("known false expected, got {encrypted:?}");
        };
        assert_eq!(&VOLUME[span.range()], "encrypted = var.encrypted");
        assert_eq!((at.file, &CALL[at.range()]), (FileId(0), "false"));
    }

    #[test]
    fn an_unbound_variable_takes_its_default_else_is_unknown() {
        let call = "module \"data\" {\n  source = \"./volume\"\n}\n";
        let model = adapt(&[call, VOLUME], vec![(0, "./volume", 1)]);
        assert!(matches!(volumes(&model)[0].2, Value::Unknown { .. }));
        let with_default = VOLUME.replace("{}", "{\n  default = true\n}");
        let model = adapt(&[call, &with_default], vec![(0, "./volume", 1)]);
        assert_eq!(volumes(&model)[0].2.known(), Some(&true));
    }

    #[test]
    fn remote_and_unreadable_sources_add_nothing() {
        let remote = "module \"r\" {\n  source = \"terraform-aws-modules/ebs/aws\"\n}\n";
        assert!(
            adapt(&[remote, VOLUME], vec![(0, "./volume", 1)])
                .ec2
                .ebs
                .volumes
                .is_empty()
        );
        assert!(adapt(&[CALL], vec![]).ec2.ebs.volumes.is_empty());
    }

    #[test]
    fn count_zero_removes_the_instance_and_unknown_count_keeps_it() {
        let zero = CALL.replace("source", "count = 0\n  source");
        assert!(
            adapt(&[&zero, VOLUME], vec![(0, "./volume", 1)])
                .ec2
                .ebs
                .volumes
                .is_empty()
        );
        let unknown = CALL.replace("source", "count = var.n\n  source");
        assert_eq!(
            adapt(&[&unknown, VOLUME], vec![(0, "./volume", 1)])
                .ec2
                .ebs
                .volumes
                .len(),
            1
        );
        let empty = CALL.replace("source", "for_each = {}\n  source");
        assert!(
            adapt(&[&empty, VOLUME], vec![(0, "./volume", 1)])
                .ec2
                .ebs
                .volumes
                .is_empty()
        );
    }

    #[test]
    fn known_count_and_for_each_give_one_instance_each() {
        let keyed = CALL.replace("source", "for_each = toset([\"x\", \"a.b\"])\n  source");
        let model = adapt(&[&keyed, VOLUME], vec![(0, "./volume", 1)]);
        let found: Vec<&str> = volumes(&model).iter().map(|(a, _, _)| *a).collect();
        assert_eq!(
            found,
            [
                "module.data[\"a.b\"].aws_ebs_volume.v",
                "module.data[\"x\"].aws_ebs_volume.v"
            ]
        );
        let counted = CALL.replace("source", "count = 2\n  source");
        let model = adapt(&[&counted, VOLUME], vec![(0, "./volume", 1)]);
        let found: Vec<&str> = volumes(&model).iter().map(|(a, _, _)| *a).collect();
        assert_eq!(
            found,
            [
                "module.data[0].aws_ebs_volume.v",
                "module.data[1].aws_ebs_volume.v"
            ]
        );
    }

    #[test]
    fn providers_are_passed_down_in_the_root_names() {
        let root =
            "module \"mid\" {\n  source = \"./mid\"\n  providers = {\n    aws = aws.eu\n  }\n}\n";
        let mid = "module \"leaf\" {\n  source = \"./leaf\"\n  providers = {\n    aws.x = aws\n  }\n}\nmodule \"plain\" {\n  source = \"./leaf\"\n}\n";
        let leaf = "resource \"aws_ebs_volume\" \"a\" {\n  provider = aws.x\n}\nresource \"aws_ebs_volume\" \"b\" {}\n";
        let edges = vec![(0, "./mid", 1), (1, "./leaf", 2)];
        let model = adapt(&[root, mid, leaf], edges);
        let found: Vec<(&str, Option<&str>)> =
            volumes(&model).iter().map(|(a, p, _)| (*a, *p)).collect();
        assert_eq!(
            found,
            [
                ("module.mid.module.leaf.aws_ebs_volume.a", Some("aws.eu")),
                // Not passed (the call's `providers` replaces inheritance): its own.
                (
                    "module.mid.module.leaf.aws_ebs_volume.b",
                    Some("module.mid.module.leaf.aws")
                ),
                (
                    "module.mid.module.plain.aws_ebs_volume.a",
                    Some("module.mid.module.plain.aws.x")
                ),
                ("module.mid.module.plain.aws_ebs_volume.b", Some("aws.eu")),
            ]
        );
    }

    #[test]
    fn a_module_with_its_own_provider_block_does_not_inherit() {
        let own = format!("provider \"aws\" {{\n  region = \"eu-west-1\"\n}}\n{VOLUME}");
        let model = adapt(&[CALL, &own], vec![(0, "./volume", 1)]);
        assert_eq!(volumes(&model)[0].1, Some("module.data.aws"));
    }

    #[test]
    fn links_stay_inside_their_instance() {
        let root = "module \"a\" {\n  source = \"./b\"\n}\nmodule \"b\" {\n  source = \"./b\"\n}\n";
        let bucket = "variable \"name\" {}\nresource \"aws_s3_bucket\" \"this\" {\n  bucket = var.name\n}\nresource \"aws_s3_bucket_public_access_block\" \"this\" {\n  bucket = aws_s3_bucket.this.id\n}\nresource \"aws_s3_bucket_ownership_controls\" \"this\" {\n  bucket = var.name\n}\n";
        let model = adapt(&[root, bucket], vec![(0, "./b", 1)]);
        let buckets: Vec<&str> = model
            .s3
            .buckets
            .iter()
            .map(|b| &*b.resource.address)
            .collect();
        assert_eq!(
            buckets,
            ["module.a.aws_s3_bucket.this", "module.b.aws_s3_bucket.this"]
        );
        let blocks: Vec<&Link> = model.s3.access_blocks.iter().map(|c| &c.link).collect();
        assert_eq!(blocks, [&Link::Bucket(0), &Link::Bucket(1)]);
        // The same unresolved expression links within one instance only.
        let ownership: Vec<&Link> = model.s3.ownership.iter().map(|c| &c.link).collect();
        assert_eq!(ownership, [&Link::Bucket(0), &Link::Bucket(1)]);
    }

    #[test]
    fn a_reference_passed_in_links_to_the_callers_resource() {
        let root = "resource \"aws_s3_bucket\" \"data\" {}\nmodule \"block\" {\n  source = \"./block\"\n  id     = aws_s3_bucket.data.id\n}\n";
        let block = "variable \"id\" {}\nresource \"aws_s3_bucket_public_access_block\" \"this\" {\n  bucket = var.id\n}\n";
        let model = adapt(&[root, block], vec![(0, "./block", 1)]);
        let links: Vec<&Link> = model.s3.access_blocks.iter().map(|c| &c.link).collect();
        assert_eq!(links, [&Link::Bucket(0)]);
    }

    #[test]
    fn cycles_and_fan_out_stop() {
        let selfish = "module \"again\" {\n  source = \"./\"\n}\nmodule \"up\" {\n  source = \"../\"\n}\nresource \"aws_ebs_volume\" \"v\" {}\n";
        let edges = vec![(0, "./", 1), (1, "./", 1), (1, "../", 0)];
        let root = "module \"m\" {\n  source = \"./\"\n}\n";
        assert_eq!(adapt(&[root, selfish], edges).ec2.ebs.volumes.len(), 1);
        // Ten calls per level, every level the same module: bounded by depth and budget.
        let wide: String = (0..10)
            .map(|i| format!("module \"m{i}\" {{\n  source = \"./w\"\n}}\n"))
            .collect::<String>()
            + "resource \"aws_ebs_volume\" \"v\" {}\n";
        let levels: Vec<&str> = std::iter::repeat_n(wide.as_str(), MAX_DEPTH + 3).collect();
        let edges = (0..levels.len() - 1)
            .map(|at| (at, "./w", at + 1))
            .collect();
        let model = adapt(&levels, edges);
        assert!(model.ec2.ebs.volumes.len() <= MAX_INSTANCES + 1);
    }

    const FULL_ACCESS: &str = "data \"aws_iam_policy_document\" \"d\" {\n  statement {\n    actions   = [\"*\"]\n    resources = [\"*\"]\n  }\n}\nmodule \"mid\" {\n  source = \"./mid\"\n  doc    = data.aws_iam_policy_document.d.json\n}\n";

    /// Kind, other kinds, whether some use is unknown, and owners of the root's document `d`.
    fn root_document(model: &Model) -> (PolicyKind, Vec<PolicyKind>, bool, Vec<&str>) {
        let document = model
            .iam
            .policies
            .iter()
            .find(|d| &*d.owner.address == "data.aws_iam_policy_document.d")
            .expect("the root's document");
        (
            document.kind,
            document.other_kinds.clone(),
            document.unknown_use.is_some(),
            document.attached_to.iter().map(|o| &*o.address).collect(),
        )
    }

    #[test]
    fn a_document_takes_the_kinds_of_uses_in_called_modules() {
        let mid = "variable \"doc\" {}\nmodule \"leaf\" {\n  source  = \"./leaf\"\n  content = var.doc\n}\nresource \"aws_iam_role_policy\" \"p\" {\n  policy = var.doc\n}\n";
        let leaf = "variable \"content\" {}\nresource \"aws_organizations_policy\" \"scp\" {\n  content = var.content\n}\n";
        let edges = vec![(0, "./mid", 1), (1, "./leaf", 2)];
        let model = adapt(&[FULL_ACCESS, mid, leaf], edges);
        assert_eq!(
            root_document(&model),
            (
                PolicyKind::Identity,
                vec![PolicyKind::Other],
                false,
                vec![
                    "module.mid.aws_iam_role_policy.p",
                    "module.mid.module.leaf.aws_organizations_policy.scp"
                ]
            )
        );
        // The role policy reads no document of its own: nothing but the root's is built.
        assert_eq!(model.iam.policies.len(), 1);
    }

    #[test]
    fn a_document_passed_on_to_a_module_not_linted_has_an_unknown_use() {
        let mid = "variable \"doc\" {}\nmodule \"remote\" {\n  source  = \"cloudposse/scp/aws\"\n  content = var.doc\n}\n";
        let model = adapt(&[FULL_ACCESS, mid], vec![(0, "./mid", 1)]);
        assert_eq!(
            root_document(&model),
            (PolicyKind::Other, vec![], true, vec![])
        );
        // A module that cannot be read is not linted either; one known not to exist uses nothing.
        let model = adapt(&[FULL_ACCESS], vec![]);
        assert!(root_document(&model).2);
        let never = FULL_ACCESS.replace("source", "count  = 0\n  source");
        let model = adapt(&[&never], vec![]);
        assert_eq!(root_document(&model).0, PolicyKind::Identity);
    }

    #[test]
    fn calls_come_before_the_calls_whose_outputs_they_read() {
        let calls = |list: &[(&'static str, &[&str])]| -> Vec<(&'static str, Vec<String>)> {
            list.iter()
                .map(|(label, read)| (*label, read.iter().map(|r| r.to_string()).collect()))
                .collect()
        };
        // `b` reads `a`, `c` reads `b`: c, b, a; `d` reads nothing and keeps its place.
        let order = readers_first(&calls(&[
            ("a", &[]),
            ("b", &["a"]),
            ("d", &[]),
            ("c", &["b", "x"]),
        ]));
        assert_eq!(order, [2, 3, 1, 0]);
        // Every instance of a reader (`for_each`) before the call it reads.
        let order = readers_first(&calls(&[("a", &[]), ("b", &["a"]), ("b", &["a"])]));
        assert_eq!(order, [1, 2, 0]);
        // Calls reading each other keep the given order, after the rest; reading itself is no cycle.
        let order = readers_first(&calls(&[("a", &["b"]), ("b", &["a"]), ("c", &["c"])]));
        assert_eq!(order, [2, 0, 1]);
    }

    #[test]
    fn a_document_coming_back_through_an_output_is_the_callers_own() {
        let mid = "variable \"doc\" {}\noutput \"doc\" {\n  value = var.doc\n}\n";
        let root = format!(
            "{FULL_ACCESS}resource \"aws_iam_policy\" \"p\" {{\n  policy = module.mid.doc\n}}\n"
        );
        let model = adapt(&[&root, mid], vec![(0, "./mid", 1)]);
        assert_eq!(
            root_document(&model),
            (
                PolicyKind::Identity,
                vec![],
                false,
                vec!["aws_iam_policy.p"]
            )
        );
    }
}
