//! Stripe webhook signatures (`Stripe-Signature: t=…,v1=…`): HMAC-SHA256 over `"{t}.{raw body}"`, hex.
//! Accepted when any `v1` matches any configured secret, compared in constant time, within the tolerance.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const TOLERANCE_SECONDS: i64 = 300;

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
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        for sig in &signatures {
            if mac(secret, t, payload).verify_slice(sig).is_ok() {
                return Ok(t);
            }
        }
    }
    Err(SignatureError::NoMatch)
}

/// The `Stripe-Signature` value Stripe would send for `payload` at time `t`.
pub fn sign(payload: &[u8], secret: &str, t: i64) -> String {
    format!("t={t},v1={}", crate::digest::hex(&mac(secret, t, payload).finalize().into_bytes()))
}

/// Secrets from a comma-separated setting (several during rotation).
pub fn secrets(setting: &str) -> Vec<&str> {
    setting.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
}

fn mac(secret: &str, t: i64, payload: &[u8]) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(payload);
    m
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || s.is_empty() {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
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
        assert_eq!(verify(Some(&header), b"{}", &["whsec_test"], NOW), Err(SignatureError::NoMatch));
        assert_eq!(verify(Some(&header), BODY, &["whsec_other"], NOW), Err(SignatureError::NoMatch));
        assert_eq!(verify(Some(&header), BODY, &["whsec_test"], NOW + 301), Err(SignatureError::TimestampOutOfTolerance));
        assert_eq!(verify(Some(&header), BODY, &["whsec_test"], NOW - 301), Err(SignatureError::TimestampOutOfTolerance));
        assert_eq!(verify(Some(&header), BODY, &["whsec_test"], NOW + 300), Ok(NOW));
        assert_eq!(verify(None, BODY, &["whsec_test"], NOW), Err(SignatureError::MissingHeader));
        for bad in ["", "garbage", "t=abc,v1=00", "t=1780000000", "t=1780000000,v1=zz", "v1=abcd"] {
            assert_eq!(verify(Some(bad), BODY, &["whsec_test"], NOW), Err(SignatureError::Malformed), "{bad}");
        }
    }

    #[test]
    fn rotation_accepts_any_v1_under_any_secret() {
        let old = sign(BODY, "whsec_old", NOW);
        let new = sign(BODY, "whsec_new", NOW);
        let both = format!("{},{}", new, old.split(',').nth(1).unwrap());
        assert_eq!(verify(Some(&both), BODY, &secrets("whsec_old"), NOW), Ok(NOW));
        assert_eq!(verify(Some(&both), BODY, &secrets("whsec_new"), NOW), Ok(NOW));
        assert_eq!(verify(Some(&old), BODY, &secrets("whsec_new, whsec_old"), NOW), Ok(NOW));
        assert_eq!(verify(Some(&old), BODY, &secrets(""), NOW), Err(SignatureError::NoMatch));
    }
}
