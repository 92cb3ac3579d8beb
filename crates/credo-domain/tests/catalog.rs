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
    assert_eq!(c.item("xzcf").unwrap().fields.len(), 30);
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
    assert_eq!(rec.natural_key, "宁市监罚〔2025〕12号");
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
