//! One Terraform module: every `.tf` file of a directory, with its variables, locals, resources
//! and data sources indexed for evaluation.

use foldhash::HashMap;
use std::sync::Arc;

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};

use crate::source::{FileId, Span};

/// A parsed `.tf` or `.tfvars` file.
pub struct TfFile {
    pub id: FileId,
    pub text: Arc<str>,
    pub body: Body,
}

/// Where an expression was written: file and expression.
pub struct Located<'a, T> {
    pub file: FileId,
    pub item: &'a T,
}

impl<T> Clone for Located<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Located<'_, T> {}

/// A `resource` or `data` block with its address parts.
#[derive(Clone, Copy)]
pub struct BlockRef<'a> {
    pub file: FileId,
    pub block: &'a Block,
    pub resource_type: &'a str,
    pub name: &'a str,
}

impl BlockRef<'_> {
    /// The block's type and labels: where omitted attributes are reported.
    pub fn header(&self) -> Span {
        header_span(self.file, self.block)
    }
}

/// Type and labels of a block, from its identifier to its last label.
pub fn header_span(file: FileId, block: &Block) -> Span {
    let start = block.ident.span().map_or(0, |s| s.start);
    let end = block
        .labels
        .last()
        .and_then(|label| label.span())
        .or_else(|| block.ident.span())
        .map_or(start, |s| s.end);
    Span::new(file, start, end)
}

#[derive(Default)]
pub struct Module<'a> {
    pub variables: HashMap<&'a str, Located<'a, Expression>>,
    /// The `type` of each variable that declares one.
    pub variable_types: HashMap<&'a str, Located<'a, Expression>>,
    pub locals: HashMap<&'a str, Located<'a, Expression>>,
    /// A variable file Terraform loads by itself for this (root) module that cannot be read or
    /// parsed: it may set any variable, so none has a known value.
    pub unreadable_tfvars: Option<&'a str>,
    pub resources: Vec<BlockRef<'a>>,
    pub data: Vec<BlockRef<'a>>,
    /// The module's own `.tf` files (not its tfvars, nor its callers').
    files: foldhash::HashSet<FileId>,
    resource_index: HashMap<(&'a str, &'a str), usize>,
    data_index: HashMap<(&'a str, &'a str), usize>,
}

impl<'a> Module<'a> {
    /// Indexes the module's files; `tfvars` (in Terraform's precedence order, lowest first)
    /// override variable defaults.
    pub fn index(files: &'a [TfFile], tfvars: &'a [TfFile]) -> Module<'a> {
        let mut module = Module::default();
        for file in files {
            module.files.insert(file.id);
            for block in file.body.blocks() {
                let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
                match (block.ident.as_str(), labels.as_slice()) {
                    ("variable", [name]) => {
                        if let Some(ty) = block.body.get_attribute("type") {
                            module.variable_types.insert(
                                name,
                                Located {
                                    file: file.id,
                                    item: &ty.value,
                                },
                            );
                        }
                        if let Some(default) = block.body.get_attribute("default") {
                            module.variables.insert(
                                name,
                                Located {
                                    file: file.id,
                                    item: &default.value,
                                },
                            );
                        }
                    }
                    ("locals", []) => {
                        for attribute in block.body.attributes() {
                            module.locals.insert(
                                attribute.key.as_str(),
                                Located {
                                    file: file.id,
                                    item: &attribute.value,
                                },
                            );
                        }
                    }
                    ("resource", [resource_type, name]) => {
                        module
                            .resource_index
                            .insert((resource_type, name), module.resources.len());
                        module.resources.push(BlockRef {
                            file: file.id,
                            block,
                            resource_type,
                            name,
                        });
                    }
                    ("data", [resource_type, name]) => {
                        module
                            .data_index
                            .insert((resource_type, name), module.data.len());
                        module.data.push(BlockRef {
                            file: file.id,
                            block,
                            resource_type,
                            name,
                        });
                    }
                    _ => {}
                }
            }
        }
        for file in tfvars {
            for attribute in file.body.attributes() {
                let name = attribute.key.as_str();
                module.variables.insert(
                    name,
                    Located {
                        file: file.id,
                        item: &attribute.value,
                    },
                );
            }
        }
        module
    }

    /// Whether `file` is one of the module's own files: text written there names this module's
    /// variables and locals.
    pub fn declares(&self, file: FileId) -> bool {
        self.files.contains(&file)
    }

    pub fn resource(&self, resource_type: &str, name: &str) -> Option<BlockRef<'a>> {
        let at = *self.resource_index.get(&(resource_type, name))?;
        self.resources.get(at).copied()
    }

    pub fn data_source(&self, resource_type: &str, name: &str) -> Option<BlockRef<'a>> {
        let at = *self.data_index.get(&(resource_type, name))?;
        self.data.get(at).copied()
    }
}
