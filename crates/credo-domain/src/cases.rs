//! 案件 (cases): 异议 (objections), 信用修复 (credit repair) and 举报 (whistleblower reports) as one state machine,
//! and the rules around it: who may take each step, the working-day deadlines, the one extension of an objection,
//! what a decision does to the record, when a record can be repaired, and the 信用承诺 (commitment) records that
//! a repair application and a subject's own commitment make, with their 未履约 (breach).
//!
//! Every rule is a value or a pure function: the server (or the CLI) reads the case, asks here, and writes the
//! case, the record's new version and the audit event in one transaction. The string codes and Chinese labels are
//! those stored in the database and shown in the JSON and the pages; they must not change.
//!
//! | kind             | number | filed as | steps ([`TRANSITIONS`])                                              |
//! |------------------|--------|----------|----------------------------------------------------------------------|
//! | `objection` 异议  | `YY…`  | 待受理   | 受理 → 办理中 → 维持 / 更正 / 撤销 → 已办结; or 不予受理             |
//! | `repair` 信用修复 | `XF…`  | 待受理   | 受理 → 办理中 → 同意修复 → 待复核 → 通过 → 已修复 (退回: 办理中);    |
//! |                  |        |          | or 不予受理 / 不予修复                                               |
//! | `report` 举报     | `JB…`  | 办理中   | 查实 / 部分查实 / 不属实 → 已办结                                    |
//!
//! The handler of the department the case is addressed to takes every step but the review of a repair, which is
//! the 信用审核员's. An accepted, open objection shows its record as 异议处理中 (征信业管理条例 第二十五条: the
//! receiver marks the record as disputed; STANDARDS §6.1, §6.5); a filing alone marks nothing, so that nobody can
//! put a mark on any record by filing.
//!
//! ```
//! use credo_domain::cases::{Action, Effect, Kind, State, transition};
//! let t = transition(Kind::Objection, State::InProgress, Action::Revoke).unwrap();
//! assert_eq!((t.to, t.effect, t.closes()), (State::Closed, Effect::Revoke, true));
//! assert_eq!(t.to.as_str(), "已办结");
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::Date;

use crate::calendar::{Calendar, Counted};
use crate::catalog::{Item, SubjectKind};
use crate::publicity::{self, Class, Deadlines, Repair, Window};

/// An enum whose values are stored and shown as fixed strings: `as_str`, `parse`, `Display` and serde all use them.
macro_rules! coded {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal,)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vm])* $variant,)+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The code as stored and shown.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// The value of a stored code.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let text = String::deserialize(d)?;
                let unknown = || serde::de::Error::custom(format!("unknown {}: {text}", stringify!($name)));
                $name::parse(&text).ok_or_else(unknown)
            }
        }
    };
}

coded! {
    /// The kind of case (`cases.kind`).
    Kind {
        /// 异议: anyone disputes a published record.
        Objection = "objection",
        /// 信用修复: the subject asks for its negative record to stop being published.
        Repair = "repair",
        /// 举报: anyone reports a subject to the department responsible.
        Report = "report",
        /// 评价异议: anyone disputes a subject's grade (信用评价) as the platform computed it; the platform's
        /// 信用审核员 handles it (the grade is the platform's, not a department's).
        GradeObjection = "grade_objection",
        /// 政务失信投诉: an enterprise complains that a government body broke its word (an unpaid invoice, a
        /// contract, a policy promise); the credit office (信用审核员) accepts and assigns it to the body, the body's
        /// handler answers, and the office finds it (a 政务失信 record, `credo_domain::integrity`) or dismisses it.
        GovComplaint = "gov_complaint",
    }
}

coded! {
    /// 案件状态 (`cases.state`).
    State {
        /// 待受理: filed, waiting for the department to accept it.
        AwaitingAcceptance = "待受理",
        /// 办理中: accepted (an objection: the record shows 异议处理中), or a report being verified.
        InProgress = "办理中",
        /// 待复核: a repair the department agreed to, waiting for the 信用审核员's review.
        AwaitingReview = "待复核",
        /// 已办结: decided (an objection: 维持 / 更正 / 撤销; a report: 查实 / 部分查实 / 不属实).
        Closed = "已办结",
        /// 不予受理: not accepted.
        NotAccepted = "不予受理",
        /// 不予修复: the department refused the repair.
        RepairRefused = "不予修复",
        /// 已修复: repaired (the record's new version carries the `repaired` mark).
        Repaired = "已修复",
        /// 待答复: a 政务失信投诉 assigned to the body, waiting for its answer.
        AwaitingAnswer = "待答复",
        /// 待认定: the body answered; the credit office finds or dismisses.
        AwaitingFinding = "待认定",
    }
}

coded! {
    /// A step a case's staff take (`DecideIn.outcome`); it is the step written in the case's history and, when it
    /// closes the case, its outcome (`cases.outcome`).
    Action {
        /// 受理: accept (objection, repair).
        Accept = "受理",
        /// 不予受理: do not accept (objection, repair).
        NotAccept = "不予受理",
        /// 维持: the record stands (objection).
        Uphold = "维持",
        /// 更正: the record is corrected (objection).
        Correct = "更正",
        /// 撤销: the record is revoked (objection).
        Revoke = "撤销",
        /// 同意修复: the department agrees to the repair (repair, then reviewed).
        AgreeRepair = "同意修复",
        /// 不予修复: the department refuses the repair.
        RefuseRepair = "不予修复",
        /// 通过: the review confirms the repair.
        Approve = "通过",
        /// 退回: the review sends the repair back to the department.
        SendBack = "退回",
        /// 查实: the report is substantiated.
        Substantiated = "查实",
        /// 部分查实: the report is partly substantiated.
        PartlySubstantiated = "部分查实",
        /// 不属实: the report is unfounded.
        Unfounded = "不属实",
        /// 重新评价: the objection to a grade stands; the subject is graded again (评价异议).
        Regrade = "重新评价",
        /// 转办: the credit office accepts a 政务失信投诉 and assigns it to the body.
        Assign = "转办",
        /// 答复: the body answers the complaint.
        Answer = "答复",
        /// 认定失信: the credit office finds the body broke its word; a 政务失信 record is written.
        Find = "认定失信",
        /// 驳回: the credit office dismisses the complaint, with its reasons.
        Dismiss = "驳回",
    }
}

coded! {
    /// Who takes a step: the role code of the acting account (`accounts.role`).
    Actor {
        /// 部门案件办理员: the handler of the department the case is addressed to.
        Handler = "handler",
        /// 信用审核员: the platform's reviewer (any department's repairs).
        Reviewer = "reviewer",
    }
}

