//! DataLoaders: every nested relation is fetched with one SQL statement per
//! relation per request, never one per parent row (no N+1).
//!
//! Two shapes cover every relation: [`ById`] (a row by its primary key) and
//! [`Children`] (rows by a foreign key, optionally narrowed by row scope).

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use sea_orm::{
    sea_query::SimpleExpr, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, Iterable,
    ModelTrait, PrimaryKeyToColumn, QueryFilter, QueryOrder, Value,
};
use uuid::Uuid;

/// Loader errors must be `Clone`; the database error is shared.
pub type LoadError = Arc<DbErr>;

fn uuid_of(v: Value) -> Option<Uuid> {
    match v {
        Value::Uuid(Some(u)) => Some(*u),
        _ => None,
    }
}

/// Rows of `E` by primary key (a uuid).
pub struct ById<E> {
    db: DatabaseConnection,
    _entity: PhantomData<fn() -> E>,
}

impl<E> ById<E> {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            _entity: PhantomData,
        }
    }
}

impl<E> Loader<Uuid> for ById<E>
where
    E: EntityTrait,
    E::Model: Sync,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, E::Model>, LoadError> {
        let pk = E::PrimaryKey::iter()
            .next()
            .expect("every entity has a primary key")
            .into_column();
        let rows = E::find()
            .filter(pk.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|m| uuid_of(m.get(pk)).map(|id| (id, m)))
            .collect())
    }
}

/// Rows of `E` grouped by a foreign key column, in a stable order, optionally
/// narrowed by an extra condition (row scope).
pub struct Children<E: EntityTrait> {
    db: DatabaseConnection,
    parent: E::Column,
    order: E::Column,
    only: Option<SimpleExpr>,
}

impl<E: EntityTrait> Children<E> {
    pub fn new(db: DatabaseConnection, parent: E::Column, order: E::Column) -> Self {
        Self {
            db,
            parent,
            order,
            only: None,
        }
    }

    pub fn only(mut self, condition: SimpleExpr) -> Self {
        self.only = Some(condition);
        self
    }
}

impl<E> Loader<Uuid> for Children<E>
where
    E: EntityTrait,
    E::Model: Sync,
    E::Column: Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<E::Model>>, LoadError> {
        let mut query = E::find()
            .filter(self.parent.is_in(keys.iter().copied()))
            .order_by_asc(self.order);
        if let Some(only) = &self.only {
            query = query.filter(only.clone());
        }
        let rows = query.all(&self.db).await?;
        let mut out: HashMap<Uuid, Vec<E::Model>> = HashMap::new();
        for row in rows {
            if let Some(parent) = uuid_of(row.get(self.parent)) {
                out.entry(parent).or_default().push(row);
            }
        }
        Ok(out)
    }
}
