//! 信用动态, 政策法规 and 典型案例 (失信曝光): what the credit office publishes on 信用西宁 besides the records, and
//! the steps an article takes before the public sees it.
//!
//! An article is drafted (草稿), sent for review (待审核), then published (已发布) by a reviewer who is not its
//! author, or returned (退回, a draft again, with the reviewer's note); a published article can be taken down
//! (已撤下). Only drafts are edited. A 典型案例 cites the records it exposes: they must be public when it is
//! published, and its page shows each as the public sees it (masked) for as long as it stays public.
//!
//! Text is masked when it is written: an ID number typed into a title, summary or body is stored with its county
//! and birth-date digits hidden (`masking::mask_id_numbers`), so no page, feed or export can show it.

use serde::{Deserialize, Serialize};

use crate::masking::mask_id_numbers;

/// The longest title, summary and body (characters), and how many records a case may cite.
pub const MAX_TITLE: usize = 120;
pub const MAX_SUMMARY: usize = 400;
pub const MAX_BODY: usize = 20_000;
pub const MAX_CITED: usize = 20;

/// What an article is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleKind {
    /// 信用动态: news of the city's credit work.
    News,
    /// 政策法规: laws, regulations and the city's documents.
    Policy,
    /// 典型案例: cases of broken trust (失信曝光) or of good credit, citing their records.
    Case,
}

impl ArticleKind {
    pub const ALL: [ArticleKind; 3] = [ArticleKind::News, ArticleKind::Policy, ArticleKind::Case];

    pub fn as_str(self) -> &'static str {
        match self {
            ArticleKind::News => "news",
            ArticleKind::Policy => "policy",
            ArticleKind::Case => "case",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ArticleKind::News => "信用动态",
            ArticleKind::Policy => "政策法规",
            ArticleKind::Case => "典型案例",
        }
    }

    pub fn parse(s: &str) -> Option<ArticleKind> {
        ArticleKind::ALL.into_iter().find(|k| k.as_str() == s || k.label() == s)
    }
}

/// Where an article is in its steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleState {
    Draft,
    Submitted,
    Published,
    Withdrawn,
}

impl ArticleState {
    pub const ALL: [ArticleState; 4] =
        [ArticleState::Draft, ArticleState::Submitted, ArticleState::Published, ArticleState::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            ArticleState::Draft => "draft",
            ArticleState::Submitted => "submitted",
            ArticleState::Published => "published",
            ArticleState::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ArticleState::Draft => "草稿",
            ArticleState::Submitted => "待审核",
            ArticleState::Published => "已发布",
            ArticleState::Withdrawn => "已撤下",
        }
    }

    pub fn parse(s: &str) -> Option<ArticleState> {
        ArticleState::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A step an article takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 送审: the author sends a draft for review.
    Submit,
    /// 退回: the reviewer sends it back to its author (a note is required).
    Return,
    /// 发布: the reviewer publishes it.
    Publish,
    /// 撤下: a published article is taken down (a note is required).
    Withdraw,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Submit, Step::Return, Step::Publish, Step::Withdraw];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Submit => "submit",
            Step::Return => "return",
            Step::Publish => "publish",
            Step::Withdraw => "withdraw",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Step::Submit => "送审",
            Step::Return => "退回修改",
            Step::Publish => "审核通过并发布",
            Step::Withdraw => "撤下",
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The state the step leads to from `from`, or why it cannot be taken.
    pub fn from(self, from: ArticleState) -> Result<ArticleState, String> {
        use ArticleState::*;
        match (self, from) {
            (Step::Submit, Draft) => Ok(Submitted),
            (Step::Return | Step::Publish, Submitted) => Ok(if self == Step::Publish { Published } else { Draft }),
            (Step::Withdraw, Published) => Ok(Withdrawn),
            _ => Err(format!("{}的稿件不能{}", from.label(), self.label())),
        }
    }

    /// Whether the step is the reviewer's (the others are the author's side).
    pub fn is_review(self) -> bool {
        matches!(self, Step::Return | Step::Publish | Step::Withdraw)
    }

    /// Whether the step needs a note (the reason, for the author and the trail).
    pub fn needs_note(self) -> bool {
        matches!(self, Step::Return | Step::Withdraw)
    }
}

/// An article's text as written (a new draft, or an edit of one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub kind: Option<String>,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    pub body: String,
    /// The records a 典型案例 cites (their ids).
    #[serde(default)]
    pub records: Vec<i64>,
}

/// A draft checked and masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub kind: ArticleKind,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub records: Vec<i64>,
}

