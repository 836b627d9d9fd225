//! Small-cell suppression for dashboard counts, with complementary
//! suppression.
//!
//! Dashboards publish counts of people. A count from 1 up to a threshold
//! (default [`DEFAULT_THRESHOLD`]) could identify someone and is never shown;
//! 0 is shown. Hiding the small cells is not enough on its own: a dashboard
//! also shows totals and sibling cells, and a hidden cell must not be
//! computable back from them. That is what complementary suppression is for.
//!
//! # Model
//! A [`Sheet`] is a set of cells (non-negative counts) plus linear equations,
//! each saying `total = sum of parts` (see [`Sheet::group`]). A cell may be in
//! several equations: one "exited" total broken down by sex, by age band and
//! by outcome; a year total over twelve months, each month again a total of
//! its own breakdown; a table whose row and column totals are equations.
//!
//! # Observer and disclosure
//! The observer knows every published value, every equation and that counts
//! are non-negative. Suppressed cells that are 0 are treated as known to the
//! observer (see "Zeros" below), so the unknowns are the suppressed non-zero
//! cells. Such a cell is *disclosed* when its value follows exactly from the
//! equations, i.e. when its unit vector lies in the row space of the equations
//! restricted to the unknowns. This is checked with exact fraction-free integer
//! elimination (`i128`, no floating point): see [`disclosed`].
//!
//! # Algorithm ([`Sheet::suppress`])
//! 1. Primary: every cell with `1 <= value <= threshold` is suppressed.
//! 2. Complementary, until nothing is disclosed: take the equations that are
//!    combined to disclose some cell (the disclosing combinations; they always
//!    include an equation that contains the disclosed cell) and suppress one
//!    more published non-zero cell that occurs in such a combination (any
//!    other cell could not change the disclosure), chosen by the rule below.
//!
//! The complement rule, in order of priority:
//! - a cell that protects a disclosed cell right away before one that would
//!   itself be pinned down by an equation holding no hidden cell yet (that
//!   only adds work: in a table, closing the rectangle beats a smaller cell
//!   that opens a new column);
//! - a part before a total (totals are what readers look at first);
//! - the smallest value (least information lost);
//! - the lowest id.
//!
//! Every step suppresses one more cell and suppressing every non-zero cell is
//! always safe (the equations are then homogeneous and determine nothing), so
//! the loop terminates. A disclosed non-zero cell always has a published
//! non-zero cell in its disclosing combination (the combination evaluated at
//! the true values has to balance the non-zero disclosed count), so a
//! candidate always exists while the sheet is consistent.
//!
//! # Zeros
//! Zeros are never suppressed, not even as complements. An observer who knows
//! that counts are non-negative can often pin a suppressed zero down: in a
//! table where a small cell is hidden in a rectangle with three zero cells, the
//! row of the two zeros sums to 0, so both are 0, and the small cell follows
//! from its row. Treating every zero as known rules such inferences out, which
//! is what makes the linear check sound against an observer who also uses
//! non-negativity; under that assumption a suppressed zero protects nothing, so
//! a non-zero complement is always preferred (and always exists, see above).
//! Revealing that a cell is 0 is harmless in itself.
//!
//! # Limits
//! - Protection is against *exact* disclosure. Interval inference (for
//!   example "this hidden cell is at most 6") is not prevented.
//! - Because every suppressed count is at least 1, a cell that is not
//!   disclosed can always be moved a little in real numbers with all counts
//!   staying non-negative. For the shapes dashboards use (a total with
//!   breakdowns, hierarchies, two-way tables with margins, whose equations are
//!   totally unimodular) it can also be moved by 1 in integers; for unusual
//!   overlapping equations integer-only reasoning might narrow it further.
//! - The complements are chosen greedily; the pattern is safe but not always
//!   the smallest possible one.
//! - Should the exact arithmetic ever overflow `i128` (not seen for dashboard
//!   shapes), every non-zero cell is suppressed instead, which is always safe.
//!
//! Running time: each suppressed cell is added to the eliminated system once,
//! and each step costs O(groups x (cells + groups)) times the number of
//! groups a cell is in (a few), so a sheet costs about O(cells^2 x groups).
//! About 0.1 ms for a 10 x 12 table with margins (143 cells, 24 groups, 34
//! cells hidden) in a release build.

/// The default threshold: counts 1..=4 are never shown.
pub const DEFAULT_THRESHOLD: i64 = 4;

/// A cell of a [`Sheet`]. Only meaningful for the sheet that created it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellId(usize);

/// Ranks complement candidates; the smallest wins. Field order is the
/// priority order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Preference {
    /// Suppressing the cell would pin it down through an equation that holds
    /// no unknown yet, instead of protecting a disclosed cell right away.
    opens_equation: bool,
    /// The cell is only a total in the groups considered, never a part.
    is_total: bool,
    value: i64,
    cell: usize,
}

