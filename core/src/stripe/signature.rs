//! Stripe webhook signatures (`Stripe-Signature: t=…,v1=…`): HMAC-SHA256 over `"{t}.{raw body}"`, hex.
//! Accepted when any `v1` matches any configured secret, compared in constant time, within the tolerance.
//! The route is unauthenticated, so the work a header can cause is bounded: at most `MAX_SIGNATURES` entries
//! are read, and the body is hashed once per secret however many `v1` entries there are.

use crate::digest::constant_time_eq;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const TOLERANCE_SECONDS: i64 = 300;
/// Stripe sends one `v1` per signing secret the endpoint has (two while one is being rolled); more than a
/// few is not a header Stripe sends, and each would otherwise cost a comparison.
pub const MAX_SIGNATURES: usize = 8;
/// A `v1` is an HMAC-SHA256 in hex.
const SIGNATURE_HEX_LEN: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    MissingHeader,
    Malformed,
    TimestampOutOfTolerance,
    NoMatch,
}

impl SignatureError {
    pub fn message(self) -> &'static str {
        match self {
            Self::MissingHeader => "The Stripe-Signature header is missing",
            Self::Malformed => "The Stripe-Signature header is malformed",
            Self::TimestampOutOfTolerance => "The Stripe-Signature timestamp is outside the tolerance",
            Self::NoMatch => "No signature matches the payload",
        }
    }
}

/// Verifies a webhook. `secrets` may hold several (rotation); `now` is Unix seconds.
pub fn verify(header: Option<&str>, payload: &[u8], secrets: &[&str], now: i64) -> Result<i64, SignatureError> {
    let header = header.ok_or(SignatureError::MissingHeader)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or(SignatureError::Malformed)?;
        match k {
            "t" => timestamp = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            "v1" if signatures.len() == MAX_SIGNATURES => return Err(SignatureError::Malformed),
            "v1" => signatures.push(decode_hex(v).ok_or(SignatureError::Malformed)?),
            _ => {} // v0 and future schemes are ignored, as Stripe advises
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - t).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::TimestampOutOfTolerance);
    }
    let mut matched = false;
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        let expected = mac(secret, t, payload).finalize().into_bytes();
        for sig in &signatures {
            // Every entry is compared, whether or not an earlier one matched: no early exit to time.
            matched |= constant_time_eq(&expected, sig);
        }
    }
    if matched {
        Ok(t)
    } else {
        Err(SignatureError::NoMatch)
    }
}

/// The `Stripe-Signature` value Stripe would send for `payload` at time `t`.
pub fn sign(payload: &[u8], secret: &str, t: i64) -> String {
    format!(
        "t={t},v1={}",
        crate::digest::hex(&mac(secret, t, payload).finalize().into_bytes())
    )
}

/// Secrets from a comma-separated setting (several during rotation).
pub fn secrets(setting: &str) -> Vec<&str> {
    setting.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
}

#[cfg(test)]
thread_local! {
    /// How many times the body was hashed: the work a header can cause, counted.
    static HASHES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn mac(secret: &str, t: i64, payload: &[u8]) -> Hmac<Sha256> {
    #[cfg(test)]
    HASHES.with(|n| n.set(n.get() + 1));
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(payload);
    m
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != SIGNATURE_HEX_LEN {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;
    const NOW: i64 = 1_780_000_000;

    #[test]
    fn matches_an_independent_hmac() {
        // Computed outside this crate:
        // printf '%s' '1780000000.{"id":"evt_1","type":"checkout.session.completed"}' | openssl dgst -sha256 -hmac whsec_test
        const EXPECTED: &str = "83fd372b67449ea588b58d7eb6e8653b9ecb3e9f833425a0bb4258b0a765904c";
        let header = sign(BODY, "whsec_test", NOW);
        assert_eq!(header, format!("t={NOW},v1={EXPECTED}"));
        assert_eq!(verify(Some(&header), BODY, &["whsec_test"], NOW), Ok(NOW));
    }

    #[test]
    fn rejects_tampering_wrong_secrets_and_stale_times() {
        let header = sign(BODY, "whsec_test", NOW);
        assert_eq!(
            verify(Some(&header), b"{}", &["whsec_test"], NOW),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(Some(&header), BODY, &["whsec_other"], NOW),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(Some(&header), BODY, &["whsec_test"], NOW + 301),
            Err(SignatureError::TimestampOutOfTolerance)
        );
        assert_eq!(
            verify(Some(&header), BODY, &["whsec_test"], NOW - 301),
            Err(SignatureError::TimestampOutOfTolerance)
        );
        assert_eq!(verify(Some(&header), BODY, &["whsec_test"], NOW + 300), Ok(NOW));
        assert_eq!(
            verify(None, BODY, &["whsec_test"], NOW),
            Err(SignatureError::MissingHeader)
        );
        for bad in [
            "",
            "garbage",
            "t=abc,v1=00",
            "t=1780000000",
            "t=1780000000,v1=zz",
            "v1=abcd",
            "t=1780000000,v1=00",
        ] {
            assert_eq!(
                verify(Some(bad), BODY, &["whsec_test"], NOW),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_header_with_many_signatures_is_refused_before_any_hashing() {
        let good = sign(BODY, "whsec_test", NOW);
        let filler = format!(",v1={}", "0".repeat(64));
        // Up to the limit, a matching entry among others is found, wherever it stands.
        let at_limit = format!("{good}{}", filler.repeat(MAX_SIGNATURES - 1));
        assert_eq!(verify(Some(&at_limit), BODY, &["whsec_test"], NOW), Ok(NOW));
        let last = format!(
            "t={NOW}{}{}",
            filler.repeat(MAX_SIGNATURES - 1),
            good.split_once(',').unwrap().1.replace("v1=", ",v1=")
        );
        assert_eq!(verify(Some(&last), BODY, &["whsec_test"], NOW), Ok(NOW));
        // One more is not a header Stripe sends: refused as malformed, even with a valid signature in it.
        let over = format!("{good}{}", filler.repeat(MAX_SIGNATURES));
        assert_eq!(
            verify(Some(&over), BODY, &["whsec_test"], NOW),
            Err(SignatureError::Malformed)
        );
        // The review's header: a thousand short entries.
        let flood = format!("t={NOW}{}", ",v1=00".repeat(1000));
        assert_eq!(
            verify(Some(&flood), BODY, &["whsec_test"], NOW),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn the_body_is_hashed_once_per_secret() {
        let header = format!("t={NOW}{}", format!(",v1={}", "0".repeat(64)).repeat(MAX_SIGNATURES));
        HASHES.with(|n| n.set(0));
        assert_eq!(
            verify(Some(&header), BODY, &["whsec_a", "whsec_b"], NOW),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            HASHES.with(|n| n.get()),
            2,
            "one hash per secret, whatever the number of entries"
        );
    }

    #[test]
    fn rotation_accepts_any_v1_under_any_secret() {
        let old = sign(BODY, "whsec_old", NOW);
        let new = sign(BODY, "whsec_new", NOW);
        let both = format!("{},{}", new, old.split(',').nth(1).unwrap());
        assert_eq!(verify(Some(&both), BODY, &secrets("whsec_old"), NOW), Ok(NOW));
        assert_eq!(verify(Some(&both), BODY, &secrets("whsec_new"), NOW), Ok(NOW));
        assert_eq!(verify(Some(&old), BODY, &secrets("whsec_new, whsec_old"), NOW), Ok(NOW));
        assert_eq!(
            verify(Some(&old), BODY, &secrets(""), NOW),
            Err(SignatureError::NoMatch)
        );
    }
}