impl Kind {
    /// The Chinese name: 异议, 信用修复, 举报.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Objection => "异议",
            Kind::Repair => "信用修复",
            Kind::Report => "举报",
            Kind::GradeObjection => "评价异议",
            Kind::GovComplaint => "政务失信投诉",
        }
    }

    /// The case number's prefix: `YY`, `XF`, `JB`.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Objection => "YY",
            Kind::Repair => "XF",
            Kind::Report => "JB",
            Kind::GradeObjection => "PJ",
            Kind::GovComplaint => "ZW",
        }
    }

    /// The state a case is filed in: a report goes straight to 办理中 (there is nothing to accept: the department
    /// must verify it); objections and repairs wait for acceptance.
    pub fn filed_as(self) -> State {
        match self {
            Kind::Objection | Kind::Repair | Kind::GradeObjection | Kind::GovComplaint => State::AwaitingAcceptance,
            Kind::Report => State::InProgress,
        }
    }

    /// The deadline a filing starts.
    pub fn filing_due(self) -> Due {
        match self {
            Kind::Objection | Kind::GradeObjection => Due::ObjectionAccept,
            Kind::Repair => Due::RepairAccept,
            Kind::Report => Due::Report,
            Kind::GovComplaint => Due::GovAccept,
        }
    }

    /// Whether the case is about one record (objections and repairs; a report and a grade objection name a
    /// subject).
    pub fn about_a_record(self) -> bool {
        !matches!(self, Kind::Report | Kind::GradeObjection | Kind::GovComplaint)
    }

    /// While a case of this kind is open about a record, no second one may be filed about it: the refusal's code
    /// and sentence (`objection_open`: 该信息已有异议正在处理; `repair_open`: 该信息已有信用修复申请正在办理).
    pub fn one_open_per_record(self) -> Option<(&'static str, &'static str)> {
        match self {
            Kind::Objection => Some(("objection_open", "该信息已有异议正在处理")),
            Kind::Repair => Some(("repair_open", "该信息已有信用修复申请正在办理")),
            Kind::Report | Kind::GradeObjection | Kind::GovComplaint => None,
        }
    }

    /// The content fields the 信用审核员 reads (masked, without the applicant): `None` for a 举报, which is never
    /// the reviewer's (to the reviewer it does not exist: a 404, as for a number never issued).
    pub fn reviewed_content(self) -> Option<&'static [&'static str]> {
        match self {
            Kind::Objection => Some(&["reason", "record_version"]),
            Kind::Repair => Some(&["reason", "commitment", "record_version"]),
            Kind::GradeObjection => Some(&["reason", "grade"]),
            Kind::GovComplaint => {
                Some(&["category", "body_name", "body_code", "matter", "amount", "due_on", "content", "answer"])
            }
            Kind::Report => None,
        }
    }
}

/// The Chinese name of a stored kind code; `案件` for any other (also the audit purpose of actions that are not a
/// case's, such as `commitment.make`).
pub fn kind_label(code: &str) -> &'static str {
    Kind::parse(code).map(Kind::label).unwrap_or("案件")
}

/// The random part of a number: a letter, then 7 upper-case hex digits (all 2³² draws, each its own). The letter
/// keeps the date's 8 digits from running into the random ones: a run of 15 or 18 digits would read as an ID number
/// and be masked wherever the number is quoted.
fn tail(random: [u8; 4]) -> String {
    let n = u32::from_be_bytes(random);
    let letter = char::from(b'A' + (n % 26) as u8);
    format!("{letter}{:07X}", n / 26)
}

fn compact(day: Date) -> String {
    day.to_string().replace('-', "")
}

/// A case number: the kind's prefix, the filing day and 8 random characters (a tracking code that cannot be guessed
/// from another; see [`tail`]): `YY20260213` + `K0062B1C`. The caller draws `random`.
pub fn number(kind: Kind, day: Date, random: [u8; 4]) -> String {
    format!("{}{}{}", kind.prefix(), compact(day), tail(random))
}

impl State {
    /// Whether the case is closed in this state (`cases.closed_at` set).
    pub fn is_closed(self) -> bool {
        matches!(self, State::Closed | State::NotAccepted | State::RepairRefused | State::Repaired)
    }
}

impl Actor {
    /// The Chinese name of the role: 部门案件办理员, 信用审核员.
    pub fn label(self) -> &'static str {
        match self {
            Actor::Handler => "部门案件办理员",
            Actor::Reviewer => "信用审核员",
        }
    }

    /// Whether the actor must belong to the case's department (the handler: yes; the platform's reviewer: no).
    pub fn bound_to_department(self) -> bool {
        matches!(self, Actor::Handler)
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Deadlines.

/// A case deadline, in working days from the day it starts (filing or the step), counted on the calendar
/// (STANDARDS §6.5: "Model deadlines as working days"; `catalog/publicity.toml` `[deadlines]`, whose `basis` and
/// `verified = false` say what is not yet confirmed from the official text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Due {
    /// 异议受理: decide whether to accept; `objection_accept` (3), as for repairs — the platform's choice.
    ObjectionAccept,
    /// 异议办理: decide after acceptance; `objection` (5). 浙江省公共信用信息管理条例 第三十、三十一条 (5 working
    /// days, extendable to 20 in all; STANDARDS §6.2); the article of 青海省公共信用信息条例 is unconfirmed (§6.4).
    Objection,
    /// 修复受理: `repair_accept` (3). 国办发〔2025〕22号 fragment "3个工作日内作出是否受理的决定" (STANDARDS §5.5,
    /// unverified).
    RepairAccept,
    /// 修复办理: decide after acceptance, or after a review sent it back; `repair_decide` (10), as 信用中国(江西)
    /// (STANDARDS §5.5).
    RepairDecide,
    /// 修复复核: the platform's review of the department's decision; `repair_review` (2).
    RepairReview,
    /// 举报核查: verify; `report` (20). 企业信息公示暂行条例 第十三条 (STANDARDS §8.1).
    Report,
    /// 政务失信投诉: accept and assign (`gov_accept`), the body's answer (`gov_answer`), the finding (`gov_find`).
    GovAccept,
    GovAnswer,
    GovFind,
}

impl Due {
    /// The working days it gives.
    pub fn days(self, d: &Deadlines) -> u32 {
        match self {
            Due::ObjectionAccept => d.objection_accept,
            Due::Objection => d.objection,
            Due::RepairAccept => d.repair_accept,
            Due::RepairDecide => d.repair_decide,
            Due::RepairReview => d.repair_review,
            Due::Report => d.report,
            Due::GovAccept => d.gov_accept,
            Due::GovAnswer => d.gov_answer,
            Due::GovFind => d.gov_find,
        }
    }

    /// The last day for a deadline started on `from` (the day itself not counted), with the calendar's warning
    /// when a year on the way has no State Council table.
    pub fn on(self, d: &Deadlines, calendar: &Calendar, from: Date) -> Counted<Date> {
        calendar.add_working_days(from, self.days(d))
    }
}

/// The due day of a case of `kind` filed on `filed_on`.
pub fn deadline(kind: Kind, d: &Deadlines, calendar: &Calendar, filed_on: Date) -> Counted<Date> {
    kind.filing_due().on(d, calendar, filed_on)
}

/// Whether an open case is past its due day on `today` (a closed case never is).
pub fn overdue(closed: bool, due_on: Option<Date>, today: Date) -> bool {
    !closed && due_on.is_some_and(|d| d < today)
}

// ---------------------------------------------------------------------------------------------------------------
// The state machine.

/// What a step does to the record the case is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Nothing.
    None,
    /// The record shows 异议处理中 while the objection stays in the state this step leads to: nothing is written,
    /// the store derives it from the open case ([`disputes_record`]); a later step ends it.
    Dispute,
    /// 更正: a new version of the record with the corrected fields ([`correction`]); the natural key cannot change.
    Correct,
    /// 撤销: a new version carrying the `revoked` mark of the case; the record is no longer shown or shared.
    Revoke,
    /// 已修复: a new version carrying the `repaired` mark; 终止公示, 停止共享和使用 (令36号 第三条, STANDARDS §5.2).
    Repair,
    /// 认定失信: a new 政务失信 record of the body, from the complaint (`credo_domain::integrity::finding`).
    Record,
}

impl Effect {
    /// The [`publicity::Mark`] kind the new version carries: `revoked`, `repaired`.
    pub fn mark(self) -> Option<&'static str> {
        match self {
            Effect::Revoke => Some("revoked"),
            Effect::Repair => Some("repaired"),
            _ => None,
        }
    }

    /// Whether the step writes a new version of the record.
    pub fn writes_version(self) -> bool {
        matches!(self, Effect::Correct | Effect::Revoke | Effect::Repair)
    }
}

/// One allowed step: in a case of `kind` in state `from`, `actor` may take `action`; the case moves to `to`, the
/// deadline `due` starts that day (`None`: the due day stays as it was) and the record undergoes `effect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub kind: Kind,
    pub from: State,
    pub action: Action,
    pub to: State,
    pub actor: Actor,
    pub due: Option<Due>,
    pub effect: Effect,
}

impl Transition {
    /// Whether the step closes the case.
    pub fn closes(&self) -> bool {
        self.to.is_closed()
    }

