//! The shapes every dashboard answers in: counts that may be suppressed,
//! and breakdowns of a total into categories. A computation first lays its
//! counts out on a [`Sheet`] (with the sums that tie them together), runs
//! suppression once over the whole sheet, and only then turns drafts into
//! these types, so no number leaves unchecked.

use std::collections::HashMap;

use entities::org_unit;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::vocabulary::error::ApiResult;

use super::suppress::{CellId, Sheet, Suppression};

/// A count of people. `value` is null and `suppressed` true when the count
/// is small enough to identify someone (1 to the configured threshold), or
/// when it would let such a count be computed back from other numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub value: Option<i64>,
    pub suppressed: bool,
}

/// One category of a breakdown.
#[derive(Debug, Clone)]
pub struct Category {
    /// Stable machine key, e.g. `paid_work`, `female`, `20_24`.
    pub key: String,
    /// Swedish label as the boards read it.
    pub label: String,
    pub count: Count,
}

/// A total split into categories.
#[derive(Debug, Clone)]
pub struct Breakdown {
    pub total: Count,
    /// True when the categories add up to the total (each person in one
    /// category); false when a person may be in several (target groups).
    pub additive: bool,
    pub categories: Vec<Category>,
}

/// The key of the category for people registered anonymously: without a
/// valid consent or with a protected identity, SUS keeps only sex and start
/// year, so they are counted here instead of by age, income or outcome.
pub const ANONYMOUS: (&str, &str) = ("anonymous", "Anonymt registrerad");

/// Whether a person is counted in detail (age, income, target group,
/// outcome): with a consent in force and no protected identity.
pub fn in_detail(consented: bool, protected_identity: bool) -> bool {
    consented && !protected_identity
}

/// A breakdown laid out on a sheet, not yet suppressed.
pub struct DraftBreakdown {
    total: CellId,
    additive: bool,
    parts: Vec<(String, String, CellId)>,
}

impl DraftBreakdown {
    /// `categories` in display order: (key, label, count). When `additive`,
    /// the sheet learns that the parts sum to `total`, so suppression
    /// protects them against subtraction.
    pub fn new(
        sheet: &mut Sheet,
        total: CellId,
        additive: bool,
        categories: impl IntoIterator<Item = (String, String, i64)>,
    ) -> DraftBreakdown {
        let parts: Vec<(String, String, CellId)> = categories
            .into_iter()
            .map(|(key, label, n)| (key, label, sheet.cell(n)))
            .collect();
        if additive {
            let ids: Vec<CellId> = parts.iter().map(|p| p.2).collect();
            sheet.group(total, &ids);
        }
        DraftBreakdown {
            total,
            additive,
            parts,
        }
    }

    pub fn finish(&self, s: &Suppression) -> Breakdown {
        Breakdown {
            total: count(s, self.total),
            additive: self.additive,
            categories: self
                .parts
                .iter()
                .map(|(key, label, id)| Category {
                    key: key.clone(),
                    label: label.clone(),
                    count: count(s, *id),
                })
                .collect(),
        }
    }
}

pub fn count(s: &Suppression, id: CellId) -> Count {
    let value = s.value(id);
    Count {
        value,
        suppressed: value.is_none(),
    }
}

/// `numerator / denominator` as a share, only when both are published:
/// a share of a suppressed count would give the count back.
pub fn share(s: &Suppression, numerator: CellId, denominator: CellId) -> Option<f64> {
    match (s.value(numerator), s.value(denominator)) {
        (Some(n), Some(d)) if d > 0 => Some(n as f64 / d as f64),
        _ => None,
    }
}

/// Counts per key in a fixed category order (every category present, zero
/// or not, so a dashboard's shape never depends on the data).
pub struct Tally {
    keys: Vec<(&'static str, &'static str)>,
    counts: Vec<i64>,
}

impl Tally {
    pub fn new(keys: &[(&'static str, &'static str)]) -> Tally {
        Tally {
            keys: keys.to_vec(),
            counts: vec![0; keys.len()],
        }
    }

    /// Counts one person under `key`; a key outside the list is a bug in
    /// the caller's category table.
    pub fn add(&mut self, key: &str) {
        let i = self
            .keys
            .iter()
            .position(|(k, _)| *k == key)
            .unwrap_or_else(|| panic!("category {key} missing from its table"));
        self.counts[i] += 1;
    }

    pub fn sum(&self) -> i64 {
        self.counts.iter().sum()
    }

    pub fn draft(&self, sheet: &mut Sheet, total: CellId, additive: bool) -> DraftBreakdown {
        DraftBreakdown::new(
            sheet,
            total,
            additive,
            self.keys
                .iter()
                .zip(&self.counts)
                .map(|((k, l), n)| (k.to_string(), l.to_string(), *n)),
        )
    }
}

/// The middle value (the upper one of an even count).
pub fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values[values.len() / 2])
}

/// Department names for the rows of a dashboard, read in one statement.
pub struct DepartmentNames(HashMap<Uuid, String>);

impl DepartmentNames {
    pub async fn load(
        db: &DatabaseConnection,
        ids: impl IntoIterator<Item = Uuid>,
    ) -> ApiResult<DepartmentNames> {
        let units = org_unit::Entity::find()
            .filter(org_unit::Column::Id.is_in(ids))
            .all(db)
            .await?;
        Ok(DepartmentNames(
            units.into_iter().map(|u| (u.id, u.name)).collect(),
        ))
    }

    pub fn get(&self, id: &Uuid) -> String {
        self.0
            .get(id)
            .cloned()
            .unwrap_or_else(|| "(okänd förvaltning)".into())
    }
}
