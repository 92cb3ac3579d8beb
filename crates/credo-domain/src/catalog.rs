//! The information catalog (信息目录): which credit information items exist, their national field names and
//! codes, which fields are required, the conditional rules, and how a row names its subject.
//!
//! Items are data (`catalog/*.toml`, versioned with effective dates) so that a change of the national standard is
//! a reviewed change of data, not of code. [`Item::validate`] turns one mapped row into a [`ValidRecord`] or the
//! list of every problem in it, each with a stable code and a Chinese message.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sm3::Digest as _;
use time::Date;

use crate::DataError;
use crate::ids::{IdError, OrgCode, RegNo, Ric, Uscc};
use crate::name::normalize_name;
use crate::region::RegionTable;
use crate::registrar::RegistrarTable;
use crate::value::{parse_date, parse_money, parse_year};

/// 信用主体类别: the kind of subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(description = "信用主体类别"))]
pub enum SubjectKind {
    /// 法人及非法人组织
    Organisation,
    /// 个体工商户
    IndividualBusiness,
    /// 自然人
    Person,
}

impl SubjectKind {
    /// Every kind, in the order forms offer them.
    pub const ALL: [SubjectKind; 3] = [SubjectKind::Organisation, SubjectKind::IndividualBusiness, SubjectKind::Person];

    pub fn label(self) -> &'static str {
        match self {
            SubjectKind::Organisation => "法人及非法人组织",
            SubjectKind::IndividualBusiness => "个体工商户",
            SubjectKind::Person => "自然人",
        }
    }

    pub fn from_label(s: &str) -> Option<SubjectKind> {
        match s {
            "法人及非法人组织" => Some(SubjectKind::Organisation),
            "个体工商户" => Some(SubjectKind::IndividualBusiness),
            "自然人" => Some(SubjectKind::Person),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Organisation => "organisation",
            SubjectKind::IndividualBusiness => "individual_business",
            SubjectKind::Person => "person",
        }
    }

    pub fn parse(s: &str) -> Option<SubjectKind> {
        match s {
            "organisation" => Some(SubjectKind::Organisation),
            "individual_business" => Some(SubjectKind::IndividualBusiness),
            "person" => Some(SubjectKind::Person),
            _ => SubjectKind::from_label(s),
        }
    }
}

/// 信息性质: whether an item speaks for or against its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(description = "目录项的信息性质"))]
pub enum Nature {
    守信,
    失信,
    中性,
}

/// 公开属性: who may see an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(description = "目录项的公开属性"))]
pub enum Disclosure {
    公开,
    政务共享,
    授权查询,
}

impl Disclosure {
    pub fn label(self) -> &'static str {
        match self {
            Disclosure::公开 => "公开",
            Disclosure::政务共享 => "政务共享",
            Disclosure::授权查询 => "授权查询",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(description = "目录项字段的类型"))]
pub enum FieldType {
    Text,
    /// An identifier-like text without a check (税务登记号, 事业单位证书号 …).
    Code,
    Date,
    /// An amount in 万元.
    Money,
    Year,
    Enum,
    Uscc,
    OrgCode,
    RegNo,
    /// A 证件号码 whose kind comes from `type_field`; a 身份证 number is checked as GB 11643.
    IdNumber,
    /// A GB/T 2260 region code from the region table.
    Region,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Field {
    pub code: String,
    /// The name shown to people (`统一社会信用代码`); a template's numbered name
    /// (`行政相对人代码_1(统一社会信用代码)`) is one of its aliases.
    pub name: String,
    /// Other header names departments use.
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default)]
    pub required: bool,
    /// `false` for personal data that is never published (证件号码).
    #[serde(default = "yes")]
    pub public: bool,
    pub max_len: Option<usize>,
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub value_aliases: BTreeMap<String, String>,
    /// Numeric codes departments send for the values (`01` → `法人及非法人组织`), with where the code list comes from.
    pub codes: Option<Codes>,
    /// Several values separated by `;` `；` or `、`.
    #[serde(default)]
    pub multi: bool,
    #[serde(default)]
    pub not_future: bool,
    pub type_field: Option<String>,
}