    /// The case's due day after the step taken on `today`: the new deadline's, else the current one.
    pub fn due_on(&self, d: &Deadlines, calendar: &Calendar, today: Date, current: Option<Date>) -> Option<Date> {
        self.due.map(|due| due.on(d, calendar, today).value).or(current)
    }
}

const fn step(
    kind: Kind,
    from: State,
    action: Action,
    to: State,
    actor: Actor,
    due: Option<Due>,
    effect: Effect,
) -> Transition {
    Transition { kind, from, action, to, actor, due, effect }
}

/// Every allowed step. Anything not here is refused.
///
/// 异议: 征信业管理条例 第二十五条 (mark the record, verify, correct it if wrong, remove the mark if right;
/// STANDARDS §6.1); acceptance first, so that a filing alone marks nothing. 信用修复: "谁认定、谁修复", the deciding
/// department decides and the platform reviews (国办发〔2025〕22号, STANDARDS §5.5). 举报: verified by the
/// department responsible (企业信息公示暂行条例 第十三条, STANDARDS §8.1).
#[rustfmt::skip]
pub const TRANSITIONS: &[Transition] = {
    use Action as A;
    use Actor::{Handler as H, Reviewer as R};
    use Due as D;
    use Effect as E;
    use Kind::{GovComplaint as Z, GradeObjection as G, Objection as O, Repair as F, Report as J};
    use State as S;
    &[
        step(O, S::AwaitingAcceptance, A::Accept,              S::InProgress,     H, Some(D::Objection),    E::Dispute),
        step(O, S::AwaitingAcceptance, A::NotAccept,           S::NotAccepted,    H, None,                  E::None),
        step(O, S::InProgress,         A::Uphold,              S::Closed,         H, None,                  E::None),
        step(O, S::InProgress,         A::Correct,             S::Closed,         H, None,                  E::Correct),
        step(O, S::InProgress,         A::Revoke,              S::Closed,         H, None,                  E::Revoke),
        step(F, S::AwaitingAcceptance, A::Accept,              S::InProgress,     H, Some(D::RepairDecide), E::None),
        step(F, S::AwaitingAcceptance, A::NotAccept,           S::NotAccepted,    H, None,                  E::None),
        step(F, S::InProgress,         A::AgreeRepair,         S::AwaitingReview, H, Some(D::RepairReview), E::None),
        step(F, S::InProgress,         A::RefuseRepair,        S::RepairRefused,  H, None,                  E::None),
        step(F, S::AwaitingReview,     A::Approve,             S::Repaired,       R, None,                  E::Repair),
        step(F, S::AwaitingReview,     A::SendBack,            S::InProgress,     R, Some(D::RepairDecide), E::None),
        step(J, S::InProgress,         A::Substantiated,       S::Closed,         H, None,                  E::None),
        step(J, S::InProgress,         A::PartlySubstantiated, S::Closed,         H, None,                  E::None),
        step(J, S::InProgress,         A::Unfounded,           S::Closed,         H, None,                  E::None),
        step(G, S::AwaitingAcceptance, A::Accept,              S::InProgress,     R, Some(D::Objection),    E::None),
        step(G, S::AwaitingAcceptance, A::NotAccept,           S::NotAccepted,    R, None,                  E::None),
        step(G, S::InProgress,         A::Uphold,              S::Closed,         R, None,                  E::None),
        step(G, S::InProgress,         A::Regrade,             S::Closed,         R, None,                  E::None),
        step(Z, S::AwaitingAcceptance, A::Assign,              S::AwaitingAnswer, R, Some(D::GovAnswer),    E::None),
        step(Z, S::AwaitingAcceptance, A::NotAccept,           S::NotAccepted,    R, None,                  E::None),
        step(Z, S::AwaitingAnswer,     A::Answer,              S::AwaitingFinding,H, Some(D::GovFind),      E::None),
        step(Z, S::AwaitingAnswer,     A::Find,                S::Closed,         R, None,                  E::Record),
        step(Z, S::AwaitingAnswer,     A::Dismiss,             S::Closed,         R, None,                  E::None),
        step(Z, S::AwaitingFinding,    A::Find,                S::Closed,         R, None,                  E::Record),
        step(Z, S::AwaitingFinding,    A::Dismiss,             S::Closed,         R, None,                  E::None),
    ]
};

/// Why a step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseRuleError {
    /// The case is closed (`case_closed`; the server says "案件 {number} 已办结").
    #[error("案件已办结")]
    Closed { kind: Kind, state: State },
    /// No such step from this state (`bad_outcome`); `allowed` lists those there are, in Chinese.
    #[error("案件当前“{state}”,办理结果应为:{allowed}")]
    NotAllowed { kind: Kind, state: State, allowed: String },
}

impl CaseRuleError {
    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            CaseRuleError::Closed { .. } => "case_closed",
            CaseRuleError::NotAllowed { .. } => "bad_outcome",
        }
    }
}

/// The steps allowed in a case of `kind` in state `from`, in the table's order.
pub fn actions(kind: Kind, from: State) -> impl Iterator<Item = &'static Transition> {
    TRANSITIONS.iter().filter(move |t| t.kind == kind && t.from == from)
}

/// The actions `actor` may take in a case of `kind` in state `from` (what the console offers).
pub fn actions_for(kind: Kind, from: State, actor: Actor) -> Vec<Action> {
    actions(kind, from).filter(|t| t.actor == actor).map(|t| t.action).collect()
}

/// `A 或 B`, `A、B 或 C`; `(无)` for none.
fn either(actions: &[Action]) -> String {
    match actions {
        [] => "(无)".to_string(),
        [one] => one.as_str().to_string(),
        [rest @ .., last] => {
            format!("{} 或 {last}", rest.iter().map(|a| a.as_str()).collect::<Vec<_>>().join("、"))
        }
    }
}

/// The step `action` in a case of `kind` in state `from`, or why not.
pub fn transition(kind: Kind, from: State, action: Action) -> Result<&'static Transition, CaseRuleError> {
    if from.is_closed() {
        return Err(CaseRuleError::Closed { kind, state: from });
    }
    actions(kind, from).find(|t| t.action == action).ok_or_else(|| refused(kind, from))
}

/// [`transition`] for an action as written (the form's or the API's `outcome`, exactly: not trimmed): an unknown
/// word is refused like a step that is not allowed.
pub fn decide(kind: Kind, from: State, outcome: &str) -> Result<&'static Transition, CaseRuleError> {
    match Action::parse(outcome) {
        Some(action) => transition(kind, from, action),
        None if from.is_closed() => Err(CaseRuleError::Closed { kind, state: from }),
        None => Err(refused(kind, from)),
    }
}

fn refused(kind: Kind, state: State) -> CaseRuleError {
    let allowed: Vec<Action> = actions(kind, state).map(|t| t.action).collect();
    CaseRuleError::NotAllowed { kind, state, allowed: either(&allowed) }
}

/// Whether a case of `kind` in `state` shows its record as 异议处理中: an accepted objection not yet decided
/// (征信业管理条例 第二十五条; STANDARDS §6.5). The store's `disputed` query asks exactly this.
pub fn disputes_record(kind: Kind, state: State) -> bool {
    TRANSITIONS.iter().any(|t| t.kind == kind && t.to == state && t.effect == Effect::Dispute)
}

/// Why an account may not take a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotYours {
    /// The step is another role's.
    #[error("此操作须由{}办理", .0.label())]
    Role(Actor),
    /// The handler belongs to another department.
    #[error("该案件不属于本部门")]
    Department,
}

/// Whether an account acting as `acting` (its role, when it is one of the case roles) of `own_department` may
/// take a step that is `required`'s in a case addressed to `case_department`. A handler must belong to the case's
/// department when the case names one; the reviewer acts for every department.
pub fn may_act(
    required: Actor,
    acting: Option<Actor>,
    own_department: Option<i64>,
    case_department: Option<i64>,
) -> Result<(), NotYours> {
    if acting != Some(required) {
        return Err(NotYours::Role(required));
    }
    match case_department {
        Some(d) if required.bound_to_department() && own_department != Some(d) => Err(NotYours::Department),
        _ => Ok(()),
    }
}

