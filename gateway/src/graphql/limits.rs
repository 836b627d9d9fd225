//! Limits on what one operation may ask for, checked before anything runs:
//! selection depth, number of aliases, and an estimated cost. Every field
//! costs 1; a page costs `first` times its items; a dashboard costs what
//! its `complexity` says (it scans a year of data). Over a limit, the
//! operation is refused with QUERY_TOO_COMPLEX naming the limit.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, ValidationResult};

use crate::config::LimitsConfig;
use crate::vocabulary::error::ErrorCode;

/// The checks, run by the schema's extension (`schema::checks`): before
/// anything walks the document (the fields it writes out), after parsing
/// (aliases) and after validation (depth and cost, which async-graphql's
/// validation computes).
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
    /// Refuses a document that writes out more fields than the cost limit
    /// allows. Every field costs at least 1, so such a document is over the
    /// limit however it runs. Checked before async-graphql walks the
    /// document (its recursion-depth check and its validation expand every
    /// fragment spread, and thirty lines whose fragments spread the next
    /// one twice expand to 2^28 fields: minutes of one core).
    pub fn check_fields(&self, doc: &ExecutableDocument) -> ServerResult<()> {
        let fields = expanded_fields(doc);
        if fields > self.0.max_cost {
            return Err(too_complex(
                format!(
                    "the document writes out {fields} fields with its fragments expanded; \
                     the cost limit is {}",
                    self.0.max_cost
                ),
                "cost",
                fields,
                self.0.max_cost,
            ));
        }
        Ok(())
    }

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

/// The fields of the largest operation with every fragment spread written
/// out, counted without writing them out: each fragment's count is taken
/// once. Saturates; a fragment cycle (refused by validation) counts 0.
fn expanded_fields(doc: &ExecutableDocument) -> usize {
    use std::collections::HashMap;

    use async_graphql::Name;

    struct Count<'a> {
        doc: &'a ExecutableDocument,
        /// `None` while a fragment is being counted (a cycle).
        memo: HashMap<&'a Name, Option<usize>>,
    }
    impl<'a> Count<'a> {
        fn set(&mut self, set: &'a SelectionSet) -> usize {
            set.items.iter().fold(0usize, |n, s| {
                let more = match &s.node {
                    Selection::Field(f) => {
                        1usize.saturating_add(self.set(&f.node.selection_set.node))
                    }
                    Selection::InlineFragment(f) => self.set(&f.node.selection_set.node),
                    Selection::FragmentSpread(spread) => {
                        self.fragment(&spread.node.fragment_name.node)
                    }
                };
                n.saturating_add(more)
            })
        }
        fn fragment(&mut self, name: &'a Name) -> usize {
            if let Some(known) = self.memo.get(name) {
                return known.unwrap_or(0);
            }
            let Some(def) = self.doc.fragments.get(name) else {
                return 0;
            };
            self.memo.insert(name, None);
            let n = self.set(&def.node.selection_set.node);
            self.memo.insert(name, Some(n));
            n
        }
    }
    let mut count = Count {
        doc,
        memo: HashMap::new(),
    };
    doc.operations
        .iter()
        .map(|(_, op)| count.set(&op.node.selection_set.node))
        .max()
        .unwrap_or(0)
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

    #[test]
    fn fields_are_counted_as_written_out_without_writing_them_out() {
        let doc = async_graphql::parser::parse_query(
            "{ me { subject } ...A } fragment A on Query { ...B ...B } fragment B on Query { x y }",
        )
        .expect("parses");
        assert_eq!(expanded_fields(&doc), 2 + 4);
        let mut bomb = String::from("{ ...F0 }");
        for i in 0..60 {
            bomb.push_str(&format!(
                " fragment F{i} on Query {{ ...F{} ...F{} }}",
                i + 1,
                i + 1
            ));
        }
        bomb.push_str(" fragment F60 on Query { me }");
        let doc = async_graphql::parser::parse_query(&bomb).expect("parses");
        assert_eq!(expanded_fields(&doc), 1usize << 60);
        // A cycle (validation refuses it) counts, and ends.
        let doc = async_graphql::parser::parse_query("{ ...A } fragment A on Query { x ...A }")
            .expect("parses");
        assert_eq!(expanded_fields(&doc), 1);
    }
}
