//! What one request has touched, kept while it executes: which row each
//! object in the answer came from (so field decisions can depend on the
//! row: its owner, its participant's protected identity), which personal
//! fields were read or withheld, and for which participants. The policy
//! extension fills it and turns it into the `redacted` list and the audit
//! events when the operation ends.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Mutex;

use async_graphql::{PathSegment, QueryPathNode, QueryPathSegment, ServerError};
use fixedbitset::FixedBitSet;
use uuid::Uuid;

use crate::vocabulary::error::ErrorCode;

/// Where an object in the answer came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowTag {
    /// The participant the row is about.
    pub participant: Option<Uuid>,
    /// The agency that owns the row (another agency's records need consent).
    pub owner: Option<Uuid>,
    /// The case (the collaboration) the row was reached through: the
    /// purpose a consent must be for.
    pub case: Option<Uuid>,
    /// The participant has a protected identity (skyddade personuppgifter).
    pub protected: bool,
    /// The unit that may see a protected identity.
    pub owning_unit: Option<Uuid>,
}

impl RowTag {
    pub fn participant(id: Uuid) -> Self {
        RowTag {
            participant: Some(id),
            ..RowTag::default()
        }
    }
}

/// A field withheld from the answer, listed in `extensions.redacted`.
#[derive(Debug, Clone)]
pub struct Redaction {
    pub path: Vec<PathSegment>,
    pub field: String,
    pub code: ErrorCode,
}

#[derive(Default)]
struct Inner {
    /// By path key (already a keyed hash: no second hashing needed).
    rows: rustc_hash::FxHashMap<u128, RowTag>,
    participants: BTreeSet<Uuid>,
    withheld_from: BTreeSet<Uuid>,
    read: Option<FixedBitSet>,
    withheld: BTreeSet<String>,
    failed: BTreeSet<String>,
    redactions: Vec<Redaction>,
    errors: Vec<ServerError>,
    personal: bool,
}

#[derive(Default)]
pub struct Ledger {
    inner: Mutex<Inner>,
    /// Consent decisions already taken in this request, by (participant,
    /// owning agency, case, category): every field of a record asks the
    /// same question, and a page holds hundreds of such fields.
    consents: Mutex<HashMap<ConsentQuestion, bool>>,
}

/// (participant, owning agency, case, consent category).
pub type ConsentQuestion = (Uuid, Uuid, Option<Uuid>, entities::enums::ConsentCategory);

/// What the ledger holds when the operation ends.
pub struct Summary {
    pub participants: Vec<Uuid>,
    pub withheld_from: Vec<Uuid>,
    pub read: Option<FixedBitSet>,
    pub withheld: Vec<String>,
    /// Personal fields and writes that were allowed but failed.
    pub failed: Vec<String>,
    pub redactions: Vec<Redaction>,
    pub errors: Vec<ServerError>,
    /// Personal data was asked for (read, withheld or refused).
    pub personal: bool,
}

