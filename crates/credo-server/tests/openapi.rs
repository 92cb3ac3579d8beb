//! The OpenAPI document (`GET /api/v1/openapi.json`) and its page (`GET /api/docs/`), held to the server they
//! describe:
//!
//! * every `/api/v1` route of the policy table is documented, and nothing else is;
//! * the document parses as OpenAPI 3.1 (`oas3`), every `$ref` resolves, every path parameter is declared, and
//!   operation ids, tags and security schemes are consistent;
//! * the document is kept as a snapshot (`snapshots/openapi__openapi.snap`): a change to the API shows in review;
//! * every GET operation is called with generated parameters (garbage, Chinese, long, numbers past i64, empty,
//!   existing ids) by every kind of caller and a forged key: no answer is a 5xx, every error is problem+json with a
//!   status and code the document lists for that operation, and every JSON success matches the schema documented
//!   for it (an undocumented field, a missing one or a wrong type fails);
//! * the documentation page is served from the binary: no address outside the server, no inline script.
//!
//! * `CREDO_FUZZ_SEED`: the RNG seed (default fixed, so a failure reproduces; printed on failure).
//! * `CREDO_FUZZ_OPENAPI_CASES`: requests per GET operation and caller (default 6).

#![expect(clippy::unwrap_used, reason = "test fixtures fail loudly")]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::fuzz::{evil_string, known, penalty, principals};
use common::{Auth, TestApp, spawn};
use credo_server::policy::ROUTES;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

async fn served(t: &TestApp) -> Value {
    let (status, ct, body) = t.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200, "{body}");
    assert!(ct.starts_with("application/json"), "{ct}");
    serde_json::from_str(&body).unwrap()
}

/// `(METHOD, path)` of every operation in the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_api_route_is_documented_and_nothing_else() {
    let t = spawn().await;
    let doc = served(&t).await;
    let documented = operations(&doc);
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .filter(|(_, p, _)| p.starts_with("/api/v1/"))
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(undocumented.is_empty(), "routes in policy::ROUTES missing from the document: {undocumented:?}");
    assert!(unrouted.is_empty(), "documented operations that policy::ROUTES does not list: {unrouted:?}");
    // The served document is the one the crate builds.
    assert_eq!(doc, serde_json::to_value(credo_server::api::openapi::document()).unwrap());
}

