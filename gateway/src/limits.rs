//! Limits on what one operation may ask for, checked before anything runs:
//! selection depth, number of aliases, and an estimated cost. Every field
//! costs 1; a page costs `first` times its items; a dashboard costs what
//! its `complexity` says (it scans a year of data). Over a limit, the
//! operation is refused with QUERY_TOO_COMPLEX naming the limit.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, ValidationResult};

use crate::config::LimitsConfig;
use crate::error::ErrorCode;

/// The checks, run by the schema's extension (`schema::checks`): after
/// parsing (aliases) and after validation (depth and cost, which
/// async-graphql's validation computes).
#[derive(Clone)]
pub struct Limits(pub LimitsConfig);

fn too_complex(message: String, limit: &str, value: usize, max: usize) -> ServerError {
    let mut e = ServerError::new(message, None);
    let ext = e.extensions.get_or_insert_with(Default::default);
    ext.set("code", ErrorCode::QueryTooComplex.as_str());
    ext.set("limit", limit);
    ext.set("value", value as u64);
    ext.set("max", max as u64);
    e
}

impl Limits {
    /// Refuses a document with more aliases than allowed.
    pub fn check_document(&self, doc: &ExecutableDocument) -> ServerResult<()> {
        let aliases = count_aliases(doc);
        if aliases > self.0.max_aliases {
            return Err(too_complex(
                format!(
                    "{aliases} aliases; at most {} are allowed",
                    self.0.max_aliases
                ),
                "aliases",
                aliases,
                self.0.max_aliases,
            ));
        }
        Ok(())
    }

    /// Refuses an operation too deep or too costly.
    pub fn check_validation(&self, result: &ValidationResult) -> Result<(), Vec<ServerError>> {
        if result.depth > self.0.max_depth {
            return Err(vec![too_complex(
                format!(
                    "selection depth {} is over the limit of {}",
                    result.depth, self.0.max_depth
                ),
                "depth",
                result.depth,
                self.0.max_depth,
            )]);
        }
        if result.complexity > self.0.max_cost {
            return Err(vec![too_complex(
                format!(
                    "estimated cost {} is over the limit of {}: ask for fewer items or fields",
                    result.complexity, self.0.max_cost
                ),
                "cost",
                result.complexity,
                self.0.max_cost,
            )]);
        }
        Ok(())
    }
}

/// A page's estimated cost: its items times what each item asks for
/// (`first` as given; the default page size when absent).
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let items = first.map_or(20, |n| n.max(1) as usize);
    items.saturating_mul(child_complexity).max(1)
}

/// Aliased fields anywhere in the document (fragments included).
fn count_aliases(doc: &ExecutableDocument) -> usize {
    fn walk(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|s| match &s.node {
                Selection::Field(f) => {
                    usize::from(f.node.alias.is_some()) + walk(&f.node.selection_set.node)
                }
                Selection::InlineFragment(f) => walk(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    doc.operations
        .iter()
        .map(|(_, op)| walk(&op.node.selection_set.node))
        .chain(
            doc.fragments
                .values()
                .map(|f| walk(&f.node.selection_set.node)),
        )
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_counted_in_fragments_too() {
        let doc = async_graphql::parser::parse_query(
            "{ a: me { subject } ...F } fragment F on Query { b: me { s: subject } }",
        )
        .expect("parses");
        assert_eq!(count_aliases(&doc), 3);
    }
}
