//! [`crate::Portable`] on this backend: tables read row by row and written in multi-row inserts.

use async_trait::async_trait;
use futures_util::TryStreamExt as _;
use sqlx::{QueryBuilder, Row as _};

use super::{Backend, Db};
use crate::portable::{Cell, Row, TABLES};
use crate::sql::rows_per_insert;
use crate::{Portable, Result, StoreError};

/// The order of `table`'s rows, if it is a table of the store.
fn order_of(table: &str) -> Result<&'static str> {
    TABLES
        .iter()
        .find(|(t, _)| *t == table)
        .map(|(_, order)| *order)
        .ok_or_else(|| StoreError::NotFound(format!("table {table}")))
}

#[async_trait]
impl Portable for Backend {
    async fn export_table(&self, table: &str, each: &mut (dyn FnMut(Row) -> Result<()> + Send)) -> Result<u64> {
        let sql = format!("SELECT * FROM {table} ORDER BY {}", order_of(table)?);
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&self.pool);
        let mut n = 0;
        while let Some(r) = rows.try_next().await? {
            let mut row = Row::new();
            for (i, column) in r.columns().iter().enumerate() {
                use sqlx::Column as _;
                let cell = match r.try_get::<Option<i64>, _>(i) {
                    Ok(Some(v)) => Cell::Int(v),
                    Ok(None) => Cell::Null,
                    Err(_) => r.try_get::<Option<String>, _>(i)?.map_or(Cell::Null, Cell::Text),
                };
                row.insert(column.name().to_string(), cell);
            }
            each(row)?;
            n += 1;
        }
        Ok(n)
    }

    async fn is_empty(&self) -> Result<bool> {
        let used: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM departments) + (SELECT COUNT(*) FROM subjects) + (SELECT COUNT(*) FROM records)
                  + (SELECT COUNT(*) FROM accounts) + (SELECT COUNT(*) FROM audit_events)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(used == 0)
    }

    async fn import_rows(&self, table: &str, rows: &[Row]) -> Result<()> {
        order_of(table)?;
        let Some(first) = rows.first() else { return Ok(()) };
        let columns: Vec<&String> = first.keys().collect();
        if columns.iter().any(|c| !c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')) {
            return Err(StoreError::Corrupt(format!("{table}: column names {columns:?}")));
        }
        let mut tx = self.pool.begin().await?;
        // What a store writes by itself when it is created or opened (the audit chain's head; the natural-key
        // definitions its records were keyed with) is replaced by what the imported records go with.
        if table == "audit_head" || table == "item_keys" {
            let sql = format!("DELETE FROM {table}");
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
        }
        let head =
            format!("INSERT INTO {table} ({}) ", columns.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "));
        for chunk in rows.chunks(rows_per_insert(columns.len())) {
            let mut q = QueryBuilder::<Db>::new(&head);
            let mut bad = None;
            q.push_values(chunk, |mut b, row| {
                if row.len() != columns.len() {
                    bad = Some(format!("{table}: a row with other columns than the first"));
                }
                for c in &columns {
                    match row.get(*c) {
                        Some(Cell::Int(v)) => b.push_bind(*v),
                        Some(Cell::Text(v)) => b.push_bind(v.clone()),
                        Some(Cell::Null) | None => b.push("NULL"),
                    };
                }
            });
            if let Some(bad) = bad {
                return Err(StoreError::Corrupt(bad));
            }
            q.build().persistent(false).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn finish_import(&self) -> Result<()> {
        super::continue_ids(&self.pool).await
    }
}
