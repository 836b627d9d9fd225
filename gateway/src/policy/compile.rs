//! Checks a policy file against the schema and compiles it into per-type
//! lookups: every field of the schema gets a number, and each grant becomes
//! a bit set over those numbers, so deciding a field is two hash lookups
//! and a bit test.

use std::collections::HashMap;

// The field lookup runs for every field of every answer (~12,000 on a big
// page). Its keys are the schema's own type and field names (a document
// naming anything else fails validation before any field resolves), so a
// fast non-keyed hash cannot be flooded.
type FieldMap<V> = rustc_hash::FxHashMap<String, V>;

use entities::enums::ConsentCategory;
use fixedbitset::FixedBitSet;
use sha2::{Digest, Sha256};

use super::file::{OnDenied, PolicyFile};
use crate::vocabulary::{Principal, Role};

/// What kind of personal data a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classification {
    /// Personal data with no consent category of its own: audited.
    Personal,
    /// Name, personnummer, address: hidden for a protected identity
    /// except from the owning unit.
    Identity,
    /// A consent category: on another agency's records, readable only
    /// under a consent that covers it.
    Consent(ConsentCategory),
}

impl Classification {
    /// `personal`, `identity`, or a consent category by its stored name
    /// (`health`, ...: sea-orm's `ActiveEnum` already knows those).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "personal" => Some(Classification::Personal),
            "identity" => Some(Classification::Identity),
            category => {
                <ConsentCategory as sea_orm::ActiveEnum>::try_from_value(&category.to_owned())
                    .ok()
                    .map(Classification::Consent)
            }
        }
    }
}

/// One field of the schema as the policy sees it.
#[derive(Debug, Clone, Copy)]
pub struct FieldInfo {
    pub id: usize,
    pub class: Option<Classification>,
}

#[derive(Debug)]
struct Grant {
    /// `None`: every agency.
    agencies: Option<Vec<String>>,
    /// `None`: every signed-in caller.
    roles: Option<Vec<Role>>,
    read: FixedBitSet,
    write: FixedBitSet,
    deny: FixedBitSet,
}

impl Grant {
    fn matches(&self, p: &Principal) -> bool {
        self.agencies.as_ref().is_none_or(|a| a.contains(&p.agency))
            && self
                .roles
                .as_ref()
                .is_none_or(|r| r.iter().any(|r| p.has_role(*r)))
    }
}

/// A compiled policy. Immutable: a reload builds a new one and swaps it in.
#[derive(Debug)]
pub struct Policy {
    /// Hash of the file's text: part of cache keys, so a reload changes them.
    pub version: String,
    pub on_denied: OnDenied,
    types: FieldMap<FieldMap<FieldInfo>>,
    names: Vec<String>,
    type_class: HashMap<String, Classification>,
    anonymous: FixedBitSet,
    grants: Vec<Grant>,
    /// (lookup, key) field numbers of [`LOOKUPS`] present in the schema.
    lookups: Vec<(usize, usize)>,
}

/// Fields that find rows by the value of another field. Searching by a
/// value is reading it: a caller who may try personnummer after
/// personnummer until one answers learns the number its policy withholds.
/// So the lookup is readable only by those who may read its key, whatever
/// the grants say.
pub const LOOKUPS: &[(&str, &str)] = &[(
    "Query.participantByPersonnummer",
    "Participant.personnummer",
)];

/// What one caller may do, merged from every grant that matches them.
#[derive(Debug, Clone)]
pub struct Access {
    pub signed_in: bool,
    read: FixedBitSet,
    write: FixedBitSet,
}

impl Access {
    pub fn can_read(&self, f: &FieldInfo) -> bool {
        self.read.contains(f.id)
    }
    pub fn can_write(&self, f: &FieldInfo) -> bool {
        self.write.contains(f.id)
    }
    /// May the caller use field `f` of type `ty`: run it on `Mutation`,
    /// read it anywhere else.
    pub fn allows(&self, ty: &str, f: &FieldInfo) -> bool {
        if ty == "Mutation" {
            self.can_write(f)
        } else {
            self.can_read(f)
        }
    }
}

/// Every object type of the schema with its field names, in schema order:
/// what the policy is checked against. The GraphQL layer provides it
/// (`graphql::shape`), so the rules here need no GraphQL library.
pub type SchemaShape = Vec<(String, Vec<String>)>;

/// A policy that cannot be used; the message names the entry at fault.
#[derive(Debug, thiserror::Error)]
#[error("policy: {0}")]
pub struct PolicyError(pub String);