impl Draft {
    /// The draft's text, trimmed, masked and within its limits, or every problem found (in Chinese).
    pub fn check(&self) -> Result<Text, Vec<String>> {
        let mut errors = Vec::new();
        let kind = match self.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => {
                errors.push("请选择栏目(信用动态、政策法规或典型案例)".to_string());
                None
            }
            Some(k) => ArticleKind::parse(k).or_else(|| {
                errors.push(format!("栏目 {k} 不存在,应为 news、policy 或 case"));
                None
            }),
        };
        let mut field = |name: &str, value: &str, max: usize, required: bool| {
            let v = value.trim();
            let n = v.chars().count();
            if required && n == 0 {
                errors.push(format!("{name}不能为空"));
            } else if n > max {
                errors.push(format!("{name}至多 {max} 字(现为 {n} 字)"));
            } else if v.chars().any(crate::masking::hidden_char) {
                errors.push(format!("{name}含有控制字符或不可见的排版字符"));
            }
            mask_id_numbers(v).into_owned()
        };
        let title = field("标题", &self.title, MAX_TITLE, true);
        let summary = field("摘要", &self.summary, MAX_SUMMARY, false);
        let body = field("正文", &self.body, MAX_BODY, true);
        if title.contains('\n') {
            errors.push("标题不能换行".into());
        }
        let mut records = Vec::new();
        if self.records.len() > MAX_CITED {
            errors.push(format!("一篇稿件至多引用 {MAX_CITED} 条记录"));
            return Err(errors);
        }
        for id in &self.records {
            if *id <= 0 {
                errors.push(format!("记录编号 {id} 无效"));
            } else if !records.contains(id) {
                records.push(*id);
            }
        }
        if records.len() > MAX_CITED {
            errors.push(format!("一篇稿件至多引用 {MAX_CITED} 条记录"));
        }
        if kind.is_some_and(|k| k != ArticleKind::Case) && !records.is_empty() {
            errors.push("只有典型案例引用信用记录".into());
        }
        // A case exposes a subject: only on the strength of records in publicity, which the platform checks.
        if kind == Some(ArticleKind::Case) && records.is_empty() && self.records.is_empty() {
            errors.push("典型案例须引用至少一条公示中的信用记录".into());
        }
        match kind {
            Some(kind) if errors.is_empty() => Ok(Text { kind, title, summary, body, records }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn draft(kind: &str, title: &str, body: &str, records: Vec<i64>) -> Draft {
        Draft { kind: Some(kind.into()), title: title.into(), summary: String::new(), body: body.into(), records }
    }

    #[test]
    fn steps_follow_the_states() {
        use ArticleState::*;
        assert_eq!(Step::Submit.from(Draft), Ok(Submitted));
        assert_eq!(Step::Publish.from(Submitted), Ok(Published));
        assert_eq!(Step::Return.from(Submitted), Ok(Draft));
        assert_eq!(Step::Withdraw.from(Published), Ok(Withdrawn));
        for (step, from) in [(Step::Publish, Draft), (Step::Submit, Published), (Step::Withdraw, Submitted)] {
            assert!(step.from(from).is_err(), "{step:?} from {from:?}");
        }
        assert!(Step::ALL.iter().all(|step| step.from(Withdrawn).is_err()), "a taken-down article stays down");
    }

    #[test]
    fn text_is_checked_and_masked() {
        let t = draft("case", "张三失信案 110101199003071234", "身份证 110101199003071234 的张三", vec![3, 3, 5])
            .check()
            .unwrap();
        assert_eq!(t.kind, ArticleKind::Case);
        assert!(!t.title.contains("199003071") && !t.body.contains("199003071"), "{t:?}");
        assert_eq!(t.records, [3, 5]);
        let errors = draft("news", "", "x", vec![1]).check().unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(draft("nosuch", "标题", "正文", vec![]).check().is_err());
        assert!(draft("news", "标题\n第二行", "正文", vec![]).check().is_err());
        assert!(draft("news", &"长".repeat(MAX_TITLE + 1), "正文", vec![]).check().is_err());
        let none = draft("case", "某公司失信案", "正文", vec![]).check().unwrap_err();
        assert_eq!(none, ["典型案例须引用至少一条公示中的信用记录"], "a case cites records");
        for text in ["标题\u{202e}txt.exe", "标题\u{ffff}", "标题\u{7}"] {
            assert!(draft("news", text, "正文", vec![]).check().is_err(), "{text:?}");
            assert!(draft("news", "标题", text, vec![]).check().is_err(), "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn checked_text_never_holds_an_id_number(s in "[0-9X 张三-]{0,60}", id in 0u64..1_000_000_000) {
            let number = format!("110101{:08}{:04}", 19_900_101 + id % 100_000, id % 10_000);
            let body = format!("{s}{number}{s}");
            if let Ok(t) = draft("news", "标题", &body, vec![]).check() {
                prop_assert!(crate::masking::find_id_numbers(&t.body).is_empty(), "{}", t.body);
            }
        }
    }
}
