//! One-stop search (一站式查询) and subjects as the public may open them: what the public may know of, by code,
//! name, short name or traditional characters, and the same answer for an unknown subject as for one known only
//! from records the public may not see.

use credo_domain::catalog::SubjectKind;
use credo_domain::masking;
use serde::Serialize;

use crate::error::{Code, Error};
use crate::{App, public};

#[derive(Debug, Serialize, utoipa::ToSchema)]
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
    /// 查询匹配的是主体的曾用名或别名时,该名称
    pub matched_name: Option<String>,
    /// 主体公示信息的地址(`/api/v1/subjects/{key}`)
    pub href: String,
}

/// What the public searches for: text (may be empty to browse by filters) and filters.
#[derive(Debug, Clone, Default)]
pub struct Query<'a> {
    pub text: &'a str,
    pub kind: Option<SubjectKind>,
    /// A region code (a district, the city).
    pub region: Option<&'a str>,
    /// An item code: subjects with records of it that the public may see.
    pub item: Option<&'a str>,
}

/// A page of public hits and how many subjects match in all (exactly up to [`credo_search::COUNT_CAP`]).
#[derive(Debug)]
pub struct Page {
    pub hits: Vec<SearchHit>,
    pub total: usize,
    /// False when counting stopped at the cap: more than `total` match.
    pub total_exact: bool,
}

impl Default for Page {
    fn default() -> Page {
        Page { hits: Vec::new(), total: 0, total_exact: true }
    }
}

/// The deepest a public search pages (`offset + limit`).
pub const MAX_DEPTH: usize = credo_search::MAX_HITS;

/// Who the public may find, kind by kind ([`public::disclosed_items`]): every subject of a kind whose every item is
/// public, else those with records of an item public for their kind.
pub fn visible(app: &App) -> credo_search::Visible {
    SubjectKind::ALL
        .iter()
        .map(|k| {
            let (items, all) = public::disclosed_items(&app.catalog, *k);
            (*k, (!all).then(|| items.iter().map(|i| i.code.clone()).collect()))
        })
        .collect()
}

/// One-stop search (一站式查询) as the public may see it, one page: subjects by code, name, short name, pinyin or
/// traditional characters, best first, filters applied in the index over every match, with the true total. Every
/// subject the public may not know of is left out in the index ([`visible`]: a person known only from records kept
/// to 政务共享 is not found, by name or by ID number).
#[tracing::instrument(level = "debug", skip_all, fields(offset, limit))]
pub async fn find_page(app: &App, q: &Query<'_>, offset: usize, limit: usize) -> Result<Page, Error> {
    let text = index_text(app, q.text);
    // An item filter counts only the kinds of subject whose records of it the public sees.
    let item = match q.item {
        Some(code) => match app.catalog.item(code) {
            Some(i) => {
                Some((i.code.clone(), SubjectKind::ALL.into_iter().filter(|k| public::disclosed(i, *k)).collect()))
            }
            None => {
                return Err(Error::new(
                    Code::InvalidRequest,
                    format!("没有名为“{}”的信息类别", public::mask_ids(code)),
                ));
            }
        },
        None => None,
    };
    let (region, kind) = (q.region.map(str::to_string), q.kind);
    let visible = visible(app);
    let search = app.search.clone();
    let limit = limit.clamp(1, 100).min(MAX_DEPTH.saturating_sub(offset));
    let found = tokio::task::spawn_blocking(move || {
        let s = credo_search::Search {
            text: &text,
            kind,
            region: region.as_deref(),
            item: item.as_ref().map(|(c, k): &(String, Vec<SubjectKind>)| (c.as_str(), k.clone())),
            visible: Some(visible),
        };
        search.find(&s, offset, limit)
    })
    .await
    .map_err(Error::internal)??;
    Ok(Page {
        hits: found.hits.into_iter().map(|h| hit(app, h)).collect(),
        total: found.total,
        total_exact: found.total_exact,
    })
}

/// Why a query shaped like a code is no valid code (the message `credo id validate` gives), with the codes of
/// subjects the public may see that are one character from it (none for ID numbers: persons are not suggested).
#[derive(Debug)]
pub struct CodeProblem {
    pub message: String,
    pub near: Vec<SearchHit>,
}

/// A subject's relatives by name as the public may find them: the head office of a branch (分公司, 分店 …: the
/// subject bearing the name before the branch's label) and the branches of a head office.
#[derive(Debug, Default)]
pub struct Relatives {
    pub head_office: Option<SearchHit>,
    pub branches: Vec<SearchHit>,
}

/// The most branches listed on a subject's page.
pub const MAX_BRANCHES: usize = 200;

