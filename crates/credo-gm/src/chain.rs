//! SM3 hash chains: each entry's hash covers the previous entry's hash and its own content, so changing,
//! removing or reordering any entry breaks every hash after it. The audit trail is built on this.

use crate::sm3_hex;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an entry with `content` that follows an entry with hash `prev`.
pub fn link(prev: &str, content: &[u8]) -> String {
    let mut data = Vec::with_capacity(prev.len() + 1 + content.len());
    data.extend_from_slice(prev.as_bytes());
    data.push(b'\n');
    data.extend_from_slice(content);
    sm3_hex(&data)
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

/// Verifies entries in stored order, starting from `start_prev` (the genesis hash, or a checkpoint's hash).
pub fn verify<'a>(
    start_prev: &str,
    first_seq: i64,
    entries: impl IntoIterator<Item = Entry<'a>>,
) -> Result<usize, ChainError> {
    let mut prev = start_prev.to_string();
    let mut n = 0;
    for (expected, e) in (first_seq..).zip(entries) {
        if link(e.prev, e.content) != e.hash {
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

    fn chain(contents: &[&str]) -> Vec<(i64, String, Vec<u8>, String)> {
        let mut prev = GENESIS.to_string();
        contents
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let h = link(&prev, c.as_bytes());
                let e = (i as i64 + 1, prev.clone(), c.as_bytes().to_vec(), h.clone());
                prev = h;
                e
            })
            .collect()
    }

    fn check(rows: &[(i64, String, Vec<u8>, String)]) -> Result<usize, ChainError> {
        verify(GENESIS, 1, rows.iter().map(|(s, p, c, h)| Entry { seq: *s, prev: p, content: c, hash: h }))
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
        rewritten[1].3 = link(&rewritten[1].1, &rewritten[1].2);
        assert_eq!(check(&rewritten), Err(ChainError::Broken { seq: 3, after: 2 }));

        let mut last_removed = rows.clone();
        last_removed.pop();
        assert_eq!(check(&last_removed), Ok(3), "a truncated tail needs the signed checkpoint to be noticed");
    }
}