/// Why a correction (更正) cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadCorrection {
    /// `fields_required`.
    #[error("更正须至少给出一项更正后的内容")]
    Empty,
    /// `bad_field`: a reserved field (`@mark`).
    #[error("该项由平台记录案件的办理结果,不能更正")]
    Reserved(String),
}

impl BadCorrection {
    pub fn code(&self) -> &'static str {
        match self {
            BadCorrection::Empty => "fields_required",
            BadCorrection::Reserved(_) => "bad_field",
        }
    }
}

/// Whether `fields` (catalog codes → corrected values) may be merged onto the record as a correction. (The natural
/// key must not change either; the caller checks it against the item.)
pub fn correction(fields: &BTreeMap<String, String>) -> Result<(), BadCorrection> {
    if fields.is_empty() {
        return Err(BadCorrection::Empty);
    }
    match fields.keys().find(|k| k.starts_with('@')) {
        Some(k) => Err(BadCorrection::Reserved(k.clone())),
        None => Ok(()),
    }
}

/// The note a decision leaves in the case's history (and as its reply when it closes the case): the reason, and a
/// 举报's reward when one is granted.
pub fn decision_note(reason: &str, reward: Option<&str>) -> String {
    match reward.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!("{reason};奖励:{r}"),
        None => reason.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Extension (延期) of an objection.

/// Who extends an objection's deadline: the handler of its department.
pub const EXTENDED_BY: Actor = Actor::Handler;

/// Why a deadline cannot be extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotExtendable {
    /// `not_extendable`.
    #[error("只有已受理、办理中的异议案件可以延期")]
    NotAnOpenObjection,
    /// `already_extended`.
    #[error("异议案件只能延期一次")]
    AlreadyExtended,
    /// `bad_extension`: `max` days at most, `total` in all.
    #[error("延期天数须为 1 至 {max} 个工作日(合计不超过 {total} 个工作日)")]
    BadDays { max: u32, total: u32 },
}

impl NotExtendable {
    pub fn code(&self) -> &'static str {
        match self {
            NotExtendable::NotAnOpenObjection => "not_extendable",
            NotExtendable::AlreadyExtended => "already_extended",
            NotExtendable::BadDays { .. } => "bad_extension",
        }
    }
}

/// Whether a case may be extended by `days` working days: an accepted objection in 办理中, once, and to at most
/// `objection_max` working days in all (浙江省公共信用信息管理条例 第三十一条: 5 working days, extendable, 20 in all;
/// STANDARDS §6.2). `extended_days` is what the case was extended by so far (`cases.extended_days`).
pub fn may_extend(
    kind: Kind,
    state: State,
    closed: bool,
    extended_days: i64,
    days: u32,
    d: &Deadlines,
) -> Result<(), NotExtendable> {
    if kind != Kind::Objection || closed || state != State::InProgress {
        return Err(NotExtendable::NotAnOpenObjection);
    }
    if extended_days > 0 {
        return Err(NotExtendable::AlreadyExtended);
    }
    // Compared without adding, so that no number of days overflows.
    let max = extension_max(d);
    if days == 0 || days > max {
        return Err(NotExtendable::BadDays { max, total: d.objection_max });
    }
    Ok(())
}

/// The most working days the one extension may add: `objection_max` in all, less the `objection` days the
/// acceptance gave (what the console's 延期 field offers).
pub fn extension_max(d: &Deadlines) -> u32 {
    d.objection_max.saturating_sub(d.objection)
}

/// The due day after extending by `days`: working days compose, so the current due day plus `days` is the
/// acceptance day plus `objection + days` (the current due day, else `today`).
pub fn extended_due(calendar: &Calendar, due_on: Option<Date>, today: Date, days: u32) -> Counted<Date> {
    calendar.add_working_days(due_on.unwrap_or(today), days)
}

/// The history step an extension writes: `延期 5 个工作日,至 2026-03-10`.
pub fn extension_step(days: u32, new_due: Date) -> String {
    format!("延期 {days} 个工作日,至 {new_due}")
}

// ---------------------------------------------------------------------------------------------------------------
// Filing.

/// Why an objection cannot be filed about a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotObjectable {
    /// 404: the record is not shown, and the one objecting is not its subject.
    #[error("编号为 {0} 的信用记录不在公示中")]
    NotPublic(i64),
    /// `record_closed`: revoked or repaired already.
    #[error("该信息{0},无需再提出异议")]
    Closed(publicity::State),
}

/// Whether an objection may be filed about record `record` in publicity state `state`: anyone about a record the
/// public sees, the subject's own account about its record in any state; never about a revoked or repaired one.
pub fn may_object(record: i64, state: publicity::State, own_subject: bool) -> Result<(), NotObjectable> {
    if !state.public() && !own_subject {
        return Err(NotObjectable::NotPublic(record));
    }
    if matches!(state, publicity::State::已撤销 | publicity::State::已修复) {
        return Err(NotObjectable::Closed(state));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Repair eligibility.

/// What decides whether a record can be repaired: its window and its state on the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepairFacts<'a> {
    /// `None`: not a negative record.
    pub class: Option<Class>,
    /// The record's publicity state on the day (after its mark, an open objection and its item's disclosure).
    pub state: publicity::State,
    pub repair: Repair,
    /// Why the record is not repaired through the platform (for [`Repair::None`]).
    pub repair_note: Option<&'a str>,
    pub repairable_from: Option<Date>,
}

impl<'a> RepairFacts<'a> {
    /// The facts of a record with `window` in `state`.
    pub fn of(window: &'a Window, state: publicity::State) -> RepairFacts<'a> {
        RepairFacts {
            class: window.class,
            state,
            repair: window.repair,
            repair_note: window.repair_note.as_deref(),
            repairable_from: window.repairable_from,
        }
    }
}

/// Why a record cannot be repaired (`not_repairable`, with the sentence the public reads).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ineligible {
    /// Not a negative record (失信信息, 令36号 第四条; STANDARDS §5.2).
    #[error("该信息不是失信信息,无需信用修复")]
    NotNegative,
    /// Neither shown nor counted in its period (repaired, revoked, expired).
    #[error("该信息当前状态为“{0}”,无需信用修复")]
    NotInForce(publicity::State),
    /// Repaired elsewhere or not at all (the window's note says why).
    #[error("该信息不适用信用修复:{0}")]
    NotApplicable(String),
    /// The minimum period has not passed: repairable from that day (国办发〔2025〕22号 item 二 and 令36号: only after
    /// the minimum period; STANDARDS §5.3).
    #[error("最短公示期未满,自{0}起方可申请信用修复")]
    TooEarly(Date),
}

impl Ineligible {
    pub fn code(&self) -> &'static str {
        "not_repairable"
    }
}