fn yes() -> bool {
    true
}

/// A code table of an enum field: the codes of a national data standard, accepted as aliases of its values.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Codes {
    /// Where the code list comes from.
    pub source: String,
    /// `false` until the list is confirmed from the official standard.
    #[serde(default = "yes")]
    pub verified: bool,
    /// Code → value (each value one of the field's `values`).
    pub values: BTreeMap<String, String>,
}

impl Field {
    /// The field's value that `text` names: a value itself (also in its normalised form), an alias, or a code.
    pub fn enum_value(&self, text: &str) -> Option<&str> {
        let text = text.trim();
        let norm = normalize_name(text);
        if let Some(v) = self.values.iter().find(|v| **v == norm || **v == text) {
            return Some(v);
        }
        let codes = self.codes.as_ref().map(|c| &c.values);
        [Some(&self.value_aliases), codes]
            .into_iter()
            .flatten()
            .find_map(|m| m.get(text).or_else(|| m.get(&norm)))
            .map(String::as_str)
    }
}

/// 公开属性 for one kind of subject, where it differs from the item's: the basic catalog (全国公共信用信息基础目录)
/// sets disclosure item by item, and persons' records are not always public where organisations' are.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct KindDisclosure {
    /// The subject kind (`自然人`, `个体工商户`, `法人及非法人组织`).
    pub kind: String,
    pub disclosure: Disclosure,
    /// The rule's source.
    pub basis: String,
    /// Why this choice (shown when a record is not published because of it).
    pub reason: String,
    #[serde(default = "yes")]
    pub verified: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Condition {
    pub field: String,
    /// The field holds (one of) these values.
    #[serde(default)]
    pub any_of: Vec<String>,
    /// The field is filled in.
    #[serde(default)]
    pub present: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DateOrder {
    pub field: String,
    pub other: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Rule {
    pub code: String,
    pub message: String,
    pub when: Option<Condition>,
    #[serde(default)]
    pub require_all: Vec<String>,
    #[serde(default)]
    pub require_any: Vec<String>,
    /// `field` must not be earlier than `other` (both dates, both filled in).
    pub not_before: Option<DateOrder>,
}

/// Which fields of an item name its subject.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SubjectFields {
    pub name: String,
    pub kind: Option<String>,
    pub default_kind: Option<String>,
    pub uscc: Option<String>,
    #[serde(default)]
    pub legacy: Vec<String>,
    pub id_type: Option<String>,
    pub id_number: Option<String>,
    pub region: Option<String>,
    /// 登记状态 (registration items only).
    pub status: Option<String>,
}

/// Which fields name the department that supplied the row (数据来源单位).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SourceFields {
    pub name: String,
    pub uscc: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Item {
    pub code: String,
    pub name: String,
    pub version: String,
    pub effective_from: Date,
    pub category: String,
    pub nature: Nature,
    pub disclosure: Disclosure,
    /// Disclosure for a kind of subject where it differs from `disclosure` (see [`Item::disclosure_for`]).
    #[serde(default)]
    pub disclosure_by_kind: Vec<KindDisclosure>,
    /// The departments that supply the item (its 责任单位, as the catalog names them; shown with the catalog).
    #[serde(default)]
    pub suppliers: Vec<String>,
    /// Fields that, with the item and the submitting department, identify a record across submissions. A document
    /// number is unique only within the authority that issued it, so the key holds both (STANDARDS §13.2.7); the
    /// document number comes first (it is the record's title).
    pub natural_key: Vec<String>,
    pub decision_date: Option<String>,
    /// Registration data: describes the subject itself (name, region, status) rather than an event.
    #[serde(default)]
    pub registration: bool,
    /// A restricted archive (公务员诚信档案): never public, never shared, never in a report to anyone but the subject;
    /// read only by the departments granted it (their permissions' `archives`), each read in the subject's access
    /// log. Its disclosure must be 授权查询.
    #[serde(default)]
    pub restricted: bool,
    pub subject: SubjectFields,
    pub source: Option<SourceFields>,
    #[serde(rename = "field")]
    pub fields: Vec<Field>,
    #[serde(rename = "rule", default)]
    pub rules: Vec<Rule>,
}

/// One problem with a row: the field (catalog code) it concerns, a stable code and a Chinese message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub field: Option<String>,
    pub code: String,
    pub message: String,
}

