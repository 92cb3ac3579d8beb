//! The audit trail (审计日志): recording events and verifying the SM3 chain end to end.

use credo_gm::chain::{self, ChainError, Entry, GENESIS};
use credo_store::{Store, StoredAuditEvent};

const PAGE: i64 = 10_000;

/// Why the trail does not verify.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{}", chain_message(.0))]
    Chain(#[from] ChainError),
    #[error("审计日志末尾与链头不符(链头为第 {head} 条,日志止于第 {last} 条):末尾的记录被删除或改动")]
    Tail { head: i64, last: i64 },
    #[error("{0}")]
    Store(#[from] credo_store::StoreError),
}

fn chain_message(e: &ChainError) -> String {
    match e {
        ChainError::Changed { seq } => format!("审计日志第 {seq} 条被篡改:内容与其哈希不符"),
        ChainError::Broken { seq, after } => {
            format!("审计日志第 {seq} 条不接续第 {after} 条:其间的记录被删除或顺序被改动")
        }
        ChainError::Gap { seq, expected } => {
            format!("审计日志第 {seq} 条的序号应为 {expected}:记录被删除或顺序被改动")
        }
    }
}

impl AuditError {
    /// The sequence number of the first bad event, if one is named.
    pub fn seq(&self) -> Option<i64> {
        match self {
            AuditError::Chain(
                ChainError::Changed { seq } | ChainError::Broken { seq, .. } | ChainError::Gap { seq, .. },
            ) => Some(*seq),
            AuditError::Tail { last, .. } => Some(*last + 1),
            AuditError::Store(_) => None,
        }
    }
}

/// Verifies the whole chain against the head; returns the number of events.
pub async fn verify(store: &dyn Store, head: (i64, &str)) -> Result<i64, AuditError> {
    let (mut prev, mut last) = (GENESIS.to_string(), 0i64);
    loop {
        let page: Vec<StoredAuditEvent> = store.audit_after(last, PAGE).await?;
        let Some(end) = page.last() else { break };
        let contents: Vec<Vec<u8>> = page.iter().map(|e| StoredAuditEvent::content(e.seq, &e.at, &e.event)).collect();
        // Each event's own hash over its own sequence number: the content depends on seq, so it is part of the hash.
        chain::verify(
            &prev,
            last + 1,
            page.iter().zip(&contents).map(|(e, c)| Entry {
                seq: e.seq,
                prev: &e.prev_hash,
                content: c,
                hash: &e.hash,
            }),
        )?;
        prev = end.hash.clone();
        last = end.seq;
    }
    if head.0 != last || head.1 != prev {
        return Err(AuditError::Tail { head: head.0, last });
    }
    Ok(last)
}