/// One equation: `values[total] = sum of values[parts]`.
struct Group {
    total: usize,
    parts: Vec<usize>,
}

/// Counts and the equations between them. Build it with [`Sheet::cell`] and
/// [`Sheet::group`], then call [`Sheet::suppress`].
///
/// No `Debug`: a sheet holds the unsuppressed counts, which must not end up in
/// logs.
#[derive(Default)]
pub struct Sheet {
    values: Vec<i64>,
    groups: Vec<Group>,
}

impl Sheet {
    /// Adds a cell holding a count (must be non-negative).
    pub fn cell(&mut self, value: i64) -> CellId {
        debug_assert!(value >= 0, "counts are non-negative");
        self.values.push(value);
        CellId(self.values.len() - 1)
    }

    /// Declares that `total` equals the sum of `parts`.
    ///
    /// # Panics
    /// If an id does not belong to this sheet. In debug builds also if the sum
    /// does not hold (the suppression relies on it).
    pub fn group(&mut self, total: CellId, parts: &[CellId]) {
        let n = self.values.len();
        assert!(
            total.0 < n && parts.iter().all(|p| p.0 < n),
            "cell id from another sheet"
        );
        debug_assert!(
            self.values[total.0] == parts.iter().map(|p| self.values[p.0]).sum::<i64>(),
            "group total must equal the sum of its parts"
        );
        self.groups.push(Group {
            total: total.0,
            parts: parts.iter().map(|p| p.0).collect(),
        });
    }

    /// Decides which cells to suppress at `threshold` (counts
    /// `1..=threshold` are primary; `threshold <= 0` suppresses nothing).
    /// Pure and deterministic.
    pub fn suppress(&self, threshold: i64) -> Suppression {
        let mut suppressed: Vec<bool> = self
            .values
            .iter()
            .map(|&v| (1..=threshold).contains(&v))
            .collect();
        if suppressed.contains(&true) && self.complement(&mut suppressed).is_err() {
            for (s, &v) in suppressed.iter_mut().zip(&self.values) {
                *s |= v != 0;
            }
        }
        Suppression {
            values: self.values.clone(),
            suppressed,
        }
    }

    /// Adds complementary suppressions until nothing is disclosed.
    fn complement(&self, suppressed: &mut [bool]) -> Result<(), GiveUp> {
        let columns = self.columns();
        let mut echelon = Echelon::new(&columns, self.groups.len());
        for (c, _) in suppressed.iter().enumerate().filter(|(_, &s)| s) {
            echelon.add(c)?;
        }
        loop {
            let disclosing = echelon.disclosing_rows();
            if disclosing.is_empty() {
                return Ok(());
            }
            // `None` only for an inconsistent sheet (a group whose sum does
            // not hold): give up, i.e. suppress every non-zero cell.
            let c = self
                .choose(&echelon, &disclosing, suppressed)?
                .ok_or(GiveUp)?;
            suppressed[c] = true;
            echelon.add(c)?;
        }
    }

    /// The complement rule (see the module docs). Candidates are the
    /// published non-zero cells of the groups used by a disclosing row that
    /// occur in such a row; the best one has the smallest [`Preference`].
    fn choose(
        &self,
        echelon: &Echelon<'_>,
        disclosing: &[usize],
        suppressed: &[bool],
    ) -> Result<Option<usize>, GiveUp> {
        let mut best: Option<Preference> = None;
        for (g, group) in self.groups.iter().enumerate() {
            if !disclosing.iter().any(|&r| echelon.uses_group(r, g)) {
                continue;
            }
            let members =
                std::iter::once((true, group.total)).chain(group.parts.iter().map(|&p| (false, p)));
            for (is_total, cell) in members {
                let value = self.values[cell];
                if suppressed[cell] || value == 0 {
                    continue;
                }
                let mut key = Preference {
                    opens_equation: false,
                    is_total,
                    value,
                    cell,
                };
                // Cannot win even at its best: skip the costlier checks.
                if best.is_some_and(|b| b <= key) {
                    continue;
                }
                let mut occurs = false;
                for &r in disclosing {
                    if echelon.entry(r, cell)? != 0 {
                        occurs = true;
                        break;
                    }
                }
                if !occurs {
                    continue;
                }
                key.opens_equation = echelon.would_pivot(cell)?;
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
        }
        Ok(best.map(|b| b.cell))
    }

    /// Per cell, its coefficient in each group it is in (`+1` as total, `-1`
    /// per occurrence as a part; equations read `total - sum(parts) = 0`).
    fn columns(&self) -> Vec<Vec<(usize, i128)>> {
        let mut columns: Vec<Vec<(usize, i128)>> = vec![Vec::new(); self.values.len()];
        let mut push = |c: usize, g: usize, coefficient: i128| match columns[c].last_mut() {
            Some((last, sum)) if *last == g => *sum += coefficient,
            _ => columns[c].push((g, coefficient)),
        };
        for (g, group) in self.groups.iter().enumerate() {
            push(group.total, g, 1);
            for &p in &group.parts {
                push(p, g, -1);
            }
        }
        for column in &mut columns {
            column.retain(|&(_, coefficient)| coefficient != 0);
        }
        columns
    }
}

/// Which cells of a sheet are shown, with their values.
pub struct Suppression {
    values: Vec<i64>,
    suppressed: Vec<bool>,
}

impl Suppression {
    /// Whether the cell must not be shown. Ids from another sheet count as
    /// suppressed.
    pub fn is_suppressed(&self, id: CellId) -> bool {
        self.suppressed.get(id.0).copied().unwrap_or(true)
    }

