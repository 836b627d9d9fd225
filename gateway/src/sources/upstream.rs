//! AF's and FK's records read live from each agency's API: which agencies
//! are read that way (config), the contract's records as the gateway's rows
//! (the contract itself is the `agency-api` crate), and the DataLoader that asks each agency once per request about
//! every person the request needs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entities::enums::AgencyKind;
use entities::{employment_service_record as af, social_insurance_record as fk};
use serde_json::Value;
use tracing::Instrument;
use uuid::Uuid;

use super::http::{HttpSource, UpstreamError};
use crate::config::{AgencyConfig, SourceConfig};
use crate::observability::metrics::Metrics;
use crate::sources::http::client_credentials::ClientCredentials;
use pii::personnummer::Personnummer;

/// The agencies whose records come from their own API, by agency id.
#[derive(Default)]
pub struct Upstreams {
    by_agency: BTreeMap<String, Arc<HttpSource>>,
}

impl Upstreams {
    /// One source per agency configured with `source.kind = "http"`.
    pub fn from_config(
        agencies: &BTreeMap<String, AgencyConfig>,
        ids: &HashMap<String, (Uuid, AgencyKind)>,
        clients: &HashMap<String, Arc<ClientCredentials>>,
        metrics: &Arc<Metrics>,
    ) -> Result<Self, (String, String)> {
        let mut by_agency = BTreeMap::new();
        for (code, agency) in agencies {
            let SourceConfig::Http(config) = &agency.source else {
                continue;
            };
            let err = |m: &str| (code.clone(), format!("source: {m}"));
            let (id, kind) = *ids
                .get(code)
                .ok_or_else(|| err("agency not in the database"))?;
            let client = clients
                .get(code)
                .ok_or_else(|| err("needs the agency's client credentials"))?;
            let source = HttpSource::new(
                code,
                id,
                kind,
                config.clone(),
                client.clone(),
                metrics.clone(),
            )
            .map_err(|e| err(&e))?;
            by_agency.insert(code.clone(), Arc::new(source));
        }
        Ok(Upstreams { by_agency })
    }

    /// The agencies of `kind` read over http, in code order.
    pub fn of_kind(&self, kind: AgencyKind) -> impl Iterator<Item = &Arc<HttpSource>> {
        self.by_agency.values().filter(move |s| s.kind() == kind)
    }

    /// Is this agency's data read from its API (so its rows in the
    /// gateway's tables are not the records)?
    pub fn reads_upstream(&self, agency: Uuid) -> bool {
        self.by_agency.values().any(|s| s.agency_id() == agency)
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<HttpSource>> {
        self.by_agency.values()
    }
}

/// A person to ask an agency about. The personnummer's `Debug` is redacted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject {
    pub participant: Uuid,
    pub personnummer: Personnummer,
}

/// What an agency said about one person: the records that passed the
/// contract's checks, and what was wrong with the others.
#[derive(Debug, Clone)]
pub struct Answer<M> {
    pub records: Vec<M>,
    pub invalid: Vec<String>,
}

impl<M> Default for Answer<M> {
    fn default() -> Self {
        Answer {
            records: Vec::new(),
            invalid: Vec::new(),
        }
    }
}

/// One agency's lookup endpoint and record shape (`deploy/openapi/`).
pub trait Contract: Send + Sync + 'static {
    const PATH: &'static str;
    /// The agencies that answer this contract.
    const KIND: AgencyKind;
    /// The schema type, as the policy names it.
    const TYPE_NAME: &'static str;
    /// The table the same records live in when written through the API.
    type Entity: sea_orm::EntityTrait<Model = Self::Model>;
    type Model: Clone + Send + Sync + 'static;
    /// The agency that owns a record, and the participant it is about.
    fn owner(m: &Self::Model) -> Uuid;
    fn participant(m: &Self::Model) -> Uuid;
    /// The record as the agency's API sends it.
    type Wire: agency_api::Record;
    /// A record read from the API as the gateway's row.
    fn model(wire: Self::Wire, id: Uuid, owner: Uuid, participant: Uuid) -> Self::Model;
}

pub struct EmploymentService;
pub struct SocialInsurance;

impl Contract for EmploymentService {
    const PATH: &'static str = "/v1/employment-service-records/lookup";
    const KIND: AgencyKind = AgencyKind::EmploymentService;
    const TYPE_NAME: &'static str = "EmploymentServiceRecord";
    type Entity = af::Entity;
    type Model = af::Model;

    fn owner(m: &af::Model) -> Uuid {
        m.owner_agency_id
    }

