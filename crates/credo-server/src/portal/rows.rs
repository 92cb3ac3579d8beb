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
    let item = app.catalog.item(&r.item)?;
    let p = publish::record(&app.catalog, r, disputed, today)?;
    let title = item.natural_key.first().and_then(|k| r.fields.get(k)).cloned().unwrap_or_default();
    let who = item.subject_ref(&r.fields);
    let code = who.uscc.or(who.ric).or(who.other_id).unwrap_or_default();
    let row = Row {
        id: r.id,
        number: r.id.to_string(),
        item_name: item.name.clone(),
        title: publish::mask_ids(&title),
        subject: publish::mask_ids(&who.name),
        subject_href: r.subject_id.map(|id| format!("/subjects/id-{id}")),
        code: publish::mask_ids(&publish::shown_code(who.kind, &code)),
        decided: r.decided_on.map(|d| d.to_string()).unwrap_or_default(),
        department: r.department_name.clone(),
        state: p.publicity.state.label().to_string(),
        explanation: p.publicity.explanation.clone(),
    };
    Some((row, p.publicity.state.public()))
}

/// The public page of subject `id` when the public may open it ([`credo_app::search::public_subject`]): staff
/// pages link only to pages that exist (a person known only from records kept to 政务共享 has none).
pub async fn public_subject_href(app: &App, id: Option<i64>) -> Option<String> {
    let key = format!("id-{}", id?);
    credo_app::search::public_subject(app, &key).await.ok().map(|_| format!("/subjects/{key}"))
}