impl Issue {
    fn new(field: Option<&str>, code: &str, message: String) -> Issue {
        Issue { field: field.map(str::to_string), code: code.to_string(), message }
    }
}

/// Who a record is about, as the row says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectRef {
    pub kind: SubjectKind,
    pub name: String,
    pub name_norm: String,
    pub uscc: Option<String>,
    /// 居民身份证号码 (18 characters) of a person.
    pub ric: Option<String>,
    /// Another identity document of a person (`护照号:E12345678`).
    pub other_id: Option<String>,
    /// Legacy codes: 工商注册号, 组织机构代码, 税务登记号 … (normalised).
    pub legacy: Vec<String>,
    pub region: Option<String>,
    /// 登记状态 (`存续`, `注销` …) when the row is registration data.
    pub status: Option<String>,
}

impl SubjectRef {
    /// The code a subject is keyed by: USCC, else ID number, else another identity document.
    pub fn primary_code(&self) -> Option<&str> {
        self.uscc.as_deref().or(self.ric.as_deref()).or(self.other_id.as_deref())
    }
}

/// A row that passed validation: normalised field values and what the platform derives from them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidRecord {
    pub item: String,
    pub fields: BTreeMap<String, String>,
    pub subject: SubjectRef,
    pub decided_on: Option<Date>,
    /// The natural key values joined with `|` (the department is added by the store).
    pub natural_key: String,
    pub source_name: Option<String>,
    pub source_uscc: Option<String>,
    pub warnings: Vec<Issue>,
}

const MULTI_SEPARATORS: [char; 3] = [';', '；', '、'];

