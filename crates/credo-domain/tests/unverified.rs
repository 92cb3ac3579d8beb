//! Every rule whose source is not confirmed, as a checked-in list (`tests/unverified.txt`). The list can only
//! change knowingly: a new unconfirmed rule, or a rule confirmed from its source, fails this test until the list is
//! updated in the same change (`CREDO_BLESS=1 cargo test -p credo-domain --test unverified` rewrites it; review
//! the diff). `/policy` marks the same rules 「待核实」.

use credo_domain::embedded::FILES;
use credo_domain::sources::unverified;

const LIST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/unverified.txt");

#[test]
fn the_unverified_rules_are_the_listed_ones() {
    let now: Vec<String> =
        unverified(FILES.iter().copied()).iter().map(|u| format!("{}: {}", u.file, u.rule)).collect();
    let text = now.join("\n") + "\n";
    if std::env::var_os("CREDO_BLESS").is_some() {
        std::fs::write(LIST, &text).expect("write the list");
    }
    let listed = std::fs::read_to_string(LIST).unwrap_or_default();
    let listed: Vec<&str> = listed.lines().filter(|l| !l.trim().is_empty()).collect();
    let added: Vec<&String> = now.iter().filter(|r| !listed.contains(&r.as_str())).collect();
    let confirmed: Vec<&&str> = listed.iter().filter(|l| !now.iter().any(|r| r == **l)).collect();
    assert!(
        added.is_empty() && confirmed.is_empty(),
        "the unverified rules changed — update tests/unverified.txt knowingly.\nnew, not confirmed: {added:#?}\nno longer listed as unverified (confirmed or removed): {confirmed:#?}"
    );
    assert!(!now.is_empty(), "the rules files still hold unconfirmed rules; an empty list means the walk broke");
}
