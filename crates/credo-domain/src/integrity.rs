//! 政务诚信 (宁政办〔2015〕224号 二(一)): government bodies held to their word, and the credit service market
//! (四(三)) on the record. The city's rules are data (`catalog/integrity.toml`): the credit office that assigns
//! complaints and records what it finds, the 政务失信 items a complaint's finding becomes, the civil servants'
//! archive, the kinds of 政务承诺 and the 备案 scopes of credit service agencies.
//!
//! A government body is a subject whose 统一社会信用代码 was issued by 机构编制 (registrar `1`): `11…` 机关, `12…`
//! 事业单位 (GB 32100 登记管理部门码 and 机构类别码).
//!
//! ```
//! use credo_domain::integrity::{body_kind, Category};
//! assert_eq!(body_kind("11630100MB1234567X"), Some("机关"));
//! assert_eq!(body_kind("91630100MA0000000X"), None);
//! assert_eq!(Category::parse("拖欠企业账款"), Some(Category::Arrears));
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::DataError;
use crate::catalog::Item;
use crate::measures::Basis;

/// The city's 政务诚信 rules (`integrity.toml`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integrity {
    pub version: String,
    /// The credit office (信用办) by its department's name on the platform: it assigns 政务失信投诉 and records
    /// what it finds.
    pub office: String,
    /// The 政务失信 items.
    pub items: Items,
    /// The civil servants' integrity archive (a restricted item).
    pub archive: String,
    /// The kinds of 政务承诺 a body registers.
    pub commitment_kinds: Vec<String>,
    /// The 备案 scopes of credit service agencies (信用服务机构).
    pub agency_scopes: Vec<String>,
    /// The grades of an agency's yearly evaluation, best first.
    pub agency_grades: Vec<String>,
    pub basis: Vec<Basis>,
    pub note: String,
}

/// The items of 政务失信: what a complaint's finding becomes, and the courts' list a body may be on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Items {
    /// 拖欠企业账款.
    pub arrears: String,
    /// 政府违约.
    pub breach: String,
    /// 政策承诺未兑现.
    pub promise: String,
    /// 失信被执行人 (the courts' records, already collected).
    pub enforcement: String,
}

impl Items {
    /// Every 政务失信 item, the courts' list last.
    pub fn all(&self) -> [&str; 4] {
        [&self.arrears, &self.breach, &self.promise, &self.enforcement]
    }
}

impl Integrity {
    pub fn from_toml(text: &str, items: &BTreeMap<String, Item>) -> Result<Integrity, DataError> {
        let bad = |m: String| DataError::new("integrity.toml", m);
        let i: Integrity = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if let Some(code) = i.items.all().into_iter().chain([i.archive.as_str()]).find(|c| !items.contains_key(*c)) {
            return Err(bad(format!("未定义的目录项 {code}")));
        }
        if !items.get(&i.archive).is_some_and(|a| a.restricted) {
            return Err(bad(format!("公务员诚信档案 {} 须为受限目录项(restricted = true)", i.archive)));
        }
        for c in Category::ALL {
            let item = &items[c.item(&i)];
            for f in c.fields() {
                if item.field(f.code).is_none() {
                    return Err(bad(format!("目录项 {} 缺少字段 {}", item.code, f.code)));
                }
            }
        }
        if i.office.trim().is_empty()
            || i.commitment_kinds.is_empty()
            || i.agency_scopes.is_empty()
            || i.agency_grades.is_empty()
        {
            return Err(bad("须有信用办、政务承诺类型、信用服务机构备案范围和评价等级".into()));
        }
        Ok(i)
    }
}

/// The kind of a government body by its 统一社会信用代码: `机关` (`11…`) or `事业单位` (`12…`); `None` for any
/// other code.
pub fn body_kind(code: &str) -> Option<&'static str> {
    match code.get(..2) {
        Some("11") => Some("机关"),
        Some("12") => Some("事业单位"),
        _ => None,
    }
}

