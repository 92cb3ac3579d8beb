//! GB/T 2260 行政区划代码 (administrative division codes) for Qinghai and Xining, kept as dated data
//! (`catalog/regions.toml`) so that historic codes such as 630122 湟中县 stay valid for records of their time.

use serde::Deserialize;
use time::Date;

use crate::DataError;

#[derive(Debug, Clone, Deserialize)]
pub struct Region {
    pub code: String,
    pub name: String,
    /// The short name used in company names (`西宁`), when it differs from the full name.
    pub short: Option<String>,
    pub parent: Option<String>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    /// The code that replaced this one.
    pub successor: Option<String>,
}

impl Region {
    pub fn valid_on(&self, day: Date) -> bool {
        self.valid_from.is_none_or(|f| f <= day) && self.valid_to.is_none_or(|t| day <= t)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RegionTable {
    pub version: String,
    #[serde(rename = "region")]
    pub regions: Vec<Region>,
}

impl RegionTable {
    pub fn from_toml(text: &str) -> Result<RegionTable, DataError> {
        toml::from_str(text).map_err(|e| DataError::new("regions.toml", e))
    }

    pub fn get(&self, code: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.code == code)
    }

    /// The region as it is today: follows `successor` links from historic codes.
    pub fn current(&self, code: &str) -> Option<&Region> {
        let mut r = self.get(code)?;
        for _ in 0..4 {
            match r.successor.as_deref().and_then(|s| self.get(s)) {
                Some(next) => r = next,
                None => break,
            }
        }
        Some(r)
    }

    /// The Xining districts and counties in force on `day` (for the demo data and the portal's filters).
    pub fn xining_districts(&self, day: Date) -> Vec<&Region> {
        self.regions
            .iter()
            .filter(|r| r.parent.as_deref() == Some("630100") && r.code != "630101" && r.valid_on(day))
            .collect()
    }

    /// Place names that company names start with (`青海省`, `青海`, `西宁市`, `西宁`, `城东区` …), longest first.
    pub fn place_prefixes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.regions {
            out.push(r.name.clone());
            if let Some(s) = &r.short {
                out.push(s.clone());
            }
        }
        out.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    #[test]
    fn huangzhong_is_historic() {
        let t = crate::embedded::regions();
        let old = t.get("630122").unwrap();
        assert!(old.valid_on(date!(2015 - 06 - 01)));
        assert!(!old.valid_on(date!(2021 - 06 - 01)));
        assert_eq!(t.current("630122").unwrap().name, "湟中区");
        let names: Vec<_> = t.xining_districts(date!(2026 - 01 - 01)).iter().map(|r| r.name.clone()).collect();
        assert!(names.contains(&"湟中区".to_string()));
        assert!(!names.contains(&"湟中县".to_string()));
        assert_eq!(names.len(), 7);
    }
}
