//! A server-rendered challenge for the anonymous forms (异议, 举报): a small sum drawn as strokes in an SVG
//! image (no text in the markup, different jitter each time), answered in a field. No script and no third-party
//! service — the platform runs on a government intranet. It raises the cost of filing cases by the thousand from
//! a script; the per-address limits on those forms ([`FormLimits`]) bound what gets through anyway.
//!
//! The token carries a nonce and an expiry, bound to the answer by HMAC-SM3 under a key derived from the keyring
//! (the same on every node); a token is accepted once on whichever node ([`Challenges::redeem`], the used ones kept
//! in the store), within [`VALID_FOR`].

use std::net::IpAddr;

use base64::Engine;
use rand::Rng;

/// How long a challenge may be answered.
pub const VALID_FOR: time::Duration = time::Duration::minutes(20);

/// A challenge as the page shows it.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// `data:image/svg+xml;base64,…` for an `<img>` (the CSP allows `data:` images).
    pub image: String,
    /// Goes back with the answer in a hidden field.
    pub token: String,
}

/// Why an answer is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error("验证题答案不正确,请重新计算图中的算式")]
    Wrong,
    #[error("验证题已过期或已使用,请刷新页面后重新作答")]
    Expired,
}

/// The challenges of the deployment: their key, derived from the keyring, so that a challenge shown by one node is
/// answered on any other ([`credo_store::Vault::derived_key`]); the tokens used up are kept in the store, so each is
/// accepted once whichever node it comes back to.
pub struct Challenges {
    key: Vec<u8>,
}

/// The store's scope of used challenge tokens.
const USED: &str = "challenge";

impl Challenges {
    pub fn new(key: Vec<u8>) -> Challenges {
        Challenges { key }
    }

    /// A new challenge.
    pub fn issue(&self) -> Challenge {
        let mut rng = rand::rng();
        let (a, b) = (rng.random_range(11..=49u32), rng.random_range(2..=9u32));
        let nonce: [u8; 16] = rng.random();
        let expires = (time::OffsetDateTime::now_utc() + VALID_FOR).unix_timestamp();
        let token = format!("{}.{expires}.{}", hex::encode(nonce), self.mac(&nonce, expires, a + b));
        let svg = draw(&format!("{a}+{b}=?"), &mut rng);
        let image = format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg));
        Challenge { image, token }
    }

    fn mac(&self, nonce: &[u8; 16], expires: i64, answer: u32) -> String {
        let data = format!("credo-challenge:{}:{expires}:{answer}", hex::encode(nonce));
        credo_gm::hmac_sm3_hex(&self.key, data.as_bytes())
    }

    /// The answer to one of the deployment's tokens (the server knows the key): for tests that drive the forms and
    /// for no one else — nothing outside the process can call it.
    pub fn solve(&self, token: &str) -> Option<u32> {
        let mut parts = token.trim().splitn(3, '.');
        let nonce: [u8; 16] = hex::decode(parts.next()?).ok()?.try_into().ok()?;
        let expires: i64 = parts.next()?.parse().ok()?;
        let mac = parts.next()?;
        (0..=100).find(|a| credo_gm::ct_eq(mac, &self.mac(&nonce, expires, *a)))
    }

    /// Checks an answer; a right answer uses the token up (on every node).
    pub async fn redeem(
        &self,
        store: &dyn credo_store::SharedStore,
        token: &str,
        answer: &str,
    ) -> Result<(), ChallengeError> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut parts = token.trim().splitn(3, '.');
        let (Some(nonce), Some(expires), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ChallengeError::Expired);
        };
        let nonce: [u8; 16] = hex::decode(nonce).ok().and_then(|n| n.try_into().ok()).ok_or(ChallengeError::Expired)?;
        let expires: i64 = expires.parse().map_err(|_| ChallengeError::Expired)?;
        if expires < now {
            return Err(ChallengeError::Expired);
        }
        let answer: u32 = answer.trim().parse().map_err(|_| ChallengeError::Wrong)?;
        if !credo_gm::ct_eq(mac, &self.mac(&nonce, expires, answer)) {
            return Err(ChallengeError::Wrong);
        }
        match store.use_once(USED, &hex::encode(nonce), expires).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(ChallengeError::Expired),
            Err(e) => {
                tracing::error!(%e, "challenge: the store could not mark the token used");
                Err(ChallengeError::Expired)
            }
        }
    }
}

