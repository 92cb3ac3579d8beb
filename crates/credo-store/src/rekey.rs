//! Re-keying: when the catalog changes an item's natural key, the stored records follow without loss.
//!
//! A record is identified by (item, submitting department, natural key). Until 2026 the key of a penalty was its
//! 文书号 alone, but a 文书号 is unique only within the authority that issued it (STANDARDS §13.2.7): when one
//! department (the city 信用办 aggregating its districts) sent two authorities' penalties with the same 文书号, the
//! second silently became a new version of the first. The key now holds the authority too.
//!
//! `item_keys` remembers which definition each item's stored keys were built with. [`run`] re-keys every item whose
//! definition differs (or was never recorded): it recomputes each version's key from its (sealed) fields, and
//!
//! * a record whose versions all share one key takes that key;
//! * a record whose versions carry different keys is split: the versions of each key become a record of their own
//!   (in their order, renumbered from 1, with their batches and receipt times); the record's id stays with the key
//!   of its latest version; a new record's subject is resolved from its latest version's fields (code, legacy code,
//!   then name within the region, as ingest does), else it waits in the unresolved queue; a recorded publicity
//!   expiry follows its version.
//!
//! Every re-keyed record gets a change-feed entry (entity `rekey`) whose detail says its old and new key and where
//! each moved version went; a split also puts the records whose versions changed on the feed (entity `record`),
//! so the indexes re-read them. One write transaction per item (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: under the feed lock), which also records the definition: a
//! crash leaves each item either done or untouched, and running again does nothing for items already done. If the
//! new keys would make two records one (a definition that drops a field), nothing is changed and the store refuses
//! with a conflict naming the records: merging histories is a decision for a person.

use serde::{Deserialize, Serialize};

/// Versions of a record that moved to another record: `(old version, new version)` pairs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedVersions {
    pub record_id: i64,
    /// The record's natural key as stored (a key with an ID number written in it is its blind index).
    pub key: String,
    pub versions: Vec<(i64, i64)>,
}

/// What re-keying did to one record: the `detail` of its change-feed entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rekeyed {
    pub item: String,
    pub record_id: i64,
    /// The key before and after, as stored.
    pub old_key: String,
    pub new_key: String,
    /// The versions it kept, renumbered, when some moved away (`(old, new)`; empty when none moved).
    pub kept: Vec<(i64, i64)>,
    /// The records split off it.
    pub moved: Vec<MovedVersions>,
}