impl Item {
    pub fn field(&self, code: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.code == code)
    }

    /// The fields that say who a record is about by code (统一社会信用代码, 证件类型 and 号码, legacy codes, 主体类别):
    /// a 更正 may not change them, which would move the record to another subject (the name may be corrected).
    pub fn subject_code_fields(&self) -> Vec<&str> {
        let s = &self.subject;
        [&s.uscc, &s.id_type, &s.id_number, &s.kind]
            .into_iter()
            .flatten()
            .chain(s.legacy.iter())
            .map(String::as_str)
            .collect()
    }

    /// The natural key of a record with these (validated) field values: the key fields' values joined with `|`.
    pub fn natural_key_of(&self, values: &BTreeMap<String, String>) -> String {
        let parts: Vec<&str> =
            self.natural_key.iter().map(|k| values.get(k).map(String::as_str).unwrap_or("")).collect();
        parts.join("|")
    }

    /// Who may see a record of this item about a subject of `kind`: the item's disclosure unless the catalog sets
    /// another for that kind.
    pub fn disclosure_for(&self, kind: SubjectKind) -> Disclosure {
        self.kind_disclosure(kind).map(|k| k.disclosure).unwrap_or(self.disclosure)
    }

    /// The catalog's rule for `kind`, when it differs from the item's disclosure.
    pub fn kind_disclosure(&self, kind: SubjectKind) -> Option<&KindDisclosure> {
        self.disclosure_by_kind.iter().find(|k| SubjectKind::parse(&k.kind) == Some(kind))
    }

    /// Checks the item's own consistency: every referenced field exists.
    fn check(&self) -> Result<(), String> {
        if self.natural_key.is_empty() {
            return Err("自然键(natural_key)不能为空".into());
        }
        if self.restricted
            && (self.disclosure != Disclosure::授权查询
                || self.disclosure_by_kind.iter().any(|k| k.disclosure != Disclosure::授权查询))
        {
            return Err("受限档案(restricted)的公开属性须为“授权查询”".into());
        }
        // Key fields are required, except the subject's own code fields (统一社会信用代码, 证件号码): the item's rules
        // require one of them by subject kind, so that several debtors under one 案号 are several records.
        let subject_codes = [self.subject.uscc.as_deref(), self.subject.id_number.as_deref()];
        for k in &self.natural_key {
            if let Some(f) = self.field(k)
                && !f.required
                && !subject_codes.contains(&Some(k.as_str()))
            {
                return Err(format!("自然键字段 {k} 必须是必填项(主体的统一社会信用代码、证件号码除外)"));
            }
        }
        for k in &self.disclosure_by_kind {
            if SubjectKind::parse(&k.kind).is_none() {
                return Err(format!("disclosure_by_kind 的主体类别“{}”未知", k.kind));
            }
        }
        let mut refs: Vec<&str> = self.natural_key.iter().map(String::as_str).collect();
        refs.extend(self.decision_date.as_deref());
        let s = &self.subject;
        refs.push(&s.name);
        refs.extend(s.kind.as_deref());
        refs.extend(s.uscc.as_deref());
        refs.extend(s.legacy.iter().map(String::as_str));
        refs.extend(s.id_type.as_deref());
        refs.extend(s.id_number.as_deref());
        refs.extend(s.region.as_deref());
        refs.extend(s.status.as_deref());
        if let Some(src) = &self.source {
            refs.push(&src.name);
            refs.push(&src.uscc);
        }
        for r in &self.rules {
            refs.extend(r.when.as_ref().map(|w| w.field.as_str()));
            refs.extend(r.require_all.iter().map(String::as_str));
            refs.extend(r.require_any.iter().map(String::as_str));
            if let Some(o) = &r.not_before {
                refs.push(&o.field);
                refs.push(&o.other);
            }
        }
        for f in &self.fields {
            refs.extend(f.type_field.as_deref());
            if f.kind == FieldType::Enum && f.values.is_empty() {
                return Err(format!("字段 {} 是枚举类型但没有取值", f.code));
            }
            let mapped = f.value_aliases.values().chain(f.codes.iter().flat_map(|c| c.values.values()));
            if let Some(v) = mapped.into_iter().find(|v| !f.values.contains(v)) {
                return Err(format!("字段 {} 的别名或代码指向不存在的取值“{v}”", f.code));
            }
        }
        match refs.iter().find(|r| self.field(r).is_none()) {
            Some(missing) => Err(format!("引用了不存在的字段 {missing}")),
            None => Ok(()),
        }
    }

    /// Validates one row given as catalog field code → raw text. Empty texts count as absent.
    pub fn validate(
        &self,
        raw: &HashMap<String, String>,
        ctx: &ValidationContext<'_>,
    ) -> Result<ValidRecord, Vec<Issue>> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        let mut dates: HashMap<&str, Date> = HashMap::new();
        for f in &self.fields {
            let text = raw.get(&f.code).map(|s| s.trim()).unwrap_or("");
            if text.is_empty() {
                if f.required {
                    errors.push(Issue::new(Some(&f.code), "required", format!("“{}”为必填项,不能为空", f.name)));
                }
                continue;
            }
            if let Some(max) = f.max_len
                && text.chars().count() > max
            {
                errors.push(Issue::new(
                    Some(&f.code),
                    "too_long",
                    format!("“{}”超过最大长度{}字(实际{}字)", f.name, max, text.chars().count()),
                ));
                continue;
            }
            match self.parse_field(f, text, raw, ctx) {
                Ok((value, warning)) => {
                    if let Some(w) = warning {
                        warnings.push(w);
                    }
                    if f.kind == FieldType::Date
                        && let Some(d) = parse_date(&value)
                    {
                        dates.insert(&f.code, d);
                    }
                    values.insert(f.code.clone(), value);
                }
                Err(issue) => errors.push(issue),
            }
        }
        for r in &self.rules {
            if let Some(order) = &r.not_before {
                if let (Some(a), Some(b)) = (dates.get(order.field.as_str()), dates.get(order.other.as_str()))
                    && a < b
                {
                    errors.push(Issue::new(Some(&order.field), &r.code, r.message.clone()));
                }
                continue;
            }
            let Some(w) = &r.when else { continue };
            let applies = match values.get(&w.field) {
                None => false,
                Some(_) if w.present => true,
                Some(v) => v.split(';').any(|p| w.any_of.iter().any(|a| a == p)),
            };
            if !applies {
                continue;
            }
            let missing_all = r.require_all.iter().find(|c| !values.contains_key(*c));
            let missing_any = !r.require_any.is_empty() && !r.require_any.iter().any(|c| values.contains_key(c));
            if let Some(m) = missing_all {
                // Report at the missing field unless it already has an error of its own (e.g. bad format).
                if !errors.iter().any(|e| e.field.as_deref() == Some(m.as_str())) {
                    errors.push(Issue::new(Some(m), &r.code, r.message.clone()));
                }
            } else if missing_any && !r.require_any.iter().any(|c| errors.iter().any(|e| e.field.as_ref() == Some(c))) {
                errors.push(Issue::new(r.require_any.first().map(String::as_str), &r.code, r.message.clone()));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let subject = self.subject_ref(&values);
        let natural_key = self.natural_key_of(&values);
        let decided_on = self.decision_date.as_ref().and_then(|f| dates.get(f.as_str()).copied());
        let source_name = self.source.as_ref().and_then(|s| values.get(&s.name).cloned());
        let source_uscc = self.source.as_ref().and_then(|s| values.get(&s.uscc).cloned());
        Ok(ValidRecord {
            item: self.code.clone(),
            fields: values,
            subject,
            decided_on,
            natural_key,
            source_name,
            source_uscc,
            warnings,
        })
    }

    fn parse_field(
        &self,
        f: &Field,
        text: &str,
        raw: &HashMap<String, String>,
        ctx: &ValidationContext<'_>,
    ) -> Result<(String, Option<Issue>), Issue> {
        let id_issue = |e: IdError| Issue::new(Some(&f.code), e.code(), format!("“{}”:{}", f.name, e.message()));
        let value = match f.kind {
            FieldType::Text => text.to_string(),
            FieldType::Code => text.to_uppercase(),
            FieldType::Date => {
                let d = parse_date(text).ok_or_else(|| {
                    Issue::new(
                        Some(&f.code),
                        "invalid_date",
                        format!("“{}”的值“{}”不是有效日期(应为YYYY-MM-DD、YYYY/MM/DD或YYYYMMDD)", f.name, text),
                    )
                })?;
                if f.not_future && d > ctx.today {
                    return Err(Issue::new(
                        Some(&f.code),
                        "date_in_future",
                        format!("“{}”为{},晚于今天({})", f.name, d, ctx.today),
                    ));
                }
                d.to_string()
            }
            FieldType::Money => parse_money(text)
                .ok_or_else(|| {
                    Issue::new(
                        Some(&f.code),
                        "invalid_money",
                        format!("“{}”的值“{}”不是以万元为单位的非负数字(最多6位小数,不带单位)", f.name, text),
                    )
                })?
                .to_string(),
            FieldType::Year => parse_year(text, ctx.today.year())
                .ok_or_else(|| {
                    Issue::new(Some(&f.code), "invalid_year", format!("“{}”的值“{}”不是有效年份", f.name, text))
                })?
                .to_string(),
            FieldType::Enum => {
                let parts: Vec<&str> = if f.multi {
                    text.split(MULTI_SEPARATORS).map(str::trim).filter(|p| !p.is_empty()).collect()
                } else {
                    vec![text]
                };
                let mut out: Vec<String> = Vec::new();
                for p in parts {
                    let v = f.enum_value(p).map(str::to_string).ok_or_else(|| {
                        Issue::new(
                            Some(&f.code),
                            "invalid_enum",
                            format!("“{}”的值“{}”不在允许的取值中({})", f.name, p, f.values.join("、")),
                        )
                    })?;
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
                out.join(";")
            }
            FieldType::Uscc => {
                let u = Uscc::parse(text).map_err(id_issue)?;
                let warning = ctx.registrars.warning(&u).map(|(code, m)| Issue::new(Some(&f.code), code, m));
                return Ok((u.as_str().to_string(), warning));
            }
            FieldType::OrgCode => OrgCode::parse(text).map_err(id_issue)?.as_str().to_string(),
            FieldType::RegNo => RegNo::parse(text).map_err(id_issue)?.as_str().to_string(),
            FieldType::IdNumber => {
                // The document type as its field reads it (a code `01` or an alias names 身份证 too).
                let type_field = f.type_field.as_ref().and_then(|t| self.field(t));
                let doc = f.type_field.as_ref().and_then(|t| raw.get(t)).map(|s| s.trim()).unwrap_or("");
                let doc = type_field.and_then(|t| t.enum_value(doc)).unwrap_or(doc);
                let is_ric = doc.is_empty() || doc == "身份证" || doc == "居民身份证";
                if is_ric && f.multi {
                    // Several people's numbers (实际控制人 …), each a 居民身份证号码, kept as `a;b`.
                    let parts = text.split(MULTI_SEPARATORS).map(str::trim).filter(|p| !p.is_empty());
                    let rics = parts.map(|p| Ric::parse(p, ctx.today).map(|r| r.as_str().to_string()));
                    rics.collect::<Result<Vec<_>, _>>().map_err(id_issue)?.join(";")
                } else if is_ric {
                    Ric::parse(text, ctx.today).map_err(id_issue)?.as_str().to_string()
                } else {
                    text.to_uppercase()
                }
            }
            FieldType::Region => {
                let r = ctx.regions.get(text.trim()).ok_or_else(|| {
                    Issue::new(
                        Some(&f.code),
                        "invalid_region",
                        format!("“{}”的值“{}”不是已知的行政区划代码", f.name, text),
                    )
                })?;
                r.code.clone()
            }
        };
        Ok((value, None))
    }

    /// Who a record's (validated) fields name as its subject.
    pub fn subject_ref(&self, values: &BTreeMap<String, String>) -> SubjectRef {
        let s = &self.subject;
        let get = |c: &Option<String>| c.as_ref().and_then(|c| values.get(c)).cloned();
        let uscc = get(&s.uscc);
        let kind = get(&s.kind)
            .or_else(|| s.default_kind.clone())
            .and_then(|k| SubjectKind::from_label(&k))
            .unwrap_or(SubjectKind::Organisation);
        // A USCC registered as 个体工商户 (92…) names an individual business whatever the default says.
        let kind = match (&uscc, kind) {
            (Some(u), SubjectKind::Organisation) if u.starts_with("92") => SubjectKind::IndividualBusiness,
            (_, k) => k,
        };
        let id_number = get(&s.id_number);
        let id_type = get(&s.id_type).unwrap_or_else(|| "身份证".to_string());
        let (ric, other_id) = match (kind, id_number) {
            (SubjectKind::Person, Some(n)) if id_type == "身份证" => (Some(n), None),
            (SubjectKind::Person, Some(n)) => (None, Some(format!("{id_type}:{n}"))),
            _ => (None, None),
        };
        let name = values.get(&s.name).cloned().unwrap_or_default();
        let region = get(&s.region)
            .or_else(|| uscc.as_ref().map(|u| u[2..8].to_string()))
            .or_else(|| ric.as_ref().map(|r| r[..6].to_string()));
        SubjectRef {
            kind,
            name_norm: normalize_name(&name),
            name,
            uscc,
            ric,
            other_id,
            legacy: s.legacy.iter().filter_map(|c| values.get(c).cloned()).collect(),
            region,
            status: get(&s.status),
        }
    }
}

/// What validation needs from outside a row.
pub struct ValidationContext<'a> {
    pub today: Date,
    pub regions: &'a RegionTable,
    pub registrars: &'a RegistrarTable,
}