/// What a 政务失信投诉 is about, and the item its finding becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Category {
    /// 拖欠企业账款: an unpaid invoice (amount and due day required).
    #[serde(rename = "拖欠企业账款")]
    Arrears,
    /// 政府违约: a contract not performed.
    #[serde(rename = "政府违约")]
    Breach,
    /// 政策承诺未兑现: a policy promise not honoured.
    #[serde(rename = "政策承诺未兑现")]
    Promise,
}

/// One field of a finding's record: the catalog code and what fills it.
#[derive(Debug, Clone, Copy)]
pub struct FindingField {
    pub code: &'static str,
    pub from: Source,
}

/// Where a finding's field comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    BodyName,
    BodyCode,
    /// The case number (认定编号).
    Number,
    Complainant,
    ComplainantCode,
    /// The matter (合同或交易事项、合同名称、承诺内容).
    Matter,
    /// The complaint's account of what happened.
    Content,
    Amount,
    DueOn,
    Day,
    Office,
    OfficeCode,
}

const fn f(code: &'static str, from: Source) -> FindingField {
    FindingField { code, from }
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Arrears, Category::Breach, Category::Promise];

    pub fn label(self) -> &'static str {
        match self {
            Category::Arrears => "拖欠企业账款",
            Category::Breach => "政府违约",
            Category::Promise => "政策承诺未兑现",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.label() == s)
    }

    /// The item its finding becomes.
    pub fn item(self, i: &Integrity) -> &str {
        match self {
            Category::Arrears => &i.items.arrears,
            Category::Breach => &i.items.breach,
            Category::Promise => &i.items.promise,
        }
    }

    /// Whether a complaint must give the amount owed and the day it fell due.
    pub fn needs_amount(self) -> bool {
        self == Category::Arrears
    }

    /// The fields of the record a finding writes (the catalog codes of `catalog/qkzk.toml`, `zwwy.toml`,
    /// `zccn.toml`; [`Integrity::from_toml`] checks that the items have them).
    pub fn fields(self) -> &'static [FindingField] {
        match self {
            Category::Arrears => ARREARS,
            Category::Breach => BREACH,
            Category::Promise => PROMISE,
        }
    }
}

const ARREARS: &[FindingField] = &[
    f("QK_MC", Source::BodyName),
    f("QK_SHXYM", Source::BodyCode),
    f("QK_RDBH", Source::Number),
    f("QK_ZQQY", Source::Complainant),
    f("QK_ZQQYDM", Source::ComplainantCode),
    f("QK_HTMC", Source::Matter),
    f("QK_JE", Source::Amount),
    f("QK_DQRQ", Source::DueOn),
    f("QK_RDRQ", Source::Day),
    f("QK_RDJG", Source::Office),
    f("QK_SJLY", Source::Office),
    f("QK_SJLYDM", Source::OfficeCode),
    f("BZ", Source::Content),
];
const BREACH: &[FindingField] = &[
    f("WY_MC", Source::BodyName),
    f("WY_SHXYM", Source::BodyCode),
    f("WY_WSH", Source::Number),
    f("WY_XDR", Source::Complainant),
    f("WY_HTMC", Source::Matter),
    f("WY_WYQX", Source::Content),
    f("WY_RDRQ", Source::Day),
    f("WY_RDJG", Source::Office),
    f("WY_SJLY", Source::Office),
    f("WY_SJLYDM", Source::OfficeCode),
];
const PROMISE: &[FindingField] = &[
    f("CN_MC", Source::BodyName),
    f("CN_SHXYM", Source::BodyCode),
    f("CN_RDBH", Source::Number),
    f("CN_CNNR", Source::Matter),
    f("CN_SYR", Source::Complainant),
    f("CN_WDXQK", Source::Content),
    f("CN_RDRQ", Source::Day),
    f("CN_RDJG", Source::Office),
    f("CN_SJLY", Source::Office),
    f("CN_SJLYDM", Source::OfficeCode),
];

