//! Limits on what one operation may ask for, checked before anything runs:
//! nesting (before anything parses the document), selection depth, number
//! of aliases, and an estimated cost. Every field costs 1; a page costs
//! `first` times its items; a list without `first` its bound
//! ([`CASE_LIST_BOUND`], [`LONG_LIST_BOUND`]) times its items; a dashboard
//! costs what its `complexity` says (it scans a year of data). Over a limit, the operation is refused with
//! QUERY_TOO_COMPLEX naming the limit.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, ServerError, ServerResult, ValidationResult, Value, Variables};

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
    /// Refuses, before anything parses it, a document whose brackets
    /// (selection sets, object and list values, list types) nest deeper
    /// than `max_nesting`, and variables that do. async-graphql's parser,
    /// validation and every walker here are recursive: a few kilobytes
    /// nested a few thousand levels deep overflow a thread's stack, which
    /// aborts the whole process (no panic handler can catch it).
    /// The HTTP pipeline calls it once per request, before its own steps
    /// parse the document (`http::pipeline::bound`).
    pub fn check_nesting(max: usize, query: &str, variables: &Variables) -> ServerResult<()> {
        let over = |value| {
            too_complex(
                format!("nested more than {max} levels deep"),
                "nesting",
                value,
                max,
            )
        };
        if let Some(depth) = text_nesting_over(query, max) {
            return Err(over(depth));
        }
        if let Some(depth) = variables_nesting_over(variables, max) {
            return Err(over(depth));
        }
        Ok(())
    }

    /// Refuses a parsed document whose selections nest deeper than
    /// `max_nesting` with its fragments written out (a chain of fragments
    /// each spreading the next is as deep as its length to the recursive
    /// validation). Counted without recursing along the chain.
    pub fn check_expanded_nesting(&self, doc: &ExecutableDocument) -> ServerResult<()> {
        let depth = expanded_nesting(doc);
        let max = self.0.max_nesting;
        if depth > max {
            return Err(too_complex(
                format!("nested {depth} levels deep with its fragments written out; at most {max}"),
                "nesting",
                depth,
                max,
            ));
        }
        Ok(())
    }

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

/// The refusal of an operation that would take its caller past the cost
/// budget of the minute: QUERY_TOO_COMPLEX with `limit = "budget"` (HTTP
/// 429) and when to try again.
pub fn over_budget(spent: crate::cache::budget::Exhausted) -> ServerError {
    let mut e = too_complex(
        format!(
            "this operation takes you past your cost budget of {} a minute; try again in {} s",
            spent.limit,
            spent.retry_after.as_secs()
        ),
        "budget",
        usize::try_from(spent.spent).unwrap_or(usize::MAX),
        usize::try_from(spent.limit).unwrap_or(usize::MAX),
    );
    if let Some(ext) = e.extensions.as_mut() {
        ext.set("retryAfterSecs", spent.retry_after.as_secs());
    }
    e
}

/// Most rows counted for a list a case (or a plan, or a person) holds
/// without a `first`: a case gathers tens of steps, follow-ups or records,
/// not hundreds. Without a bound such a list cost 1 however many rows it
/// fanned out into, and the cost limit bounded nothing.
pub const CASE_LIST_BOUND: usize = 5;
/// Rows counted for the lists that grow with the service (a sub-project's
/// enrolments, a slot's placements).
pub const LONG_LIST_BOUND: usize = 100;

/// Rows counted for the association's projects, and for each project's
/// sub-projects: reference data, a handful each.
pub const REFERENCE_LIST_BOUND: usize = 10;

/// An unpaginated list's estimated cost: its bound times what each row asks for.
pub fn list_cost(bound: usize, child_complexity: usize) -> usize {
    bound.saturating_mul(child_complexity).max(1)
}

/// [`list_cost`] of a list a case, plan or person holds (the schema's
/// `complexity` attributes name these, one per bound).
pub fn case_list_cost(child_complexity: usize) -> usize {
    list_cost(CASE_LIST_BOUND, child_complexity)
}

/// [`list_cost`] of a list that grows with the service.
pub fn long_list_cost(child_complexity: usize) -> usize {
    list_cost(LONG_LIST_BOUND, child_complexity)
}

/// [`list_cost`] of the projects and their sub-projects.
pub fn reference_list_cost(child_complexity: usize) -> usize {
    list_cost(REFERENCE_LIST_BOUND, child_complexity)
}

/// A page's estimated cost: its items times what each item asks for
/// (`first` as given; the default page size when absent).
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let items = first.map_or(20, |n| n.max(1) as usize);
    items.saturating_mul(child_complexity).max(1)
}

/// The fields of all the document's operations with every fragment spread
/// written out, counted without writing them out: each fragment's count is taken
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
    // Every operation, added up: async-graphql's own checks write out
    // each of them, so a document of many small operations costs their sum.
    doc.operations
        .iter()
        .map(|(_, op)| count.set(&op.node.selection_set.node))
        .fold(0usize, usize::saturating_add)
}