/// Every `$ref` in `v`, with where it is.
fn refs<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push((at.clone(), r)),
                    _ => refs(x, format!("{at}/{k}"), out),
                }
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                refs(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_valid_openapi_3_1() {
    let t = spawn().await;
    let doc = served(&t).await;
    let text = serde_json::to_string(&doc).unwrap();

    // Parsed as OpenAPI 3.1 by a library that knows the format, with every reference it follows resolved.
    let spec = oas3::from_json(&text).unwrap_or_else(|e| panic!("not OpenAPI 3.1: {e}"));
    let version = spec.validate_version().unwrap();
    assert_eq!((version.major, version.minor), (3, 1), "{version}");
    for (path, method, op) in spec.operations() {
        let what = format!("{method} {path}");
        for p in &op.parameters {
            p.resolve(&spec).unwrap_or_else(|e| panic!("{what}: parameter: {e}"));
        }
        if let Some(body) = &op.request_body {
            let body = body.resolve(&spec).unwrap_or_else(|e| panic!("{what}: request body: {e}"));
            for (media, content) in &body.content {
                content.schema(&spec).unwrap_or_else(|e| panic!("{what}: request body {media}: {e}"));
            }
        }
        for (status, answer) in op.responses(&spec) {
            for (media, content) in &answer.content {
                content.schema(&spec).unwrap_or_else(|e| panic!("{what}: {status} {media}: {e}"));
            }
        }
    }

    let mut problems = Vec::new();
    // Every reference anywhere resolves (schemas inside schemas too).
    let mut all = Vec::new();
    refs(&doc, String::new(), &mut all);
    assert!(!all.is_empty());
    for (at, r) in &all {
        let target = r.strip_prefix('#').and_then(|p| doc.pointer(p));
        if target.is_none() {
            problems.push(format!("{at}: $ref {r} does not resolve"));
        }
    }
    // Path parameters: those in the template, declared as required path parameters, and no other.
    let mut ids = BTreeSet::new();
    let tags: BTreeSet<&str> = doc["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    let schemes: BTreeSet<&String> = doc["components"]["securitySchemes"].as_object().unwrap().keys().collect();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let in_template: BTreeSet<&str> =
            path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            let what = format!("{} {path}", m.to_uppercase());
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let declared: BTreeSet<&str> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| {
                    if p["required"] != true {
                        problems.push(format!("{what}: path parameter {} is not required", p["name"]));
                    }
                    p["name"].as_str().unwrap()
                })
                .collect();
            let declared: BTreeSet<&str> = declared.iter().copied().collect();
            if declared != in_template {
                problems.push(format!("{what}: path parameters {declared:?}, template has {in_template:?}"));
            }
            match op["operationId"].as_str() {
                Some(id) if !ids.insert(id.to_string()) => problems.push(format!("{what}: operationId {id} twice")),
                Some(_) => {}
                None => problems.push(format!("{what}: no operationId")),
            }
            for tag in op["tags"].as_array().unwrap_or(&Vec::new()) {
                if !tags.contains(tag.as_str().unwrap()) {
                    problems.push(format!("{what}: tag {tag} is not declared"));
                }
            }
            if op["tags"].as_array().is_none_or(|t| t.len() != 1) {
                problems.push(format!("{what}: not in exactly one tag"));
            }
            if op["summary"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{what}: no summary"));
            }
            for requirement in op["security"].as_array().unwrap_or(&Vec::new()) {
                for scheme in requirement.as_object().unwrap().keys() {
                    if !schemes.contains(scheme) {
                        problems.push(format!("{what}: security scheme {scheme} is not declared"));
                    }
                }
            }
            let responses = op["responses"].as_object().unwrap();
            if !responses.keys().any(|s| s.starts_with('2')) {
                problems.push(format!("{what}: no success response"));
            }
            for (status, answer) in responses {
                if status.as_str() >= "400" && answer["content"].get("application/problem+json").is_none() {
                    problems.push(format!("{what}: the {status} response is not problem+json"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The Problem schema's codes are the code table.
    let codes: Vec<&str> = credo_app::Code::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"], json!(codes));
}

#[tokio::test]
async fn the_document_is_kept_as_a_snapshot() {
    let t = spawn().await;
    let doc = served(&t).await;
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!("openapi", doc, { ".info.version" => "[version]" });
    });
}

#[tokio::test]
async fn the_documentation_page_is_served_from_the_binary() {
    let t = spawn().await;
    let r = t.http.get(format!("{}/api/docs", t.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 308);
    assert_eq!(r.headers()["location"], "/api/docs/");
    let r = t.http.get(format!("{}/api/docs/", t.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let page = r.text().await.unwrap();
    // No inline script or style (the CSP would refuse them), nothing from another host.
    assert!(!page.contains("<script>") && !page.contains("<style"), "{page}");
    assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("//cdn"), "{page}");
    let assets: Vec<&str> = page
        .split(['"', '\''])
        .filter(|s| s.ends_with(".js") || s.ends_with(".css") || s.ends_with(".png"))
        .map(|s| s.trim_start_matches("./"))
        .collect();
    assert!(assets.contains(&"swagger-ui-bundle.js") && assets.contains(&"swagger-initializer.js"), "{assets:?}");
    for asset in assets {
        let (status, ct, body) = t.get(&format!("/api/docs/{asset}")).await;
        assert_eq!(status, 200, "{asset}");
        assert!(!ct.is_empty() && !body.is_empty(), "{asset}");
        if asset == "swagger-initializer.js" {
            // The document is this server's, and no online validator is asked.
            assert!(body.contains("\"/api/v1/openapi.json\""), "{body}");
            assert!(body.contains("\"validatorUrl\": \"none\""), "{body}");
            assert!(!body.contains("http://") && !body.contains("https://"), "{body}");
        }
    }
    let (status, ct, body) = t.get("/api/docs/no-such-file.js").await;
    assert_eq!((status, ct.as_str()), (404, "application/problem+json"), "{body}");
}

// ------------------------------------------------------------------------------------------------------------
// Answers checked against the document

/// Where `v` does not match `schema` (a subset of JSON Schema 2020-12: `$ref`, `allOf`, `oneOf`, `anyOf`, `type`,
/// `enum`, `properties` (closed unless `additionalProperties`), `required`, `items`, `format` date). An object
/// schema that lists properties allows no others: the answers must not carry undocumented fields.
fn mismatches(doc: &Value, schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        // One object made of the parts (the flattened fields of `#[serde(flatten)]`).
        let mut merged = json!({"type": "object", "properties": {}, "required": []});
        for part in parts {
            let part = resolve(doc, part);
            for (k, p) in part["properties"].as_object().into_iter().flatten() {
                merged["properties"][k] = p.clone();
            }
            for r in part["required"].as_array().into_iter().flatten() {
                merged["required"].as_array_mut().unwrap().push(r.clone());
            }
        }
        return mismatches(doc, &merged, v, at, out);
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(choices) = schema.get(key).and_then(Value::as_array) {
            let mut why = Vec::new();
            for c in choices {
                let mut e = Vec::new();
                mismatches(doc, c, v, at, &mut e);
                if e.is_empty() {
                    return;
                }
                why.push(e.join("; "));
            }
            out.push(format!("{at}: matches none of {key}: [{}]", why.join(" | ")));
            return;
        }
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "null" => v.is_null(),
            "boolean" => v.is_boolean(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "string" => v.is_string(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            _ => false,
        });
        if !ok {
            out.push(format!("{at}: {} is not {types:?}", short(v)));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(v)
    {
        out.push(format!("{at}: {} is not one of {}", short(v), short(&Value::Array(allowed.clone()))));
    }
    if schema.get("format").and_then(Value::as_str) == Some("date")
        && let Some(s) = v.as_str()
        && time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).is_err()
    {
        out.push(format!("{at}: {s:?} is not a date"));
    }
    match v {
        Value::Object(map) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            for (k, x) in map {
                match (properties.and_then(|p| p.get(k)), additional) {
                    (Some(s), _) => mismatches(doc, s, x, &format!("{at}.{k}"), out),
                    (None, Some(Value::Bool(false))) | (None, None) if properties.is_some() => {
                        out.push(format!("{at}: field {k:?} is not documented"));
                    }
                    (None, Some(s)) if s.is_object() => mismatches(doc, s, x, &format!("{at}.{k}"), out),
                    _ => {}
                }
            }
            for r in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                let r = r.as_str().unwrap();
                if !map.contains_key(r) {
                    out.push(format!("{at}: required field {r:?} is missing"));
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = schema.get("items") {
                for (i, x) in items.iter().enumerate() {
                    mismatches(doc, s, x, &format!("{at}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

/// The check above finds what it is meant to (else the fuzz test below would pass on anything).
#[test]
fn the_schema_check_finds_undocumented_missing_and_mistyped_fields() {
    let doc = json!({"components": {"schemas": {
        "A": {"type": "object", "required": ["n"],
              "properties": {"n": {"type": "integer"}, "s": {"type": ["string", "null"]}, "b": {"$ref": "#/components/schemas/B"}}},
        "B": {"oneOf": [{"type": "null"}, {"type": "string", "enum": ["x"]}]},
    }}});
    let check = |v: Value| {
        let mut e = Vec::new();
        mismatches(&doc, &json!({"$ref": "#/components/schemas/A"}), &v, "body", &mut e);
        e
    };
    assert_eq!(check(json!({"n": 1, "s": null, "b": "x"})), Vec::<String>::new());
    assert_eq!(check(json!({"n": 1, "extra": 1})), ["body: field \"extra\" is not documented"]);
    assert_eq!(check(json!({"s": "x"})), ["body: required field \"n\" is missing"]);
    assert_eq!(check(json!({"n": "1"})).len(), 1);
    assert_eq!(check(json!({"n": 1, "b": "y"})).len(), 1);
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(doc, doc.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("$ref {r}"))),
        None => schema,
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 { format!("{}…", s.chars().take(120).collect::<String>()) } else { s }
}

/// What is wrong with an answer to `op`, if anything: a 5xx, an error that is not problem+json or not documented
/// (status, or code for that status), a success that does not match its schema.
fn judge(doc: &Value, op: &Value, status: u16, content_type: &str, body: &[u8]) -> Option<String> {
    if status >= 500 {
        return Some(format!("{status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)])));
    }
    let Some(answer) = op["responses"].get(status.to_string()) else {
        return Some(format!("status {status} is not documented: {}", String::from_utf8_lossy(body)));
    };
    if status >= 400 {
        if content_type != "application/problem+json" {
            return Some(format!("{status} as {content_type:?}, not problem+json"));
        }
        let v: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return Some(format!("{status}: problem+json that is not JSON: {e}")),
        };
        let mut e = Vec::new();
        mismatches(doc, &json!({"$ref": "#/components/schemas/Problem"}), &v, "problem", &mut e);
        if v["status"] != status {
            e.push(format!("its status is {}", v["status"]));
        }
        let code = v["code"].as_str().unwrap_or("");
        if answer["content"]["application/problem+json"]["examples"].get(code).is_none() {
            e.push(format!("code {code:?} is not documented for {status} ({})", answer["description"]));
        }
        return (!e.is_empty()).then(|| format!("{status}: {}: {v}", e.join("; ")));
    }
    let Some(schema) = answer["content"].get("application/json").map(|c| &c["schema"]) else {
        return None; // No JSON documented (a file, or no content).
    };
    if !content_type.starts_with("application/json") {
        return Some(format!("{status} as {content_type:?}, documented as JSON"));
    }
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return Some(format!("{status}: not JSON: {e}")),
    };
    let mut e = Vec::new();
    mismatches(doc, schema, &v, "body", &mut e);
    (!e.is_empty()).then(|| format!("{status}: the answer does not match its schema:\n      {}", e.join("\n      ")))
}

/// A value for a parameter of `schema`'s type: garbage, a known value, or a plausible one.
fn value_for(rng: &mut ChaCha8Rng, schema: &Value, known: &[String]) -> String {
    let kind = schema["type"].as_array().and_then(|t| t.first()).or(schema.get("type")).and_then(Value::as_str);
    match rng.random_range(0..10) {
        0..=2 if !known.is_empty() => known.choose(rng).unwrap().clone(),
        3 | 4 => match kind {
            Some("integer") => {
                [0i128, 1, 2, 10, 999, -1, i64::MAX as i128, i64::MAX as i128 + 1].choose(rng).unwrap().to_string()
            }
            Some("boolean") => ["true", "false", "1", "yes"].choose(rng).unwrap().to_string(),
            _ => ["信用西宁", "鑫源", "YY20261125", "JOB1", "1", "a b"].choose(rng).unwrap().to_string(),
        },
        5 => String::new(),
        _ => evil_string(rng),
    }
}

/// A 双随机 draw of the subjects graded so far, as the test department: its number.
async fn supervision_draw(t: &common::TestApp) -> String {
    credo_app::grades::recompute(&t.app, None).await.unwrap();
    let department = t.app.store.department_by_uscc(common::DEPT).await.unwrap().unwrap();
    let by = credo_app::supervise::Acting { actor: "test".into(), role: "submitter".into(), department };
    let req = credo_app::supervise::DrawIn {
        task: "检查".into(),
        seed: "openapi".into(),
        inspectors: vec!["张一".into()],
        per_target: 1,
        ..Default::default()
    };
    credo_app::supervise::draw(&t.app, &by, req).await.unwrap().draw.number
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_get_operation_answers_as_documented_for_generated_parameters() {
    let seed: u64 = std::env::var("CREDO_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x0A91_D0C5);
    let cases: usize = std::env::var("CREDO_FUZZ_OPENAPI_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(6);
    let t = spawn().await;
    let (status, s) = t.post_batch(json!({"item": "xzcf", "records": [penalty()]})).await;
    assert_eq!(status, 200, "{s}");
    let mut principals = principals(&t).await;
    let mut known = known(&t, s["batch"].as_i64().unwrap(), &principals).await;
    // What `known` lacks for a success of every GET: a batch check job, and a case with an evidence file.
    let checker = &principals.iter().find(|(who, _)| *who == "key_check").unwrap().1;
    known.params.get_mut("id").unwrap().push(check_job(&t, checker).await);
    let number = case_with_file(&t).await;
    known.params.get_mut("number").unwrap().insert(0, number);
    // And a 双随机 draw (its number second: the case's is tried first).
    let draw = supervision_draw(&t).await;
    known.params.get_mut("number").unwrap().insert(1, draw);
    // And a webhook subscription of the checkers' department.
    let dept = t.app.store.department_by_uscc(common::DEPT).await.unwrap().unwrap();
    // The checkers' department is a lender too (融资对接's GETs answer only a lender).
    let lending = credo_store::Permissions { lending: true, ..dept.permissions.clone() };
    t.app.store.set_permissions(dept.id, &lending).await.unwrap();
    let hook = t
        .app
        .store
        .add_webhook(
            &credo_store::NewWebhook {
                department_id: dept.id,
                url: "https://xxgk.example.cn/hook".into(),
                items: vec!["xzcf".into()],
                subjects: vec![],
                checks: false,
                secret: "00".into(),
                cursor: 0,
                created_by: "test".into(),
            },
            5,
        )
        .await
        .unwrap()
        .unwrap();
    known.params.get_mut("id").unwrap().push(hook.id.to_string());
    // And a published article.
    let text = credo_domain::articles::Text {
        kind: credo_domain::articles::ArticleKind::News,
        title: "信用动态".into(),
        summary: String::new(),
        body: "正文".into(),
        records: vec![],
    };
    let article = t.app.store.add_article(&text, "test").await.unwrap();
    use credo_domain::articles::ArticleState::{Draft, Published, Submitted};
    t.app.store.move_article(article.id, Draft, Submitted, None, None).await.unwrap();
    t.app.store.move_article(article.id, Submitted, Published, Some(("test2", None)), None).await.unwrap();
    known.params.get_mut("id").unwrap().push(article.id.to_string());
    // An agency on the register, and a government body (the test department, a 机关).
    let agency = t
        .app
        .store
        .add_agency(&credo_store::NewAgency {
            uscc: credo_synth::uscc_from("91", "630100", "XYPJ0001"),
            name: "某信用评级公司".into(),
            filing_no: "XN-2026-001".into(),
            filed_on: time::macros::date!(2026 - 03 - 01),
            scopes: vec!["信用评级".into()],
            department_id: None,
            created_by: "test".into(),
        })
        .await
        .unwrap();
    known.params.get_mut("id").unwrap().push(agency.id.to_string());
    known.params.entry("code").or_default().insert(0, common::DEPT.to_string());
    // A forged key is refused on every route, public ones included.
    principals.push(("forged_key", Auth::Key("credo_00000000_forged".into())));
    let doc = served(&t).await;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let started = std::time::Instant::now();

    let mut failures = Vec::new();
    let mut sent = 0;
    let mut successes: BTreeMap<String, usize> = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for (who, auth) in &principals {
            for case in 0..cases {
                let mut target = String::new();
                for seg in path.split('/').skip(1) {
                    target.push('/');
                    match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                        Some(name) => {
                            let schema = &params.iter().find(|p| p["name"] == name).unwrap()["schema"];
                            let choices = known.for_param(name);
                            // Each known value once, then generated ones.
                            let mut value = match choices.get(case) {
                                Some(v) => v.clone(),
                                None => value_for(&mut rng, schema, choices),
                            };
                            // `.` and `..` would address another route (tests/fuzz_routes.rs sends them).
                            if value == "." || value == ".." {
                                value = "x".into();
                            }
                            target.push_str(&encode(&value));
                        }
                        None => target.push_str(seg),
                    }
                }
                let mut query = Vec::new();
                for p in params.iter().filter(|p| p["in"] == "query") {
                    if case == 0 || rng.random_bool(0.6) {
                        let name = p["name"].as_str().unwrap();
                        let value = match (case, name) {
                            (0, "q") => "鑫源".to_string(),
                            (0, _) => continue,
                            _ => value_for(&mut rng, &p["schema"], &[]),
                        };
                        query.push(format!("{name}={}", encode(&value)));
                    }
                }
                if rng.random_bool(0.1) {
                    query.push(format!("{}={}", encode(&evil_string(&mut rng)), encode(&evil_string(&mut rng))));
                }
                // A URI longer than hyper's limit (65,534 bytes) cannot be sent at all: long values, but not that
                // long together.
                while query.iter().map(|q| q.len() + 1).sum::<usize>() + target.len() > 60_000 {
                    query.pop();
                }
                if !query.is_empty() {
                    target = format!("{target}?{}", query.join("&"));
                }
                let mut r = t.http.get(format!("{}{target}", t.base));
                match auth {
                    Auth::None => {}
                    Auth::Key(k) => r = r.bearer_auth(k),
                    Auth::Session { cookie, .. } => r = r.header("cookie", cookie),
                }
                let resp = r.send().await.unwrap_or_else(|e| panic!("GET {target} as {who}: no answer: {e}"));
                sent += 1;
                let status = resp.status().as_u16();
                let ct =
                    resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                let body = resp.bytes().await.unwrap();
                if (200..300).contains(&status) {
                    *successes.entry(path.clone()).or_default() += 1;
                }
                if let Some(problem) = judge(&doc, op, status, &ct, &body) {
                    let target: String = target.chars().take(200).collect();
                    failures.push(format!("GET {path} as {who}: {problem}\n    request: GET {target}"));
                }
            }
        }
    }
    println!(
        "{sent} requests in {:.1} s (seed {seed}, {cases} per operation and caller)",
        started.elapsed().as_secs_f64()
    );
    // Every GET operation answered with success at least once, so each success schema was checked.
    let never: Vec<&String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, item)| item.get("get").is_some())
        .map(|(p, _)| p)
        .filter(|p| !successes.contains_key(*p))
        .collect();
    failures.sort();
    failures.dedup();
    assert!(
        failures.is_empty(),
        "seed {seed}: {} answers differ from the document:\n{}",
        failures.len(),
        failures.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(never.is_empty(), "GET operations never answered with success: {never:?}");
}

/// A batch check job's id.
async fn check_job(t: &TestApp, auth: &Auth) -> String {
    let Auth::Key(key) = auth else { panic!("a key") };
    let form = reqwest::multipart::Form::new().text("scene", "zfcg").text("purpose", "openapi").part(
        "file",
        reqwest::multipart::Part::bytes(format!("代码\n{}\n", common::COMPANY).into_bytes()).file_name("a.csv"),
    );
    let r =
        t.http.post(format!("{}/api/v1/checks/jobs", t.base)).bearer_auth(key).multipart(form).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let v: Value = r.json().await.unwrap();
    v["job"].as_str().unwrap().to_string()
}

/// The number of a report (举报) with one evidence file, to the test department.
async fn case_with_file(t: &TestApp) -> String {
    let body = json!({
        "department": common::DEPT, "subject_name": "西宁市城东区鑫源商贸有限公司", "subject_code": common::COMPANY,
        "content": "无证经营", "reporter": {"name": "王五", "phone": "0971-8888888"},
        "files": [{"name": "照片.pdf", "content_base64": "JVBERi0xLjQK"}],
        "challenge": common::solved_challenge(t).await,
    });
    let r = common::send(t, &Auth::None, reqwest::Method::POST, "/api/v1/reports", Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["number"].as_str().unwrap().to_string()
}

/// Percent-encodes everything but unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
