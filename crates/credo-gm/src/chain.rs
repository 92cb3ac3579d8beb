//! Keyed hash chains: each entry's hash is an HMAC-SM3, under the platform's chain key, of the previous entry's
//! hash and its own content, so changing, removing or reordering any entry breaks every hash after it, and
//! someone without the key cannot recompute the chain after changing it (a plain SM3 chain can be recomputed by
//! anyone who can write the entries). The audit trail is built on this.
//!
//! Chains written before links were keyed used plain SM3; [`verify`] still checks those entries (below
//! `keyed_from`) with [`link_unkeyed`], and the audit trail requires them to be covered by an anchored, signed
//! checkpoint.

use crate::{hmac_sm3_hex, sm3_hex};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn linked(prev: &str, content: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(prev.len() + 1 + content.len());
    data.extend_from_slice(prev.as_bytes());
    data.push(b'\n');
    data.extend_from_slice(content);
    data
}

/// The hash of an entry with `content` that follows an entry with hash `prev`: HMAC-SM3 under the chain `key`.
pub fn link(key: &[u8], prev: &str, content: &[u8]) -> String {
    hmac_sm3_hex(key, &linked(prev, content))
}

/// The plain SM3 link of chains written before links were keyed (verification only: anyone can compute it).
pub fn link_unkeyed(prev: &str, content: &[u8]) -> String {
    sm3_hex(&linked(prev, content))
}

/// One stored entry: its position, the previous hash it claims, its content and its own hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub seq: i64,
    pub prev: &'a str,
    pub content: &'a [u8],
    pub hash: &'a str,
}

/// Why a chain does not verify, naming the first entry that is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The entry's content no longer matches its hash (changed).
    #[error("entry {seq}: content does not match its hash (changed)")]
    Changed { seq: i64 },
    /// The entry does not follow the one before it (an entry before it was removed, or entries were reordered).
    #[error("entry {seq}: does not follow entry {after} (removed or reordered)")]
    Broken { seq: i64, after: i64 },
    /// Sequence numbers are not consecutive.
    #[error("entry {seq}: expected sequence number {expected} (removed or reordered)")]
    Gap { seq: i64, expected: i64 },
}

/// Verifies entries in stored order, starting from `start_prev` (the genesis hash, or a checkpoint's hash):
/// entries from `keyed_from` on are linked under `key`, those before it with plain SM3.
pub fn verify<'a>(
    key: &[u8],
    keyed_from: i64,
    start_prev: &str,
    first_seq: i64,
    entries: impl IntoIterator<Item = Entry<'a>>,
) -> Result<usize, ChainError> {
    let mut prev = start_prev.to_string();
    let mut n = 0;
    for (expected, e) in (first_seq..).zip(entries) {
        let hash = if e.seq >= keyed_from { link(key, e.prev, e.content) } else { link_unkeyed(e.prev, e.content) };
        if hash != e.hash {
            return Err(ChainError::Changed { seq: e.seq });
        }
        if e.prev != prev {
            return Err(ChainError::Broken { seq: e.seq, after: expected - 1 });
        }
        if e.seq != expected {
            return Err(ChainError::Gap { seq: e.seq, expected });
        }
        prev = e.hash.to_string();
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"the platform's chain key, 32 byte";

    type Row = (i64, String, Vec<u8>, String);

    /// A chain whose links come from `link_with` (the platform's keyed link, or an attacker's recomputation).
    fn chain_with(contents: &[&str], link_with: impl Fn(&str, &[u8]) -> String) -> Vec<Row> {
        let mut prev = GENESIS.to_string();
        contents
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let h = link_with(&prev, c.as_bytes());
                let e = (i as i64 + 1, prev.clone(), c.as_bytes().to_vec(), h.clone());
                prev = h;
                e
            })
            .collect()
    }

    fn chain(contents: &[&str]) -> Vec<Row> {
        chain_with(contents, |p, c| link(KEY, p, c))
    }

    fn check(rows: &[Row]) -> Result<usize, ChainError> {
        check_from(rows, 1)
    }

    fn check_from(rows: &[Row], keyed_from: i64) -> Result<usize, ChainError> {
        let entries = rows.iter().map(|(s, p, c, h)| Entry { seq: *s, prev: p, content: c, hash: h });
        verify(KEY, keyed_from, GENESIS, 1, entries)
    }

    #[test]
    fn intact_changed_removed_reordered() {
        let rows = chain(&["login", "import batch 1", "read subject 7", "logout"]);
        assert_eq!(check(&rows), Ok(4));

        let mut changed = rows.clone();
        changed[2].2 = b"read subject 8".to_vec();
        assert_eq!(check(&changed), Err(ChainError::Changed { seq: 3 }));

        let mut removed = rows.clone();
        removed.remove(1);
        assert_eq!(check(&removed), Err(ChainError::Broken { seq: 3, after: 1 }));

        let mut reordered = rows.clone();
        reordered.swap(1, 2);
        assert_eq!(check(&reordered), Err(ChainError::Broken { seq: 3, after: 1 }));

        // Rewriting one entry consistently (new hash) still breaks the next one.
        let mut rewritten = rows.clone();
        rewritten[1].2 = b"import batch 2".to_vec();
        rewritten[1].3 = link(KEY, &rewritten[1].1, &rewritten[1].2);
        assert_eq!(check(&rewritten), Err(ChainError::Broken { seq: 3, after: 2 }));

        let mut last_removed = rows.clone();
        last_removed.pop();
        assert_eq!(check(&last_removed), Ok(3), "a truncated tail needs the signed checkpoint to be noticed");
    }

    #[test]
    fn a_chain_recomputed_without_the_key_does_not_verify() {
        let contents = ["login", "import batch 2", "read subject 7"];
        assert_eq!(check(&chain(&contents)), Ok(3));
        let plain = chain_with(&contents, link_unkeyed);
        assert_eq!(check(&plain), Err(ChainError::Changed { seq: 1 }));
        let wrong_key = chain_with(&contents, |p, c| link(b"a guessed key", p, c));
        assert_eq!(check(&wrong_key), Err(ChainError::Changed { seq: 1 }));
    }

    #[test]
    fn entries_before_keyed_from_are_checked_with_plain_sm3() {
        // Two entries from before links were keyed, then two keyed ones.
        let mut rows = chain_with(&["login", "logout"], link_unkeyed);
        let mut prev = rows[1].3.clone();
        for (seq, c) in [(3, "login"), (4, "read subject 7")] {
            let h = link(KEY, &prev, c.as_bytes());
            rows.push((seq, std::mem::replace(&mut prev, h.clone()), c.as_bytes().to_vec(), h));
        }
        assert_eq!(check_from(&rows, 3), Ok(4));
        assert_eq!(check_from(&rows, 1), Err(ChainError::Changed { seq: 1 }));
        assert_eq!(check_from(&rows, 5), Err(ChainError::Changed { seq: 3 }), "keyed entries are not plain ones");
    }
}
