//! The policy file as written (`deploy/policy.toml`), before it is checked
//! against the schema and compiled. See the README, "Policy file".

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    #[serde(default)]
    pub settings: Settings,
    /// `"Type.field"` or `"Type.*"` -> classification (`personal`,
    /// `identity`, `economic_social`, `health`, `work_history`,
    /// `labour_market`). A field entry overrides its type's wildcard.
    #[serde(default)]
    pub classify: BTreeMap<String, String>,
    /// What a caller without a token may read.
    #[serde(default)]
    pub anonymous: Anonymous,
    #[serde(default, rename = "grant")]
    pub grants: Vec<GrantFile>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub on_denied: OnDenied,
}

/// What happens to an operation that asks for a field the caller may not read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDenied {
    /// The field is null with a FORBIDDEN_FIELD error at its path; the rest is answered.
    #[default]
    Redact,
    /// The whole operation is refused before anything runs.
    Reject,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anonymous {
    #[serde(default)]
    pub read: Vec<String>,
}

/// One rule: these agencies' these roles may read and write these fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantFile {
    /// Agency codes, or `"*"` for every agency.
    pub agencies: Vec<String>,
    /// Role names, or `"*"` for every signed-in caller.
    pub roles: Vec<String>,
    #[serde(default)]
    pub read: Vec<String>,
    /// `Mutation.<field>` only: the operations these callers may run.
    #[serde(default)]
    pub write: Vec<String>,
    /// Fields taken away again from every caller this rule matches, whatever
    /// another rule grants.
    #[serde(default)]
    pub deny: Vec<String>,
}