    fn participant(m: &af::Model) -> Uuid {
        m.participant_id
    }

    type Wire = agency_api::EmploymentServiceRecord;

    fn model(w: Self::Wire, id: Uuid, owner: Uuid, participant: Uuid) -> af::Model {
        Self::Model {
            id,
            owner_agency_id: owner,
            external_id: w.external_id.0,
            participant_id: participant,
            registered_on: w.registered_on.map(|d| d.0),
            programme: w.programme.map(|t| t.0),
            support_decision: w.support_decision.map(|t| t.0),
            officer_ref: w.officer_ref.map(|t| t.0),
            last_contact_on: w.last_contact_on.map(|d| d.0),
            created_at: w.updated_at.0,
            updated_at: w.updated_at.0,
            version: w.version.0,
        }
    }
}

impl Contract for SocialInsurance {
    const PATH: &'static str = "/v1/social-insurance-records/lookup";
    const KIND: AgencyKind = AgencyKind::SocialInsurance;
    const TYPE_NAME: &'static str = "SocialInsuranceRecord";
    type Entity = fk::Entity;
    type Model = fk::Model;

    fn owner(m: &fk::Model) -> Uuid {
        m.owner_agency_id
    }

    fn participant(m: &fk::Model) -> Uuid {
        m.participant_id
    }

    type Wire = agency_api::SocialInsuranceRecord;

    fn model(w: Self::Wire, id: Uuid, owner: Uuid, participant: Uuid) -> fk::Model {
        Self::Model {
            id,
            owner_agency_id: owner,
            external_id: w.external_id.0,
            participant_id: participant,
            benefit: w.benefit.0,
            sick_leave_degree: w.sick_leave_degree.map(|d| d.0),
            period_start: w.period_start.0,
            period_end: w.period_end.map(|d| d.0),
            rehabilitation_coordination: w.rehabilitation_coordination.0,
            diagnosis_group: w.diagnosis_group.map(|t| t.0),
            created_at: w.updated_at.0,
            updated_at: w.updated_at.0,
            version: w.version.0,
        }
    }
}

/// A prefetch's call, which later loads wait for instead of asking again.
type InFlight =
    futures::future::Shared<futures::future::BoxFuture<'static, Result<(), UpstreamError>>>;

/// What this request has asked one agency so far.
#[derive(Default)]
struct Asked {
    /// Everyone a prefetch has asked about (each person at most once).
    subjects: std::collections::HashSet<Subject>,
    /// The prefetches' calls; loads wait for all of them.
    in_flight: Vec<InFlight>,
    /// Set when a call failed: the agency is not asked again in this
    /// request (the failure is the answer for everyone on it).
    failure: Option<UpstreamError>,
}

/// A request's loader for one agency's API.
pub struct AgencyLoader<C: Contract> {
    pub source: Arc<HttpSource>,
    loader: Arc<DataLoader<UpstreamLoader<C>, HashMapCache>>,
    asked: Arc<std::sync::Mutex<Asked>>,
}

impl<C: Contract> AgencyLoader<C> {
    /// Starts asking about everyone at once, ahead of the fields that need
    /// them (a page's list resolver knows the whole page), and returns
    /// without waiting: the rest of the page resolves meanwhile, and the
    /// records fields find their answers cached. People a prefetch of this
    /// request already asked about are not asked again.
    pub fn prefetch(&self, subjects: Vec<Subject>) {
        use futures::FutureExt;
        let mut asked = lock(&self.asked);
        if asked.failure.is_some() {
            return;
        }
        let new: Vec<Subject> = subjects
            .into_iter()
            .filter(|s| asked.subjects.insert(s.clone()))
            .collect();
        if new.is_empty() {
            return;
        }
        let (loader, memo) = (self.loader.clone(), self.asked.clone());
        let call = tokio::spawn(
            async move {
                let result = loader.load_many(new).await.map(|_| ());
                if let Err(e) = &result {
                    lock(&memo).failure.get_or_insert(e.clone());
                }
                result
            }
            .instrument(tracing::Span::current()),
        );
        let call = async move { call.await.unwrap_or(Err(UpstreamError::Unreachable)) };
        asked.in_flight.push(call.boxed().shared());
    }

