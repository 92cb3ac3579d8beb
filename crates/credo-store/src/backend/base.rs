//! What every aggregate's implementation uses on its store: files sealed for storage and one-statement updates.

use super::Backend;
use crate::{Result, StoreError};

impl Backend {
    /// A file's bytes sealed for storage (`context` names the column).
    pub(super) fn seal_file(&self, bytes: &[u8], context: &str) -> Result<String> {
        use base64::Engine as _;
        self.vault.seal(&base64::engine::general_purpose::STANDARD.encode(bytes), context)
    }

    /// A file's bytes from [`Backend::seal_file`].
    pub(super) fn open_file(&self, data: String, context: &str) -> Result<Vec<u8>> {
        use base64::Engine as _;
        let data = self.vault.open(data, context)?;
        base64::engine::general_purpose::STANDARD.decode(data).map_err(|_| StoreError::Corrupt(context.to_string()))
    }

    /// Runs `sql` with `text` and `id` bound, in that order.
    pub(super) async fn exec(&self, sql: &'static str, id: i64, text: Option<String>) -> Result<()> {
        sqlx::query(sql).bind(text).bind(id).execute(&self.pool).await?;
        Ok(())
    }
}