    /// The value to show, `None` when suppressed (or the id is unknown).
    pub fn value(&self, id: CellId) -> Option<i64> {
        match self.suppressed.get(id.0) {
            Some(false) => self.values.get(id.0).copied(),
            _ => None,
        }
    }

    /// The suppression flags, indexed in the order the cells were created
    /// (the input [`disclosed`] takes).
    pub fn mask(&self) -> &[bool] {
        &self.suppressed
    }
}

/// Shows only what may be shown.
impl std::fmt::Debug for Suppression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries((0..self.values.len()).map(|c| self.value(CellId(c))))
            .finish()
    }
}

/// The suppressed non-zero cells that an observer could compute exactly from
/// the published values and the equations, in id order. `suppressed` is
/// indexed like the sheet's cells (see [`Suppression::mask`]). Suppressed
/// zeros are treated as known and are never reported (see the module docs).
///
/// Should the exact arithmetic overflow `i128`, the answer is conservative:
/// every suppressed non-zero cell, unless every non-zero cell is suppressed
/// (which is always safe).
///
/// # Panics
/// If `suppressed` does not have one entry per cell.
pub fn disclosed(sheet: &Sheet, suppressed: &[bool]) -> Vec<CellId> {
    assert_eq!(
        suppressed.len(),
        sheet.values.len(),
        "one suppression flag per cell"
    );
    let unknown: Vec<usize> = (0..suppressed.len())
        .filter(|&c| suppressed[c] && sheet.values[c] != 0)
        .collect();
    let columns = sheet.columns();
    let mut echelon = Echelon::new(&columns, sheet.groups.len());
    let exact = unknown
        .iter()
        .try_for_each(|&c| echelon.add(c))
        .map(|()| echelon.disclosing_rows());
    let mut cells: Vec<usize> = match exact {
        Ok(rows) => rows.iter().filter_map(|&r| echelon.pivot[r]).collect(),
        Err(GiveUp) if unknown.len() == sheet.values.iter().filter(|&&v| v != 0).count() => {
            Vec::new()
        }
        Err(GiveUp) => unknown,
    };
    cells.sort_unstable();
    cells.into_iter().map(CellId).collect()
}

/// The exact computation could not be finished (arithmetic overflow or an
/// inconsistent sheet); the caller falls back to suppressing every non-zero
/// cell.
#[derive(Debug)]
struct GiveUp;

/// The group equations, restricted to the suppressed non-zero cells (the
/// *active* columns), in reduced row echelon form over the integers, kept up to
/// date as cells are added one at a time.
///
/// Row `r` has one entry per cell followed by one entry per group: the group
/// part records which combination of the original equations the row is, so
/// the row equals `sum(combination[g] * equation[g])`. Only active cell
/// entries are kept current; any other entry is recomputed from the
/// combination when needed ([`Echelon::entry`]).
///
/// Invariants: a pivot row is zero in every other pivot column, and a row
/// without pivot is zero in every active column. A pivot row that is also zero
/// in every free (active, non-pivot) column states `k * x = (published
/// values)`, so its pivot cell is disclosed; conversely a cell whose unit
/// vector is in the row space is a pivot column with such a row.
struct Echelon<'a> {
    columns: &'a [Vec<(usize, i128)>],
    cells: usize,
    rows: Vec<Vec<i128>>,
    /// The pivot cell of each row.
    pivot: Vec<Option<usize>>,
    /// Active cells, in the order added.
    active: Vec<usize>,
    /// Active cells without a pivot.
    free: Vec<usize>,
}