impl Ledger {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("ledger lock")
    }

    /// Records that the object at `node` came from the row `tag` describes.
    pub fn tag(&self, node: Option<&QueryPathNode<'_>>, tag: &RowTag) {
        // The root (no node) has key 0, as `prefix_keys` never yields it.
        let key = node.map(path_key).unwrap_or_default();
        let mut inner = self.lock();
        if let Some(p) = tag.participant {
            inner.participants.insert(p);
        }
        inner.rows.insert(key, tag.clone());
    }

    /// The row the field at `field_node` belongs to: the nearest tagged
    /// object above it (a goal inherits its case's participant).
    pub fn row_of(&self, field_node: &QueryPathNode<'_>) -> Option<RowTag> {
        let parent = field_node.parent?;
        let inner = self.lock();
        // The deepest tagged prefix wins: root first, so the last match.
        let mut nearest = None;
        for_each_prefix_key(parent, |k| {
            if let Some(tag) = inner.rows.get(&k) {
                nearest = Some(tag);
            }
        });
        nearest.cloned()
    }

    /// A personal field the caller was given.
    pub fn read(&self, id: usize, n_fields: usize) {
        let mut inner = self.lock();
        inner.personal = true;
        inner
            .read
            .get_or_insert_with(|| FixedBitSet::with_capacity(n_fields))
            .insert(id);
    }

    /// A field withheld: its error goes into the answer, the field into
    /// `extensions.redacted` and the audit event.
    pub fn withhold(
        &self,
        node: &QueryPathNode<'_>,
        field: &str,
        error: ServerError,
        code: ErrorCode,
        participant: Option<Uuid>,
        personal: bool,
    ) {
        let path = path_of(node);
        let mut inner = self.lock();
        inner.personal |= personal;
        inner.withheld.insert(field.to_string());
        if let Some(p) = participant {
            inner.withheld_from.insert(p);
        }
        inner.redactions.push(Redaction {
            path: path.clone(),
            field: field.to_string(),
            code,
        });
        inner.errors.push(ServerError { path, ..error });
    }

    /// A write refused by the resolver itself (its error is already in the
    /// answer): audited as denied.
    pub fn refused(&self, field: &str) {
        let mut inner = self.lock();
        inner.personal = true;
        inner.withheld.insert(field.to_string());
    }

    /// A personal field or a write that was allowed but failed (its error
    /// is already in the answer): audited as failed.
    pub fn failed(&self, field: &str) {
        let mut inner = self.lock();
        inner.personal = true;
        inner.failed.insert(field.to_string());
    }

    /// Rows of `type_name` left out of the list at `ctx`'s field (another
    /// agency's records without consent): the rows shown stay, the error
    /// sits at the list's path.
    pub fn withheld_rows(
        &self,
        ctx: &async_graphql::Context<'_>,
        type_name: &str,
        participant: Uuid,
        api: crate::vocabulary::error::ApiError,
    ) {
        let Some(node) = ctx.path_node.as_ref() else {
            return;
        };
        let code = api.code();
        let error = async_graphql::Error::new_with_source(api).into_server_error(ctx.item.pos);
        self.withhold(
            node,
            &format!("{type_name}.*"),
            error,
            code,
            Some(participant),
            true,
        );
    }

    /// A consent decision taken earlier in this request, if any.
    pub fn consent_decided(&self, q: &ConsentQuestion) -> Option<bool> {
        self.consents.lock().expect("ledger lock").get(q).copied()
    }

    pub fn remember_consent(&self, q: ConsentQuestion, covered: bool) {
        self.consents
            .lock()
            .expect("ledger lock")
            .insert(q, covered);
    }

    pub fn finish(&self) -> Summary {
        let mut inner = self.lock();
        let inner = std::mem::take(&mut *inner);
        Summary {
            participants: inner.participants.into_iter().collect(),
            withheld_from: inner.withheld_from.into_iter().collect(),
            read: inner.read,
            withheld: inner.withheld.into_iter().collect(),
            failed: inner.failed.into_iter().collect(),
            redactions: inner.redactions,
            errors: inner.errors,
            personal: inner.personal,
        }
    }
}

/// The path of `node` as GraphQL error paths write it.
pub fn path_of(node: &QueryPathNode<'_>) -> Vec<PathSegment> {
    let mut path = Vec::new();
    let mut cur = Some(node);
    while let Some(n) = cur {
        path.push(match n.segment {
            QueryPathSegment::Name(name) => PathSegment::Field(name.to_string()),
            QueryPathSegment::Index(i) => PathSegment::Index(i),
        });
        cur = n.parent;
    }
    path.reverse();
    path
}

/// Deepest path the keys are computed for on the stack; deeper paths (the
/// depth limit keeps them rare) take a heap buffer.
const STACK_DEPTH: usize = 32;

/// The two hashers' keys: SipHash with random keys per process, so nobody
/// can pick aliases whose paths collide with another object's (both 64-bit
/// halves of a key would have to collide at once, under keys they cannot
/// know). Which row a field belongs to drives the consent checks.
fn hash_keys() -> &'static (RandomState, RandomState) {
    static KEYS: std::sync::OnceLock<(RandomState, RandomState)> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| (RandomState::new(), RandomState::new()))
}

/// The key of the path to `node` (the last of its prefix keys).
fn path_key(node: &QueryPathNode<'_>) -> u128 {
    let mut last = 0;
    for_each_prefix_key(node, |k| last = k);
    last
}

