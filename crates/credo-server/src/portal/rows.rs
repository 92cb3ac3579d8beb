//! One record as a row of a list, as the home page, subject pages, lists and consoles show it.

use credo_store::RecordView;
use time::Date;

use credo_app::{App, public as publish};

/// One record as a row of a list: what it is, about whom, when, by whom, its state and why.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    /// The record's number as text (for downloads).
    pub number: String,
    pub item_name: String,
    pub title: String,
    pub subject: String,
    /// The subject's page (`/subjects/id-N`), when the record has a subject.
    pub subject_href: Option<String>,
    /// 统一社会信用代码 (or a person's ID number, masked).
    pub code: String,
    pub decided: String,
    pub department: String,
    pub state: String,
    pub explanation: String,
}

/// The row of a record on `today` (`None` when its item is not public).
pub fn row(app: &App, r: &RecordView, disputed: bool, today: Date) -> Option<(Row, bool)> {
    let p = publish::record(&app.catalog, r, disputed, today)?;
    let state = p.publicity.state.label().to_string();
    let shown = p.publicity.state.public();
    Some((fill(app, r, state, p.publicity.explanation)?, shown))
}

/// The row of a record as its own subject or department sees it: as [`row`], and a record of an item the public
/// never sees (政务共享, 授权查询: a person's archive, an enterprise's 社保 figures) as 不公开 rather than left out.
pub fn own_row(app: &App, r: &RecordView, disputed: bool, today: Date) -> Option<(Row, bool)> {
    row(app, r, disputed, today).or_else(|| {
        let item = app.catalog.item(&r.item)?;
        let why = format!("“{}”属{}信息,不向社会公示", item.name, item.disclosure.label());
        // Its subject may have no public page either.
        let row = Row { subject_href: None, ..fill(app, r, "不公开".into(), why)? };
        Some((row, false))
    })
}

fn fill(app: &App, r: &RecordView, state: String, explanation: String) -> Option<Row> {
    let item = app.catalog.item(&r.item)?;
    let title = item.natural_key.first().and_then(|k| r.fields.get(k)).cloned().unwrap_or_default();
    let who = item.subject_ref(&r.fields);
    let code = who.uscc.or(who.ric).or(who.other_id).unwrap_or_default();
    Some(Row {
        id: r.id,
        number: r.id.to_string(),
        item_name: item.name.clone(),
        title: publish::mask_ids(&title),
        subject: publish::mask_ids(&who.name),
        subject_href: r.subject_id.map(|id| format!("/subjects/id-{id}")),
        code: publish::mask_ids(&publish::shown_code(who.kind, &code)),
        decided: r.decided_on.map(|d| d.to_string()).unwrap_or_default(),
        department: r.department_name.clone(),
        state,
        explanation,
    })
}

/// The public page of subject `id` when the public may open it ([`credo_app::search::public_subject`]): staff
/// pages link only to pages that exist (a person known only from records kept to 政务共享 has none).
pub async fn public_subject_href(app: &App, id: Option<i64>) -> Option<String> {
    let key = format!("id-{}", id?);
    credo_app::search::public_subject(app, &key).await.ok().map(|_| format!("/subjects/{key}"))
}
