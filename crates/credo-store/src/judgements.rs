//! 主体识别的人工判断 (judgements): a person says that a record, a subject or a legacy code is the same as a subject,
//! is different from it, or may be. Judgements are data (who, when, why), kept apart from what they change, so that
//! they survive re-imports and re-indexing and can be undone; after OpenSanctions' nomenklatura, which keeps the
//! "same / different / unsure" of its analysts as the resolver's input.
//!
//! What a **same** judgement does, in the transaction that records it:
//! * about a **record** in the unresolved queue: the record is linked to the subject, and the name it gives its
//!   subject becomes one of the subject's names ([`crate::SubjectStore`] resolves records without a code by them),
//!   so that the record's next versions and a re-import of its file resolve alike;
//! * about **another subject**: a merge. Its codes, records and names move to the subject, its name becomes one of
//!   the subject's names, and it points to the subject (`merged_into`); undoing it moves exactly those back;
//! * about a **legacy code** (注册号, 组织机构代码 …) no subject carries: the code becomes the subject's.
//!
//! **different** and **unsure** change nothing but what is suggested: a pair judged different is never suggested
//! again. Every judgement and undo is a change-feed entry (entity `judgement`), with entries for the subjects and
//! records it moved.

use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;

use crate::Result;

/// What a judgement is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub enum Target {
    Record(i64),
    Subject(i64),
    /// A legacy code as written (upper case).
    Code(String),
}

impl Target {
    /// `record:12`, `subject:5`, `code:630100400012345`.
    pub fn parse(s: &str) -> Option<Target> {
        let (kind, value) = s.split_once(':')?;
        match kind {
            "record" => value.parse().ok().map(Target::Record),
            "subject" => value.parse().ok().map(Target::Subject),
            "code" if !value.is_empty() && value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                Some(Target::Code(value.to_ascii_uppercase()))
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Record(id) => write!(f, "record:{id}"),
            Target::Subject(id) => write!(f, "subject:{id}"),
            Target::Code(code) => write!(f, "code:{code}"),
        }
    }
}

impl From<Target> for String {
    fn from(t: Target) -> String {
        t.to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Same,
    Different,
    Unsure,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "same" => Some(Decision::Same),
            "different" => Some(Decision::Different),
            "unsure" => Some(Decision::Unsure),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Same => "same",
            Decision::Different => "different",
            Decision::Unsure => "unsure",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::Same => "同一主体",
            Decision::Different => "不是同一主体",
            Decision::Unsure => "无法确定",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewJudgement {
    pub target: Target,
    pub subject_id: i64,
    pub decision: Decision,
    pub reason: String,
    /// Who judged (an account's login, `cli:` and the operator's name at the counter).
    pub actor: String,
    pub department_id: Option<i64>,
    /// For a record judged the same: the name it gives its subject.
    pub alias: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Judgement {
    pub id: i64,
    pub target: Target,
    pub subject_id: i64,
    pub decision: Decision,
    pub reason: String,
    pub actor: String,
    pub department_id: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// What applying it changed (JSON), for a same judgement.
    pub effect: Option<serde_json::Value>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub undone_at: Option<OffsetDateTime>,
    pub undone_by: Option<String>,
}

#[async_trait]
pub trait JudgementStore: Send + Sync {
    /// Records a judgement and applies a same one (see the module). A conflict when it cannot be applied: the
    /// record is no longer in the queue, a subject is merged already, the code is another subject's.
    async fn judge(&self, j: &NewJudgement) -> Result<Judgement>;
    /// Undoes a judgement: what applying it changed is changed back (what has moved on since stays). A conflict
    /// when it was undone already.
    async fn undo_judgement(&self, id: i64, actor: &str) -> Result<Judgement>;
    async fn judgement(&self, id: i64) -> Result<Option<Judgement>>;
    /// Judgements, newest first: about `target`, or about `subject` (as either side), or all.
    async fn judgements(&self, target: Option<&Target>, subject: Option<i64>, limit: i64) -> Result<Vec<Judgement>>;
    /// The other names of `subjects` (曾用名, names judged or merged in), each subject's in the order they came.
    async fn subject_names(&self, subjects: &[i64]) -> Result<std::collections::HashMap<i64, Vec<String>>>;
}
