//! 诚信建设示范单位 (宁政办〔2015〕224号 五(二)2 诚信建设单位示范工程: "制定诚信建设示范单位的创建标准和评选办法,
//! 通过"信用西宁网"和相关媒体公开发布评选结果,接受投诉,加强监督"): the creation standard and the selection rules as
//! data (`catalog/honours.toml`), and the steps of a unit's application.
//!
//! A unit applies for a year; the committee (评审部门) approves it for public notice or rejects it; after the notice
//! period (working days), with no complaint open, it is published; a published unit found no longer to meet the
//! standard (a serious record, its grade falling) is revoked. A complaint is a 举报 case to the committee.

use serde::{Deserialize, Serialize};

use crate::DataError;
use crate::measures::Basis;

/// The creation standard (创建标准) and the selection's rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standard {
    pub code: String,
    pub name: String,
    pub version: String,
    /// The committee's department (评审部门), by its name as the platform knows it.
    pub committee: String,
    /// The evaluation scheme and the grades a unit must hold.
    pub scheme: String,
    pub grades: Vec<String>,
    /// Items of which no record may count (be public) for the unit: 严重失信 lists and the like.
    pub disqualifying: Vec<String>,
    /// A public 信用承诺 record of the unit is required (公开诚信承诺).
    pub commitment: bool,
    /// The public notice period, in working days.
    pub notice_days: u32,
    /// The subject kinds that may apply.
    pub kinds: Vec<String>,
    pub basis: Vec<Basis>,
    pub note: String,
}

impl Standard {
    pub fn from_toml(
        text: &str,
        items: &std::collections::BTreeMap<String, crate::catalog::Item>,
    ) -> Result<Standard, DataError> {
        let bad = |m: String| DataError::new("honours.toml", m);
        let s: Standard = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if let Some(i) =
            s.disqualifying.iter().chain(s.commitment.then_some(&"xycn".to_string())).find(|i| !items.contains_key(*i))
        {
            return Err(bad(format!("未定义的目录项 {i}")));
        }
        if s.grades.is_empty() || s.notice_days == 0 || s.notice_days > 30 || s.committee.trim().is_empty() {
            return Err(bad("须有准入等级、评审部门,公示期为 1 至 30 个工作日".into()));
        }
        let kinds = crate::catalog::SubjectKind::ALL;
        if s.kinds.is_empty() {
            return Err(bad("须写明可申报的主体类别(kinds)".into()));
        }
        if let Some(k) = s.kinds.iter().find(|k| kinds.iter().all(|x| x.as_str() != k.as_str())) {
            return Err(bad(format!("未知的主体类别 {k}(应为 organisation、individual_business 或 person)")));
        }
        Ok(s)
    }
}

/// Where an application is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HonourState {
    /// 已申请: waiting for the committee.
    Applied,
    /// 公示中: approved for public notice, complaints accepted.
    Notice,
    /// 已命名: published.
    Published,
    /// 未通过.
    Rejected,
    /// 已撤销: no longer meets the standard.
    Revoked,
}

impl HonourState {
    pub const ALL: [HonourState; 5] = [
        HonourState::Applied,
        HonourState::Notice,
        HonourState::Published,
        HonourState::Rejected,
        HonourState::Revoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HonourState::Applied => "applied",
            HonourState::Notice => "notice",
            HonourState::Published => "published",
            HonourState::Rejected => "rejected",
            HonourState::Revoked => "revoked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HonourState::Applied => "待评审",
            HonourState::Notice => "公示中",
            HonourState::Published => "已命名",
            HonourState::Rejected => "未通过",
            HonourState::Revoked => "已撤销",
        }
    }

    pub fn parse(s: &str) -> Option<HonourState> {
        HonourState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The state a committee step leads to from here: `approve` (to notice), `reject`, `publish` (after the notice),
    /// `revoke`.
    pub fn step(self, step: &str) -> Result<HonourState, String> {
        use HonourState::*;
        match (self, step) {
            (Applied, "approve") => Ok(Notice),
            (Applied | Notice, "reject") => Ok(Rejected),
            (Notice, "publish") => Ok(Published),
            (Published, "revoke") => Ok(Revoked),
            _ => {
                let step: String = step.chars().take(20).collect();
                Err(format!("{}的申请不能办理“{step}”(可办理:approve、reject、publish、revoke 中适用者)", self.label()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_loads_and_the_steps_follow_the_states() {
        let c = crate::embedded::catalog();
        let s = c.honours.as_ref().expect("the embedded standard");
        assert!(s.disqualifying.contains(&"yzsx".to_string()) && s.commitment);
        use HonourState::*;
        assert_eq!(Applied.step("approve"), Ok(Notice));
        assert_eq!(Notice.step("publish"), Ok(Published));
        assert_eq!(Notice.step("reject"), Ok(Rejected));
        assert_eq!(Published.step("revoke"), Ok(Revoked));
        assert!(
            Applied.step("publish").is_err() && Revoked.step("approve").is_err() && Rejected.step("publish").is_err()
        );
    }

    #[test]
    fn a_standard_with_unknown_kinds_is_refused() {
        let c = crate::embedded::catalog();
        let text = crate::embedded::FILES.iter().find(|(n, _)| *n == "honours.toml").unwrap().1;
        for (from, to) in [
            (r#"kinds = ["organisation", "individual_business"]"#, r#"kinds = ["company"]"#),
            (r#"kinds = ["organisation", "individual_business"]"#, "kinds = []"),
        ] {
            assert!(text.contains(from));
            let e = Standard::from_toml(&text.replace(from, to), &c.items).unwrap_err();
            assert!(e.to_string().contains("主体类别"), "{e}");
        }
    }
}