/// Whether a record can be repaired on `today`: a negative record, in force (公示中, 异议处理中, or 不予公示 but
/// counting), repairable through the platform, and past its minimum period where the class has one (a 轻微 record:
/// as soon as the obligations are met). STANDARDS §5.3, §5.5.
pub fn repair_eligibility(facts: &RepairFacts<'_>, today: Date) -> Result<(), Ineligible> {
    use publicity::State as P;
    if facts.class.is_none() {
        return Err(Ineligible::NotNegative);
    }
    if !matches!(facts.state, P::公示中 | P::异议处理中 | P::不予公示) {
        return Err(Ineligible::NotInForce(facts.state));
    }
    match (facts.repair, facts.repairable_from) {
        (Repair::None, _) => Err(Ineligible::NotApplicable(facts.repair_note.unwrap_or_default().to_string())),
        (_, Some(from)) if from > today => Err(Ineligible::TooEarly(from)),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 信用承诺 (commitments) and 未履约 (breach): records of the `xycn` item.

/// The catalog item of commitments.
pub const COMMITMENT_ITEM: &str = "xycn";

/// The 承诺类型 of the commitment a repair application carries; a subject cannot choose it on its own.
pub const REPAIR_COMMITMENT: &str = "信用修复型";

/// The 承诺类型 field of [`COMMITMENT_ITEM`].
const TYPE_FIELD: &str = "CN_CNLX";

/// The refusal of a 承诺类型 a subject chose (`bad_type`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("承诺类型应为 审批替代型、证明事项告知承诺、主动型 或 行业自律型")]
pub struct BadCommitmentType;

impl BadCommitmentType {
    pub fn code(&self) -> &'static str {
        "bad_type"
    }
}

/// Whether a subject may make a commitment of type `kind` on its own: one of the commitment item's 承诺类型 other
/// than [`REPAIR_COMMITMENT`]. `item` is [`COMMITMENT_ITEM`]'s definition.
pub fn commitment_type(item: &Item, kind: &str) -> Result<(), BadCommitmentType> {
    let listed = item.field(TYPE_FIELD).is_some_and(|f| f.values.iter().any(|v| v == kind));
    if listed && kind != REPAIR_COMMITMENT { Ok(()) } else { Err(BadCommitmentType) }
}

/// A commitment's number: `CN`, the day and 8 random characters ([`tail`]). The caller draws `random`.
pub fn commitment_number(day: Date, random: [u8; 4]) -> String {
    format!("CN{}{}", compact(day), tail(random))
}

/// The 承诺事由 of the commitment a repair application carries.
pub fn repair_commitment_matter(case_number: &str) -> String {
    format!("申请信用修复(案件 {case_number})")
}

/// The document number a record is known by (its natural key's first field, the 文书号), for the 信用承诺书.
pub fn document_number<'a>(item: &Item, fields: &'a BTreeMap<String, String>) -> Option<&'a str> {
    item.natural_key.first().and_then(|k| fields.get(k)).map(String::as_str)
}

/// The 信用承诺书 a repair application carries: `applicant` (the account's name) commits, about the record of
/// `item_name` known by `document`, on `day`. The pledges follow the materials 22号 asks for: proof that the legal
/// obligations are performed and a 信用承诺书 (STANDARDS §5.5).
pub fn commitment_text(item_name: &str, document: Option<&str>, applicant: &str, day: Date) -> String {
    let doc = document.map(|d| format!("(文号 {d})")).unwrap_or_default();
    format!(
        "信用承诺书\n本人(本单位){applicant}就{item_name}信息{doc}申请信用修复,郑重承诺:\n\
         一、已履行行政决定规定的法定义务,已纠正失信行为、消除不良影响;\n\
         二、所提交的申请材料真实、合法、有效;\n\
         三、今后严格遵守法律法规,诚实守信;\n\
         如违背上述承诺,愿承担相应法律责任,并同意将本承诺及履约情况记入信用记录、依法公开。\n\
         承诺日期:{}年{}月{}日",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// The subject fields of a commitment about the subject of a record of `item` (copied from the record's subject
/// fields: name, kind, USCC, ID type and number), or `None` when the record lacks a name or a kind.
pub fn commitment_subject_of_record(
    item: &Item,
    fields: &BTreeMap<String, String>,
) -> Option<BTreeMap<String, String>> {
    let s = &item.subject;
    let get = |f: &Option<String>| f.as_ref().and_then(|f| fields.get(f)).cloned();
    let kind_label = get(&s.kind).or_else(|| s.default_kind.clone())?;
    let mut f = BTreeMap::new();
    f.insert("CN_MC".to_string(), fields.get(&s.name)?.clone());
    f.insert("CN_ZTLB".to_string(), kind_label);
    for (to, from) in [("CN_SHXYM", &s.uscc), ("CN_ZJLX", &s.id_type), ("CN_ZJHM", &s.id_number)] {
        if let Some(v) = get(from).filter(|v| !v.is_empty()) {
            f.insert(to.to_string(), v);
        }
    }
    Some(f)
}

/// The subject fields of a commitment a subject account makes for its own subject: name, kind, and its code — a
/// person's as a 身份证 number (a stored `type:number` code gives the number after the colon), anyone else's as
/// the 统一社会信用代码.
pub fn commitment_subject(name: &str, kind: SubjectKind, code: Option<&str>) -> BTreeMap<String, String> {
    let mut f = BTreeMap::new();
    f.insert("CN_MC".to_string(), name.to_string());
    f.insert("CN_ZTLB".to_string(), kind.label().to_string());
    let code = code.unwrap_or_default();
    match kind {
        SubjectKind::Person => {
            let number = code.split_once(':').map(|(_, n)| n).unwrap_or(code);
            f.insert("CN_ZJLX".to_string(), "身份证".to_string());
            f.insert("CN_ZJHM".to_string(), number.to_string());
        }
        _ => drop(f.insert("CN_SHXYM".to_string(), code.to_string())),
    }
    f
}

/// A commitment made to a department (承诺受理单位, which also supplies the record).
#[derive(Debug, Clone, Copy)]
pub struct Commitment<'a> {
    /// The department's name and 统一社会信用代码.
    pub department_name: &'a str,
    pub department_uscc: &'a str,
    /// 承诺类型.
    pub kind: &'a str,
    /// 承诺事由.
    pub matter: &'a str,
    /// 承诺内容.
    pub content: &'a str,
    /// 承诺书编号.
    pub number: &'a str,
    /// 承诺日期.
    pub day: Date,
}

/// The fields of a commitment record: `subject` (from [`commitment_subject`] or [`commitment_subject_of_record`])
/// with the commitment's own, 履约中.
pub fn commitment(mut subject: BTreeMap<String, String>, c: &Commitment<'_>) -> BTreeMap<String, String> {
    for (k, v) in [
        ("CN_CNLX", c.kind),
        ("CN_CNSX", c.matter),
        ("CN_CNNR", c.content),
        ("CN_CNBH", c.number),
        ("CN_SLDW", c.department_name),
        ("CN_SLDWDM", c.department_uscc),
        ("CN_LYZT", "履约中"),
        ("CN_SJLY", c.department_name),
        ("CN_SJLYDM", c.department_uscc),
    ] {
        subject.insert(k.to_string(), v.to_string());
    }
    subject.insert("CN_CNRQ".to_string(), c.day.to_string());
    subject
}

/// Who records a breach: the handler of the department the commitment was made to.
pub const BREACH_RECORDED_BY: Actor = Actor::Handler;

/// Why a breach cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoBreach {
    /// `not_a_commitment`.
    #[error("只有信用承诺记录可以记录未履约")]
    NotACommitment,
    /// `already_breached` (a conflict).
    #[error("该承诺已记录为未履约")]
    AlreadyBreached,
    /// `bad_date`: not a date, or after today.
    #[error("未履约认定日期“{0}”无效或晚于今天")]
    BadDate(String),
}

impl NoBreach {
    pub fn code(&self) -> &'static str {
        match self {
            NoBreach::NotACommitment => "not_a_commitment",
            NoBreach::AlreadyBreached => "already_breached",
            NoBreach::BadDate(_) => "bad_date",
        }
    }
}

/// Whether a breach (未履约) may be recorded on a record of `item` with `fields`: a commitment not yet breached.
pub fn may_record_breach(item: &str, fields: &BTreeMap<String, String>) -> Result<(), NoBreach> {
    if item != COMMITMENT_ITEM {
        return Err(NoBreach::NotACommitment);
    }
    if fields.get("CN_LYZT").is_some_and(|s| s == "未履约") {
        return Err(NoBreach::AlreadyBreached);
    }
    Ok(())
}

/// The day a breach was found (未履约认定日期): the date given, not after `today`; `today` when none is given.
pub fn breach_day(given: Option<&str>, today: Date) -> Result<Date, NoBreach> {
    match given {
        Some(d) => crate::value::parse_date(d).filter(|d| *d <= today).ok_or_else(|| NoBreach::BadDate(d.to_string())),
        None => Ok(today),
    }
}