/// All catalog items plus the code tables they use.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub items: BTreeMap<String, Item>,
    pub regions: RegionTable,
    pub registrars: RegistrarTable,
    /// 联合奖惩措施 (`measures.toml`).
    pub measures: crate::measures::Measures,
    /// 法定节假日与调休 (`calendar.toml`).
    pub calendar: crate::calendar::Calendar,
    /// 公示期限与信用修复规则 (`publicity.toml`).
    pub publicity: crate::publicity::Publicity,
    /// 信用报告的种类与章节 (`reports.toml`).
    pub reports: crate::reports::Reports,
    /// 信用评价方案 (`evaluation/*.toml`).
    pub evaluation: crate::evaluation::Schemes,
    /// 诚信建设示范单位的创建标准 (`honours.toml`), when the catalog has one.
    pub honours: Option<crate::honours::Standard>,
    /// 政务诚信 and the credit service market (`integrity.toml`), when the catalog has them.
    pub integrity: Option<crate::integrity::Integrity>,
    /// Every field the measures' triggers or the schemes' indicators read, by item: what the restriction index keeps
    /// of a record.
    pub indexed: BTreeMap<String, std::collections::BTreeSet<String>>,
    /// Every rule not yet confirmed from its source (`verified = false`), across all the files.
    pub unverified: Vec<crate::sources::Unverified>,
    /// SM3 over every file the catalog was built from (names and texts, in order): what is derived from the
    /// catalog and kept (the checks' index snapshot) is valid only for the same digest.
    pub digest: String,
}

