//! Builders for the records tests submit, one per catalog item, with the values the tests have always used as
//! defaults.
//!
//! A test says what is particular about its record and nothing else:
//!
//! ```
//! use credo_synth::builders::Penalty;
//!
//! let p = Penalty::of("西宁市城东区鑫源商贸有限公司", "91630100MA7X00018G")
//!     .number("宁市监罚〔2025〕1号")
//!     .decided("2026/06/01")
//!     .kinds("警告;罚款")
//!     .fine("12");
//! assert_eq!(p.json()["CF_NR_FK"], "12");
//! assert_eq!(p.json()["CF_CFJGDM"], credo_synth::builders::DEPT);
//! ```
//!
//! A deliberately odd record starts from a good one and changes one field: `.without("CF_NR_FK")` (a fine left
//! out), `.set("CF_XDR_LB", "01")` (a kind given by its code), `.set("9163…", "备注")` (a column that is no field).
//!
//! Field codes are the catalog's (`catalog/*.toml`). A record keeps its fields in the order they were set, as a
//! department's file keeps its columns: the constructor's fields first, then each new one at the end; setting a
//! field again changes it in place. Dates are written as the tests wrote them (`2026/06/01` or `2026-06-01`): the
//! catalog reads both.
//!
//! Every record is submitted by one department: [`DEPT`], 西宁市市场监督管理局, the department the server's
//! integration tests create (`tests/common`), so that the source and the deciding authority are that department
//! unless a test says otherwise (`.department(…)`, `.authority(…)`, `.source(…)`). Names of authorities vary by
//! item (a court, the tax bureau), their code stays [`DEPT`], as the tests' single department sends them all.
//!
//! A record becomes a batch's object with [`Record::json`] (or directly inside `serde_json::json!`: records
//! serialize as maps), a store's raw row with [`Record::raw`], a record view's fields with [`Record::fields`], and a
//! CSV file with [`csv`].

use std::collections::{BTreeMap, HashMap};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

/// The department that submits the tests' records and decides them: 西宁市市场监督管理局 (a synthetic code).
pub const DEPT: &str = "11630100MB174225XT";
/// Its name.
pub const DEPT_NAME: &str = "西宁市市场监督管理局";

/// 行政相对人类别 (subject kind) of organisations: 法人及非法人组织.
pub const ORGANISATION: &str = "法人及非法人组织";
/// 行政相对人类别 of natural persons: 自然人.
pub const PERSON: &str = "自然人";
/// 证件类型 of a 居民身份证 (resident identity card).
pub const ID_CARD: &str = "身份证";

/// A record of one catalog item as a department submits it: field codes and their text, in the order set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    item: &'static str,
    fields: Vec<(String, String)>,
}

impl Record {
    /// An empty record of `item` (a catalog item code such as `xzcf`).
    pub fn new(item: &'static str) -> Record {
        Record { item, fields: Vec::new() }
    }

    /// The catalog item's code.
    pub fn item(&self) -> &'static str {
        self.item
    }

    /// Sets field `code` (in place if it is there, else at the end). Any code: a column that is no field too.
    pub fn set(mut self, code: &str, value: impl Into<String>) -> Record {
        let value = value.into();
        match self.fields.iter_mut().find(|(c, _)| c == code) {
            Some((_, v)) => *v = value,
            None => self.fields.push((code.to_string(), value)),
        }
        self
    }

    /// Leaves field `code` out (not even an empty value).
    pub fn without(mut self, code: &str) -> Record {
        self.fields.retain(|(c, _)| c != code);
        self
    }

    /// The value of field `code`, if set.
    pub fn get(&self, code: &str) -> Option<&str> {
        self.fields.iter().find(|(c, _)| c == code).map(|(_, v)| v.as_str())
    }

    /// The fields in order, as (code, value).
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(c, v)| (c.as_str(), v.as_str()))
    }

    /// A batch's record: a JSON object of strings, keys in order.
    pub fn json(&self) -> Value {
        Value::Object(self.fields.iter().map(|(c, v)| (c.clone(), Value::String(v.clone()))).collect())
    }

    /// The fields as a stored record version holds them.
    pub fn fields(&self) -> BTreeMap<String, String> {
        self.fields.iter().cloned().collect()
    }

    /// The fields as a row read from a file, for `Item::validate`.
    pub fn raw(&self) -> HashMap<String, String> {
        self.fields.iter().cloned().collect()
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (c, v) in &self.fields {
            map.serialize_entry(c, v)?;
        }
        map.end()
    }
}

