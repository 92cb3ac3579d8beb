//! An item's upload template: the national headers (each field's standard name, in the catalog's order) and one
//! example row for an organisation, filled in wherever the item requires a value, that passes the item's own
//! validation. Departments download it from the console as CSV or XLSX and replace the example with their data.

use crate::catalog::{FieldType, Item};
use crate::ids::{org_code_check, uscc_check};

/// The example organisation's name and the day of its example decision.
const EXAMPLE_NAME: &str = "西宁市示例商贸有限公司";
const EXAMPLE_DAY: &str = "2026-01-15";
/// The last day of the example's validity (有效期, 截止日期 …): a year on.
const EXAMPLE_UNTIL: &str = "2027-01-15";

/// A valid 统一社会信用代码 for the example (a company registered in 西宁市城中区).
fn example_uscc() -> String {
    // 登记管理部门 9 (市场监管), 机构类别 1 (企业), 区划 630102, then the 组织机构代码 with its own check.
    let org = "MA7XB6K2";
    let body = format!("91630102{org}{}", org_code_check(org.as_bytes()).unwrap_or('0'));
    let check = uscc_check(body.as_bytes()).unwrap_or('0');
    format!("{body}{check}")
}

/// The headers of an item's template: each field's standard name.
pub fn headers(item: &Item) -> Vec<String> {
    item.fields.iter().map(|f| f.name.clone()).collect()
}

/// The department a template is made for: its name and USCC, filled in as the 数据来源单位 and the deciding
/// authority (机关, 单位, 部门).
pub struct Department<'a> {
    pub name: &'a str,
    pub uscc: &'a str,
}

/// The example row, in the order of [`headers`]: the subject's name and code, the department as the source and the
/// authority, the first of each listed value, a date, an amount, and a text naming the field for the other required
/// fields; optional fields are left empty (identity numbers of persons above all: the example is an organisation).
pub fn example(item: &Item, department: &Department<'_>) -> Vec<String> {
    let subject = &item.subject;
    let source = item.source.as_ref();
    item.fields
        .iter()
        .map(|f| {
            if f.code == subject.name {
                return EXAMPLE_NAME.to_string();
            }
            if subject.uscc.as_deref() == Some(f.code.as_str()) {
                return example_uscc();
            }
            if source.is_some_and(|s| s.name == f.code) {
                return department.name.to_string();
            }
            if source.is_some_and(|s| s.uscc == f.code) {
                return department.uscc.to_string();
            }
            if !f.required {
                return String::new();
            }
            let authority = ["机关", "单位", "部门"].iter().any(|w| f.name.ends_with(w));
            match f.kind {
                FieldType::Uscc => return department.uscc.to_string(),
                FieldType::Text if authority => return department.name.to_string(),
                _ => {}
            }
            match f.kind {
                FieldType::Enum => f.values.first().cloned().unwrap_or_default(),
                FieldType::Date if ["有效期", "截止"].iter().any(|w| f.name.contains(w)) => {
                    EXAMPLE_UNTIL.to_string()
                }
                FieldType::Date => EXAMPLE_DAY.to_string(),
                FieldType::Money => "1.5".to_string(),
                FieldType::Year => EXAMPLE_DAY[..4].to_string(),
                FieldType::Region => "630102".to_string(),
                FieldType::Uscc => example_uscc(),
                // A person's item needs a number: the standard's own example (GB 11643-1999, 附录), no one's.
                FieldType::IdNumber => "11010519491231002X".to_string(),
                FieldType::OrgCode | FieldType::RegNo => String::new(),
                FieldType::Code => "示例-0001".to_string(),
                FieldType::Text => {
                    let text = format!("(示例){}", f.name);
                    match f.max_len {
                        Some(n) => text.chars().take(n).collect(),
                        None => text,
                    }
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::catalog::ValidationContext;

    const DEPT: Department<'static> = Department { name: "西宁市市场监督管理局", uscc: "11630100MB174225XT" };

    #[test]
    fn every_items_example_row_passes_the_items_validation() {
        let catalog = crate::embedded::catalog();
        let ctx = ValidationContext {
            today: time::macros::date!(2026 - 12 - 01),
            regions: &catalog.regions,
            registrars: &catalog.registrars,
        };
        for item in catalog.items.values() {
            let (headers, row) = (headers(item), example(item, &DEPT));
            assert_eq!(headers.len(), row.len(), "{}", item.code);
            let raw: HashMap<String, String> =
                item.fields.iter().map(|f| f.code.clone()).zip(row.iter().cloned()).collect();
            let valid = item.validate(&raw, &ctx);
            assert!(valid.is_ok(), "{} ({}): {:?}", item.name, item.code, valid.err());
            let valid = valid.unwrap();
            assert_eq!(valid.subject.name, EXAMPLE_NAME, "{}", item.code);
            assert!(valid.warnings.is_empty(), "{}: {:?}", item.code, valid.warnings);
            if let Some(source) = &item.source {
                assert_eq!(valid.source_uscc.as_deref(), Some(DEPT.uscc), "{}: {}", item.code, source.uscc);
            }
        }
    }
}