/// Writes a breach into a commitment's fields (its new version): 未履约, the day and what happened. The new version
/// is a negative record: its publicity period runs from the breach date, and the measures for 信用承诺未履约 apply.
pub fn record_breach(fields: &mut BTreeMap<String, String>, day: Date, description: &str) {
    fields.insert("CN_LYZT".to_string(), "未履约".to_string());
    fields.insert("CN_WLYRQ".to_string(), day.to_string());
    fields.insert("CN_WLYQK".to_string(), description.to_string());
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::embedded::catalog;

    type Step = (&'static str, &'static str, &'static str, &'static str, Actor, Option<Due>, Effect);

    /// The steps, written out again in the words of the old `decide` match (kind, state, outcome → next state,
    /// role, deadline, effect), so that a change to the table must be made twice.
    #[rustfmt::skip]
    fn all_steps() -> Vec<Step> {
        use Actor::{Handler as H, Reviewer as R};
        use Due as D;
        use Effect as E;
        vec![
            ("objection", "待受理", "受理",     "办理中",   H, Some(D::Objection),    E::Dispute),
            ("objection", "待受理", "不予受理", "不予受理", H, None,                  E::None),
            ("objection", "办理中", "维持",     "已办结",   H, None,                  E::None),
            ("objection", "办理中", "更正",     "已办结",   H, None,                  E::Correct),
            ("objection", "办理中", "撤销",     "已办结",   H, None,                  E::Revoke),
            ("repair",    "待受理", "受理",     "办理中",   H, Some(D::RepairDecide), E::None),
            ("repair",    "待受理", "不予受理", "不予受理", H, None,                  E::None),
            ("repair",    "办理中", "同意修复", "待复核",   H, Some(D::RepairReview), E::None),
            ("repair",    "办理中", "不予修复", "不予修复", H, None,                  E::None),
            ("repair",    "待复核", "通过",     "已修复",   R, None,                  E::Repair),
            ("repair",    "待复核", "退回",     "办理中",   R, Some(D::RepairDecide), E::None),
            ("report",    "办理中", "查实",     "已办结",   H, None,                  E::None),
            ("report",    "办理中", "部分查实", "已办结",   H, None,                  E::None),
            ("report",    "办理中", "不属实",   "已办结",   H, None,                  E::None),
            ("grade_objection", "待受理", "受理",     "办理中",   R, Some(D::Objection), E::None),
            ("grade_objection", "待受理", "不予受理", "不予受理", R, None,               E::None),
            ("grade_objection", "办理中", "维持",     "已办结",   R, None,               E::None),
            ("grade_objection", "办理中", "重新评价", "已办结",   R, None,               E::None),
            ("gov_complaint", "待受理", "转办",     "待答复",   R, Some(D::GovAnswer), E::None),
            ("gov_complaint", "待受理", "不予受理", "不予受理", R, None,               E::None),
            ("gov_complaint", "待答复", "答复",     "待认定",   H, Some(D::GovFind),   E::None),
            ("gov_complaint", "待答复", "认定失信", "已办结",   R, None,               E::Record),
            ("gov_complaint", "待答复", "驳回",     "已办结",   R, None,               E::None),
            ("gov_complaint", "待认定", "认定失信", "已办结",   R, None,               E::Record),
            ("gov_complaint", "待认定", "驳回",     "已办结",   R, None,               E::None),
        ]
    }

    #[test]
    fn every_allowed_step() {
        let steps = all_steps();
        assert_eq!(steps.len(), TRANSITIONS.len(), "the table has exactly the steps listed here");
        for (kind, from, outcome, to, actor, due, effect) in steps {
            let (Some(k), Some(f), Some(a)) = (Kind::parse(kind), State::parse(from), Action::parse(outcome)) else {
                panic!("{kind} {from} {outcome} do not parse");
            };
            let t = transition(k, f, a).unwrap_or_else(|e| panic!("{kind} {from} {outcome}: {e}"));
            assert_eq!((t.to.as_str(), t.actor, t.due, t.effect), (to, actor, due, effect), "{kind} {from} {outcome}");
            assert_eq!(t.closes(), t.to.is_closed());
            // As written by the form or the API.
            assert_eq!(decide(k, f, outcome), Ok(t));
        }
    }

    #[test]
    fn refused_steps_name_the_allowed_ones() {
        let e = transition(Kind::Objection, State::AwaitingAcceptance, Action::Revoke).unwrap_err();
        assert_eq!(e.to_string(), "案件当前“待受理”,办理结果应为:受理 或 不予受理");
        assert_eq!(e.code(), "bad_outcome");
        let e = decide(Kind::Objection, State::InProgress, "同意修复").unwrap_err();
        assert_eq!(e.to_string(), "案件当前“办理中”,办理结果应为:维持、更正 或 撤销");
        let e = decide(Kind::Report, State::InProgress, "驳回").unwrap_err();
        assert_eq!(e.to_string(), "案件当前“办理中”,办理结果应为:查实、部分查实 或 不属实");
        assert_eq!(
            decide(Kind::Repair, State::AwaitingReview, "维持").unwrap_err().to_string(),
            "案件当前“待复核”,办理结果应为:通过 或 退回"
        );
        // A report is never awaiting acceptance: nothing is allowed there.
        assert!(
            transition(Kind::Report, State::AwaitingAcceptance, Action::Accept)
                .unwrap_err()
                .to_string()
                .ends_with("(无)")
        );
        // Closed cases take no step.
        for state in State::ALL.iter().filter(|s| s.is_closed()) {
            let e = decide(Kind::Repair, *state, "受理").unwrap_err();
            assert_eq!((e.code(), e.to_string()), ("case_closed", "案件已办结".to_string()));
            assert!(actions(Kind::Repair, *state).next().is_none());
        }
    }

    #[test]
    fn the_console_offers_each_role_its_own_steps() {
        use Action as A;
        let h = |k, s| actions_for(k, s, Actor::Handler);
        assert_eq!(h(Kind::Objection, State::AwaitingAcceptance), [A::Accept, A::NotAccept]);
        assert_eq!(h(Kind::Objection, State::InProgress), [A::Uphold, A::Correct, A::Revoke]);
        assert_eq!(h(Kind::Repair, State::InProgress), [A::AgreeRepair, A::RefuseRepair]);
        assert_eq!(h(Kind::Repair, State::AwaitingReview), []);
        assert_eq!(actions_for(Kind::Repair, State::AwaitingReview, Actor::Reviewer), [A::Approve, A::SendBack]);
        assert_eq!(h(Kind::Report, State::InProgress), [A::Substantiated, A::PartlySubstantiated, A::Unfounded]);
        assert_eq!(actions_for(Kind::Objection, State::InProgress, Actor::Reviewer), []);
    }

    #[test]
    fn codes_labels_and_numbers_are_as_stored() {
        let kinds: Vec<_> = Kind::ALL.iter().map(|k| (k.as_str(), k.prefix(), k.label())).collect();
        assert_eq!(
            kinds,
            [
                ("objection", "YY", "异议"),
                ("repair", "XF", "信用修复"),
                ("report", "JB", "举报"),
                ("grade_objection", "PJ", "评价异议"),
                ("gov_complaint", "ZW", "政务失信投诉")
            ]
        );
        assert_eq!(kind_label("commitment"), "案件");
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(*s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(*a));
        }
        assert_eq!((Actor::Handler.as_str(), Actor::Reviewer.label()), ("handler", "信用审核员"));
        assert_eq!(serde_json::to_string(&State::AwaitingReview).ok().as_deref(), Some("\"待复核\""));
        assert_eq!(serde_json::from_str::<Kind>("\"repair\"").ok(), Some(Kind::Repair));
        assert!(serde_json::from_str::<Kind>("\"appeal\"").is_err());
        assert_eq!(number(Kind::Objection, date!(2026 - 02 - 13), [0x0a, 0x1b, 0x2c, 0xff]), "YY20260213B06381BB");
        assert_eq!(commitment_number(date!(2026 - 02 - 13), [0, 0, 0, 1]), "CN20260213B0000000");
        let filed: Vec<_> = Kind::ALL.iter().map(|k| k.filed_as().as_str()).collect();
        assert_eq!(filed, ["待受理", "待受理", "办理中", "待受理", "待受理"]);
    }

    #[test]
    fn only_an_accepted_open_objection_disputes_its_record() {
        for k in Kind::ALL {
            for s in State::ALL {
                assert_eq!(disputes_record(*k, *s), *k == Kind::Objection && *s == State::InProgress, "{k} {s}");
            }
        }
    }

    #[test]
    fn deadlines_count_working_days_across_the_spring_festival() {
        let c = catalog();
        let (d, cal) = (&c.publicity.deadlines, &c.calendar);
        // Filed Friday 2026-02-13: Saturday 02-14 is worked (调休), 02-15 to 02-23 is 春节, then 02-24 and 02-25.
        let filed = date!(2026 - 02 - 13);
        assert_eq!(deadline(Kind::Objection, d, cal, filed).value, date!(2026 - 02 - 25));
        assert!(deadline(Kind::Objection, d, cal, filed).warning().is_none());
        // Accepted 02-25: 5 working days, Saturday 02-28 worked: 26, 27, 28, 03-02, 03-03.
        let accept = transition(Kind::Objection, State::AwaitingAcceptance, Action::Accept).ok();
        let due = accept.and_then(|t| t.due_on(d, cal, date!(2026 - 02 - 25), Some(date!(2026 - 02 - 25))));
        assert_eq!(due, Some(date!(2026 - 03 - 03)));
        // A report filed the same Friday: 20 working days.
        assert_eq!(deadline(Kind::Report, d, cal, filed).value, date!(2026 - 03 - 19));
        // A repair filed the day before 国庆: 10-01 to 10-07 off, 10-08, 10-09, Saturday 10-10 worked.
        assert_eq!(deadline(Kind::Repair, d, cal, date!(2026 - 09 - 30)).value, date!(2026 - 10 - 10));
        // A closing step keeps the due day.
        let close = transition(Kind::Objection, State::InProgress, Action::Uphold).ok();
        assert_eq!(close.and_then(|t| t.due_on(d, cal, filed, Some(filed))), Some(filed));
    }

    #[test]
    fn an_objection_extends_once_within_twenty_working_days() {
        let c = catalog();
        let d = &c.publicity.deadlines;
        let ok = |days| may_extend(Kind::Objection, State::InProgress, false, 0, days, d);
        assert_eq!(ok(15), Ok(()));
        assert_eq!(extension_max(d), 15);
        assert_eq!(ok(16), Err(NotExtendable::BadDays { max: 15, total: 20 }));
        assert_eq!(
            ok(0).map_err(|e| e.to_string()),
            Err("延期天数须为 1 至 15 个工作日(合计不超过 20 个工作日)".into())
        );
        assert_eq!(ok(u32::MAX).map_err(|e| e.code()), Err("bad_extension"));
        let already = may_extend(Kind::Objection, State::InProgress, false, 5, 1, d);
        assert_eq!(already, Err(NotExtendable::AlreadyExtended));
        for (kind, state, closed) in [
            (Kind::Objection, State::AwaitingAcceptance, false),
            (Kind::Objection, State::InProgress, true),
            (Kind::Repair, State::InProgress, false),
            (Kind::Report, State::InProgress, false),
        ] {
            assert_eq!(may_extend(kind, state, closed, 0, 5, d), Err(NotExtendable::NotAnOpenObjection));
        }
        // Due 2026-03-03, extended by the most allowed: 15 more working days (no holiday in March 2026).
        let due = extended_due(&c.calendar, Some(date!(2026 - 03 - 03)), date!(2026 - 03 - 01), 15).value;
        assert_eq!(due, date!(2026 - 03 - 24));
        assert_eq!(extension_step(15, due), "延期 15 个工作日,至 2026-03-24");
    }

    #[test]
    fn who_may_act() {
        assert_eq!(may_act(Actor::Handler, Some(Actor::Handler), Some(1), Some(1)), Ok(()));
        assert_eq!(may_act(Actor::Handler, Some(Actor::Handler), Some(2), Some(1)), Err(NotYours::Department));
        assert_eq!(may_act(Actor::Handler, Some(Actor::Handler), None, Some(1)), Err(NotYours::Department));
        assert_eq!(may_act(Actor::Handler, Some(Actor::Handler), Some(2), None), Ok(()));
        assert_eq!(may_act(Actor::Reviewer, Some(Actor::Reviewer), None, Some(1)), Ok(()));
        let e = may_act(Actor::Reviewer, Some(Actor::Handler), Some(1), Some(1)).unwrap_err();
        assert_eq!(e.to_string(), "此操作须由信用审核员办理");
        assert_eq!(may_act(Actor::Handler, None, Some(1), Some(1)), Err(NotYours::Role(Actor::Handler)));
    }

    #[test]
    fn corrections_and_notes() {
        let f = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(correction(&f(&[])), Err(BadCorrection::Empty));
        assert_eq!(correction(&f(&[("CF_NR_FK", "5"), ("@mark", "x")])), Err(BadCorrection::Reserved("@mark".into())));
        assert_eq!(correction(&f(&[("CF_NR_FK", "5")])), Ok(()));
        assert_eq!(decision_note("经核查属实", Some(" 500元 ")), "经核查属实;奖励:500元");
        assert_eq!(decision_note("经核查属实", Some("  ")), "经核查属实");
    }

    #[test]
    fn objections_are_filed_about_shown_records_or_by_their_subject() {
        use publicity::State as P;
        assert_eq!(may_object(7, P::公示中, false), Ok(()));
        assert_eq!(may_object(7, P::异议处理中, false), Ok(()));
        assert_eq!(
            may_object(7, P::公示期满, false).map_err(|e| e.to_string()),
            Err("编号为 7 的信用记录不在公示中".into())
        );
        assert_eq!(may_object(7, P::公示期满, true), Ok(()));
        assert_eq!(
            may_object(7, P::已修复, true).map_err(|e| e.to_string()),
            Err("该信息已修复,无需再提出异议".into())
        );
        assert_eq!(may_object(7, P::已撤销, false), Err(NotObjectable::NotPublic(7)));
    }

    fn facts(
        class: Option<Class>,
        state: publicity::State,
        repair: Repair,
        from: Option<Date>,
    ) -> RepairFacts<'static> {
        RepairFacts { class, state, repair, repair_note: Some("由人民法院决定"), repairable_from: from }
    }

    #[test]
    fn repair_eligibility_cases() {
        use publicity::State as P;
        let today = date!(2026 - 06 - 01);
        let general = |state, from| facts(Some(Class::一般), state, Repair::AfterMin, from);
        assert_eq!(repair_eligibility(&general(P::公示中, Some(today)), today), Ok(()), "on the first repairable day");
        assert_eq!(repair_eligibility(&general(P::异议处理中, Some(date!(2026 - 03 - 01))), today), Ok(()));
        assert_eq!(repair_eligibility(&general(P::不予公示, None), today), Ok(()), "counting though not shown");
        let early = repair_eligibility(&general(P::公示中, Some(date!(2026 - 06 - 02))), today);
        assert_eq!(
            early.clone().map_err(|e| e.to_string()),
            Err("最短公示期未满,自2026-06-02起方可申请信用修复".into())
        );
        assert_eq!(early.map_err(|e| e.code()), Err("not_repairable"));
        let minor = facts(Some(Class::轻微), P::不予公示, Repair::Obligations, Some(date!(2026 - 09 - 01)));
        assert_eq!(repair_eligibility(&minor, today), Err(Ineligible::TooEarly(date!(2026 - 09 - 01))));
        let minor = facts(Some(Class::轻微), P::不予公示, Repair::Obligations, None);
        assert_eq!(repair_eligibility(&minor, today), Ok(()), "轻微: once the obligations are met");
        let neutral = facts(None, P::公示中, Repair::AfterMin, None);
        assert_eq!(
            repair_eligibility(&neutral, today).map_err(|e| e.to_string()),
            Err("该信息不是失信信息,无需信用修复".into())
        );
        for state in [P::已修复, P::已撤销, P::公示期满] {
            let e = repair_eligibility(&general(state, Some(date!(2026 - 01 - 01))), today).unwrap_err();
            assert_eq!(e, Ineligible::NotInForce(state));
        }
        assert_eq!(
            repair_eligibility(&general(P::公示期满, None), today).map_err(|e| e.to_string()),
            Err("该信息当前状态为“公示期满”,无需信用修复".into())
        );
        let court = facts(Some(Class::严重), P::公示中, Repair::None, None);
        assert_eq!(
            repair_eligibility(&court, today).map_err(|e| e.to_string()),
            Err("该信息不适用信用修复:由人民法院决定".into())
        );
    }

    #[test]
    fn repair_eligibility_of_a_real_penalty_window() {
        let c = catalog();
        let fields: BTreeMap<String, String> =
            [("CF_CFLB", "罚款"), ("CF_XDR_LB", "法人及非法人组织"), ("CF_NR_FK", "5")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let w = c.publicity.window(&publicity::Facts {
            item: "xzcf",
            department: "西宁市生态环境局",
            fields: &fields,
            decided_on: Some(date!(2019 - 06 - 30)),
            received_on: None,
        });
        // 527号 periods (一般: 3 months minimum): repairable from 2019-09-30.
        let from = w.repairable_from.unwrap_or(Date::MIN);
        assert_eq!(from, date!(2019 - 09 - 30));
        let f = RepairFacts::of(&w, publicity::State::公示中);
        assert_eq!(repair_eligibility(&f, date!(2019 - 09 - 29)), Err(Ineligible::TooEarly(from)));
        assert_eq!(repair_eligibility(&f, from), Ok(()));
    }

    #[test]
    fn commitment_records() {
        let c = catalog();
        let xycn = c.item(COMMITMENT_ITEM).unwrap_or_else(|| panic!("xycn"));
        assert_eq!(commitment_type(xycn, "主动型"), Ok(()));
        assert_eq!(commitment_type(xycn, REPAIR_COMMITMENT), Err(BadCommitmentType));
        assert_eq!(commitment_type(xycn, "告知承诺"), Err(BadCommitmentType), "an alias is not a type");
        let day = date!(2026 - 04 - 02);
        let subject = commitment_subject("西宁鑫源商贸有限公司", SubjectKind::Organisation, Some("91630100MA7X00018G"));
        let made = Commitment {
            department_name: "西宁市市场监督管理局",
            department_uscc: "11630100MB1234567X",
            kind: "主动型",
            matter: "守法经营",
            content: "依法诚信经营",
            number: "CN2026040200000001",
            day,
        };
        let f = commitment(subject, &made);
        let get = |k: &str| f.get(k).map(String::as_str);
        assert_eq!(
            (get("CN_MC"), get("CN_ZTLB"), get("CN_SHXYM")),
            (Some("西宁鑫源商贸有限公司"), Some("法人及非法人组织"), Some("91630100MA7X00018G"))
        );
        assert_eq!(
            (get("CN_LYZT"), get("CN_CNRQ"), get("CN_SJLYDM")),
            (Some("履约中"), Some("2026-04-02"), Some("11630100MB1234567X"))
        );
        assert_eq!((get("CN_SLDW"), get("CN_SJLY")), (Some("西宁市市场监督管理局"), Some("西宁市市场监督管理局")));
        assert_eq!(f.len(), 13);
        let person = commitment_subject("张三", SubjectKind::Person, Some("630102199001011235"));
        assert_eq!(person.get("CN_ZJLX").map(String::as_str), Some("身份证"));
        assert_eq!(person.get("CN_ZJHM").map(String::as_str), Some("630102199001011235"));
        assert!(!person.contains_key("CN_SHXYM"));

        // A repair's commitment, from the penalty record's subject fields.
        let xzcf = c.item("xzcf").unwrap_or_else(|| panic!("xzcf"));
        let s = &xzcf.subject;
        let mut record = BTreeMap::new();
        record.insert(s.name.clone(), "西宁鑫源商贸有限公司".to_string());
        if let Some(u) = &s.uscc {
            record.insert(u.clone(), "91630100MA7X00018G".to_string());
        }
        let doc_field = xzcf.natural_key.first().cloned().unwrap_or_default();
        record.insert(doc_field, "宁环罚〔2026〕12号".to_string());
        assert!(commitment_subject_of_record(xzcf, &record).is_none(), "no 主体类别 (and no default), no commitment");
        if let Some(k) = &s.kind {
            record.insert(k.clone(), "法人及非法人组织".to_string());
        }
        let subject = commitment_subject_of_record(xzcf, &record).unwrap_or_default();
        let get = |k: &str| subject.get(k).map(String::as_str);
        assert_eq!((get("CN_MC"), get("CN_ZTLB")), (Some("西宁鑫源商贸有限公司"), Some("法人及非法人组织")));
        assert_eq!((get("CN_SHXYM"), get("CN_ZJHM")), (Some("91630100MA7X00018G"), None));
        assert!(commitment_subject_of_record(xzcf, &BTreeMap::new()).is_none(), "no name, no commitment");
        let text = commitment_text(&xzcf.name, document_number(xzcf, &record), "西宁鑫源商贸有限公司", day);
        assert!(
            text.starts_with(
                "信用承诺书\n本人(本单位)西宁鑫源商贸有限公司就行政处罚信息(文号 宁环罚〔2026〕12号)申请信用修复"
            ),
            "{text}"
        );
        assert!(text.ends_with("承诺日期:2026年4月2日"), "{text}");
        assert_eq!(repair_commitment_matter("XF2026040200000001"), "申请信用修复(案件 XF2026040200000001)");
    }

    #[test]
    fn breaches() {
        let today = date!(2026 - 05 - 10);
        let mut f: BTreeMap<String, String> = BTreeMap::from([("CN_LYZT".to_string(), "履约中".to_string())]);
        assert_eq!(may_record_breach("xzcf", &f), Err(NoBreach::NotACommitment));
        assert_eq!(may_record_breach(COMMITMENT_ITEM, &f), Ok(()));
        assert_eq!(breach_day(None, today), Ok(today));
        assert_eq!(breach_day(Some("2026-05-01"), today), Ok(date!(2026 - 05 - 01)));
        let late = breach_day(Some("2026-05-11"), today).unwrap_err();
        assert_eq!((late.code(), late.to_string()), ("bad_date", "未履约认定日期“2026-05-11”无效或晚于今天".into()));
        record_breach(&mut f, date!(2026 - 05 - 01), "未按承诺整改");
        assert_eq!(f.get("CN_WLYRQ").map(String::as_str), Some("2026-05-01"));
        assert_eq!(may_record_breach(COMMITMENT_ITEM, &f).map_err(|e| e.code()), Err("already_breached"));
    }

    proptest::proptest! {
        /// No number holds a run of digits an ID number could be read from, so masking leaves every one as it is.
        #[test]
        fn numbers_are_never_masked(random: [u8; 4], days in 0i32..20_000) {
            let day = date!(2000 - 01 - 01) + time::Duration::days(days.into());
            for n in [number(Kind::Objection, day, random), commitment_number(day, random)] {
                let masked = crate::masking::mask_id_numbers(&n);
                proptest::prop_assert_eq!(masked.as_ref(), n.as_str());
                proptest::prop_assert_eq!(n.len(), 18);
            }
        }
    }
}