pub async fn relatives(app: &App, subject: &credo_store::Subject) -> Result<Relatives, Error> {
    if subject.kind == SubjectKind::Person {
        return Ok(Relatives::default());
    }
    let (search, visible, name, id) = (app.search.clone(), visible(app), subject.name.clone(), subject.id);
    let (head, branches) = tokio::task::spawn_blocking(move || -> Result<_, credo_search::SearchError> {
        let norm = credo_domain::name::normalize_name(&name);
        let head = match credo_domain::name::split_branch(&norm).and_then(|b| b.parent) {
            Some(parent) => search.named(parent, Some(visible.clone()), 2)?,
            None => Vec::new(),
        };
        Ok((head, search.branches(&name, Some(visible), MAX_BRANCHES)?))
    })
    .await
    .map_err(Error::internal)??;
    Ok(Relatives {
        // Two of the head office's name: the name does not say which.
        head_office: (head.len() == 1).then(|| head.into_iter().next()).flatten().map(|h| hit(app, h)),
        branches: branches.into_iter().filter(|h| h.id != id).map(|h| hit(app, h)).collect(),
    })
}

/// The problem with a query that looks like a code but is none (`None` for names and for valid codes).
pub async fn code_problem(app: &App, q: &str) -> Result<Option<CodeProblem>, Error> {
    let typed = credo_domain::ids::normalize_typed(q);
    let digits = typed.bytes().filter(u8::is_ascii_digit).count();
    if typed.len() < 8 || digits < 6 || !typed.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    let Err((kind, e)) = credo_domain::ids::identify(q, app.clock.today()) else { return Ok(None) };
    // A legacy code the registries never checked (a 税务登记号 of letters and digits …) is a code all the same when
    // a subject carries it: searched, not refused.
    if app.reader.subject_by_code(&credo_domain::ids::prepare(q)).await?.is_some() {
        return Ok(None);
    }
    let message = format!("“{}”不是有效的代码:{}", public::mask_ids(&typed), e.message());
    if kind == credo_domain::ids::IdKind::Ric || masking::contains_id_number(&typed) {
        return Ok(Some(CodeProblem { message, near: Vec::new() }));
    }
    let search = app.search.clone();
    let visible = visible(app);
    let near = tokio::task::spawn_blocking(move || search.near_codes(&typed, Some(visible), 5))
        .await
        .map_err(Error::internal)??;
    let near = near.into_iter().filter(|h| h.kind != SubjectKind::Person).map(|h| hit(app, h)).collect();
    Ok(Some(CodeProblem { message, near }))
}

/// The text the index is asked: a person's ID number is indexed by its blind index only; so is any other code with
/// an ID number written in it (a 税务登记号 made of one, say). Names with one are indexed masked, and the index
/// masks the query alike.
fn index_text(app: &App, q: &str) -> String {
    let code = credo_domain::ids::prepare(q);
    match credo_domain::ids::identify(q, app.clock.today()) {
        Ok(credo_domain::ids::AnyId::Ric(ric)) => app.vault.blind(ric.as_str()),
        Ok(id) => id.as_str().to_string(),
        Err(_) if code.bytes().all(|b| b.is_ascii_alphanumeric()) && masking::contains_id_number(&code) => {
            app.vault.blind(&code)
        }
        Err(_) => q.to_string(),
    }
}

fn hit(app: &App, h: credo_search::Hit) -> SearchHit {
    SearchHit {
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
        matched_name: h.alias.map(|a| public::mask_ids(&a)),
    }
}

/// The answer for a subject the public may not open: the same for one the platform does not know and for one it
/// knows only from records the public may not see, so that a public route cannot tell whether the platform holds
/// something on a person. The key is echoed masked (it may be an ID number).
pub(crate) fn no_public_subject(key: &str) -> Error {
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
    let records = app.reader.subject_records(subject.id).await?;
    if !public::publicly_known(&app.catalog, subject.kind, records.iter().map(|r| r.item.as_str())) {
        return Err(no_public_subject(key));
    }
    Ok((subject, records))
}

/// A subject by `id-N` or by any of its codes, whatever the public may see of it (public routes use
/// [`public_subject`]).
pub async fn subject_by_key(app: &App, key: &str) -> Result<credo_store::Subject, Error> {
    let subject = match key.strip_prefix("id-").and_then(|i| i.parse::<i64>().ok()) {
        Some(id) => app.reader.subject(id).await?,
        None => app.reader.subject_by_code(&credo_domain::ids::typed_code(key, app.clock.today())).await?,
    };
    subject.ok_or_else(|| no_public_subject(key))
}
