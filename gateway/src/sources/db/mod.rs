//! The gateway's own database (sea-orm), one module per domain area.

pub mod agency;
pub mod allocation;
pub mod cases;
pub mod consent;
pub mod loaders;
pub mod participants;
pub mod placements;
pub mod projects;
pub mod records;
pub mod scope;
pub mod staff;
pub mod work;
pub use work::reload;

use sea_orm::prelude::Uuid;

/// A fresh id for a new row (ids are made by the gateway, not the database,
/// so bulk inserts need no round trip to learn them).
pub fn new_id() -> Uuid {
    Uuid::new_v4()
}

pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Is this database error a unique-constraint violation? (PostgreSQL 23505, SQLite 2067/1555.)
pub fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::str::FromStr;

use crate::vocabulary::error::{ApiError, ApiResult};

/// Optimistic concurrency: applies `change` to row `id` only if it still has
/// version `expected`, bumping the version. A stale version is `CONFLICT`,
/// a missing row `NOT_FOUND`. Every update of a versioned row goes through here.
pub async fn update_versioned<E, C>(
    db: &C,
    what: &'static str,
    id: Uuid,
    expected: i32,
    change: impl FnOnce(sea_orm::UpdateMany<E>) -> sea_orm::UpdateMany<E>,
) -> ApiResult<()>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let col = |name: &str| {
        E::Column::from_str(name)
            .unwrap_or_else(|_| panic!("every versioned table has a {name} column"))
    };
    let (id_col, version_col, updated_col) = (col("id"), col("version"), col("updated_at"));
    let result = change(E::update_many())
        .col_expr(version_col, Expr::col(version_col).add(1))
        .col_expr(updated_col, Expr::value(now()))
        .filter(id_col.eq(id))
        .filter(version_col.eq(expected))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        return Ok(());
    }
    let exists = E::find().filter(id_col.eq(id)).one(db).await?.is_some();
    Err(if exists {
        ApiError::Conflict { what, expected }
    } else {
        ApiError::NotFound(what)
    })
}

/// SQL: the comma-separated list column `column` (`participant.target_groups`,
/// `consent.categories`) holds the whole code `code`:
/// `(',' || column || ',') LIKE '%,code,%'`. Built from operators, not
/// custom SQL, so it renders for PostgreSQL and SQLite alike (their
/// placeholders differ).
pub fn list_holds(
    column: impl sea_orm::sea_query::IntoColumnRef,
    code: &str,
) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{BinOper, Expr, SimpleExpr};
    let concat = |l: SimpleExpr, r: SimpleExpr| l.binary(BinOper::Custom("||"), r);
    let wrapped = concat(
        concat(Expr::val(",").into(), Expr::col(column).into()),
        Expr::val(",").into(),
    );
    Expr::expr(wrapped).like(format!("%,{code},%"))
}
