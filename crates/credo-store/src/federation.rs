//! City → province federation, on the province's side: how far each city's change feed has been taken in, and
//! which of the province's records each city record became (so that a city's withdrawal reaches it).

use async_trait::async_trait;

use crate::Result;

#[async_trait]
pub trait FederationStore: Send + Sync {
    /// The city feed's sequence taken in up to (0: none yet).
    async fn federation_cursor(&self, city: &str) -> Result<i64>;
    /// Moves a city's place in its feed to `seq` and keeps which record each city record became, in one
    /// transaction (taking a page in again after a crash finds its rows already stored: duplicates).
    async fn advance_federation(&self, city: &str, seq: i64, links: &[(i64, i64)]) -> Result<()>;
    /// The province's record a city record became.
    async fn federated_record(&self, city: &str, remote_id: i64) -> Result<Option<i64>>;
    /// The city and city record a province record came from.
    async fn federated_origin(&self, record_id: i64) -> Result<Option<(String, i64)>>;
}