/// The depth at which the document's brackets first pass `max`, if they
/// do. Strings, block strings and comments are skipped, as the lexer
/// would; one pass, no recursion.
fn text_nesting_over(query: &str, max: usize) -> Option<usize> {
    let bytes = query.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // `\"""` is an escaped delimiter inside a block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > max {
                    return Some(depth);
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The depth at which a variable's lists and objects first pass `max`, if
/// they do; walked with a stack of its own.
fn variables_nesting_over(variables: &Variables, max: usize) -> Option<usize> {
    let mut stack: Vec<(&Value, usize)> = variables.values().map(|v| (v, 1)).collect();
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::List(items) => Box::new(items.iter()),
            Value::Object(fields) => Box::new(fields.values()),
            _ => continue,
        };
        if depth > max {
            return Some(depth);
        }
        stack.extend(children.map(|child| (child, depth + 1)));
    }
    None
}

/// How deep the document nests with every fragment written out: each
/// field, inline fragment and spread one level. Each fragment's depth is
/// taken once, leaves first (an explicit stack, not recursion along the
/// chain); within one fragment the walk recurses, which the text's
/// nesting bound (checked first) keeps shallow. A cycle counts 0 at its
/// back edge (validation refuses it).
fn expanded_nesting(doc: &ExecutableDocument) -> usize {
    use std::collections::HashMap;

    fn spreads<'a>(set: &'a SelectionSet, out: &mut Vec<&'a Name>) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => spreads(&f.node.selection_set.node, out),
                Selection::InlineFragment(f) => spreads(&f.node.selection_set.node, out),
                Selection::FragmentSpread(s) => out.push(&s.node.fragment_name.node),
            }
        }
    }
    fn depth(set: &SelectionSet, known: &HashMap<&Name, usize>) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => 1 + depth(&f.node.selection_set.node, known),
                Selection::InlineFragment(f) => 1 + depth(&f.node.selection_set.node, known),
                Selection::FragmentSpread(s) => {
                    1 + known.get(&s.node.fragment_name.node).copied().unwrap_or(0)
                }
            })
            .max()
            .unwrap_or(0)
    }

    // Post-order over the fragments: a fragment after everything it spreads.
    let mut known: HashMap<&Name, usize> = HashMap::new();
    let mut entered: std::collections::HashSet<&Name> = std::collections::HashSet::new();
    for root in doc.fragments.keys() {
        let mut stack: Vec<(&Name, Vec<&Name>)> = Vec::new();
        if entered.insert(root) {
            let mut next = Vec::new();
            spreads(&doc.fragments[root].node.selection_set.node, &mut next);
            stack.push((root, next));
        }
        while let Some((name, pending)) = stack.last_mut() {
            match pending.pop() {
                Some(child) => {
                    if let Some(def) = doc.fragments.get(child) {
                        if entered.insert(child) {
                            let mut next = Vec::new();
                            spreads(&def.node.selection_set.node, &mut next);
                            stack.push((child, next));
                        }
                    }
                }
                None => {
                    let name = *name;
                    let d = depth(&doc.fragments[name].node.selection_set.node, &known);
                    known.insert(name, d);
                    stack.pop();
                }
            }
        }
    }
    doc.operations
        .iter()
        .map(|(_, op)| depth(&op.node.selection_set.node, &known))
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
    fn nesting_is_bounded_before_parsing_and_strings_do_not_count() {
        assert_eq!(text_nesting_over("{ a { b { c } } }", 3), None);
        assert_eq!(text_nesting_over("{ a { b { c { d } } } }", 3), Some(4));
        let deep = format!(
            "{{ cases(filter: {}{}) {{ id }} }}",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        assert_eq!(text_nesting_over(&deep, 64), Some(65));
        // Brackets in strings, block strings and comments are text.
        let quoted = format!(
            "{{ a(s: \"{0}\", t: \"\"\"{0} \\\"\"\" {0}\"\"\") # {0}\n }}",
            "{[(".repeat(100)
        );
        assert_eq!(text_nesting_over(&quoted, 3), None, "{quoted}");
        let vars: Variables = serde_json::from_value(serde_json::json!({
            "a": [[[[1]]]], "b": {"c": {"d": 1}}
        }))
        .expect("variables");
        assert_eq!(variables_nesting_over(&vars, 4), None);
        assert_eq!(variables_nesting_over(&vars, 3), Some(4));
    }

    #[test]
    fn a_chain_of_fragments_is_as_deep_as_its_length() {
        let mut chain = String::from("{ ...F0 }");
        for i in 0..5000 {
            chain.push_str(&format!(" fragment F{i} on Query {{ ...F{} }}", i + 1));
        }
        chain.push_str(" fragment F5000 on Query { me { subject } }");
        let doc = async_graphql::parser::parse_query(&chain).expect("parses");
        assert_eq!(expanded_nesting(&doc), 5001 + 2);
        let doc = async_graphql::parser::parse_query("{ a { ...F } } fragment F on Q { b { c } }")
            .expect("parses");
        assert_eq!(expanded_nesting(&doc), 4);
        let doc = async_graphql::parser::parse_query("{ ...A } fragment A on Query { x ...A }")
            .expect("parses");
        assert_eq!(expanded_nesting(&doc), 2);
    }

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
        // Every operation counts: async-graphql writes each one out.
        let doc = async_graphql::parser::parse_query(
            "query A { ...F } query B { ...F } fragment F on Query { x y }",
        )
        .expect("parses");
        assert_eq!(expanded_fields(&doc), 4);
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