impl Catalog {
    /// Builds a catalog from `(file name, TOML text)` pairs. `regions.toml` and `uscc_registrars.toml` are the
    /// code tables; every other file is one item.
    pub fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Catalog, DataError> {
        let mut items = BTreeMap::new();
        let mut regions = None;
        let mut registrars = None;
        let mut measures = None;
        let mut calendar = None;
        let mut publicity = None;
        let mut reports = None;
        let mut honours = None;
        let mut integrity = None;
        let mut schemes = Vec::new();
        let mut unverified = Vec::new();
        let mut digest = sm3::Sm3::new();
        for (name, text) in files {
            for part in [name.as_bytes(), &[0], text.as_bytes(), &[0]] {
                digest.update(part);
            }
            unverified.extend(crate::sources::unverified([(name, text)]));
            match name {
                "calendar.toml" => calendar = Some(crate::calendar::Calendar::from_toml(text)?),
                "measures.toml" => measures = Some(text),
                "publicity.toml" => publicity = Some(text),
                "reports.toml" => reports = Some(text),
                "honours.toml" => honours = Some(text),
                "integrity.toml" => integrity = Some(text),
                "regions.toml" => regions = Some(RegionTable::from_toml(text)?),
                "uscc_registrars.toml" => registrars = Some(RegistrarTable::from_toml(text)?),
                _ if name.starts_with("evaluation/") => schemes.push((name, text)),
                _ => {
                    let item: Item = toml::from_str(text).map_err(|e| DataError::new(name, e))?;
                    item.check().map_err(|e| DataError::new(name, e))?;
                    items.insert(item.code.clone(), item);
                }
            }
        }
        let measures = crate::measures::Measures::from_toml(
            measures.ok_or_else(|| DataError::new("measures.toml", "缺少联合奖惩措施清单"))?,
            &items,
        )?;
        let publicity = crate::publicity::Publicity::from_toml(
            publicity.ok_or_else(|| DataError::new("publicity.toml", "缺少公示期限规则"))?,
            &items,
        )?;
        let reports = crate::reports::Reports::from_toml(
            reports.ok_or_else(|| DataError::new("reports.toml", "缺少信用报告章节表"))?,
            &items,
        )?;
        let mut evaluation = crate::evaluation::Schemes::default();
        for (name, text) in schemes {
            let scheme = crate::evaluation::Scheme::from_toml(name, text, &items)?;
            if evaluation.schemes.contains_key(&scheme.code) {
                return Err(DataError::new(name, format!("评价方案代码 {} 重复", scheme.code)));
            }
            evaluation.schemes.insert(scheme.code.clone(), scheme);
        }
        for s in evaluation.iter() {
            let Some(m) = &s.members else { continue };
            let bad = |e: String| DataError::new("evaluation/", format!("{}: {e}", s.code));
            let of = evaluation.get(&m.scheme).ok_or_else(|| bad(format!("成员的评价方案 {} 未定义", m.scheme)))?;
            if let Some(g) = m.good.iter().find(|g| of.grade(g).is_none()) {
                return Err(bad(format!("{g} 不是评价方案 {} 的等级", m.scheme)));
            }
        }
        if evaluation.by_members().len() != evaluation.iter().filter(|s| s.members.is_some()).count() {
            return Err(DataError::new("evaluation/", "按成员评价的方案相互引用成环"));
        }
        if evaluation.iter().filter(|s| s.sector.is_none()).count() > 1 {
            return Err(DataError::new("evaluation/", "只能有一个公共信用综合评价方案(不写 sector 的方案)"));
        }
        for m in &measures.measures {
            let Some(g) = &m.grade else { continue };
            let bad = |e: String| DataError::new("measures.toml", format!("{}: {e}", m.id));
            let scheme = evaluation.get(&g.scheme).ok_or_else(|| bad(format!("未定义的评价方案 {}", g.scheme)))?;
            if let Some(v) = g.values.iter().find(|v| scheme.grade(v).is_none()) {
                return Err(bad(format!("{v} 不是评价方案 {} 的等级", g.scheme)));
            }
        }
        let mut indexed = measures.fields.clone();
        for (item, fields) in evaluation.fields() {
            indexed.entry(item).or_default().extend(fields);
        }
        let honours = honours.map(|t| crate::honours::Standard::from_toml(t, &items)).transpose()?;
        if let Some(h) = &honours {
            let scheme = evaluation
                .get(&h.scheme)
                .ok_or_else(|| DataError::new("honours.toml", format!("未定义的评价方案 {}", h.scheme)))?;
            if let Some(g) = h.grades.iter().find(|g| scheme.grade(g).is_none()) {
                return Err(DataError::new("honours.toml", format!("{g} 不是评价方案 {} 的等级", h.scheme)));
            }
        }
        let integrity = integrity.map(|t| crate::integrity::Integrity::from_toml(t, &items)).transpose()?;
        Ok(Catalog {
            honours,
            integrity,
            evaluation,
            indexed,
            measures,
            publicity,
            reports,
            calendar: calendar.ok_or_else(|| DataError::new("calendar.toml", "缺少节假日安排表"))?,
            items,
            regions: regions.ok_or_else(|| DataError::new("regions.toml", "缺少行政区划代码表"))?,
            registrars: registrars.ok_or_else(|| DataError::new("uscc_registrars.toml", "缺少登记管理部门码表"))?,
            unverified,
            digest: digest.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        })
    }

    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.get(code)
    }

    /// The codes of every field that holds an identity document number (sealed at rest).
    pub fn sensitive_fields(&self) -> Vec<String> {
        let fields = self.items.values().flat_map(|i| &i.fields);
        fields.filter(|f| f.kind == FieldType::IdNumber).map(|f| f.code.clone()).collect()
    }

    pub fn context(&self, today: Date) -> ValidationContext<'_> {
        ValidationContext { today, regions: &self.regions, registrars: &self.registrars }
    }
}
