//! The catalog shipped with the binary (`catalog/*.toml` at build time). A deployment can point the server at
//! its own directory instead; these are the defaults and the test fixtures.

use crate::catalog::Catalog;
use crate::region::RegionTable;
use crate::registrar::RegistrarTable;

macro_rules! catalog_files {
    ($($name:literal),* $(,)?) => {
        /// `(file name, contents)` of every embedded catalog file.
        pub const FILES: &[(&str, &str)] = &[$(($name, include_str!(concat!("../../../catalog/", $name)))),*];
    };
}

catalog_files!(
    "regions.toml",
    "uscc_registrars.toml",
    "xzxk.toml",
    "xzcf.toml",
    "djzc.toml",
    "yzsx.toml",
    "zdss.toml",
    "zfcgsx.toml",
    "qxgz.toml",
    "jyyc.toml",
    "sxbzxr.toml",
    "xzxf.toml",
    "sxjl.toml",
    "xycn.toml",
    "nsxy.toml",
    "hjxy.toml",
    "jtxy.toml",
    "ccjc.toml",
    "nhxx.toml",
    "nydy.toml",
    "sbjf.toml",
    "sdqf.toml",
    "zyzg.toml",
    "zyjc.toml",
    "qkzk.toml",
    "zwwy.toml",
    "zccn.toml",
    "gwyda.toml",
    "evaluation/ggxy.toml",
    "evaluation/xyh.toml",
    "evaluation/xyc.toml",
    "evaluation/xyxz.toml",
    "measures.toml",
    "calendar.toml",
    "publicity.toml",
    "reports.toml",
    "honours.toml",
    "integrity.toml",
);

fn text(name: &str) -> &'static str {
    FILES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t).unwrap_or("")
}

/// The embedded catalog. Panics only if the files shipped in the binary are broken, which the tests rule out.
pub fn catalog() -> Catalog {
    Catalog::from_files(FILES.iter().copied()).unwrap_or_else(|e| panic!("embedded catalog is broken: {e}"))
}

pub fn regions() -> RegionTable {
    RegionTable::from_toml(text("regions.toml")).unwrap_or_else(|e| panic!("embedded regions are broken: {e}"))
}

pub fn registrars() -> RegistrarTable {
    RegistrarTable::from_toml(text("uscc_registrars.toml"))
        .unwrap_or_else(|e| panic!("embedded registrars are broken: {e}"))
}
