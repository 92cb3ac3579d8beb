//! One-stop search (一站式查询) and subjects as the public may open them: what the public may know of, by code,
//! name, short name or traditional characters, and the same answer for an unknown subject as for one known only
//! from records the public may not see.

use credo_domain::catalog::SubjectKind;
use credo_domain::masking;
use serde::Serialize;

use crate::error::Error;
use crate::{App, public};

#[derive(Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    #[serde(skip)]
    pub id: i64,
    /// 统一社会信用代码或其他登记代码;自然人的证件号码已遮蔽
    pub code: Option<String>,
    pub name: String,
    pub kind: credo_domain::catalog::SubjectKind,
    pub kind_label: &'static str,
    pub region: Option<String>,
    pub region_name: Option<String>,
    pub score: f32,
    /// 主体公示信息的地址(`/api/v1/subjects/{key}`)
    pub href: String,
}

/// How many index hits a public search looks at to fill its page: hits the public may not know of are dropped
/// after the index answers (see [`public_subjects`]).
const PUBLIC_SCAN: usize = 500;

/// One-stop search (一站式查询) as the public may see it: subjects by code, name, short name or traditional
/// characters, best first, leaving out every subject the public may not know of ([`public_subjects`]: a person
/// known only from records kept to 政务共享 is not found, by name or by ID number).
#[tracing::instrument(level = "debug", skip_all, fields(limit))]
pub async fn find(app: &App, q: &str, limit: usize) -> Result<Vec<SearchHit>, Error> {
    let limit = limit.clamp(1, 100);
    // The index is asked for the page only; only when hits were left out and the index had more does it look
    // further (most queries find no hidden person, and fetching 500 hits costs what 500 hits cost).
    let mut scan = limit;
    loop {
        let hits = find_all(app, q, scan).await?;
        let more = hits.len() == scan && scan < PUBLIC_SCAN;
        let known = public_subjects(app, &hits.iter().map(|h| (h.id, h.kind)).collect::<Vec<_>>()).await?;
        let kept: Vec<SearchHit> = hits.into_iter().filter(|h| known.contains(&h.id)).take(limit).collect();
        if kept.len() >= limit || !more {
            return Ok(kept);
        }
        scan = (scan * 4).min(PUBLIC_SCAN);
    }
}

/// Which of `subjects` the public may know of: those with at least one record of an item whose records the public
/// may see for their kind of subject ([`public::disclosed`]). Kinds for which every item is public need no query.
pub async fn public_subjects(
    app: &App,
    subjects: &[(i64, SubjectKind)],
) -> Result<std::collections::HashSet<i64>, Error> {
    let mut known = std::collections::HashSet::new();
    for kind in [SubjectKind::Organisation, SubjectKind::IndividualBusiness, SubjectKind::Person] {
        let rest: Vec<i64> = subjects.iter().filter(|(_, k)| *k == kind).map(|(id, _)| *id).collect();
        if rest.is_empty() {
            continue;
        }
        let (items, all) = public::disclosed_items(&app.catalog, kind);
        if all {
            known.extend(rest);
            continue;
        }
        let codes: Vec<&str> = items.iter().map(|i| i.code.as_str()).collect();
        known.extend(app.store.subjects_with_items(&rest, &codes).await?);
    }
    Ok(known)
}

/// Every subject matching `q`, also those the public may not know of (not for public surfaces: see [`find`]).
async fn find_all(app: &App, q: &str, limit: usize) -> Result<Vec<SearchHit>, Error> {
    let search = app.search.clone();
    // A person's ID number is indexed by its blind index only; so is any other code with an ID number written in
    // it (a 税务登记号 made of one, say). Names with one are indexed masked, and the index masks the query alike.
    let code = credo_domain::ids::prepare(q);
    let q2 = match credo_domain::ids::identify(q, app.clock.today()) {
        Ok(credo_domain::ids::AnyId::Ric(ric)) => app.vault.blind(ric.as_str()),
        Ok(id) => id.as_str().to_string(),
        Err(_) if code.bytes().all(|b| b.is_ascii_alphanumeric()) && masking::contains_id_number(&code) => {
            app.vault.blind(&code)
        }
        Err(_) => q.to_string(),
    };
    let hits = tokio::task::spawn_blocking(move || search.search(&q2, limit)).await.map_err(Error::internal)??;
    Ok(hits
        .into_iter()
        .map(|h| SearchHit {
            id: h.id,
            href: format!("/api/v1/subjects/id-{}", h.id),
            region_name: h.region.as_deref().and_then(|r| app.catalog.regions.get(r)).map(|r| r.name.clone()),
            kind_label: h.kind.label(),
            code: h.code,
            // Already masked in the index; masked again for an index built before names were.
            name: public::mask_ids(&h.name),
            kind: h.kind,
            region: h.region,
            score: h.score,
        })
        .collect())
}

/// The answer for a subject the public may not open: the same for one the platform does not know and for one it
/// knows only from records the public may not see, so that a public route cannot tell whether the platform holds
/// something on a person. The key is echoed masked (it may be an ID number).
fn no_public_subject(key: &str) -> Error {
    Error::not_found(format!("没有找到代码为“{}”的信用主体", public::mask_ids(key)))
}

/// A subject as the public may open it, with its records (latest versions): `404` for an unknown subject and, alike,
/// for one that has no record the public may see for its kind of subject ([`public::publicly_known`]). Which
/// records are shown today is still each record's publicity.
pub async fn public_subject(
    app: &App,
    key: &str,
) -> Result<(credo_store::Subject, Vec<credo_store::RecordView>), Error> {
    let subject = subject_by_key(app, key).await?;
    let records = app.store.subject_records(subject.id).await?;
    if !public::publicly_known(&app.catalog, subject.kind, records.iter().map(|r| r.item.as_str())) {
        return Err(no_public_subject(key));
    }
    Ok((subject, records))
}

/// A subject by `id-N` or by any of its codes, whatever the public may see of it (public routes use
/// [`public_subject`]).
pub async fn subject_by_key(app: &App, key: &str) -> Result<credo_store::Subject, Error> {
    let subject = match key.strip_prefix("id-").and_then(|i| i.parse::<i64>().ok()) {
        Some(id) => app.store.subject(id).await?,
        None => app.store.subject_by_code(&credo_domain::ids::typed_code(key, app.clock.today())).await?,
    };
    subject.ok_or_else(|| no_public_subject(key))
}
