//! Idempotency-Key rules for reserve: a key is scoped to one organisation and kept 24 hours, tied to a
//! fingerprint of the request. Same key and same request: the stored answer again. Same key, other request:
//! `idempotency_key_reused`. While the first is still running: `idempotency_key_in_use`.

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::time::Timestamp;

pub const HEADER: &str = "Idempotency-Key";
pub const KEEP_SECONDS: i64 = 24 * 3600;
pub const MAX_KEY_LENGTH: usize = 255;

/// A key as stored, with what it was first used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub fingerprint: String,
    pub finished: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Never seen (or expired): run the request and remember its answer.
    Run,
    /// Seen with the same request and answered: answer the same again.
    Replay,
}

/// Checks a header value: 1 to 255 visible ASCII characters.
pub fn check_key(key: &str) -> ApiResult<()> {
    let ok = !key.is_empty() && key.len() <= MAX_KEY_LENGTH && key.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(HEADER, "Idempotency-Key must be 1 to 255 visible ASCII characters"))
    }
}

pub fn decide(stored: Option<&StoredKey>, fingerprint: &str, now: Timestamp) -> ApiResult<Decision> {
    let Some(stored) = stored.filter(|s| now.0 - s.created_at.0 < KEEP_SECONDS) else {
        return Ok(Decision::Run);
    };
    if stored.fingerprint != fingerprint {
        return Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was already used with a different request",
        ));
    }
    if !stored.finished {
        return Err(ApiError::new(ErrorCode::IdempotencyKeyInUse, "A request with this Idempotency-Key is still running")
            .with_retry_after(1));
    }
    Ok(Decision::Replay)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(fp: &str, finished: bool, at: i64) -> StoredKey {
        StoredKey { fingerprint: fp.into(), finished, created_at: Timestamp(at) }
    }

    #[test]
    fn same_request_replays_other_request_is_refused() {
        let now = Timestamp(100_000);
        assert_eq!(decide(None, "a", now), Ok(Decision::Run));
        assert_eq!(decide(Some(&stored("a", true, 99_000)), "a", now), Ok(Decision::Replay));
        assert_eq!(decide(Some(&stored("a", true, 99_000)), "b", now).unwrap_err().code, ErrorCode::IdempotencyKeyReused);
        let in_use = decide(Some(&stored("a", false, 99_999)), "a", now).unwrap_err();
        assert_eq!((in_use.code, in_use.retry_after), (ErrorCode::IdempotencyKeyInUse, Some(1)));
    }

    #[test]
    fn keys_expire_after_a_day() {
        let now = Timestamp(200_000);
        assert_eq!(decide(Some(&stored("a", true, now.0 - KEEP_SECONDS)), "b", now), Ok(Decision::Run));
        assert!(decide(Some(&stored("a", true, now.0 - KEEP_SECONDS + 1)), "b", now).is_err());
    }

    #[test]
    fn key_format() {
        assert!(check_key("3f1c2a9e-5b7d-4c1e-9a8b-0f6e2d4c8a1b").is_ok());
        assert_eq!(check_key("").unwrap_err().param.as_deref(), Some("Idempotency-Key"));
        assert!(check_key("has space").is_err());
        assert!(check_key(&"k".repeat(256)).is_err());
    }
}