/// What a finding is made of: the complaint as filed, the case's number, the office and the day.
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    pub body_name: &'a str,
    pub body_code: &'a str,
    pub number: &'a str,
    pub complainant: &'a str,
    pub complainant_code: Option<&'a str>,
    pub matter: &'a str,
    pub content: &'a str,
    pub amount: Option<&'a str>,
    pub due_on: Option<Date>,
    pub day: Date,
    pub office: &'a str,
    pub office_code: &'a str,
}

/// The fields of the 政务失信 record a finding writes (values left out where the complaint has none).
pub fn finding(category: Category, x: &Finding<'_>) -> BTreeMap<String, String> {
    let value = |s: Source| -> Option<String> {
        match s {
            Source::BodyName => Some(x.body_name.to_string()),
            Source::BodyCode => Some(x.body_code.to_string()),
            Source::Number => Some(x.number.to_string()),
            Source::Complainant => Some(x.complainant.to_string()),
            Source::ComplainantCode => x.complainant_code.map(str::to_string),
            Source::Matter => Some(x.matter.to_string()),
            Source::Content => Some(x.content.to_string()),
            Source::Amount => x.amount.map(str::to_string),
            Source::DueOn => x.due_on.map(|d| d.to_string()),
            Source::Day => Some(x.day.to_string()),
            Source::Office => Some(x.office.to_string()),
            Source::OfficeCode => Some(x.office_code.to_string()),
        }
    };
    category.fields().iter().filter_map(|f| value(f.from).map(|v| (f.code.to_string(), v))).collect()
}

/// The field of the arrears item that says when they were paid (清偿日期).
pub const PAID_FIELD: &str = "QK_QCRQ";
/// The field of the arrears item with the amount (万元).
pub const AMOUNT_FIELD: &str = "QK_JE";

/// Where a 政务承诺 is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentState {
    /// 履行中: registered, not yet settled.
    Open,
    /// 已兑现.
    Kept,
    /// 未兑现: settled as broken.
    Broken,
}

impl CommitmentState {
    pub fn as_str(self) -> &'static str {
        match self {
            CommitmentState::Open => "open",
            CommitmentState::Kept => "kept",
            CommitmentState::Broken => "broken",
        }
    }

    pub fn parse(s: &str) -> Option<CommitmentState> {
        [CommitmentState::Open, CommitmentState::Kept, CommitmentState::Broken].into_iter().find(|c| c.as_str() == s)
    }

    /// The status shown on `today`: 履行中, 已逾期 (open past its due day), 已兑现 (逾期兑现 when kept after it),
    /// 未兑现.
    pub fn shown(self, due_on: Date, settled_on: Option<Date>, today: Date) -> &'static str {
        match self {
            CommitmentState::Open if due_on < today => "已逾期",
            CommitmentState::Open => "履行中",
            CommitmentState::Kept if settled_on.is_some_and(|d| d > due_on) => "逾期兑现",
            CommitmentState::Kept => "已兑现",
            CommitmentState::Broken => "未兑现",
        }
    }

    /// Whether a commitment counts as overdue on `today`: open past its due day.
    pub fn overdue(self, due_on: Date, today: Date) -> bool {
        self == CommitmentState::Open && due_on < today
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_status_follows_the_due_day() {
        let due = Date::from_calendar_date(2026, time::Month::March, 1).unwrap();
        let before = due.previous_day().unwrap();
        let after = due.next_day().unwrap();
        assert_eq!(CommitmentState::Open.shown(due, None, before), "履行中");
        assert_eq!(CommitmentState::Open.shown(due, None, due), "履行中");
        assert_eq!(CommitmentState::Open.shown(due, None, after), "已逾期");
        assert!(CommitmentState::Open.overdue(due, after) && !CommitmentState::Kept.overdue(due, after));
        assert_eq!(CommitmentState::Kept.shown(due, Some(after), after), "逾期兑现");
        assert_eq!(CommitmentState::Kept.shown(due, Some(due), after), "已兑现");
    }

    #[test]
    fn bodies_are_codes_of_the_establishment_registrar() {
        assert_eq!(body_kind("12630100MB0000000X"), Some("事业单位"));
        assert_eq!(body_kind("13630100MB0000000X"), None);
        assert_eq!(body_kind("1"), None);
    }
}