/// Calls `f` with the key of every prefix of the path to `node`, root
/// first: the key of a path is two independent keyed 64-bit hashes of its
/// segments, so objects are found by path without building strings for
/// every field. Runs for every personal field: no allocation on the
/// usual depths.
fn for_each_prefix_key(node: &QueryPathNode<'_>, mut f: impl FnMut(u128)) {
    let mut stack = [QueryPathSegment::Index(0); STACK_DEPTH];
    let mut heap = Vec::new();
    let mut depth = 0;
    let mut cur = Some(node);
    while let Some(n) = cur {
        if depth < STACK_DEPTH {
            stack[depth] = n.segment;
        } else {
            heap.push(n.segment);
        }
        depth += 1;
        cur = n.parent;
    }
    let (ka, kb) = hash_keys();
    let mut a = ka.build_hasher();
    let mut b = kb.build_hasher();
    // Root first: the heap holds the segments nearest the root, reversed.
    let segments = heap
        .iter()
        .rev()
        .chain(stack[..depth.min(STACK_DEPTH)].iter().rev());
    for s in segments {
        match s {
            QueryPathSegment::Name(n) => {
                (0u8, n).hash(&mut a);
                (0u8, n).hash(&mut b);
            }
            QueryPathSegment::Index(i) => {
                (1u8, i).hash(&mut a);
                (1u8, i).hash(&mut b);
            }
        }
        f(((a.finish() as u128) << 64) | b.finish() as u128);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys by hashing the segments root first, the plain way.
    fn reference(segments: &[QueryPathSegment<'_>]) -> Vec<u128> {
        let (ka, kb) = hash_keys();
        let (mut a, mut b) = (ka.build_hasher(), kb.build_hasher());
        segments
            .iter()
            .map(|s| {
                match s {
                    QueryPathSegment::Name(n) => {
                        (0u8, n).hash(&mut a);
                        (0u8, n).hash(&mut b);
                    }
                    QueryPathSegment::Index(i) => {
                        (1u8, i).hash(&mut a);
                        (1u8, i).hash(&mut b);
                    }
                }
                ((a.finish() as u128) << 64) | b.finish() as u128
            })
            .collect()
    }

    /// Builds the node chain for `segments` and checks the keys at its leaf.
    fn check(segments: &[QueryPathSegment<'_>]) {
        fn walk(
            parent: Option<&QueryPathNode<'_>>,
            rest: &[QueryPathSegment<'_>],
            all: &[QueryPathSegment<'_>],
        ) {
            let node = QueryPathNode {
                parent,
                segment: rest[0],
            };
            if rest.len() > 1 {
                return walk(Some(&node), &rest[1..], all);
            }
            let mut keys = Vec::new();
            for_each_prefix_key(&node, |k| keys.push(k));
            assert_eq!(keys, reference(all));
            assert_eq!(
                path_key(&node),
                *keys.last().expect("a path has at least one segment")
            );
        }
        walk(None, segments, segments);
    }

    #[test]
    fn prefix_keys_are_root_first_at_every_depth() {
        let names: Vec<String> = (0..80).map(|i| format!("f{i}")).collect();
        for depth in [1, 5, STACK_DEPTH - 1, STACK_DEPTH, STACK_DEPTH + 1, 70] {
            let segments: Vec<QueryPathSegment<'_>> = (0..depth)
                .map(|i| {
                    if i % 3 == 2 {
                        QueryPathSegment::Index(i)
                    } else {
                        QueryPathSegment::Name(&names[i])
                    }
                })
                .collect();
            check(&segments);
        }
    }

    #[test]
    fn a_field_belongs_to_the_nearest_tagged_object() {
        let ledger = Ledger::default();
        let root = QueryPathNode {
            parent: None,
            segment: QueryPathSegment::Name("cases"),
        };
        let item = QueryPathNode {
            parent: Some(&root),
            segment: QueryPathSegment::Index(3),
        };
        let (case, goal) = (Uuid::new_v4(), Uuid::new_v4());
        ledger.tag(Some(&root), &RowTag::participant(case));
        ledger.tag(Some(&item), &RowTag::participant(goal));
        let field = QueryPathNode {
            parent: Some(&item),
            segment: QueryPathSegment::Name("name"),
        };
        assert_eq!(
            ledger
                .row_of(&field)
                .expect("a tagged ancestor")
                .participant,
            Some(goal)
        );
        let other_item = QueryPathNode {
            parent: Some(&root),
            segment: QueryPathSegment::Index(4),
        };
        let field = QueryPathNode {
            parent: Some(&other_item),
            segment: QueryPathSegment::Name("name"),
        };
        assert_eq!(
            ledger
                .row_of(&field)
                .expect("a tagged ancestor")
                .participant,
            Some(case)
        );
    }
}
