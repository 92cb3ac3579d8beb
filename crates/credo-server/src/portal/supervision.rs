//! 双随机抽查结果公示: the departments' draws (seed, population and its digest, strata by grade) and each draw's
//! targets, inspectors and results (`credo_app::supervise`).

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use credo_app::principal::Principal;

use super::chrome::{Chrome, render};
use crate::Web;
use crate::error::ApiError;

pub struct DrawRow {
    pub number: String,
    pub department: String,
    pub task: String,
    pub day: String,
    pub population: i64,
    pub drawn: usize,
}

#[derive(Template)]
#[template(path = "supervision.html")]
struct DrawsPage {
    chrome: Chrome,
    draws: Vec<DrawRow>,
}

async fn department_name(app: &Web, id: i64) -> String {
    app.store.department(id).await.ok().flatten().map(|d| d.name).unwrap_or_default()
}

fn day(t: time::OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC)).date().to_string()
}

pub async fn draws(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut rows = Vec::new();
    for d in app.store.draws(None, 100).await? {
        let drawn =
            d.strata.as_array().map_or(0, |s| s.iter().filter_map(|x| x["drawn"].as_u64()).sum::<u64>() as usize);
        rows.push(DrawRow {
            department: department_name(&app, d.department_id).await,
            number: d.number,
            task: d.task,
            day: day(d.drawn_at),
            population: d.population,
            drawn,
        });
    }
    render(&DrawsPage { chrome: Chrome::of(&p, &headers), draws: rows })
}

pub struct Stratum {
    pub grade: String,
    pub population: u64,
    pub rate: String,
    pub drawn: u64,
}

pub struct TargetRow {
    pub n: i64,
    pub key: String,
    pub name: String,
    pub code: String,
    pub grade: String,
    pub inspectors: String,
    pub result: String,
    pub record: Option<i64>,
}

#[derive(Template)]
#[template(path = "supervision_draw.html")]
struct DrawPage {
    chrome: Chrome,
    number: String,
    department: String,
    task: String,
    day: String,
    seed: String,
    scheme: String,
    population: i64,
    digest: String,
    strata: Vec<Stratum>,
    targets: Vec<TargetRow>,
}

pub async fn draw(
    State(app): State<Web>,
    Extension(p): Extension<Principal>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let out = credo_app::supervise::show(&app, &number).await?;
    let d = &out.draw;
    let strata = d
        .strata
        .as_array()
        .map(|s| {
            s.iter()
                .map(|x| Stratum {
                    grade: x["grade"].as_str().unwrap_or_default().to_string(),
                    population: x["population"].as_u64().unwrap_or(0),
                    rate: format!("{:.1}%", x["rate"].as_f64().unwrap_or(0.0) * 100.0),
                    drawn: x["drawn"].as_u64().unwrap_or(0),
                })
                .collect()
        })
        .unwrap_or_default();
    let targets = out
        .targets
        .iter()
        .map(|t| TargetRow {
            n: t.target.n,
            key: format!("id-{}", t.target.subject_id),
            name: t.name.clone(),
            code: t.code.clone().unwrap_or_default(),
            grade: t.target.grade.clone(),
            inspectors: t.target.inspectors.join("、"),
            result: t.target.result.clone().unwrap_or_else(|| "待检查".into()),
            record: t.target.record_id,
        })
        .collect();
    let scheme = app.catalog.evaluation.get(&d.scheme).map_or(d.scheme.clone(), |s| s.name.clone());
    render(&DrawPage {
        chrome: Chrome::of(&p, &headers),
        department: department_name(&app, d.department_id).await,
        number: d.number.clone(),
        task: d.task.clone(),
        day: day(d.drawn_at),
        seed: d.seed.clone(),
        scheme,
        population: d.population,
        digest: d.population_digest.clone(),
        strata,
        targets,
    })
}