impl AsRef<Record> for Record {
    fn as_ref(&self) -> &Record {
        self
    }
}

/// A CSV file of records, one a row, under a header of field codes: the union of their fields in first-seen order
/// (a record without a field leaves its cell empty). Cells with a comma, quote or line break are quoted.
pub fn csv<R: AsRef<Record>>(records: &[R]) -> String {
    let mut header: Vec<&str> = Vec::new();
    for r in records {
        for (c, _) in r.as_ref().pairs() {
            if !header.contains(&c) {
                header.push(c);
            }
        }
    }
    let cell = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
    };
    let mut out = header.iter().map(|h| cell(h)).collect::<Vec<_>>().join(",");
    out.push('\n');
    for r in records {
        let r = r.as_ref();
        out.push_str(&header.iter().map(|h| cell(r.get(h).unwrap_or(""))).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// The methods every builder has: a newtype over [`Record`] with its generic setters and outputs.
macro_rules! builder {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(Record);

        impl $name {
            /// Sets field `code` (in place if it is there, else at the end). Any code: a column that is no field too.
            pub fn set(self, code: &str, value: impl Into<String>) -> Self {
                Self(self.0.set(code, value))
            }

            /// Leaves field `code` out (not even an empty value).
            pub fn without(self, code: &str) -> Self {
                Self(self.0.without(code))
            }

            /// The value of field `code`, if set.
            pub fn get(&self, code: &str) -> Option<&str> {
                self.0.get(code)
            }

            /// A batch's record: a JSON object of strings, keys in order.
            pub fn json(&self) -> Value {
                self.0.json()
            }

            /// The fields as a stored record version holds them.
            pub fn fields(&self) -> BTreeMap<String, String> {
                self.0.fields()
            }

            /// The fields as a row read from a file, for `Item::validate`.
            pub fn raw(&self) -> HashMap<String, String> {
                self.0.raw()
            }

            /// The record, whatever its item.
            pub fn record(self) -> Record {
                self.0
            }
        }

        impl From<$name> for Record {
            fn from(b: $name) -> Record {
                b.0
            }
        }

        impl AsRef<Record> for $name {
            fn as_ref(&self) -> &Record {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }
    };
}

/// Setters of one field each: `method => "CODE"`.
macro_rules! fields {
    ($($(#[$doc:meta])* $method:ident => $code:literal;)*) => {
        $(
            $(#[$doc])*
            pub fn $method(self, value: impl Into<String>) -> Self {
                self.set($code, value)
            }
        )*
    };
}

builder! {
    /// 行政处罚 (`xzcf`): an administrative penalty. By default a 罚款 of 0.2 万元 decided on 2025/06/01 by
    /// [`DEPT`] for 销售不合格商品 under 《产品质量法》第四十九条, valid until 2099/12/31.
    Penalty
}

impl Penalty {
    /// A penalty on an organisation, with its USCC; its 法定代表人 is 张三.
    pub fn of(name: impl Into<String>, uscc: impl Into<String>) -> Penalty {
        Penalty(Record::new("xzcf").set("CF_XDR_MC", name).set("CF_XDR_LB", ORGANISATION).set("CF_XDR_SHXYM", uscc))
            .legal_rep("张三")
            .defaults()
    }

    /// A penalty on an organisation known by its name only (no USCC): found by name, by a legacy code
    /// (`.tax_number`, `.org_code`), or queued as unresolved. Its 法定代表人 is 张三.
    pub fn named(name: impl Into<String>) -> Penalty {
        Penalty(Record::new("xzcf").set("CF_XDR_MC", name).set("CF_XDR_LB", ORGANISATION)).legal_rep("张三").defaults()
    }

    /// A penalty on a natural person, with their 居民身份证 number.
    pub fn person(name: impl Into<String>, id_number: impl Into<String>) -> Penalty {
        Penalty(
            Record::new("xzcf")
                .set("CF_XDR_MC", name)
                .set("CF_XDR_LB", PERSON)
                .set("CF_XDR_ZJLX", ID_CARD)
                .set("CF_XDR_ZJHM", id_number),
        )
        .defaults()
    }

    fn defaults(self) -> Penalty {
        self.number("宁市监罚〔2025〕1号")
            .conduct("销售不合格商品")
            .facts("经查属实")
            .basis("《产品质量法》第四十九条")
            .kinds("罚款")
            .content("罚款")
            .fine("0.2")
            .decided("2025/06/01")
            .valid_until("2099/12/31")
            .department(DEPT_NAME, DEPT)
    }

    /// 处罚机关 and 数据来源单位 both: a department that decides and submits its own penalties.
    pub fn department(self, name: impl Into<String>, uscc: impl Into<String>) -> Penalty {
        let (name, uscc) = (name.into(), uscc.into());
        self.authority(name.clone(), uscc.clone()).source(name, uscc)
    }

    /// 处罚机关 and its code.
    pub fn authority(self, name: impl Into<String>, uscc: impl Into<String>) -> Penalty {
        self.set("CF_CFJG", name).set("CF_CFJGDM", uscc)
    }

    /// 数据来源单位 and its code.
    pub fn source(self, name: impl Into<String>, uscc: impl Into<String>) -> Penalty {
        self.set("CF_SJLY", name).set("CF_SJLYDM", uscc)
    }

    fields! {
        /// 行政相对人名称.
        name => "CF_XDR_MC";
        /// 行政相对人类别 (法人及非法人组织, 自然人, 个体工商户, or a code such as `01`).
        kind => "CF_XDR_LB";
        /// 统一社会信用代码 of the subject.
        uscc => "CF_XDR_SHXYM";
        /// 组织机构代码 (a legacy code).
        org_code => "CF_XDR_ZZJG";
        /// 税务登记号 (a legacy code).
        tax_number => "CF_XDR_SWDJ";
        /// 法定代表人.
        legal_rep => "CF_FRDB";
        /// 证件号码 of a person.
        id_number => "CF_XDR_ZJHM";
        /// 行政处罚决定书文号: with the 处罚机关's code, the record's natural key.
        number => "CF_WSH";
        /// 违法行为类型.
        conduct => "CF_WFXW";
        /// 违法事实.
        facts => "CF_SY";
        /// 处罚依据.
        basis => "CF_YJ";
        /// 处罚类别, `;`-separated (警告, 罚款, 吊销许可证件, 责令停产停业, 通报批评 …).
        kinds => "CF_CFLB";
        /// 处罚内容.
        content => "CF_NR";
        /// 罚款金额 in 万元.
        fine => "CF_NR_FK";
        /// 暂扣或者吊销证照名称及编号.
        licence_revoked => "CF_NR_ZKDX";
        /// 处罚决定日期.
        decided => "CF_JDRQ";
        /// 处罚有效期.
        valid_until => "CF_YXQ";
        /// 公示日期 (总局令第45号 counts the publicity period from it).
        published => "CF_GSRQ";
    }
}

builder! {
    /// 行政许可 (`xzxk`): a licence. By default a 食品经营许可 granted by [`DEPT`] on 2025-03-01 for five years.
    Licence
}

impl Licence {
    /// A licence of an organisation, with its USCC.
    pub fn of(name: impl Into<String>, uscc: impl Into<String>) -> Licence {
        Licence(Record::new("xzxk").set("XK_XDR_MC", name).set("XK_XDR_LB", ORGANISATION).set("XK_XDR_SHXYM", uscc))
            .set("XK_XKWS", "食品经营许可决定书")
            .number("JY16301000001")
            .set("XK_XKLB", "普通")
            .content("食品经营")
            .decided("2025-03-01")
            .valid_from("2025-03-01")
            .valid_until("2030-02-28")
            .set("XK_XKJG", DEPT_NAME)
            .set("XK_XKJGDM", DEPT)
            .status("有效")
            .source(DEPT_NAME, DEPT)
    }

    /// 许可机关 and its code.
    pub fn authority(self, name: impl Into<String>, uscc: impl Into<String>) -> Licence {
        self.set("XK_XKJG", name).set("XK_XKJGDM", uscc)
    }

    /// 数据来源单位 and its code.
    pub fn source(self, name: impl Into<String>, uscc: impl Into<String>) -> Licence {
        self.set("XK_LYDW", name).set("XK_LYDWDM", uscc)
    }

    fields! {
        /// 行政相对人类别.
        kind => "XK_XDR_LB";
        /// 行政许可决定文书号: with the 许可机关's code, the record's natural key.
        number => "XK_WSH";
        /// 许可内容.
        content => "XK_NR";
        /// 许可决定日期.
        decided => "XK_JDRQ";
        /// 有效期自.
        valid_from => "XK_YXQZ";
        /// 有效期至.
        valid_until => "XK_YXQZI";
        /// 当前状态 (有效, 注销, 撤销 …).
        status => "XK_ZT";
    }
}

builder! {
    /// 登记注册基本信息 (`djzc`): a subject's registration. By default an organisation founded and approved on
    /// 2020-01-01 by 西宁市市场监督管理局, 存续.
    Registration
}

impl Registration {
    /// The registration of `name` under its USCC.
    pub fn of(name: impl Into<String>, uscc: impl Into<String>) -> Registration {
        Registration(Record::new("djzc").set("DJ_MC", name).set("DJ_SHXYM", uscc).set("DJ_ZTLB", ORGANISATION))
            .set("DJ_CLRQ", "2020-01-01")
            .registrar(DEPT_NAME)
            .approved("2020-01-01")
            .status("存续")
    }

    /// 成立日期 and 核准日期 both: a subject registered the day it was founded (`.approved(…)` after it for a
    /// later approval).
    pub fn founded(self, date: impl Into<String>) -> Registration {
        let date = date.into();
        self.set("DJ_CLRQ", date.clone()).approved(date)
    }

    fields! {
        /// 主体类别 (法人及非法人组织, 个体工商户).
        kind => "DJ_ZTLB";
        /// 法定代表人 (负责人, 经营者).
        legal_rep => "DJ_FDDBR";
        /// 登记机关.
        registrar => "DJ_DJJG";
        /// 核准日期.
        approved => "DJ_HZRQ";
        /// 行政区划代码.
        region => "DJ_XZQH";
        /// 登记状态 (存续, 注销, 吊销 …).
        status => "DJ_DJZT";
    }
}

builder! {
    /// 经营异常名录 (`jyyc`): an abnormal operation listing. By default listed on 2026-03-01 by [`DEPT`] for
    /// 未按规定公示年度报告, not removed.
    AbnormalListing
}

impl AbnormalListing {
    /// The listing of an enterprise, with its USCC.
    pub fn of(name: impl Into<String>, uscc: impl Into<String>) -> AbnormalListing {
        AbnormalListing(Record::new("jyyc").set("YC_QYMC", name).set("YC_SHXYM", uscc))
            .reason("未按规定公示年度报告")
            .number("宁市监异〔2026〕1号")
            .listed("2026-03-01")
            .set("YC_ZCJG", DEPT_NAME)
            .set("YC_ZCJGDM", DEPT)
            .set("YC_SJLY", DEPT_NAME)
            .set("YC_SJLYDM", DEPT)
    }

    /// 移出日期, with 移出原因 已补报年度报告.
    pub fn removed(self, date: impl Into<String>) -> AbnormalListing {
        self.set("YC_YCRQ", date).set("YC_YCYY", "已补报年度报告")
    }

    fields! {
        /// 列入原因.
        reason => "YC_LRYY";
        /// 列入决定书文号.
        number => "YC_LRWSH";
        /// 列入日期.
        listed => "YC_LRRQ";
    }
}

builder! {
    /// 严重失信主体名单 (`yzsx`): a serious-dishonesty list entry. By default on 市场监管领域严重违法失信名单,
    /// listed on 2026-02-01 by [`DEPT`] for 提交虚假材料取得登记.
    SeriousDishonesty
}

impl SeriousDishonesty {
    /// The entry of an organisation, with its USCC.
    pub fn of(name: impl Into<String>, uscc: impl Into<String>) -> SeriousDishonesty {
        SeriousDishonesty(Record::new("yzsx").set("YZ_MC", name).set("YZ_ZTLB", ORGANISATION).set("YZ_SHXYM", uscc))
            .list("市场监管领域严重违法失信名单")
            .reason("提交虚假材料取得登记")
            .basis("市场监督管理严重违法失信名单管理办法第十条")
            .number("宁市监严〔2026〕1号")
            .listed("2026-02-01")
            .department(DEPT_NAME, DEPT)
    }

    /// The 法定代表人's 居民身份证 number (and its 证件类型).
    pub fn legal_rep_id(self, id_number: impl Into<String>) -> SeriousDishonesty {
        self.set("YZ_FDDBR_ZJLX", ID_CARD).set("YZ_FDDBR_ZJHM", id_number)
    }

    /// 认定部门 and 数据来源单位 both.
    pub fn department(self, name: impl Into<String>, uscc: impl Into<String>) -> SeriousDishonesty {
        let (name, uscc) = (name.into(), uscc.into());
        self.authority(name.clone(), uscc.clone()).source(name, uscc)
    }

    /// 认定部门 and its code.
    pub fn authority(self, name: impl Into<String>, uscc: impl Into<String>) -> SeriousDishonesty {
        self.set("YZ_RDJG", name).set("YZ_RDJGDM", uscc)
    }

    /// 数据来源单位 and its code.
    pub fn source(self, name: impl Into<String>, uscc: impl Into<String>) -> SeriousDishonesty {
        self.set("YZ_SJLY", name).set("YZ_SJLYDM", uscc)
    }

    fields! {
        /// 主体类别.
        kind => "YZ_ZTLB";
        /// 法定代表人.
        legal_rep => "YZ_FDDBR";
        /// 名单类型.
        list => "YZ_MDLX";
        /// 列入原因.
        reason => "YZ_LRYY";
        /// 列入依据.
        basis => "YZ_LRYJ";
        /// 列入决定书文号.
        number => "YZ_LRWSH";
        /// 列入日期.
        listed => "YZ_LRRQ";
    }
}

builder! {
    /// 失信被执行人 (`sxbzxr`): a dishonest judgment debtor. By default under (2026)青0103执1号 of
    /// 西宁市城东区人民法院 for 支付货款10万元, 全部未履行, filed 2026-01-05 and published 2026-05-01; submitted as
    /// 西宁市中级人民法院 with [`DEPT`]'s code.
    DishonestDebtor
}

impl DishonestDebtor {
    /// A unit, with its USCC.
    pub fn of(name: impl Into<String>, uscc: impl Into<String>) -> DishonestDebtor {
        DishonestDebtor(Record::new("sxbzxr").set("ZX_MC", name).set("ZX_ZTLB", ORGANISATION).set("ZX_SHXYM", uscc))
            .defaults()
    }

    /// A natural person, with their 居民身份证 number.
    pub fn person(name: impl Into<String>, id_number: impl Into<String>) -> DishonestDebtor {
        DishonestDebtor(
            Record::new("sxbzxr")
                .set("ZX_MC", name)
                .set("ZX_ZTLB", PERSON)
                .set("ZX_ZJLX", ID_CARD)
                .set("ZX_ZJHM", id_number),
        )
        .defaults()
    }

    fn defaults(self) -> DishonestDebtor {
        self.case_number("(2026)青0103执1号")
            .set("ZX_ZXFY", "西宁市城东区人民法院")
            .basis_number("(2025)青0103民初1号")
            .set("ZX_ZCZXYJDW", "西宁市城东区人民法院")
            .duty("支付货款10万元")
            .set("ZX_LXQK", "全部未履行")
            .set("ZX_SXQX", "有履行能力而拒不履行生效法律文书确定义务")
            .filed("2026-01-05")
            .published("2026-05-01")
            .source("西宁市中级人民法院", DEPT)
    }

    /// The 法定代表人's 居民身份证 number (and its 证件类型).
    pub fn legal_rep_id(self, id_number: impl Into<String>) -> DishonestDebtor {
        self.set("ZX_FDDBR_ZJLX", ID_CARD).set("ZX_FDDBR_ZJHM", id_number)
    }

    /// 数据来源单位 and its code.
    pub fn source(self, name: impl Into<String>, uscc: impl Into<String>) -> DishonestDebtor {
        self.set("ZX_SJLY", name).set("ZX_SJLYDM", uscc)
    }

    fields! {
        /// 被执行人名称.
        name => "ZX_MC";
        /// 统一社会信用代码 of a unit.
        uscc => "ZX_SHXYM";
        /// 法定代表人 (负责人).
        legal_rep => "ZX_FDDBR";
        /// 执行案号: with the debtor's code, the record's natural key.
        case_number => "ZX_AH";
        /// 执行依据文号.
        basis_number => "ZX_ZXYJWH";
        /// 生效法律文书确定的义务.
        duty => "ZX_YW";
        /// 立案日期.
        filed => "ZX_LARQ";
        /// 发布日期.
        published => "ZX_FBRQ";
        /// 屏蔽日期: withdrawn from the list.
        shielded => "ZX_PBRQ";
    }
}

builder! {
    /// 守信激励对象 (`sxjl`, the red list). By default an A级纳税人 recognised on 2026-01-10 by
    /// 国家税务总局西宁市税务局 (with [`DEPT`]'s code), valid until 2027-12-31.
    RedList
}

impl RedList {
    /// The entry of an organisation, with its USCC.
    pub fn of(name: impl Into<String>, uscc: impl Into<String>) -> RedList {
        RedList(Record::new("sxjl").set("HM_MC", name).set("HM_ZTLB", ORGANISATION).set("HM_SHXYM", uscc))
            .set("HM_MDMC", "A级纳税人")
            .set("HM_RDYJ", "纳税信用管理办法")
            .number("宁税红〔2026〕1号")
            .recognised("2026-01-10")
            .valid_until("2027-12-31")
            .set("HM_RDJG", "国家税务总局西宁市税务局")
            .set("HM_RDJGDM", DEPT)
            .set("HM_SJLY", "国家税务总局西宁市税务局")
            .set("HM_SJLYDM", DEPT)
    }

    fields! {
        /// 认定文号.
        number => "HM_RDWH";
        /// 认定日期.
        recognised => "HM_RDRQ";
        /// 有效期至.
        valid_until => "HM_YXQZ";
    }
}

builder! {
    /// 限制消费令 (`xzxf`): a consumption restriction order. By default (2026)青0103执1号 of 西宁市城东区人民法院,
    /// published 2026-03-01; submitted as 西宁市中级人民法院 with [`DEPT`]'s code.
    ConsumptionRestriction
}

impl ConsumptionRestriction {
    /// An order against a unit, with its USCC.
    pub fn of(name: impl Into<String>, uscc: impl Into<String>) -> ConsumptionRestriction {
        ConsumptionRestriction(
            Record::new("xzxf").set("XF_MC", name).set("XF_ZTLB", ORGANISATION).set("XF_SHXYM", uscc),
        )
        .defaults()
    }

    /// An order against a natural person, with their 居民身份证 number.
    pub fn person(name: impl Into<String>, id_number: impl Into<String>) -> ConsumptionRestriction {
        ConsumptionRestriction(
            Record::new("xzxf")
                .set("XF_MC", name)
                .set("XF_ZTLB", PERSON)
                .set("XF_ZJLX", ID_CARD)
                .set("XF_ZJHM", id_number),
        )
        .defaults()
    }

    fn defaults(self) -> ConsumptionRestriction {
        self.case_number("(2026)青0103执1号")
            .set("XF_ZXFY", "西宁市城东区人民法院")
            .published("2026-03-01")
            .set("XF_SJLY", "西宁市中级人民法院")
            .set("XF_SJLYDM", DEPT)
    }

    /// The 法定代表人's 居民身份证 number (and its 证件类型).
    pub fn legal_rep_id(self, id_number: impl Into<String>) -> ConsumptionRestriction {
        self.set("XF_FDDBR_ZJLX", ID_CARD).set("XF_FDDBR_ZJHM", id_number)
    }

    /// 实际控制人 and their 证件号码, each `;`-separated in the same order.
    pub fn controllers(self, names: impl Into<String>, id_numbers: impl Into<String>) -> ConsumptionRestriction {
        self.set("XF_SJKZR", names).set("XF_SJKZR_ZJHM", id_numbers)
    }

    fields! {
        /// 法定代表人 (负责人).
        legal_rep => "XF_FDDBR";
        /// 影响债务履行的直接责任人员, named without a number.
        responsible => "XF_ZJZRR";
        /// 执行案号.
        case_number => "XF_AH";
        /// 发布日期.
        published => "XF_FBRQ";
    }
}

builder! {
    /// 重大税收违法失信主体 (`zdss`): a major tax violation. By default 虚开增值税专用发票, announced on 2026-04-15
    /// by 国家税务总局西宁市税务局稽查局 (with [`DEPT`]'s code).
    TaxViolation
}

impl TaxViolation {
    /// The entry of an organisation, with its USCC.
    pub fn of(name: impl Into<String>, uscc: impl Into<String>) -> TaxViolation {
        TaxViolation(Record::new("zdss").set("SS_MC", name).set("SS_ZTLB", ORGANISATION).set("SS_SHXYM", uscc))
            .set("SS_WFSS", "虚开增值税专用发票")
            .set("SS_CLQK", "依法追缴税款并处罚款")
            .number("宁税稽失〔2026〕1号")
            .announced("2026-04-15")
            .set("SS_SWJG", "国家税务总局西宁市税务局稽查局")
            .set("SS_SWJGDM", DEPT)
            .set("SS_SJLY", "国家税务总局西宁市税务局")
            .set("SS_SJLYDM", DEPT)
    }

    fields! {
        /// 确定失信主体文书文号.
        number => "SS_QDWSH";
        /// 公布日期.
        announced => "SS_GBRQ";
    }
}

builder! {
    /// 政府采购严重违法失信行为记录名单 (`zfcgsx`): a supplier barred from government procurement. By default for
    /// 提供虚假材料谋取中标, decided on 2026-03-10 by 西宁市财政局 (with [`DEPT`]'s code), barred for a year.
    ProcurementBan
}

impl ProcurementBan {
    /// The entry of a supplier, with its USCC.
    pub fn of(name: impl Into<String>, uscc: impl Into<String>) -> ProcurementBan {
        ProcurementBan(Record::new("zfcgsx").set("CG_MC", name).set("CG_ZTLB", ORGANISATION).set("CG_SHXYM", uscc))
            .set("CG_DSRLX", "供应商")
            .set("CG_WFQX", "提供虚假材料谋取中标")
            .set("CG_CFYJ", "《中华人民共和国政府采购法》第七十七条")
            .set("CG_CFJG_NR", "罚款并禁止参加政府采购活动一年")
            .number("宁财购罚〔2026〕3号")
            .decided("2026-03-10")
            .set("CG_JZQSRQ", "2026-03-10")
            .set("CG_JZJZRQ", "2027-03-09")
            .set("CG_CFJG", "西宁市财政局")
            .set("CG_CFJGDM", DEPT)
            .set("CG_SJLY", "西宁市财政局")
            .set("CG_SJLYDM", DEPT)
    }

    /// The bar (禁止参加政府采购活动) from and until.
    pub fn barred(self, from: impl Into<String>, until: impl Into<String>) -> ProcurementBan {
        self.set("CG_JZQSRQ", from).set("CG_JZJZRQ", until)
    }

    fields! {
        /// 处罚决定书文号.
        number => "CG_WSH";
        /// 处罚日期.
        decided => "CG_CFRQ";
    }
}

builder! {
    /// 拖欠农民工工资失信联合惩戒对象名单 (`qxgz`): unpaid migrant workers' wages. By default listed on 2026-05-20
    /// by 西宁市人力资源和社会保障局 (with [`DEPT`]'s code) for 拖欠农民工工资数额较大.
    WageArrears
}

impl WageArrears {
    /// The entry of an organisation, with its USCC.
    pub fn of(name: impl Into<String>, uscc: impl Into<String>) -> WageArrears {
        WageArrears(Record::new("qxgz").set("QX_MC", name).set("QX_ZTLB", ORGANISATION).set("QX_SHXYM", uscc))
            .defaults()
    }

    /// The entry of a natural person, with their 居民身份证 number.
    pub fn person(name: impl Into<String>, id_number: impl Into<String>) -> WageArrears {
        WageArrears(
            Record::new("qxgz")
                .set("QX_MC", name)
                .set("QX_ZTLB", PERSON)
                .set("QX_ZJLX", ID_CARD)
                .set("QX_ZJHM", id_number),
        )
        .defaults()
    }

    fn defaults(self) -> WageArrears {
        self.set("QX_LRSY", "拖欠农民工工资数额较大")
            .set("QX_LRYJ", "拖欠农民工工资失信联合惩戒对象名单管理暂行办法第五条")
            .number("宁人社惩〔2026〕1号")
            .listed("2026-05-20")
            .set("QX_RDJG", "西宁市人力资源和社会保障局")
            .set("QX_RDJGDM", DEPT)
            .set("QX_SJLY", "西宁市人力资源和社会保障局")
            .set("QX_SJLYDM", DEPT)
    }

    fields! {
        /// 列入决定文书号.
        number => "QX_LRWSH";
        /// 列入日期.
        listed => "QX_LRRQ";
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const COMPANY: &str = "91630100MA7X00018G";
    const RIC: &str = "630102199001011235";

    /// Every builder's record, as built by default, is one the catalog accepts: the defaults are valid data.
    #[test]
    fn defaults_validate_against_the_catalog() {
        let catalog = credo_domain::embedded::catalog();
        let ctx = catalog.context(date!(2026 - 11 - 25));
        let records: Vec<Record> = vec![
            Penalty::of("西宁市城东区鑫源商贸有限公司", COMPANY).into(),
            Penalty::named("西宁市城东区鑫源商贸有限公司").tax_number("630100MA7X00018").into(),
            Penalty::person("李四", RIC).into(),
            Licence::of("西宁市城东区鑫源商贸有限公司", COMPANY).into(),
            Registration::of("西宁市城东区鑫源商贸有限公司", COMPANY).into(),
            AbnormalListing::of("西宁市城东区鑫源商贸有限公司", COMPANY).removed("2026-06-01").into(),
            SeriousDishonesty::of("西宁市城东区鑫源商贸有限公司", COMPANY).legal_rep("钱七").legal_rep_id(RIC).into(),
            DishonestDebtor::of("西宁市城东区鑫源商贸有限公司", COMPANY).legal_rep("王五").legal_rep_id(RIC).into(),
            DishonestDebtor::person("王五", RIC).shielded("2026-06-01").into(),
            RedList::of("西宁市城东区鑫源商贸有限公司", COMPANY).into(),
            ConsumptionRestriction::of("西宁市城东区鑫源商贸有限公司", COMPANY)
                .legal_rep("郑一")
                .legal_rep_id(RIC)
                .controllers("冯二", "630103198505052315")
                .responsible("吴十")
                .into(),
            ConsumptionRestriction::person("王五", RIC).into(),
            TaxViolation::of("西宁市城东区鑫源商贸有限公司", COMPANY).into(),
            ProcurementBan::of("西宁市城东区鑫源商贸有限公司", COMPANY).into(),
            WageArrears::of("西宁市城东区鑫源商贸有限公司", COMPANY).into(),
            WageArrears::person("王五", RIC).into(),
        ];
        for r in &records {
            let item = catalog.item(r.item()).unwrap_or_else(|| panic!("{} is no item", r.item()));
            for (code, _) in r.pairs() {
                assert!(item.fields.iter().any(|f| f.code == code), "{}: {code} is no field", r.item());
            }
            let valid = item.validate(&r.raw(), &ctx);
            assert!(valid.is_ok(), "{}: {:?}", r.item(), valid.err());
        }
    }

    #[test]
    fn fields_keep_their_order_and_change_in_place() {
        let p = Penalty::of("甲公司", COMPANY).fine("12").set("CF_XDR_SWDJ", "630100MA7X00018").without("CF_FRDB");
        let codes: Vec<&str> = p.as_ref().pairs().map(|(c, _)| c).collect();
        assert_eq!(&codes[..3], ["CF_XDR_MC", "CF_XDR_LB", "CF_XDR_SHXYM"]);
        assert_eq!(codes.last(), Some(&"CF_XDR_SWDJ"), "a new field goes last");
        assert_eq!(
            codes.iter().position(|c| *c == "CF_NR_FK"),
            codes.iter().position(|c| *c == "CF_NR").map(|i| i + 1)
        );
        assert_eq!((p.get("CF_NR_FK"), p.get("CF_FRDB")), (Some("12"), None));
        let json = p.json();
        let keys: Vec<&str> = json.as_object().into_iter().flat_map(|o| o.keys()).map(String::as_str).collect();
        assert_eq!(keys, codes);
        assert_eq!(serde_json::to_value(&p).ok(), Some(json), "serialized as its JSON");
        assert_eq!(p.fields().len(), codes.len());
    }

    #[test]
    fn csv_unions_the_columns_and_quotes_cells() {
        let a = Registration::of("甲,公司", COMPANY);
        let b = Registration::of("乙公司", COMPANY).legal_rep("张\"三\"");
        let text = csv(&[a, b]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "DJ_MC,DJ_SHXYM,DJ_ZTLB,DJ_CLRQ,DJ_DJJG,DJ_HZRQ,DJ_DJZT,DJ_FDDBR");
        assert!(lines[1].starts_with("\"甲,公司\",") && lines[1].ends_with(",存续,"), "{}", lines[1]);
        assert!(lines[2].ends_with(",\"张\"\"三\"\"\""), "{}", lines[2]);
    }
}
