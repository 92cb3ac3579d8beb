//! Catalog validation: required fields, formats, enumerations and every conditional rule of the 双公示 items.

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

use std::collections::HashMap;

use credo_domain::catalog::{Catalog, SubjectKind};
use credo_domain::embedded;
use time::macros::date;

fn catalog() -> Catalog {
    embedded::catalog()
}

fn xzcf_row() -> HashMap<String, String> {
    [
        ("CF_XDR_MC", "西宁市城东区鑫源商贸有限公司"),
        ("CF_XDR_LB", "法人及非法人组织"),
        ("CF_XDR_SHXYM", "91630100MA7X00018G"),
        ("CF_FRDB", "张三"),
        ("CF_WSH", "宁市监罚〔2025〕12号"),
        ("CF_WFXW", "销售不合格商品"),
        ("CF_SY", "经查,当事人销售不合格商品"),
        ("CF_YJ", "《中华人民共和国产品质量法》第四十九条"),
        ("CF_CFLB", "警告;罚款"),
        ("CF_NR", "警告并罚款2000元"),
        ("CF_NR_FK", "0.2"),
        ("CF_JDRQ", "2025/06/01"),
        ("CF_YXQ", "2099/12/31"),
        ("CF_CFJG", "西宁市市场监督管理局"),
        ("CF_CFJGDM", "11630100MB174225XT"),
        ("CF_SJLY", "西宁市市场监督管理局"),
        ("CF_SJLYDM", "11630100MB174225XT"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn codes(c: &Catalog, row: &HashMap<String, String>) -> Vec<(String, String)> {
    match c.item("xzcf").unwrap().validate(row, &c.context(date!(2026 - 11 - 25))) {
        Ok(_) => vec![],
        Err(e) => e.into_iter().map(|i| (i.field.unwrap_or_default(), i.code)).collect(),
    }
}

#[test]
fn every_item_loads_and_has_its_fields() {
    let c = catalog();
    for code in ["xzxk", "xzcf", "djzc", "yzsx", "jyyc", "sxbzxr", "sxjl", "xycn", "nsxy"] {
        let item = c.item(code).unwrap_or_else(|| panic!("{code} missing"));
        assert!(!item.fields.is_empty());
        assert!(!item.natural_key.is_empty());
    }
    // The 30 national items plus 公示日期, 程序类型 and 涉及特定严重失信行为 (publicity rules, issue 12).
    assert_eq!(c.item("xzcf").unwrap().fields.len(), 33);
}

#[test]
fn a_good_penalty_validates_and_normalises() {
    let c = catalog();
    let rec = c.item("xzcf").unwrap().validate(&xzcf_row(), &c.context(date!(2026 - 11 - 25))).unwrap();
    assert_eq!(rec.fields["CF_JDRQ"], "2025-06-01");
    assert_eq!(rec.fields["CF_YXQ"], "2099-12-31");
    assert_eq!(rec.fields["CF_CFLB"], "警告;罚款");
    assert_eq!(rec.subject.uscc.as_deref(), Some("91630100MA7X00018G"));
    assert_eq!(rec.subject.kind, SubjectKind::Organisation);
    assert_eq!(rec.natural_key, "宁市监罚〔2025〕12号|11630100MB174225XT", "文书号 and 处罚机关代码");
    assert_eq!(rec.decided_on, Some(date!(2025 - 06 - 01)));
    assert_eq!(rec.source_uscc.as_deref(), Some("11630100MB174225XT"));
}

#[test]
fn penalty_types_accept_every_separator() {
    let c = catalog();
    for sep in [";", "；", "、"] {
        let mut row = xzcf_row();
        row.insert("CF_CFLB".into(), format!("警告{sep}罚款"));
        assert!(codes(&c, &row).is_empty(), "{sep}");
    }
}

#[test]
fn conditional_rules() {
    let c = catalog();
    let mut row = xzcf_row();
    row.remove("CF_NR_FK");
    assert_eq!(codes(&c, &row), vec![("CF_NR_FK".into(), "fine_amount_required".into())]);

    let mut row = xzcf_row();
    row.insert("CF_CFLB".into(), "没收违法所得".into());
    assert_eq!(codes(&c, &row), vec![("CF_NR_WFFF".into(), "confiscation_amount_required".into())]);

    let mut row = xzcf_row();
    row.insert("CF_CFLB".into(), "吊销许可证件".into());
    assert_eq!(codes(&c, &row), vec![("CF_NR_ZKDX".into(), "licence_required".into())]);
    row.insert("CF_CFLB".into(), "暂扣许可证件".into());
    assert_eq!(codes(&c, &row), vec![("CF_NR_ZKDX".into(), "licence_required".into())]);

    let mut row = xzcf_row();
    row.insert("CF_XDR_LB".into(), "自然人".into());
    let got = codes(&c, &row);
    assert!(got.contains(&("CF_XDR_ZJLX".into(), "person_id_required".into())), "{got:?}");

    let mut row = xzcf_row();
    row.insert("CF_XDR_LB".into(), "个体工商户".into());
    row.remove("CF_XDR_SHXYM");
    assert_eq!(codes(&c, &row), vec![("CF_XDR_SHXYM".into(), "organisation_code_required".into())]);
    row.insert("CF_XDR_ZZJG".into(), "59467239-9".into());
    assert!(codes(&c, &row).is_empty());
}

#[test]
fn a_person_is_keyed_by_the_upgraded_id_number() {
    let c = catalog();
    let mut row = xzcf_row();
    row.insert("CF_XDR_LB".into(), "自然人".into());
    row.insert("CF_XDR_MC".into(), "李四".into());
    row.remove("CF_XDR_SHXYM");
    row.insert("CF_XDR_ZJLX".into(), "身份证".into());
    row.insert("CF_XDR_ZJHM".into(), "63010219900101123x".into());
    let got = codes(&c, &row);
    assert_eq!(got, vec![("CF_XDR_ZJHM".into(), "invalid_checksum".into())]);
    row.insert("CF_XDR_ZJHM".into(), "630102199001011235".into());
    let rec = c.item("xzcf").unwrap().validate(&row, &c.context(date!(2026 - 11 - 25))).unwrap();
    assert_eq!(rec.subject.kind, SubjectKind::Person);
    assert_eq!(rec.subject.ric.as_deref(), Some("630102199001011235"));
    assert_eq!(rec.subject.primary_code(), Some("630102199001011235"));
}

#[test]
fn field_format_errors() {
    let c = catalog();
    let cases = [
        ("CF_JDRQ", "2027-01-01", "date_in_future"),
        ("CF_JDRQ", "2025-02-30", "invalid_date"),
        ("CF_NR_FK", "2000元", "invalid_money"),
        ("CF_CFLB", "警告;打板子", "invalid_enum"),
        ("CF_XDR_LB", "公司", "invalid_enum"),
        ("CF_XDR_SHXYM", "91630100MA7X00018H", "invalid_checksum"),
        ("CF_XDR_SHXYM", "91630100MA7X0001", "invalid_length"),
        ("CF_XDR_GSZC", "630100000000010", "invalid_checksum"),
        ("CF_XDR_ZZJG", "59467239-8", "invalid_checksum"),
        ("CF_WSH", "", "required"),
    ];
    for (field, value, code) in cases {
        let mut row = xzcf_row();
        row.insert(field.into(), value.into());
        let got = codes(&c, &row);
        assert!(got.contains(&(field.to_string(), code.to_string())), "{field}={value}: {got:?}");
    }
    let mut row = xzcf_row();
    row.insert("CF_WSH".into(), "号".repeat(129));
    assert_eq!(codes(&c, &row), vec![("CF_WSH".into(), "too_long".into())]);
}

#[test]
fn licence_validity_order_and_status_codes() {
    let c = catalog();
    let item = c.item("xzxk").unwrap();
    let mut row: HashMap<String, String> = [
        ("XK_XDR_MC", "湟中区某某餐饮店"),
        ("XK_XDR_LB", "个体工商户"),
        ("XK_XDR_SHXYM", "92630102MA7X000265"),
        ("XK_XKWS", "食品经营许可决定书"),
        ("XK_WSH", "JY16301020001"),
        ("XK_XKLB", "普通"),
        ("XK_NR", "食品经营"),
        ("XK_JDRQ", "20250301"),
        ("XK_YXQZ", "2025-03-01"),
        ("XK_YXQZI", "2030-02-28"),
        ("XK_XKJG", "西宁市城东区市场监督管理局"),
        ("XK_XKJGDM", "11630102MB174225XP"),
        ("XK_ZT", "1"),
        ("XK_LYDW", "西宁市城东区市场监督管理局"),
        ("XK_LYDWDM", "11630102MB174225XP"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let ctx = c.context(date!(2026 - 11 - 25));
    let rec = item.validate(&row, &ctx).unwrap();
    assert_eq!(rec.fields["XK_ZT"], "有效");
    assert_eq!(rec.subject.kind, SubjectKind::IndividualBusiness);
    row.insert("XK_YXQZI".into(), "2024-01-01".into());
    let errs = item.validate(&row, &ctx).unwrap_err();
    assert_eq!(errs[0].code, "validity_order");
}

#[test]
fn unknown_registrar_pair_only_warns() {
    let c = catalog();
    let mut row = xzcf_row();
    // 9 4 is no assigned department/category pair, but the code's checks hold.
    row.insert("CF_XDR_SHXYM".into(), "94630100MA7X000187".into());
    let rec = c.item("xzcf").unwrap().validate(&row, &c.context(date!(2026 - 11 - 25))).unwrap();
    assert_eq!(rec.warnings[0].code, "unknown_registrar");
}

fn row(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn other_items_year_region_and_order_rules() {
    let c = catalog();
    let ctx = c.context(date!(2026 - 11 - 25));
    let tax = row(&[
        ("NS_MC", "西宁市城东区鑫源商贸有限公司"),
        ("NS_SHXYM", "91630100MA7X00018G"),
        ("NS_PJND", "2027"),
        ("NS_XYJB", "A"),
        ("NS_PJRQ", "2026-04-20"),
        ("NS_PJJG", "国家税务总局西宁市税务局"),
        ("NS_SJLY", "国家税务总局西宁市税务局"),
        ("NS_SJLYDM", "11630100MB174225XT"),
    ]);
    let errs = c.item("nsxy").unwrap().validate(&tax, &ctx).unwrap_err();
    assert_eq!(errs[0].code, "invalid_year");
    let mut ok = tax.clone();
    ok.insert("NS_PJND".into(), "2025".into());
    let rec = c.item("nsxy").unwrap().validate(&ok, &ctx).unwrap();
    assert_eq!(rec.natural_key, "91630100MA7X00018G|2025");

    let reg = row(&[
        ("DJ_MC", "西宁市城东区鑫源商贸有限公司"),
        ("DJ_SHXYM", "91630100MA7X00018G"),
        ("DJ_ZTLB", "法人"),
        ("DJ_CLRQ", "2015-03-01"),
        ("DJ_DJJG", "西宁市市场监督管理局"),
        ("DJ_HZRQ", "2015-03-01"),
        ("DJ_XZQH", "630199"),
        ("DJ_DJZT", "存续"),
    ]);
    let errs = c.item("djzc").unwrap().validate(&reg, &ctx).unwrap_err();
    assert_eq!((errs[0].field.as_deref(), errs[0].code.as_str()), (Some("DJ_XZQH"), "invalid_region"));
    let mut reg = reg;
    reg.insert("DJ_XZQH".into(), "630122".into());
    let rec = c.item("djzc").unwrap().validate(&reg, &ctx).unwrap();
    assert_eq!(rec.subject.region.as_deref(), Some("630122"), "the historic 湟中县 code is still valid");
    assert_eq!(rec.subject.status.as_deref(), Some("存续"));
    assert_eq!(rec.fields["DJ_ZTLB"], "法人及非法人组织", "value alias normalised");

    let listing = row(&[
        ("YZ_MC", "西宁市城东区鑫源商贸有限公司"),
        ("YZ_ZTLB", "法人及非法人组织"),
        ("YZ_SHXYM", "91630100MA7X00018G"),
        ("YZ_MDLX", "市场监督管理严重违法失信名单"),
        ("YZ_LRYY", "三次以上同类违法"),
        ("YZ_LRYJ", "《市场监督管理严重违法失信名单管理办法》"),
        ("YZ_LRWSH", "宁市监严〔2025〕1号"),
        ("YZ_LRRQ", "2025-05-01"),
        ("YZ_RDJG", "西宁市市场监督管理局"),
        ("YZ_RDJGDM", "11630100MB174225XT"),
        ("YZ_YCRQ", "2025-04-01"),
        ("YZ_SJLY", "西宁市市场监督管理局"),
        ("YZ_SJLYDM", "11630100MB174225XT"),
    ]);
    let codes: Vec<String> =
        c.item("yzsx").unwrap().validate(&listing, &ctx).unwrap_err().into_iter().map(|i| i.code).collect();
    assert!(codes.contains(&"removal_reason_required".to_string()), "{codes:?}");
    assert!(codes.contains(&"removal_after_listing".to_string()), "{codes:?}");
}

/// One law case about keys, codes and disclosure: the penalty row with `changes`, what it must come out as.
struct Case {
    name: &'static str,
    source: &'static str,
    changes: Vec<(&'static str, &'static str)>,
    /// `Ok(field → normalised value)` or `Err(field, issue code)`.
    expected: Result<Vec<(&'static str, &'static str)>, (&'static str, &'static str)>,
}

#[test]
fn numeric_codes_are_accepted_as_aliases() {
    const PERSON: [(&str, &str); 3] =
        [("CF_XDR_MC", "李四"), ("CF_XDR_SHXYM", ""), ("CF_XDR_ZJHM", "630102199001011235")];
    // law-case table
    let cases = vec![
        Case {
            name: "行政相对人类别 01 = 法人及非法人组织",
            source: "STANDARDS §13.3(数字代码作为别名);§4.3 取值",
            changes: vec![("CF_XDR_LB", "01")],
            expected: Ok(vec![("CF_XDR_LB", "法人及非法人组织")]),
        },
        Case {
            name: "行政相对人类别 02、证件类型 01:自然人的身份证号按 GB 11643 校验后接受",
            source: "STANDARDS §13.3;§2(GB 11643-1999)",
            changes: [PERSON.as_slice(), &[("CF_XDR_LB", "02"), ("CF_XDR_ZJLX", "01")]].concat(),
            expected: Ok(vec![("CF_XDR_LB", "自然人"), ("CF_XDR_ZJLX", "身份证")]),
        },
        Case {
            name: "证件类型 01 的号码校验位错误:按身份证拒收",
            source: "STANDARDS §13.3;§2.2(ISO 7064 MOD 11-2)",
            changes: [
                PERSON.as_slice(),
                &[("CF_XDR_LB", "02"), ("CF_XDR_ZJLX", "01"), ("CF_XDR_ZJHM", "630102199001011234")],
            ]
            .concat(),
            expected: Err(("CF_XDR_ZJHM", "invalid_checksum")),
        },
        Case {
            name: "证件类型 02 = 护照号",
            source: "STANDARDS §13.3(证件类型 01–05);§4.3",
            changes: [PERSON.as_slice(), &[("CF_XDR_LB", "02"), ("CF_XDR_ZJLX", "02"), ("CF_XDR_ZJHM", "E12345678")]]
                .concat(),
            expected: Ok(vec![("CF_XDR_ZJLX", "护照号"), ("CF_XDR_ZJHM", "E12345678")]),
        },
        Case {
            name: "行政相对人类别 03 = 个体工商户",
            source: "STANDARDS §13.3;§4.3",
            changes: vec![("CF_XDR_LB", "03"), ("CF_XDR_SHXYM", "92630102MA7X000265")],
            expected: Ok(vec![("CF_XDR_LB", "个体工商户")]),
        },
        Case {
            name: "行政相对人类别 04 未定义:拒收",
            source: "STANDARDS §13.3 列出 01–04,但 §4.3 只有三个取值,04 对应什么未确认",
            changes: vec![("CF_XDR_LB", "04")],
            expected: Err(("CF_XDR_LB", "invalid_enum")),
        },
        Case {
            name: "不带前导零的 1:标准未允许,拒收",
            source: "STANDARDS §13.3(代码为两位 01–04)",
            changes: vec![("CF_XDR_LB", "1")],
            expected: Err(("CF_XDR_LB", "invalid_enum")),
        },
        Case {
            name: "处罚机关统一社会信用代码是自然键的一部分,必须填写",
            source: "STANDARDS §13.2.7;§4.3(CF_CFJGDM 必填)",
            changes: vec![("CF_CFJGDM", "")],
            expected: Err(("CF_CFJGDM", "required")),
        },
    ];
    let c = catalog();
    let item = c.item("xzcf").unwrap();
    for case in cases {
        let mut row = xzcf_row();
        for (k, v) in &case.changes {
            row.insert(k.to_string(), v.to_string());
        }
        let got = item.validate(&row, &c.context(date!(2026 - 11 - 25)));
        match (&case.expected, got) {
            (Ok(want), Ok(rec)) => {
                for (k, v) in want {
                    assert_eq!(rec.fields.get(*k).map(String::as_str), Some(*v), "{} ({})", case.name, case.source);
                }
            }
            (Err((field, code)), Err(issues)) => assert!(
                issues.iter().any(|i| i.field.as_deref() == Some(*field) && i.code == *code),
                "{} ({}): {issues:?}",
                case.name,
                case.source
            ),
            (want, got) => panic!("{} ({}): expected {want:?}, got {got:?}", case.name, case.source),
        }
    }
    // The subject of a row with codes is a person keyed by the ID number.
    let mut row = xzcf_row();
    row.extend(
        PERSON.iter().chain(&[("CF_XDR_LB", "02"), ("CF_XDR_ZJLX", "01")]).map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let rec = item.validate(&row, &c.context(date!(2026 - 11 - 25))).unwrap();
    assert_eq!((rec.subject.kind, rec.subject.ric.as_deref()), (SubjectKind::Person, Some("630102199001011235")));
}

#[test]
fn natural_keys_hold_the_deciding_authority_and_are_required() {
    let c = catalog();
    // Every key field of every item is required (a key with an empty part would merge records), except the
    // subject's own code fields, which the item's rules require by subject kind.
    for item in c.items.values() {
        let codes = [item.subject.uscc.as_deref(), item.subject.id_number.as_deref()];
        for k in &item.natural_key {
            let required = item.field(k).unwrap().required || codes.contains(&Some(k.as_str()));
            assert!(required, "{}: key field {k} must be required", item.code);
        }
        assert!(
            item.field(&item.natural_key[0]).unwrap().required,
            "{}: the key starts with a required field",
            item.code
        );
    }
    for (item, key) in [
        ("xzcf", vec!["CF_WSH", "CF_CFJGDM"]),
        ("xzxk", vec!["XK_WSH", "XK_XKJGDM"]),
        ("yzsx", vec!["YZ_LRWSH", "YZ_RDJGDM"]),
        ("jyyc", vec!["YC_LRWSH", "YC_ZCJGDM"]),
        ("sxjl", vec!["HM_RDWH", "HM_RDJGDM"]),
        ("xycn", vec!["CN_CNBH", "CN_SLDWDM"]),
        // 案号 carries the court (法院代字), but one 执行案号 names several debtors: each by its own code.
        ("sxbzxr", vec!["ZX_AH", "ZX_SHXYM", "ZX_ZJHM"]),
        ("xzxf", vec!["XF_AH", "XF_SHXYM", "XF_ZJHM"]),
    ] {
        assert_eq!(c.item(item).unwrap().natural_key, key, "{item} (STANDARDS §13.2.7)");
    }
    let item = c.item("xzcf").unwrap();
    let ctx = c.context(date!(2026 - 11 - 25));
    let city = item.validate(&xzcf_row(), &ctx).unwrap();
    let mut row = xzcf_row();
    row.insert("CF_CFJGDM".into(), "11630102MB174225XP".into());
    let district = item.validate(&row, &ctx).unwrap();
    assert_eq!(city.natural_key, "宁市监罚〔2025〕12号|11630100MB174225XT");
    assert_ne!(city.natural_key, district.natural_key, "same 文书号, two authorities: two keys");
    assert_eq!(item.natural_key_of(&city.fields), city.natural_key, "one function computes the key");
}

#[test]
fn disclosure_is_set_per_subject_kind() {
    use credo_domain::catalog::Disclosure;
    let c = catalog();
    let xzcf = c.item("xzcf").unwrap();
    assert_eq!(xzcf.disclosure_for(SubjectKind::Organisation), Disclosure::公开, "双公示 (STANDARDS §4.1)");
    assert_eq!(xzcf.disclosure_for(SubjectKind::IndividualBusiness), Disclosure::公开);
    // Not confirmed that a city portal may publish persons' penalties (STANDARDS §13.3, 个人信息保护法 第二十五条):
    // the more private choice, marked unverified with its reason.
    let rule = xzcf.kind_disclosure(SubjectKind::Person).unwrap();
    assert_eq!((rule.disclosure, rule.verified), (Disclosure::政务共享, false));
    assert!(rule.reason.contains("未确认") && rule.basis.contains("个人信息保护法"), "{rule:?}");
    // 失信被执行人 are published with persons' names by the courts (法释〔2017〕7号 第六条、第七条).
    assert_eq!(c.item("sxbzxr").unwrap().disclosure_for(SubjectKind::Person), Disclosure::公开);
}
