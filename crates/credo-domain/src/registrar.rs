//! 登记管理部门码 / 机构类别码: the first two characters of a USCC, kept as data (`catalog/uscc_registrars.toml`).
//! Unknown pairs produce a warning, never a rejection: the national code authority keeps assigning new ones.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::DataError;
use crate::ids::Uscc;

#[derive(Debug, Clone, Deserialize)]
pub struct Registrar {
    pub code: String,
    pub name: String,
    pub categories: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RegistrarTable {
    pub version: String,
    #[serde(rename = "department")]
    pub departments: Vec<Registrar>,
}

impl RegistrarTable {
    pub fn from_toml(text: &str) -> Result<RegistrarTable, DataError> {
        toml::from_str(text).map_err(|e| DataError::new("uscc_registrars.toml", e))
    }

    /// `(department name, category name)` when the pair is known.
    pub fn describe(&self, code: &Uscc) -> Option<(&str, &str)> {
        let d = self.departments.iter().find(|d| d.code.starts_with(code.department()))?;
        let c = d.categories.get(&code.category().to_string())?;
        Some((&d.name, c))
    }

    /// A warning (code, message) for a pair the table does not know.
    pub fn warning(&self, code: &Uscc) -> Option<(&'static str, String)> {
        match self.describe(code) {
            Some(_) => None,
            None => Some((
                "unknown_registrar",
                format!(
                    "登记管理部门码“{}”与机构类别码“{}”的组合不在代码表中,请核实",
                    code.department(),
                    code.category()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_pairs() {
        let t = crate::embedded::registrars();
        let u = Uscc::parse("92630102MA7X000265").unwrap();
        assert_eq!(t.describe(&u), Some(("工商(市场监管)", "个体工商户")));
        assert!(t.warning(&u).is_none());
        // 9 4 is not assigned: valid checksum, but a warning.
        let mut s = b"9463010".to_vec();
        s.extend_from_slice(b"0MA7X00018");
        let c = crate::ids::uscc_check(&s).unwrap();
        let code = format!("{}{c}", String::from_utf8(s).unwrap());
        let u = Uscc::parse(&code).unwrap();
        assert_eq!(t.warning(&u).unwrap().0, "unknown_registrar");
    }
}
