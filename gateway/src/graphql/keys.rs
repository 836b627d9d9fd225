//! One response key, one field. GraphQL lets two selections share a key
//! only when they ask for the same field with the same arguments (the
//! spec's "field selections merge" rule); async-graphql's validation lets
//! a key reused inside an inline fragment or a fragment through. Such a
//! document makes one key stand for two fields, and so vouch for a field
//! it is not (the introspection filter and the audit read answers by
//! key): it is refused.

use std::collections::{BTreeMap, HashSet};

use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql::{Name, ServerError, ServerResult};

use crate::vocabulary::error::ErrorCode;

/// Refuses a document in which one response key, at one level of an
/// operation (fragments and inline fragments written in), names fields
/// that differ in name or arguments.
pub fn check(doc: &ExecutableDocument) -> ServerResult<()> {
    for (_, op) in doc.operations.iter() {
        level(doc, &[&op.node.selection_set.node])?;
    }
    Ok(())
}

/// The fields the sets select at one level, with fragments written in.
fn fields<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    seen: &mut HashSet<&'a Name>,
    out: &mut Vec<&'a Field>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => out.push(&f.node),
            Selection::InlineFragment(f) => fields(doc, &f.node.selection_set.node, seen, out),
            Selection::FragmentSpread(s) => {
                let name = &s.node.fragment_name.node;
                // A cycle is validation's to refuse; each fragment once here.
                if seen.insert(name) {
                    if let Some(def) = doc.fragments.get(name) {
                        fields(doc, &def.node.selection_set.node, seen, out);
                    }
                }
            }
        }
    }
}

fn level(doc: &ExecutableDocument, sets: &[&SelectionSet]) -> ServerResult<()> {
    let mut all = Vec::new();
    for set in sets {
        fields(doc, set, &mut HashSet::new(), &mut all);
    }
    let mut by_key: BTreeMap<&str, Vec<&Field>> = BTreeMap::new();
    for f in all {
        by_key
            .entry(f.response_key().node.as_str())
            .or_default()
            .push(f);
    }
    for (key, same) in by_key {
        let first = same[0];
        // Arguments compare by name, in any order.
        let arguments = |f: &Field| {
            f.arguments
                .iter()
                .map(|(name, value)| (name.node.to_string(), value.node.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        let first_arguments = arguments(first);
        let differs = same[1..]
            .iter()
            .any(|f| f.name.node != first.name.node || arguments(f) != first_arguments);
        if differs {
            let mut e = ServerError::new(
                format!(
                    "the response key \"{key}\" names two different fields; give each its own alias"
                ),
                Some(first.response_key().pos),
            );
            let ext = e.extensions.get_or_insert_with(Default::default);
            ext.set("code", ErrorCode::BadUserInput.as_str());
            ext.set("field", key);
            return Err(e);
        }
        let children: Vec<&SelectionSet> = same.iter().map(|f| &f.selection_set.node).collect();
        level(doc, &children)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check;

    fn doc(q: &str) -> async_graphql::parser::types::ExecutableDocument {
        async_graphql::parser::parse_query(q).expect("parses")
    }

    #[test]
    fn a_key_may_repeat_only_for_the_same_field() {
        for ok in [
            "{ me { subject } me { roles } }",
            "{ a: me { subject } ... on Query { a: me { roles } } }",
            "{ cases(first: 1) { totalCount } ...F } fragment F on Query { cases(first: 1) { totalCount } }",
            "{ __schema { types { name } } }",
            r#"{ a: cases(first: 1, after: "x") { totalCount } ... on Query { a: cases(after: "x", first: 1) { totalCount } } }"#,
            "query($t: String!) { __type(name: $t) { ...T } } fragment T on __Type { name fields { ...F } } fragment F on __Field { name }",
        ] {
            let r = check(&doc(ok));
            assert!(r.is_ok(), "{ok}: {r:?}");
        }
        for bad in [
            "{ a: __typename ... on Query { a: __schema { types { name } } } }",
            "{ a: me { subject } ...F } fragment F on Query { a: cases { totalCount } }",
            "{ cases(first: 1) { totalCount } ... on Query { cases(first: 2) { totalCount } } }",
            "{ me { s: subject ... on Staff { s: roles } } }",
        ] {
            let e = check(&doc(bad)).unwrap_err();
            assert!(
                e.message.contains("names two different fields"),
                "{bad}: {}",
                e.message
            );
        }
    }
}