    /// What the agency says about one person: from a prefetch when one
    /// asked, else batched with the other such loads of this request.
    pub async fn load(&self, subject: Subject) -> Result<Answer<C::Model>, UpstreamError> {
        let in_flight = lock(&self.asked).in_flight.clone();
        futures::future::join_all(in_flight).await;
        if let Some(e) = lock(&self.asked).failure.clone() {
            return Err(e);
        }
        match self.loader.load_one(subject).await {
            Ok(answer) => Ok(answer.unwrap_or_default()),
            Err(e) => {
                lock(&self.asked).failure.get_or_insert(e.clone());
                Err(e)
            }
        }
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// This request's loaders for the agencies that answer contract `C`.
pub fn loaders<C: Contract>(upstreams: &Upstreams) -> Vec<AgencyLoader<C>> {
    upstreams
        .of_kind(C::KIND)
        .map(|source| AgencyLoader {
            loader: Arc::new(
                DataLoader::with_cache(
                    UpstreamLoader::new(source.clone()),
                    tokio::spawn,
                    HashMapCache::default(),
                )
                .max_batch_size(source.max_batch()),
            ),
            source: source.clone(),
            asked: Arc::default(),
        })
        .collect()
}

/// Asks one agency about every person of a request in one call (split
/// only past the contract's 500 per call).
pub struct UpstreamLoader<C> {
    source: Arc<HttpSource>,
    _contract: PhantomData<fn() -> C>,
}

impl<C> UpstreamLoader<C> {
    pub fn new(source: Arc<HttpSource>) -> Self {
        UpstreamLoader {
            source,
            _contract: PhantomData,
        }
    }
}

impl<C: Contract> Loader<Subject> for UpstreamLoader<C> {
    type Value = Answer<C::Model>;
    type Error = UpstreamError;

    async fn load(
        &self,
        keys: &[Subject],
    ) -> Result<HashMap<Subject, Answer<C::Model>>, UpstreamError> {
        // The contract takes at most `max_batch` people per call; a bigger
        // request (several pages in one query) is split, the parts asked
        // at once, and fails whole if any part fails.
        let parts = keys.chunks(self.source.max_batch()).map(|part| async move {
            let lookup = agency_api::Lookup {
                personnummer: part
                    .iter()
                    .map(|s| agency_api::Personnummer(s.personnummer.expose_digits().to_string()))
                    .collect(),
            };
            let body = serde_json::to_value(&lookup).expect("a lookup is plain JSON");
            let bytes = self.source.post(C::PATH, &body).await?;
            decode::<C>(&bytes, part, self.source.agency_id())
        });
        let mut out = HashMap::with_capacity(keys.len());
        for part in futures::future::try_join_all(parts).await? {
            out.extend(part);
        }
        Ok(out)
    }
}

/// The answer, person by person. A record that fails the contract is an
/// error for its person only; an answer that is not the contract's shape,
/// or that names someone who was not asked about, is refused whole.
fn decode<C: Contract>(
    bytes: &[u8],
    keys: &[Subject],
    owner: Uuid,
) -> Result<HashMap<Subject, Answer<C::Model>>, UpstreamError> {
    let invalid = |m: &str| UpstreamError::Invalid(m.to_string());
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        UpstreamError::Invalid(format!(
            "not JSON ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    let records = value
        .get("records")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("no `records` list"))?;
    let by_digits: HashMap<&str, &Subject> = keys
        .iter()
        .map(|s| (s.personnummer.expose_digits(), s))
        .collect();
    // Everyone asked gets an answer, empty or not, so the request's cache
    // never sends a second call for a person with no records.
    let mut out: HashMap<Subject, Answer<C::Model>> = keys
        .iter()
        .map(|k| (k.clone(), Answer::default()))
        .collect();
    let mut seen = HashSet::new();
    for (i, record) in records.iter().enumerate() {
        if !record.is_object() {
            return Err(invalid(&format!("records[{i}] is not an object")));
        }
        let subject = record
            .get("personnummer")
            .and_then(Value::as_str)
            .and_then(|p| by_digits.get(p).copied())
            .ok_or_else(|| invalid(&format!("records[{i}] is not about a person asked about")))?;
        let answer = out.entry(subject.clone()).or_default();
        let decoded = agency_api::decode::<C::Wire>(record).and_then(|wire| {
            use agency_api::Record as _;
            let ext = wire.external_id().0.clone();
            if !seen.insert(ext.clone()) {
                return Err("externalId: appears twice in the answer".into());
            }
            let id = Uuid::new_v5(&owner, ext.as_bytes());
            Ok(C::model(wire, id, owner, subject.participant))
        });
        match decoded {
            Ok(model) => answer.records.push(model),
            // By position, not by the agency's id: an id is the agency's
            // value, and messages never repeat values.
            Err(problem) => answer.invalid.push(format!("records[{i}]: {problem}")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use serde_json::json;

    fn subject(n: u16) -> Subject {
        Subject {
            participant: Uuid::new_v4(),
            personnummer: Personnummer::from_parts(
                NaiveDate::from_ymd_opt(1985, 3, 14).expect("a real date"),
                n,
                false,
            ),
        }
    }

    fn af(pnr: &Subject, ext: &str) -> Value {
        json!({
            "externalId": ext,
            "personnummer": pnr.personnummer.expose_digits(),
            "registeredOn": "2025-01-02",
            "programme": "Introduktion till arbete",
            "supportDecision": null,
            "officerRef": "H123",
            "lastContactOn": null,
            "version": 2,
            "updatedAt": "2026-01-01T10:00:00Z"
        })
    }

    #[test]
    fn records_go_to_their_person_and_a_bad_one_only_spoils_itself() {
        let (a, b) = (subject(981), subject(982));
        let mut bad = af(&b, "AF-2");
        bad["registeredOn"] = json!("199001011234");
        let body = json!({ "records": [af(&a, "AF-1"), bad, af(&b, "AF-3")] });
        let owner = Uuid::new_v4();
        let out = decode::<EmploymentService>(
            body.to_string().as_bytes(),
            &[a.clone(), b.clone()],
            owner,
        )
        .expect("a valid answer");
        assert_eq!(out[&a].records.len(), 1);
        assert_eq!(out[&a].records[0].participant_id, a.participant);
        assert_eq!(out[&a].records[0].id, Uuid::new_v5(&owner, b"AF-1"));
        assert_eq!(out[&b].records.len(), 1);
        assert_eq!(
            out[&b].invalid,
            vec!["records[1]: registeredOn: not a date (YYYY-MM-DD)"]
        );
        // The offending value is not repeated.
        assert!(!out[&b].invalid[0].contains("1990"));
    }

    #[test]
    fn an_answer_about_someone_not_asked_about_is_refused_whole() {
        let (a, stranger) = (subject(981), subject(983));
        let body = json!({ "records": [af(&a, "AF-1"), af(&stranger, "AF-9")] });
        let err = decode::<EmploymentService>(body.to_string().as_bytes(), &[a], Uuid::new_v4())
            .unwrap_err();
        assert_eq!(err.reason(), "invalid_answer");
    }

    #[test]
    fn garbage_is_refused_without_echoing_it() {
        let a = subject(981);
        for body in [
            r#"{"records": [{"externalId": "#.to_string(),
            "<html>198503149815</html>".to_string(),
            r#"{"items": []}"#.to_string(),
        ] {
            let err = decode::<EmploymentService>(
                body.as_bytes(),
                std::slice::from_ref(&a),
                Uuid::new_v4(),
            )
            .unwrap_err();
            assert_eq!(err.reason(), "invalid_answer", "{body}");
            assert!(!err.to_string().contains("1985"), "{err}");
        }
    }

    #[test]
    fn social_insurance_values_outside_the_contract_are_errors() {
        let a = subject(981);
        let record = |patch: Value| {
            let mut r = json!({
                "externalId": "FK-1",
                "personnummer": a.personnummer.expose_digits(),
                "benefit": "sickness_benefit",
                "sickLeaveDegree": 50,
                "periodStart": "2026-01-01",
                "periodEnd": null,
                "rehabilitationCoordination": true,
                "diagnosisGroup": "F32",
                "version": 1,
                "updatedAt": "2026-01-01T10:00:00Z"
            });
            for (k, v) in patch.as_object().expect("patches are objects") {
                r[k] = v.clone();
            }
            json!({ "records": [r] }).to_string()
        };
        let ok = decode::<SocialInsurance>(
            record(json!({})).as_bytes(),
            std::slice::from_ref(&a),
            Uuid::nil(),
        )
        .expect("a valid answer");
        assert_eq!(ok[&a].records[0].sick_leave_degree, Some(50));
        for (patch, problem) in [
            (json!({"benefit": "bogus"}), "benefit"),
            (json!({"sickLeaveDegree": 30}), "sickLeaveDegree"),
            (json!({"periodEnd": "2025-12-31"}), "periodEnd"),
            (
                json!({"rehabilitationCoordination": "yes"}),
                "rehabilitationCoordination",
            ),
            (json!({"version": 0}), "version"),
        ] {
            let out = decode::<SocialInsurance>(
                record(patch).as_bytes(),
                std::slice::from_ref(&a),
                Uuid::nil(),
            )
            .expect("a valid answer");
            assert!(out[&a].records.is_empty());
            assert!(
                out[&a].invalid[0].contains(problem),
                "{:?}",
                out[&a].invalid
            );
        }
    }
}
