//! AF's and FK's records read live from each agency's API: which agencies
//! are read that way (config), the contract's records and how they are
//! checked, and the DataLoader that asks each agency once per request about
//! every person the request needs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use chrono::{DateTime, NaiveDate, Utc};
use entities::enums::{AgencyKind, Benefit};
use entities::{employment_service_record as af, social_insurance_record as fk};
use serde_json::{Map, Value};
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
    fn decode(
        fields: &Fields<'_>,
        id: Uuid,
        owner: Uuid,
        participant: Uuid,
    ) -> Result<Self::Model, String>;
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

    fn decode(
        f: &Fields<'_>,
        id: Uuid,
        owner: Uuid,
        participant: Uuid,
    ) -> Result<af::Model, String> {
        let updated_at = f.timestamp("updatedAt")?;
        Ok(af::Model {
            id,
            owner_agency_id: owner,
            external_id: f.text("externalId", 100)?,
            participant_id: participant,
            registered_on: f.opt_date("registeredOn")?,
            programme: f.opt_text("programme", 200)?,
            support_decision: f.opt_text("supportDecision", 200)?,
            officer_ref: f.opt_text("officerRef", 100)?,
            last_contact_on: f.opt_date("lastContactOn")?,
            created_at: updated_at,
            updated_at,
            version: f.version()?,
        })
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

    fn decode(
        f: &Fields<'_>,
        id: Uuid,
        owner: Uuid,
        participant: Uuid,
    ) -> Result<fk::Model, String> {
        let benefit = match f.text("benefit", 40)?.as_str() {
            "sickness_benefit" => Benefit::SicknessBenefit,
            "activity_compensation" => Benefit::ActivityCompensation,
            "sickness_compensation" => Benefit::SicknessCompensation,
            "rehabilitation_benefit" => Benefit::RehabilitationBenefit,
            "none" => Benefit::None,
            _ => return Err("benefit: not one of the contract's values".into()),
        };
        let sick_leave_degree = match f.get("sickLeaveDegree") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64() {
                Some(d @ (25 | 50 | 75 | 100)) => Some(d as i32),
                _ => return Err("sickLeaveDegree: not 25, 50, 75 or 100".into()),
            },
        };
        let period_start = f.date("periodStart")?;
        let period_end = f.opt_date("periodEnd")?;
        if period_end.is_some_and(|end| end < period_start) {
            return Err("periodEnd: before periodStart".into());
        }
        let rehabilitation_coordination = match f.get("rehabilitationCoordination") {
            Some(Value::Bool(b)) => *b,
            _ => return Err("rehabilitationCoordination: not a boolean".into()),
        };
        let updated_at = f.timestamp("updatedAt")?;
        Ok(fk::Model {
            id,
            owner_agency_id: owner,
            external_id: f.text("externalId", 100)?,
            participant_id: participant,
            benefit,
            sick_leave_degree,
            period_start,
            period_end,
            rehabilitation_coordination,
            diagnosis_group: f.opt_text("diagnosisGroup", 100)?,
            created_at: updated_at,
            updated_at,
            version: f.version()?,
        })
    }
}

/// A record's fields, read one by one. Errors name the field and what was
/// wrong, never the value: an answer gone wrong may hold anyone's data.
pub struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    fn text(&self, name: &str, max: usize) -> Result<String, String> {
        match self.opt_text(name, max)? {
            Some(t) if !t.trim().is_empty() => Ok(t),
            _ => Err(format!("{name}: missing")),
        }
    }

    fn opt_text(&self, name: &str, max: usize) -> Result<Option<String>, String> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s))
                if s.chars().count() <= max && !s.chars().any(char::is_control) =>
            {
                Ok(Some(s.clone()))
            }
            Some(Value::String(_)) => Err(format!(
                "{name}: longer than {max} characters or holds control characters"
            )),
            Some(_) => Err(format!("{name}: not a string")),
        }
    }

    fn date(&self, name: &str) -> Result<NaiveDate, String> {
        self.opt_date(name)?
            .ok_or_else(|| format!("{name}: missing"))
    }

    fn opt_date(&self, name: &str) -> Result<Option<NaiveDate>, String> {
        match self.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| format!("{name}: not a date (YYYY-MM-DD)")),
            Some(_) => Err(format!("{name}: not a date (YYYY-MM-DD)")),
        }
    }

    fn timestamp(&self, name: &str) -> Result<DateTime<Utc>, String> {
        match self.get(name) {
            Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| format!("{name}: not an RFC 3339 time")),
            _ => Err(format!("{name}: missing")),
        }
    }

    fn version(&self) -> Result<i32, String> {
        match self.get("version").and_then(Value::as_i64) {
            Some(v) if (1..=i64::from(i32::MAX)).contains(&v) => Ok(v as i32),
            _ => Err("version: not a positive integer".into()),
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
            let asked: Vec<&str> = part
                .iter()
                .map(|s| s.personnummer.expose_digits())
                .collect();
            let body = serde_json::json!({ "personnummer": asked });
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
        let fields = record
            .as_object()
            .map(Fields)
            .ok_or_else(|| invalid(&format!("records[{i}] is not an object")))?;
        let subject = match fields.get("personnummer") {
            Some(Value::String(p)) => by_digits.get(p.as_str()).copied(),
            _ => None,
        }
        .ok_or_else(|| invalid(&format!("records[{i}] is not about a person asked about")))?;
        let answer = out.entry(subject.clone()).or_default();
        let decoded = fields.text("externalId", 100).and_then(|ext| {
            if !seen.insert(ext.clone()) {
                return Err("externalId: appears twice in the answer".into());
            }
            let id = Uuid::new_v5(&owner, ext.as_bytes());
            C::decode(&fields, id, owner, subject.participant)
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