/// The strokes of each glyph on a 4 × 8 grid (seven-segment shapes, plus `+`, `=` and `?`).
fn strokes(c: char) -> &'static [(f32, f32, f32, f32)] {
    const T: (f32, f32, f32, f32) = (0.0, 0.0, 4.0, 0.0);
    const M: (f32, f32, f32, f32) = (0.0, 4.0, 4.0, 4.0);
    const B: (f32, f32, f32, f32) = (0.0, 8.0, 4.0, 8.0);
    const TL: (f32, f32, f32, f32) = (0.0, 0.0, 0.0, 4.0);
    const TR: (f32, f32, f32, f32) = (4.0, 0.0, 4.0, 4.0);
    const BL: (f32, f32, f32, f32) = (0.0, 4.0, 0.0, 8.0);
    const BR: (f32, f32, f32, f32) = (4.0, 4.0, 4.0, 8.0);
    match c {
        '0' => &[T, TL, TR, BL, BR, B],
        '1' => &[TR, BR],
        '2' => &[T, TR, M, BL, B],
        '3' => &[T, TR, M, BR, B],
        '4' => &[TL, TR, M, BR],
        '5' => &[T, TL, M, BR, B],
        '6' => &[T, TL, M, BL, BR, B],
        '7' => &[T, TR, BR],
        '8' => &[T, TL, TR, M, BL, BR, B],
        '9' => &[T, TL, TR, M, BR, B],
        '+' => &[(0.0, 4.0, 4.0, 4.0), (2.0, 2.0, 2.0, 6.0)],
        '=' => &[(0.0, 3.0, 4.0, 3.0), (0.0, 5.0, 4.0, 5.0)],
        '?' => &[T, TR, (4.0, 4.0, 2.0, 4.0), (2.0, 4.0, 2.0, 6.0), (2.0, 7.5, 2.0, 8.0)],
        _ => &[],
    }
}

/// Draws `text` as jittered strokes with a few noise lines.
fn draw(text: &str, rng: &mut impl Rng) -> String {
    let (w, h) = (28.0 * text.chars().count() as f32 + 20.0, 64.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#f4f6f8\"/>"
    );
    let mut j = |spread: f32| rng.random_range(-spread..=spread);
    for (i, c) in text.chars().enumerate() {
        let (ox, oy, scale) = (14.0 + 28.0 * i as f32 + j(3.0), 14.0 + j(4.0), 4.4 + j(0.5));
        for (x1, y1, x2, y2) in strokes(c) {
            let p = |x: f32, y: f32, dx: f32, dy: f32| (ox + x * scale + dx, oy + y * scale * 0.9 + dy);
            let (a, b) = (p(*x1, *y1, j(1.2), j(1.2)), p(*x2, *y2, j(1.2), j(1.2)));
            svg.push_str(&format!(
                "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#1f3a5f\" stroke-width=\"3\" stroke-linecap=\"round\"/>",
                a.0, a.1, b.0, b.1
            ));
        }
    }
    for _ in 0..5 {
        let (x1, y1, x2, y2) = (j(w).abs(), j(h).abs(), j(w).abs(), j(h).abs());
        svg.push_str(&format!(
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"#9aa8b8\" stroke-width=\"1\"/>"
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Per-address limits on the anonymous case forms: at most `per_hour` cases from one address in an hour (a
/// sliding window, counted in the store for the whole deployment), so that neither a person nor a script can bury a
/// department's inbox, whichever nodes the filings reach.
pub struct FormLimits {
    per_hour: u32,
    /// Addresses are counted under a keyed digest, never stored as they are.
    key: Vec<u8>,
}

/// The store's scope of the filings counted per address.
const FILINGS: &str = "case-forms";

impl FormLimits {
    pub fn new(per_hour: u32, key: Vec<u8>) -> FormLimits {
        FormLimits { per_hour, key }
    }

    /// Counts one filing from `addr`; `false` when the address is over its limit (nothing is counted then).
    /// A limit of 0 is no limit.
    pub async fn allow(
        &self,
        store: &dyn credo_store::SharedStore,
        addr: Option<IpAddr>,
    ) -> Result<bool, crate::Error> {
        let (Some(addr), true) = (addr, self.per_hour > 0) else { return Ok(true) };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        // One counter per address however it is written (an IPv4 address mapped into IPv6 is the IPv4 address).
        let who = credo_gm::hmac_sm3_hex(&self.key, addr.to_canonical().to_string().as_bytes());
        Ok(store.count_within(FILINGS, &who, now, 3600, self.per_hour).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_drawn_and_bound_to_the_key() {
        let (c, other) = (Challenges::new(b"one".to_vec()), Challenges::new(b"two".to_vec()));
        let ch = c.issue();
        assert!(ch.image.starts_with("data:image/svg+xml;base64,"));
        let svg = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(&ch.image["data:image/svg+xml;base64,".len()..])
                .unwrap_or_default(),
        )
        .unwrap_or_default();
        assert!(svg.starts_with("<svg") && !svg.contains("<text"), "no text a script could read");
        let answer = c.solve(&ch.token).unwrap_or(0);
        assert!((13..=58).contains(&answer), "{answer}");
        assert_eq!(other.solve(&ch.token), None, "another deployment's key");
        assert_eq!(c.solve("forged.1.2"), None);
    }
}
