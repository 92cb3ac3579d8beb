//! What the public may see (公示): subjects and records with personal data removed or masked.
//!
//! * A person's ID number is never shown in full: `6301**********1235` (first 4, last 4; STANDARDS.md §11.2).
//! * Fields the catalog marks `public = false` (证件号码 …) are left out.
//! * Any ID number written in a name or in free text (违法事实 …), in any form (15 or 18 digits, full-width, in
//!   groups, glued to other text), is masked as well: [`mask_ids`], the one function every surface uses.
//! * Extras (unmapped columns) are never shown.

use credo_domain::catalog::{Catalog, SubjectKind};
use credo_domain::ids::mask_middle;
use credo_domain::masking::mask_id_numbers;
use credo_domain::publicity::{Class, Facts, Mark, Repair, State, Window};
use credo_store::{RecordView, Subject};
use serde::Serialize;
use time::Date;

/// The code shown for a subject: persons' identity numbers masked.
pub fn display_code(s: &Subject) -> Option<String> {
    let code = s.code.as_deref()?;
    Some(match s.kind {
        SubjectKind::Person => match code.split_once(':') {
            Some((doc, number)) => format!("{doc}:{}", mask_middle(number, 2, 2)),
            None => mask_middle(code, 4, 4),
        },
        _ => code.to_string(),
    })
}

/// Text as the public may see it (a name, a field, an echoed query or code): every ID number written in it masked
/// (`6301**********1235`, see [`credo_domain::masking`]).
pub fn mask_ids(text: &str) -> String {
    mask_id_numbers(text).into_owned()
}

#[derive(Debug, Serialize)]
pub struct PublicField {
    pub code: String,
    pub name: String,
    pub value: String,
}

#[derive(Debug, Serialize)]
pub struct PublicRecord {
    pub id: i64,
    pub version: i64,
    pub item: String,
    pub item_name: String,
    pub department: String,
    pub department_uscc: String,
    pub decided_on: Option<String>,
    pub received_at: String,
    pub fields: Vec<PublicField>,
    pub publicity: PublicityView,
}

/// A record's publicity on the day asked: class, state, window and the sentence that explains them.
#[derive(Debug, Serialize)]
pub struct PublicityView {
    pub class: Option<Class>,
    pub state: State,
    pub explanation: String,
    pub shown_from: Option<String>,
    pub shown_until: Option<String>,
    pub repairable_from: Option<String>,
    pub repair: Repair,
    /// Why the record cannot be repaired through the platform, when it cannot.
    pub repair_note: Option<String>,
    pub regime: Option<String>,
    /// Whether the record still counts for joint punishment (联合惩戒) today.
    pub counts: bool,
    /// `false` when a rule used is not confirmed from the official text.
    pub verified: bool,
}

/// A stored record's publicity window (`catalog/publicity.toml`): one place that turns a record into the rules' facts.
pub fn window(catalog: &Catalog, r: &RecordView) -> Window {
    let facts = Facts { item: &r.item, department: &r.department_name, fields: &r.fields, decided_on: r.decided_on };
    catalog.publicity.window(&facts)
}

/// The publicity of a record on `today`; `disputed`: an objection is open.
pub fn publicity(catalog: &Catalog, r: &RecordView, disputed: bool, today: Date) -> PublicityView {
    let w = window(catalog, r);
    let name = catalog.item(&r.item).map(|i| i.name.as_str()).unwrap_or(&r.item);
    let st = w.status(name, Mark::of(&r.fields).as_ref(), disputed, today);
    let day = |d: Option<Date>| d.map(|d| d.to_string());
    PublicityView {
        class: w.class,
        state: st.state,
        explanation: st.explanation,
        shown_from: day(w.shown_from),
        shown_until: day(w.shown_until),
        repairable_from: day(w.repairable_from),
        repair: w.repair,
        repair_note: (w.repair == Repair::None).then_some(w.repair_note).flatten(),
        regime: w.regime_name,
        counts: st.counts,
        verified: w.verified,
    }
}

#[derive(Debug, Serialize)]
pub struct PublicSubject {
    pub code: Option<String>,
    pub name: String,
    pub kind: SubjectKind,
    pub kind_label: &'static str,
    pub region: Option<String>,
    pub region_name: Option<String>,
    pub status: Option<String>,
}

pub fn subject(catalog: &Catalog, s: &Subject) -> PublicSubject {
    PublicSubject {
        code: display_code(s),
        name: mask_ids(&s.name),
        kind: s.kind,
        kind_label: s.kind.label(),
        region: s.region.clone(),
        region_name: s.region.as_deref().and_then(|r| catalog.regions.get(r)).map(|r| r.name.clone()),
        status: s.status.clone(),
    }
}

/// The public form of a record with its publicity on `today`, or `None` when its item is not public. Whether the
/// record is shown today is `publicity.state.public()`: the caller decides (a department sees its own records).
pub fn record(catalog: &Catalog, r: &RecordView, disputed: bool, today: Date) -> Option<PublicRecord> {
    let item = catalog.item(&r.item)?;
    if item.disclosure != credo_domain::catalog::Disclosure::公开 {
        return None;
    }
    let fields = item
        .fields
        .iter()
        .filter(|f| f.public)
        .filter_map(|f| {
            let v = r.fields.get(&f.code)?;
            Some(PublicField { code: f.code.clone(), name: f.name.clone(), value: mask_ids(v) })
        })
        .collect();
    Some(PublicRecord {
        id: r.id,
        version: r.version,
        item: item.code.clone(),
        item_name: item.name.clone(),
        department: r.department_name.clone(),
        department_uscc: r.department_uscc.clone(),
        decided_on: r.decided_on.map(|d| d.to_string()),
        received_at: r.received_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        fields,
        publicity: publicity(catalog, r, disputed, today),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_numbers_are_masked() {
        let t = "当事人李四(身份证号630102199001011235)于某日销售,订单号1234567890123456789。";
        let m = mask_ids(t);
        assert!(m.contains("6301**********1235"));
        assert!(!m.contains("630102199001011235"));
        assert!(m.contains("1234567890123456789"), "not an ID number, left alone");
        let spaced = mask_ids("李四 6301 0219 9001 0112 35");
        assert_eq!(spaced, "李四 6301 **** **** **12 35");
    }
}
