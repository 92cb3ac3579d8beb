//! Where each rule comes from, and which rules are not yet confirmed from their source.
//!
//! Every rule in the rules files (`measures.toml`, `publicity.toml`, `calendar.toml`, the item files) may carry
//! `verified = false`: its source was not confirmed from the official text. [`unverified`] lists them all, read
//! from the files themselves rather than from each file's own structure, so that no kind of rule escapes the list.
//! A test keeps the list as a checked-in file: it can only change knowingly (see `tests/unverified.rs`).

use serde::Serialize;
use toml::Value;

/// One rule whose source is not confirmed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unverified {
    /// The rules file (`measures.toml`).
    pub file: String,
    /// What the rule is, by its identifying keys (`measure JYYC-JG · basis 失信惩戒措施基础清单 第二类 管理措施`).
    pub rule: String,
}

/// The keys that identify a table, in the order they are shown.
const NAMING_KEYS: [&str; 11] =
    ["id", "code", "year", "group", "name", "law", "article", "types", "reason", "choice", "since"];

/// Every table with `verified = false` in the given `(file name, text)` rules files. Files that do not parse are
/// skipped here (loading the catalog reports them).
pub fn unverified<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Unverified> {
    let mut out = Vec::new();
    for (file, text) in files {
        let Ok(value) = text.parse::<toml::Table>() else { continue };
        walk(file, &mut Vec::new(), &Value::Table(value), &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn walk(file: &str, path: &mut Vec<String>, value: &Value, out: &mut Vec<Unverified>) {
    match value {
        Value::Table(t) => {
            if t.get("verified").and_then(Value::as_bool) == Some(false) {
                let mut rule = path.join(" · ");
                if rule.is_empty() {
                    rule = "(整个文件)".to_string();
                }
                out.push(Unverified { file: file.to_string(), rule });
            }
            for (key, v) in t {
                let here = label(key, v);
                path.push(here);
                walk(file, path, v, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for v in items {
                if let Value::Table(_) = v {
                    // An array of tables: each element is named by its own keys under the array's key.
                    let key = path.pop().unwrap_or_default();
                    let key = key.split(' ').next().unwrap_or_default().to_string();
                    path.push(label(&key, v));
                    walk(file, path, v, out);
                    path.pop();
                    path.push(key);
                }
            }
        }
        _ => {}
    }
}

/// `key` followed by the identifying values of `v` when it is a table.
fn label(key: &str, v: &Value) -> String {
    let Value::Table(t) = v else { return key.to_string() };
    // A rule named by its reason need not repeat its penalty types.
    let keys = NAMING_KEYS.iter().filter(|k| !(**k == "types" && t.contains_key("reason")));
    let names: Vec<String> = keys.filter_map(|k| t.get(*k)).map(short).collect();
    if names.is_empty() { key.to_string() } else { format!("{key} {}", names.join(" ")) }
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(short).collect::<Vec<_>>().join("、"),
        Value::Table(t) => t.iter().map(|(k, v)| format!("{k}={}", short(v))).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_arrays_of_tables_are_named_by_their_keys() {
        let text = r#"
verified = true
[deadlines]
report = 20
verified = false
[[measure]]
id = "M-1"
basis = [{ law = "甲法", article = "第一条" }, { law = "乙法", article = "第二条", verified = false }]
[[measure]]
id = "M-2"
verified = false
"#;
        let found = unverified([("m.toml", text)]);
        let rules: Vec<&str> = found.iter().map(|u| u.rule.as_str()).collect();
        assert_eq!(rules, ["deadlines", "measure M-1 · basis 乙法 第二条", "measure M-2"], "{found:?}");
        assert!(unverified([("bad.toml", "not toml [")]).is_empty());
    }
}
