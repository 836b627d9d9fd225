//! Persisted queries. Two things in one place, because both turn a hash
//! into a document before anything runs:
//!
//! - Automatic persisted queries as Apollo clients speak them: a request
//!   with `extensions.persistedQuery.sha256Hash` and no `query` runs the
//!   document registered under that hash, or gets
//!   `PERSISTED_QUERY_NOT_FOUND`, after which the client sends hash and
//!   document together and the gateway registers it (in Redis, shared by
//!   every replica). Only for a signed-in caller, only a document of at
//!   most `apq_max_bytes` without a personnummer in it, and only once it
//!   has parsed and validated (its answer is not a request error): nothing
//!   an anonymous caller sends is stored, and nothing that is not GraphQL.
//! - A safelist: a checked-in manifest of documents (Apollo's persisted
//!   query manifest format). Callers listed in `safelist_only` (an agency,
//!   or an agency's OAuth client such as the coaches' mobile app) may run
//!   only those documents, by hash or by full text.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Request, Value};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::cache::budget::Budget;
use crate::cache::Cache;
use crate::config::PersistedQueriesConfig;
use crate::vocabulary::error::ErrorCode;
use crate::vocabulary::Principal;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PersistedError {
    #[error("PersistedQueryNotFound")]
    NotFound,
    #[error("persisted queries are turned off")]
    NotSupported,
    #[error("extensions.persistedQuery: {0}")]
    Malformed(&'static str),
    #[error("extensions.persistedQuery.sha256Hash does not match the query")]
    HashMismatch,
    #[error("only safelisted operations may run for this client")]
    NotSafelisted,
}

impl PersistedError {
    pub fn code(&self) -> ErrorCode {
        match self {
            PersistedError::NotFound | PersistedError::NotSupported => {
                ErrorCode::PersistedQueryNotFound
            }
            PersistedError::Malformed(_) | PersistedError::HashMismatch => ErrorCode::BadUserInput,
            PersistedError::NotSafelisted => ErrorCode::Forbidden,
        }
    }

    /// The input field at fault, for BAD_USER_INPUT.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            PersistedError::Malformed(_) | PersistedError::HashMismatch => {
                Some("extensions.persistedQuery.sha256Hash")
            }
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// Apollo's persisted query manifest (`generate-persisted-query-manifest`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    version: u32,
    operations: Vec<ManifestOperation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestOperation {
    /// The SHA-256 of `body`, hex.
    id: String,
    #[allow(dead_code)]
    name: String,
    #[serde(rename = "type")]
    #[allow(dead_code)]
    kind: String,
    body: String,
}

pub struct PersistedQueries {
    cache: Arc<dyn Cache>,
    apq: bool,
    ttl: Duration,
    max_bytes: usize,
    safelist: HashMap<String, String>,
    /// `agency` or `agency:client` entries.
    safelist_only: Vec<(String, Option<String>)>,
    /// Registrations per caller and hour, across replicas: a signed-in
    /// caller sending a new document with every request fills no cache.
    quota: Budget,
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl PersistedQueries {
    pub fn new(
        config: &PersistedQueriesConfig,
        cache: Arc<dyn Cache>,
        timeout: Duration,
    ) -> Result<PersistedQueries, ManifestError> {
        let safelist = match &config.safelist_file {
            Some(path) => load_manifest(path)?,
            None => HashMap::new(),
        };
        let safelist_only = config
            .safelist_only
            .iter()
            .map(|entry| match entry.split_once(':') {
                Some((agency, client)) => (agency.to_string(), Some(client.to_string())),
                None => (entry.clone(), None),
            })
            .collect();
        let quota = Budget::new(
            cache.clone(),
            "apq",
            config.apq_per_hour,
            Duration::from_secs(3600),
            timeout,
        );
        Ok(PersistedQueries {
            quota,
            cache,
            apq: config.apq,
            ttl: config.apq_ttl_secs,
            max_bytes: config.apq_max_bytes,
            safelist,
            safelist_only,
        })
    }

    fn safelisted_only(&self, caller: Option<&Principal>) -> bool {
        let Some(p) = caller else {
            return false;
        };
        self.safelist_only.iter().any(|(agency, client)| {
            agency == &p.agency
                && client
                    .as_deref()
                    .is_none_or(|c| c == "*" || Some(c) == p.client.as_deref())
        })
    }

    /// Puts the document a persisted request names into `request.query`
    /// and enforces the safelist. Runs before the request executes; an
    /// error means nothing runs. A new document that may be registered is
    /// returned, to [`Self::register`] once it has run as a valid request.
    pub async fn resolve(
        &self,
        request: &mut Request,
        caller: Option<&Principal>,
    ) -> Result<Option<Registration>, PersistedError> {
        let restricted = self.safelisted_only(caller);
        let Some(hash) = requested_hash(request)? else {
            if restricted && !self.safelist.contains_key(&sha256_hex(&request.query)) {
                return Err(PersistedError::NotSafelisted);
            }
            return Ok(None);
        };
        if request.query.is_empty() {
            if let Some(body) = self.safelist.get(&hash) {
                request.query = body.clone();
                return Ok(None);
            }
            if restricted {
                return Err(PersistedError::NotSafelisted);
            }
            if !self.apq {
                return Err(PersistedError::NotSupported);
            }
            return match self.cache.get(&apq_key(&hash)).await {
                Ok(Some(bytes)) => {
                    request.query =
                        String::from_utf8(bytes).map_err(|_| PersistedError::NotFound)?;
                    Ok(None)
                }
                // A cache that is down cannot know the hash: the client
                // then sends the full document, which still works.
                Ok(None) | Err(_) => Err(PersistedError::NotFound),
            };
        }
        if sha256_hex(&request.query) != hash {
            return Err(PersistedError::HashMismatch);
        }
        if self.safelist.contains_key(&hash) {
            return Ok(None);
        }
        if restricted {
            return Err(PersistedError::NotSafelisted);
        }
        // A document with a personnummer written into it (instead of a
        // variable) is run but never stored: the cache holds no personal
        // data. Nor is an anonymous caller's, or an oversized one.
        // An escape (`\u0031`) could spell digits the scan cannot see.
        let Some(caller) = caller else {
            return Ok(None);
        };
        let registrable = self.apq
            && request.query.len() <= self.max_bytes
            && !request.query.contains('\\')
            && !carries_personnummer(&request.query);
        Ok(registrable.then(|| Registration {
            hash,
            document: request.query.clone(),
            agency: caller.agency.clone(),
            subject: caller.subject.clone(),
        }))
    }

    /// Registers a document that has run as a valid request. Best effort:
    /// the request has been answered either way.
    pub async fn register(&self, registration: Registration) {
        let now = std::time::SystemTime::now();
        let charged = self
            .quota
            .charge(&registration.agency, &registration.subject, 1, now)
            .await;
        if charged.is_err() {
            tracing::info!("persisted query not registered: the caller's hourly quota is spent");
            return;
        }
        if let Err(e) = self
            .cache
            .set(
                &apq_key(&registration.hash),
                registration.document.as_bytes(),
                self.ttl,
            )
            .await
        {
            tracing::warn!(error = %e, "could not register a persisted query");
        }
    }
}

/// A document to register under its hash once it has run.
pub struct Registration {
    hash: String,
    document: String,
    /// Whose quota it is charged to.
    agency: String,
    subject: String,
}

/// Does the document contain something that parses as a personnummer?
/// (Runs of digits with `-`/`+`, 10 to 13 characters, in strings or not.)
fn carries_personnummer(document: &str) -> bool {
    document
        .split(|c: char| !(c.is_ascii_digit() || c == '-' || c == '+'))
        .filter(|run| (10..=13).contains(&run.len()))
        .any(|run| pii::personnummer::Personnummer::parse_today(run).is_ok())
}

fn apq_key(hash: &str) -> String {
    format!("apq:{hash}")
}

/// `extensions.persistedQuery` of the request, checked: version 1 and a
/// 64-digit lowercase hex SHA-256.
fn requested_hash(request: &Request) -> Result<Option<String>, PersistedError> {
    let Some(pq) = request.extensions.get("persistedQuery") else {
        return Ok(None);
    };
    let Value::Object(pq) = pq else {
        return Err(PersistedError::Malformed("must be an object"));
    };
    match pq.get("version") {
        Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
        _ => return Err(PersistedError::Malformed("version must be 1")),
    }
    match pq.get("sha256Hash") {
        Some(Value::String(h))
            if h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(Some(h.clone()))
        }
        _ => Err(PersistedError::Malformed(
            "sha256Hash must be 64 lowercase hex digits",
        )),
    }
}

fn load_manifest(path: &Path) -> Result<HashMap<String, String>, ManifestError> {
    let invalid = |message: String| ManifestError::Invalid {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| invalid(e.to_string()))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
    if manifest.format != "apollo-persisted-query-manifest" || manifest.version != 1 {
        return Err(invalid(
            "format must be apollo-persisted-query-manifest, version 1".into(),
        ));
    }
    let mut out = HashMap::new();
    for (i, op) in manifest.operations.into_iter().enumerate() {
        let actual = sha256_hex(&op.body);
        if actual != op.id {
            return Err(invalid(format!(
                "operations[{i}].id is not the SHA-256 of its body (expected {actual})"
            )));
        }
        out.insert(op.id, op.body);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_safelist_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/safelist.json");
        let list = load_manifest(&path).expect("valid manifest");
        assert!(!list.is_empty());
        for body in list.values() {
            async_graphql::parser::parse_query(body).expect("every safelisted document parses");
        }
    }

    #[test]
    fn documents_with_a_personnummer_are_recognised() {
        assert!(carries_personnummer(
            r#"{ participantByPersonnummer(personnummer: "19121212-1212") { id } }"#
        ));
        assert!(!carries_personnummer(
            "query($p: String!) { participantByPersonnummer(personnummer: $p) { id } }"
        ));
        assert!(!carries_personnummer(
            r#"{ dashboard { caseFlow(year: 2026) { year } } }"#
        ));
    }

    #[test]
    fn a_wrong_id_is_refused_with_the_right_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("m.json");
        std::fs::write(
            &path,
            r#"{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"00","name":"Me","type":"query","body":"{ me { subject } }"}]}"#,
        )
        .expect("write");
        let e = load_manifest(&path).expect_err("wrong id");
        assert!(
            e.to_string().contains(&sha256_hex("{ me { subject } }")),
            "{e}"
        );
    }
}