impl<'a> Echelon<'a> {
    fn new(columns: &'a [Vec<(usize, i128)>], groups: usize) -> Self {
        let cells = columns.len();
        let rows = (0..groups)
            .map(|g| {
                let mut row = vec![0; cells + groups];
                row[cells + g] = 1;
                row
            })
            .collect();
        Echelon {
            columns,
            cells,
            rows,
            pivot: vec![None; groups],
            active: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Entry of row `r` for cell `c`, computed from the row's combination.
    fn entry(&self, r: usize, c: usize) -> Result<i128, GiveUp> {
        self.columns[c]
            .iter()
            .try_fold(0i128, |sum, &(g, coefficient)| {
                self.rows[r][self.cells + g]
                    .checked_mul(coefficient)
                    .and_then(|term| sum.checked_add(term))
            })
            .ok_or(GiveUp)
    }

    /// Whether cell `c`, once added, would get a pivot of its own, i.e. be
    /// pinned down by an equation that holds no unknown yet. Such a cell
    /// protects no disclosed cell by itself (every disclosing row stays
    /// disclosing); a cell without a new pivot protects at least the
    /// disclosing rows it occurs in.
    fn would_pivot(&self, c: usize) -> Result<bool, GiveUp> {
        for r in 0..self.rows.len() {
            if self.pivot[r].is_none() && self.entry(r, c)? != 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether row `r` uses equation `g`.
    fn uses_group(&self, r: usize, g: usize) -> bool {
        self.rows[r][self.cells + g] != 0
    }

    /// Makes cell `c` an unknown.
    fn add(&mut self, c: usize) -> Result<(), GiveUp> {
        for r in 0..self.rows.len() {
            self.rows[r][c] = self.entry(r, c)?;
        }
        self.active.push(c);
        let pivot = (0..self.rows.len()).find(|&r| self.pivot[r].is_none() && self.rows[r][c] != 0);
        let Some(p) = pivot else {
            self.free.push(c);
            return Ok(());
        };
        self.pivot[p] = Some(c);
        let pivot_row = self.rows[p].clone();
        for r in 0..self.rows.len() {
            if r != p && self.rows[r][c] != 0 {
                self.eliminate(r, &pivot_row, c)?;
            }
        }
        Ok(())
    }

    /// Clears column `c` of row `r` with the pivot row, then divides the row
    /// by the gcd of its (current) entries to keep numbers small.
    fn eliminate(&mut self, r: usize, pivot_row: &[i128], c: usize) -> Result<(), GiveUp> {
        let common = gcd(pivot_row[c], self.rows[r][c])?;
        let (a, b) = (pivot_row[c] / common, self.rows[r][c] / common);
        let row = &mut self.rows[r];
        let combination = self.cells..row.len();
        let mut divisor = 0;
        for k in self.active.iter().copied().chain(combination.clone()) {
            row[k] = row[k]
                .checked_mul(a)
                .zip(pivot_row[k].checked_mul(b))
                .and_then(|(x, y)| x.checked_sub(y))
                .ok_or(GiveUp)?;
            if divisor != 1 {
                divisor = gcd(divisor, row[k])?;
            }
        }
        if divisor > 1 {
            for k in self.active.iter().copied().chain(combination) {
                row[k] /= divisor;
            }
        }
        Ok(())
    }

    /// Rows that disclose their pivot cell.
    fn disclosing_rows(&self) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&r| self.pivot[r].is_some() && self.free.iter().all(|&f| self.rows[r][f] == 0))
            .collect()
    }
}

/// Non-negative greatest common divisor (`gcd(0, 0) = 0`).
fn gcd(a: i128, b: i128) -> Result<i128, GiveUp> {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    i128::try_from(a).map_err(|_| GiveUp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sheet_with(values: &[i64]) -> (Sheet, Vec<CellId>) {
        let mut sheet = Sheet::default();
        let ids = values.iter().map(|&v| sheet.cell(v)).collect();
        (sheet, ids)
    }

    fn suppressed_ids(result: &Suppression) -> Vec<usize> {
        (0..result.mask().len())
            .filter(|&c| result.mask()[c])
            .collect()
    }

    #[test]
    fn one_small_cell_gets_exactly_its_smallest_sibling() {
        let (mut sheet, c) = sheet_with(&[30, 9, 3, 11, 7]);
        sheet.group(c[0], &c[1..]);
        let result = sheet.suppress(DEFAULT_THRESHOLD);
        assert_eq!(suppressed_ids(&result), vec![2, 4]);
        assert_eq!(result.value(c[0]), Some(30));
        assert_eq!(result.value(c[2]), None);
        assert!(disclosed(&sheet, result.mask()).is_empty());
    }

    #[test]
    fn parts_are_preferred_over_the_total_and_ties_go_to_the_lowest_id() {
        // The total (8) is the smallest published value but a part is taken.
        let (mut sheet, c) = sheet_with(&[8, 3, 0, 5]);
        sheet.group(c[0], &c[1..]);
        assert_eq!(suppressed_ids(&sheet.suppress(4)), vec![1, 3]);

        let (mut sheet, c) = sheet_with(&[22, 9, 2, 9, 2]);
        sheet.group(c[0], &c[1..]);
        // Two primaries protect each other; nothing else is needed.
        assert_eq!(suppressed_ids(&sheet.suppress(4)), vec![2, 4]);
        assert_eq!(suppressed_ids(&sheet.suppress(2)), vec![2, 4]);

        let (mut sheet, c) = sheet_with(&[21, 9, 3, 9]);
        sheet.group(c[0], &c[1..]);
        assert_eq!(suppressed_ids(&sheet.suppress(4)), vec![1, 2]);
    }

    #[test]
    fn a_small_total_suppresses_the_total_and_every_non_zero_part() {
        let (mut sheet, c) = sheet_with(&[4, 2, 0, 1, 1]);
        sheet.group(c[0], &c[1..]);
        let result = sheet.suppress(DEFAULT_THRESHOLD);
        assert_eq!(suppressed_ids(&result), vec![0, 1, 3, 4]);
        assert_eq!(result.value(c[2]), Some(0));
        assert!(disclosed(&sheet, result.mask()).is_empty());
    }

    #[test]
    fn zeros_stay_shown_even_when_they_are_the_smallest_sibling() {
        let (mut sheet, c) = sheet_with(&[15, 0, 3, 0, 12]);
        sheet.group(c[0], &c[1..]);
        let result = sheet.suppress(DEFAULT_THRESHOLD);
        assert_eq!(suppressed_ids(&result), vec![2, 4]);
        assert_eq!(result.value(c[1]), Some(0));
        assert_eq!(result.value(c[3]), Some(0));
    }

    #[test]
    fn cells_outside_groups_are_only_checked_against_the_threshold() {
        let (sheet, c) = sheet_with(&[0, 1, 4, 5]);
        let result = sheet.suppress(DEFAULT_THRESHOLD);
        let shown: Vec<_> = c.iter().map(|&id| result.value(id)).collect();
        assert_eq!(shown, vec![Some(0), None, None, Some(5)]);
    }

    #[test]
    fn threshold_zero_shows_everything() {
        let (mut sheet, c) = sheet_with(&[6, 1, 2, 3]);
        sheet.group(c[0], &c[1..]);
        let result = sheet.suppress(0);
        assert!(suppressed_ids(&result).is_empty());
        assert_eq!(result.value(c[1]), Some(1));
    }

    #[test]
    fn foreign_ids_are_treated_as_suppressed() {
        let (sheet, _) = sheet_with(&[10]);
        let result = sheet.suppress(DEFAULT_THRESHOLD);
        assert!(result.is_suppressed(CellId(5)));
        assert_eq!(result.value(CellId(5)), None);
        assert_eq!(format!("{result:?}"), "[Some(10)]");
    }

    #[test]
    fn debug_output_hides_suppressed_values() {
        let (mut sheet, c) = sheet_with(&[12, 3, 9]);
        sheet.group(c[0], &c[1..]);
        assert_eq!(format!("{:?}", sheet.suppress(4)), "[Some(12), None, None]");
    }

    /// x + y = a, x + w = b, y + w = c: every group holds two suppressed
    /// cells, yet x = (a + b - c) / 2.
    #[test]
    fn the_triangle_of_groups_is_detected_and_fixed() {
        let (mut sheet, c) = sheet_with(&[3, 4, 2, 7, 5, 6]);
        let [x, y, w, a, b, cc] = [c[0], c[1], c[2], c[3], c[4], c[5]];
        sheet.group(a, &[x, y]);
        sheet.group(b, &[x, w]);
        sheet.group(cc, &[y, w]);
        let primary = [true, true, true, false, false, false];
        assert_eq!(disclosed(&sheet, &primary), vec![x, y, w]);

        let result = sheet.suppress(DEFAULT_THRESHOLD);
        // Only totals are candidates; b (5) is the smallest.
        assert_eq!(suppressed_ids(&result), vec![0, 1, 2, 4]);
        assert!(disclosed(&sheet, result.mask()).is_empty());
        assert!(oracle_protects(&sheet, result.mask()));
    }

    /// Every group holds two or more suppressed cells, yet the difference of
    /// two groups pins one down: t1 = j + p + q + r and t2 = p + q, so
    /// j = t1 - t2 - r.
    #[test]
    fn disclosure_through_a_difference_of_groups_is_found_and_fixed() {
        let (mut sheet, c) = sheet_with(&[17, 7, 2, 3, 4, 8]);
        let [t1, t2, j, p, q, r] = [c[0], c[1], c[2], c[3], c[4], c[5]];
        sheet.group(t1, &[j, p, q, r]);
        sheet.group(t2, &[p, q]);
        let primary = [false, false, true, true, true, false];
        assert_eq!(disclosed(&sheet, &primary), vec![j]);

        let result = sheet.suppress(DEFAULT_THRESHOLD);
        // p and q cancel in t1 - t2, so they are no help; r is the part.
        assert_eq!(suppressed_ids(&result), vec![2, 3, 4, 5]);
        assert!(disclosed(&sheet, result.mask()).is_empty());
        assert!(oracle_protects(&sheet, result.mask()));
    }

    /// Rows x columns interior cells, then row totals, column totals and the
    /// grand total, in that order.
    fn table(interior: &[Vec<i64>]) -> Sheet {
        let rows = interior.len();
        let cols = interior.first().map_or(0, Vec::len);
        let mut sheet = Sheet::default();
        let cells: Vec<Vec<CellId>> = interior
            .iter()
            .map(|row| row.iter().map(|&v| sheet.cell(v)).collect())
            .collect();
        let row_totals: Vec<CellId> = interior
            .iter()
            .map(|row| sheet.cell(row.iter().sum()))
            .collect();
        let col_totals: Vec<CellId> = (0..cols)
            .map(|j| sheet.cell(interior.iter().map(|row| row[j]).sum()))
            .collect();
        let grand = sheet.cell(interior.iter().flatten().sum());
        for i in 0..rows {
            sheet.group(row_totals[i], &cells[i]);
        }
        for j in 0..cols {
            let column: Vec<CellId> = cells.iter().map(|row| row[j]).collect();
            sheet.group(col_totals[j], &column);
        }
        sheet.group(grand, &row_totals);
        sheet.group(grand, &col_totals);
        sheet
    }

    #[test]
    fn a_small_interior_cell_of_a_table_ends_in_a_rectangle() {
        let interior = vec![vec![3, 10, 20], vec![11, 12, 40], vec![25, 50, 60]];
        let sheet = table(&interior);
        let result = sheet.suppress(DEFAULT_THRESHOLD);
        // Interior ids are row-major: (0,0)=0, (0,1)=1, (1,0)=3, (1,1)=4.
        assert_eq!(suppressed_ids(&result), vec![0, 1, 3, 4]);
        assert!(disclosed(&sheet, result.mask()).is_empty());
        assert!(oracle_protects(&sheet, result.mask()));
    }

    /// After (0,0), (0,1) and (1,0) are hidden, (0,2) = 20 is smaller than
    /// (1,1) = 30, but hiding it would open column 2 (a lone hidden cell
    /// there) while (1,1) closes the rectangle. Smallest-value-only greedy
    /// ends with 8 hidden interior cells here.
    #[test]
    fn closing_the_rectangle_beats_a_smaller_cell_that_opens_a_new_line() {
        let interior = vec![vec![3, 10, 20], vec![15, 30, 40], vec![25, 50, 60]];
        let sheet = table(&interior);
        let result = sheet.suppress(DEFAULT_THRESHOLD);
        assert_eq!(suppressed_ids(&result), vec![0, 1, 3, 4]);
        let hidden: Vec<(usize, usize)> = (0..9)
            .filter(|&c| result.mask()[c])
            .map(|c| (c / 3, c % 3))
            .collect();
        for i in 0..3 {
            let in_row = hidden.iter().filter(|&&(r, _)| r == i).count();
            let in_col = hidden.iter().filter(|&&(_, k)| k == i).count();
            assert!(
                in_row != 1 && in_col != 1,
                "a lone hidden cell in a line: {hidden:?}"
            );
        }
        // Margins stay shown.
        assert!(!result.mask()[9..].contains(&true));
        assert!(disclosed(&sheet, result.mask()).is_empty());
        assert!(oracle_protects(&sheet, result.mask()));
    }

    // ----- Brute-force oracle, independent of the linear algebra -----

    /// Search state: the groups as (cell, coefficient) lists, each cell's
    /// groups, the current assignment and each unknown's range.
    struct Search<'a> {
        equations: Vec<Vec<(usize, i64)>>,
        groups_of: Vec<Vec<usize>>,
        value: Vec<Option<i64>>,
        range: Vec<(i64, i64)>,
        truth: &'a [i64],
        budget: u32,
    }

    impl Search<'_> {
        /// Whether equation `g` can still hold given the ranges of its
        /// unassigned cells.
        fn feasible(&self, g: usize) -> bool {
            let (mut low, mut high) = (0, 0);
            for &(c, k) in &self.equations[g] {
                match self.value[c] {
                    Some(v) => {
                        low += k * v;
                        high += k * v;
                    }
                    None => {
                        let (a, b) = self.range[c];
                        if k > 0 {
                            low += k * a;
                            high += k * b;
                        } else {
                            low += k * b;
                            high += k * a;
                        }
                    }
                }
            }
            low <= 0 && 0 <= high
        }

        /// Depth-first search over `order[depth..]`; values closest to the
        /// truth first. `None` when the budget runs out.
        fn run(&mut self, order: &[usize], depth: usize, target: usize) -> Option<bool> {
            let Some(&c) = order.get(depth) else {
                return Some(true);
            };
            let (low, high) = self.range[c];
            let truth = self.truth[c];
            let mut candidates: Vec<i64> = (low..=high)
                .filter(|&v| c != target || v != truth)
                .collect();
            candidates.sort_by_key(|&v| ((v - truth).abs(), v));
            for v in candidates {
                if self.budget == 0 {
                    return None;
                }
                self.budget -= 1;
                self.value[c] = Some(v);
                if self.groups_of[c].iter().all(|&g| self.feasible(g))
                    && self.run(order, depth + 1, target)?
                {
                    self.value[c] = None;
                    return Some(true);
                }
            }
            self.value[c] = None;
            Some(false)
        }
    }

    /// Is there an assignment of non-negative integers (each at most `bound`
    /// and, with `radius`, within that distance of the truth) to the
    /// suppressed cells that satisfies every group and gives `target` another
    /// value? `None` when `budget` search nodes were not enough.
    fn alternative(
        sheet: &Sheet,
        mask: &[bool],
        target: usize,
        bound: i64,
        radius: Option<i64>,
        budget: u32,
    ) -> Option<bool> {
        let n = sheet.values.len();
        let mut equations = Vec::new();
        let mut groups_of = vec![Vec::new(); n];
        for (g, group) in sheet.groups.iter().enumerate() {
            let mut equation = vec![(group.total, 1)];
            equation.extend(group.parts.iter().map(|&p| (p, -1)));
            for &(c, _) in &equation {
                if groups_of[c].last() != Some(&g) {
                    groups_of[c].push(g);
                }
            }
            equations.push(equation);
        }
        let truth = &sheet.values;
        let value = (0..n).map(|c| (!mask[c]).then_some(truth[c])).collect();
        let range = (0..n)
            .map(|c| match radius {
                Some(r) => ((truth[c] - r).max(0), (truth[c] + r).min(bound)),
                None => (0, bound),
            })
            .collect();
        // Target first, then its neighbours breadth first, then the rest.
        let mut order = vec![target];
        let mut seen = vec![false; n];
        seen[target] = true;
        let mut next = 0;
        while next < order.len() {
            let c = order[next];
            next += 1;
            for &g in &groups_of[c] {
                for &(d, _) in &equations[g] {
                    if mask[d] && !seen[d] {
                        seen[d] = true;
                        order.push(d);
                    }
                }
            }
        }
        order.extend((0..n).filter(|&c| mask[c] && !seen[c]));
        let mut search = Search {
            equations,
            groups_of,
            value,
            range,
            truth,
            budget,
        };
        search.run(&order, 0, target)
    }

    /// The largest count of the sheet plus one: the oracle's search bound.
    fn bound(sheet: &Sheet) -> i64 {
        sheet.values.iter().copied().max().unwrap_or(0) + 1
    }

    /// Every suppressed non-zero cell has an alternative value (searched
    /// near the truth first, then over the whole range).
    fn oracle_protects(sheet: &Sheet, mask: &[bool]) -> bool {
        (0..mask.len())
            .filter(|&c| mask[c] && sheet.values[c] != 0)
            .all(|c| {
                alternative(sheet, mask, c, bound(sheet), Some(1), 2_000_000) == Some(true)
                    || alternative(sheet, mask, c, bound(sheet), None, 2_000_000) == Some(true)
            })
    }

    #[test]
    fn the_oracle_sees_what_the_linear_check_sees() {
        // x alone in a group is found by both.
        let (mut sheet, c) = sheet_with(&[10, 3, 7]);
        sheet.group(c[0], &c[1..]);
        let mask = [false, true, false];
        assert_eq!(alternative(&sheet, &mask, 1, 11, None, 1_000), Some(false));
        assert_eq!(disclosed(&sheet, &mask), vec![c[1]]);
        // And the zero rectangle from the module docs: a linear check that
        // treated the zeros as unknowns would miss this; the oracle does not.
        let interior = vec![vec![3, 0, 7], vec![0, 0, 9], vec![8, 9, 10]];
        let sheet = table(&interior);
        let mut mask = vec![false; sheet.values.len()];
        for c in [0, 1, 3, 4] {
            mask[c] = true;
        }
        assert_eq!(
            alternative(&sheet, &mask, 0, bound(&sheet), None, 1_000_000),
            Some(false)
        );
        assert_eq!(disclosed(&sheet, &mask), vec![c[0]]);
    }

    // ----- Property tests -----

    /// A description of a random sheet (a sheet itself has no `Debug`).
    #[derive(Clone, Debug)]
    enum Shape {
        /// One total broken down several ways: people with a weight and a
        /// category per breakdown (taken modulo the breakdown's size).
        Breakdowns {
            people: Vec<(i64, [usize; 4])>,
            sizes: Vec<usize>,
        },
        /// Interior of a table; margins are added.
        Table(Vec<Vec<i64>>),
        /// Per month, its categories; month and year totals are added.
        Hierarchy(Vec<Vec<i64>>),
    }

    impl Shape {
        fn build(&self) -> Sheet {
            match self {
                Shape::Breakdowns { people, sizes } => {
                    let mut sheet = Sheet::default();
                    let total = sheet.cell(people.iter().map(|p| p.0).sum());
                    for (b, &size) in sizes.iter().enumerate() {
                        let parts: Vec<CellId> = (0..size)
                            .map(|i| {
                                sheet.cell(
                                    people
                                        .iter()
                                        .filter(|p| p.1[b] % size == i)
                                        .map(|p| p.0)
                                        .sum(),
                                )
                            })
                            .collect();
                        sheet.group(total, &parts);
                    }
                    sheet
                }
                Shape::Table(interior) => table(interior),
                Shape::Hierarchy(months) => {
                    let mut sheet = Sheet::default();
                    let year = sheet.cell(months.iter().flatten().sum());
                    let month_ids: Vec<CellId> = months
                        .iter()
                        .map(|categories| {
                            let month = sheet.cell(categories.iter().sum());
                            let parts: Vec<CellId> =
                                categories.iter().map(|&v| sheet.cell(v)).collect();
                            sheet.group(month, &parts);
                            month
                        })
                        .collect();
                    sheet.group(year, &month_ids);
                    sheet
                }
            }
        }
    }

    /// Counts where small cells are common.
    fn count() -> impl Strategy<Value = i64> {
        prop_oneof![6 => 0i64..=12, 1 => 0i64..=200]
    }

    fn shape() -> impl Strategy<Value = Shape> {
        let breakdowns = (
            prop::collection::vec(
                (count(), [0usize..8, 0usize..8, 0usize..8, 0usize..8]),
                0..10,
            ),
            prop::collection::vec(2usize..=8, 1..=4),
        )
            .prop_map(|(people, sizes)| Shape::Breakdowns { people, sizes });
        let table = (1usize..=6, 1usize..=6)
            .prop_flat_map(|(rows, cols)| {
                prop::collection::vec(prop::collection::vec(count(), cols), rows)
            })
            .prop_map(Shape::Table);
        let hierarchy = prop::collection::vec(prop::collection::vec(count(), 2..=4), 2..=12)
            .prop_map(Shape::Hierarchy);
        prop_oneof![breakdowns, table, hierarchy]
    }

    fn threshold() -> impl Strategy<Value = i64> {
        prop_oneof![3 => Just(DEFAULT_THRESHOLD), 1 => 0i64..=6]
    }

    /// Sheets with at most this many suppressed cells get the brute-force
    /// oracle.
    const ORACLE_MAX_SUPPRESSED: usize = 16;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn suppression_is_complete_and_safe(shape in shape(), threshold in threshold()) {
            let sheet = shape.build();
            let result = sheet.suppress(threshold);
            let mask = result.mask();
            for (c, &v) in sheet.values.iter().enumerate() {
                if (1..=threshold).contains(&v) {
                    prop_assert!(mask[c], "primary cell {c} shown");
                }
                if v == 0 {
                    prop_assert!(!mask[c], "zero cell {c} suppressed");
                }
                prop_assert_eq!(result.value(CellId(c)), (!mask[c]).then_some(v));
            }
            if threshold <= 0 {
                prop_assert!(!mask.contains(&true));
            }
            prop_assert!(disclosed(&sheet, mask).is_empty());
            let again = sheet.suppress(threshold);
            prop_assert_eq!(again.mask(), mask, "not deterministic");

            if mask.iter().filter(|&&s| s).count() <= ORACLE_MAX_SUPPRESSED {
                for c in (0..mask.len()).filter(|&c| mask[c]) {
                    // These shapes are totally unimodular, so a change by one
                    // must exist; the wider search is only a second chance
                    // that should never be needed.
                    let found = alternative(&sheet, mask, c, bound(&sheet), Some(1), 200_000) == Some(true)
                        || alternative(&sheet, mask, c, bound(&sheet), None, 200_000) == Some(true);
                    prop_assert!(found, "cell {c} has no alternative value");
                }
            }
        }

        /// With only the primary cells hidden, `disclosed` must agree with
        /// the oracle: a reported cell has no alternative value, an
        /// unreported one has one.
        #[test]
        fn disclosed_agrees_with_the_oracle(shape in shape(), threshold in threshold()) {
            let sheet = shape.build();
            let mask: Vec<bool> = sheet.values.iter().map(|v| (1..=threshold).contains(v)).collect();
            prop_assume!(mask.iter().filter(|&&s| s).count() <= ORACLE_MAX_SUPPRESSED);
            let reported = disclosed(&sheet, &mask);
            for c in (0..mask.len()).filter(|&c| mask[c]) {
                if reported.contains(&CellId(c)) {
                    // Inconclusive when the budget runs out.
                    let found = alternative(&sheet, &mask, c, bound(&sheet), None, 200_000);
                    prop_assert_ne!(found, Some(true), "cell {} reported but has an alternative", c);
                } else {
                    let found = alternative(&sheet, &mask, c, bound(&sheet), Some(1), 200_000);
                    prop_assert_eq!(found, Some(true), "cell {} not reported but pinned", c);
                }
            }
        }
    }
}