impl Policy {
    /// Reads, checks and compiles policy text against the schema's shape.
    pub fn compile(text: &str, shape: &SchemaShape) -> Result<Policy, PolicyError> {
        let file: PolicyFile =
            toml::from_str(text).map_err(|e| PolicyError(e.message().to_string()))?;
        let mut names = Vec::new();
        let mut types: FieldMap<FieldMap<FieldInfo>> = FieldMap::default();
        for (ty, fields) in shape {
            let entry = types.entry(ty.clone()).or_default();
            for field in fields {
                entry.insert(
                    field.clone(),
                    FieldInfo {
                        id: names.len(),
                        class: None,
                    },
                );
                names.push(format!("{ty}.{field}"));
            }
        }
        let n = names.len();

        // Classifications: type wildcards first, then fields override them.
        let mut type_class = HashMap::new();
        let mut field_class = Vec::new();
        for (key, value) in &file.classify {
            let where_ = format!("classify.\"{key}\"");
            let class = Classification::parse(value).ok_or_else(|| {
                PolicyError(format!(
                    "{where_}: unknown classification \"{value}\" (personal, identity, economic_social, health, work_history, labour_market)"
                ))
            })?;
            let (ty, field) = split(key, &where_)?;
            let fields = types.get(ty).ok_or_else(|| no_type(&where_, ty))?;
            if field == "*" {
                type_class.insert(ty.to_string(), class);
            } else {
                fields
                    .get(field)
                    .ok_or_else(|| no_field(&where_, ty, field))?;
                field_class.push((ty.to_string(), field.to_string(), class));
            }
        }
        for (ty, class) in &type_class {
            if let Some(fields) = types.get_mut(ty) {
                for f in fields.values_mut() {
                    f.class = Some(*class);
                }
            }
        }
        for (ty, field, class) in field_class {
            if let Some(f) = types.get_mut(&ty).and_then(|t| t.get_mut(&field)) {
                f.class = Some(class);
            }
        }

        let lookup = Lookup { types: &types, n };
        let anonymous = lookup.set(&file.anonymous.read, "anonymous.read", Kind::Read)?;
        let mut grants = Vec::new();
        for (i, g) in file.grants.iter().enumerate() {
            let at = format!("grant[{i}]");
            let agencies = wildcard(&g.agencies, &format!("{at}.agencies"))?;
            let roles = match wildcard(&g.roles, &format!("{at}.roles"))? {
                None => None,
                Some(names) => Some(
                    names
                        .iter()
                        .map(|r| {
                            Role::parse(r).ok_or_else(|| {
                                PolicyError(format!(
                                    "{at}.roles: unknown role \"{r}\" (coach, officer, placement_coordinator, integrator, analyst, auditor)"
                                ))
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                ),
            };
            grants.push(Grant {
                agencies,
                roles,
                read: lookup.set(&g.read, &format!("{at}.read"), Kind::Read)?,
                write: lookup.set(&g.write, &format!("{at}.write"), Kind::Write)?,
                deny: lookup.set(&g.deny, &format!("{at}.deny"), Kind::Any)?,
            });
        }
        let id_of = |name: &str| {
            let (ty, field) = name.split_once('.')?;
            types.get(ty)?.get(field).map(|f| f.id)
        };
        // A schema without the lookup has nothing to guard; one with the
        // lookup but not its key is a schema this rule no longer fits.
        let mut lookups = Vec::new();
        for (lookup, key) in LOOKUPS {
            if let Some(l) = id_of(lookup) {
                let k = id_of(key).ok_or_else(|| {
                    PolicyError(format!("the schema has {lookup} but not its key {key}"))
                })?;
                lookups.push((l, k));
            }
        }
        let version = hex::encode(&Sha256::digest(text.as_bytes())[..8]);
        let policy = Policy {
            version,
            on_denied: file.settings.on_denied,
            types,
            names,
            type_class,
            anonymous,
            grants,
            lookups,
        };
        Ok(policy)
    }

    /// The field's number and classification, if the schema has it.
    pub fn field(&self, ty: &str, field: &str) -> Option<&FieldInfo> {
        self.types.get(ty)?.get(field)
    }

    /// How many fields the schema has (the size of the bit sets).
    pub fn field_count(&self) -> usize {
        self.names.len()
    }

    /// `Type.field` of a field number (for the audit log and messages).
    pub fn name(&self, id: usize) -> &str {
        &self.names[id]
    }

    /// May the caller use any field of `ty`? `Query` always stays (it
    /// holds `__typename`); a type the policy does not list (a scalar, an
    /// enum, an input) is not the policy's to hide.
    pub fn type_usable(&self, ty: &str, access: &Access) -> bool {
        let Some(fields) = self.types.get(ty) else {
            return true;
        };
        ty == "Query" || fields.values().any(|f| access.allows(ty, f))
    }

    /// `Type.field` if the caller may read it.
    pub fn readable(&self, access: &Access, ty: &str, field: &str) -> Option<&FieldInfo> {
        self.field(ty, field).filter(|f| access.can_read(f))
    }

    /// Is a refusal of `Type.field` an attempt on personal data, to be
    /// audited as denied? A classified field, or any write (whatever it
    /// would have written).
    pub fn audited_when_refused(&self, ty: &str, field: &str) -> bool {
        ty == "Mutation" || self.field(ty, field).is_some_and(|f| f.class.is_some())
    }

    /// The classification a type's rows carry as a whole (`"Type.*"`).
    pub fn type_class(&self, ty: &str) -> Option<Classification> {
        self.type_class.get(ty).copied()
    }

    /// The caller's effective rights: the union of the grants that match
    /// them, minus every field a matching grant denies.
    pub fn access(&self, principal: Option<&Principal>) -> Access {
        let n = self.names.len();
        let Some(p) = principal else {
            let mut read = self.anonymous.clone();
            self.keep_lookups_keyed(&mut read);
            return Access {
                signed_in: false,
                read,
                write: FixedBitSet::with_capacity(n),
            };
        };
        let mut read = FixedBitSet::with_capacity(n);
        let mut write = FixedBitSet::with_capacity(n);
        let mut deny = FixedBitSet::with_capacity(n);
        for g in self.grants.iter().filter(|g| g.matches(p)) {
            read.union_with(&g.read);
            write.union_with(&g.write);
            deny.union_with(&g.deny);
        }
        read.difference_with(&deny);
        write.difference_with(&deny);
        self.keep_lookups_keyed(&mut read);
        Access {
            signed_in: true,
            read,
            write,
        }
    }
}

impl Policy {
    /// Takes away each lookup whose key `read` lacks (see [`LOOKUPS`]).
    fn keep_lookups_keyed(&self, read: &mut FixedBitSet) {
        for &(lookup, key) in &self.lookups {
            if !read.contains(key) {
                read.set(lookup, false);
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Read,
    Write,
    Any,
}

struct Lookup<'a> {
    types: &'a FieldMap<FieldMap<FieldInfo>>,
    n: usize,
}

impl Lookup<'_> {
    fn set(&self, patterns: &[String], at: &str, kind: Kind) -> Result<FixedBitSet, PolicyError> {
        let mut set = FixedBitSet::with_capacity(self.n);
        for pattern in patterns {
            let where_ = format!("{at}: \"{pattern}\"");
            let (ty, field) = split(pattern, &where_)?;
            let fields = self.types.get(ty).ok_or_else(|| no_type(&where_, ty))?;
            match (kind, ty == "Mutation") {
                (Kind::Read, true) => {
                    return Err(PolicyError(format!(
                        "{where_}: Mutation fields are granted with `write`"
                    )))
                }
                (Kind::Write, false) => {
                    return Err(PolicyError(format!(
                        "{where_}: `write` names Mutation fields (the operations a caller may run)"
                    )))
                }
                _ => {}
            }
            if field == "*" {
                for f in fields.values() {
                    set.insert(f.id);
                }
            } else {
                let f = fields
                    .get(field)
                    .ok_or_else(|| no_field(&where_, ty, field))?;
                set.insert(f.id);
            }
        }
        Ok(set)
    }
}

fn split<'a>(pattern: &'a str, where_: &str) -> Result<(&'a str, &'a str), PolicyError> {
    pattern
        .split_once('.')
        .filter(|(t, f)| !t.is_empty() && !f.is_empty())
        .ok_or_else(|| PolicyError(format!("{where_}: write `Type.field` or `Type.*`")))
}

fn no_type(where_: &str, ty: &str) -> PolicyError {
    PolicyError(format!("{where_}: the schema has no object type {ty}"))
}

fn no_field(where_: &str, ty: &str, field: &str) -> PolicyError {
    PolicyError(format!("{where_}: type {ty} has no field {field}"))
}

fn wildcard(values: &[String], at: &str) -> Result<Option<Vec<String>>, PolicyError> {
    if values.is_empty() {
        return Err(PolicyError(format!("{at}: name at least one, or \"*\"")));
    }
    Ok((!values.iter().any(|v| v == "*")).then(|| values.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifications_are_named_as_in_the_policy_file() {
        let cases = [
            ("personal", Classification::Personal),
            ("identity", Classification::Identity),
            (
                "economic_social",
                Classification::Consent(ConsentCategory::EconomicSocial),
            ),
            ("health", Classification::Consent(ConsentCategory::Health)),
            (
                "work_history",
                Classification::Consent(ConsentCategory::WorkHistory),
            ),
            (
                "labour_market",
                Classification::Consent(ConsentCategory::LabourMarket),
            ),
        ];
        for (name, class) in cases {
            assert_eq!(Classification::parse(name), Some(class), "{name}");
        }
        for unknown in ["Health", "sensitive", "economic-social", ""] {
            assert_eq!(Classification::parse(unknown), None, "{unknown}");
        }
    }
}
