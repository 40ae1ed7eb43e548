//! Idempotency-Key rules for reserve: a key is scoped to one organisation and kept 24 hours, tied to a
//! fingerprint of the request. Same key and same request: the stored answer again. Same key, other request:
//! `idempotency_key_reused`. While the first is still running: `idempotency_key_in_use`.
//!
//! Crash safety: a reserve writes its key's record in the same transaction as the reservation it creates,
//! so a key never names a reservation that does not exist, nor a reservation its key. A request that died
//! (the runtime restarted) leaves its claim behind: with a reservation, a retry resumes it and answers it
//! again; without one, a retry runs afresh. A claim counts as running only while the request that made it is
//! alive in this engine instance, and at most for [`LEASE_SECONDS`].

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::time::Timestamp;

pub const HEADER: &str = "Idempotency-Key";
/// Marks an answer given again for a key seen before.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";
pub const KEEP_SECONDS: i64 = 24 * 3600;
pub const MAX_KEY_LENGTH: usize = 255;

/// How long a claim can keep a retry waiting, even if its request is still alive (a call that hangs).
pub const LEASE_SECONDS: i64 = 60;

/// A key as stored, with what it was first used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub fingerprint: String,
    /// The answer is stored.
    pub finished: bool,
    pub created_at: Timestamp,
    /// When the request now holding the key claimed it.
    pub claimed_at: Timestamp,
    /// The reservation the request made, written with it.
    pub reservation_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Never seen, expired, or claimed by a request that died before writing anything: run the request.
    Run,
    /// Seen with the same request and answered: answer the same again.
    Replay,
    /// Its request made this reservation, then died before answering: answer it from the reservation.
    Resume(i64),
}

/// Checks a header value: 1 to 255 visible ASCII characters.
pub fn check_key(key: &str) -> ApiResult<()> {
    let ok = !key.is_empty() && key.len() <= MAX_KEY_LENGTH && key.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(
            HEADER,
            "Idempotency-Key must be 1 to 255 visible ASCII characters",
        ))
    }
}

/// `alive`: the request that claimed the key is still running in this engine instance.
pub fn decide(stored: Option<&StoredKey>, fingerprint: &str, alive: bool, now: Timestamp) -> ApiResult<Decision> {
    let Some(stored) = stored.filter(|s| now.0 - s.created_at.0 < KEEP_SECONDS) else {
        return Ok(Decision::Run);
    };
    if stored.fingerprint != fingerprint {
        return Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was already used with a different request",
        ));
    }
    if stored.finished {
        return Ok(Decision::Replay);
    }
    if alive && now.0 - stored.claimed_at.0 < LEASE_SECONDS {
        return Err(ApiError::new(
            ErrorCode::IdempotencyKeyInUse,
            "A request with this Idempotency-Key is still running",
        )
        .with_retry_after(1));
    }
    Ok(match stored.reservation_id {
        Some(id) => Decision::Resume(id),
        None => Decision::Run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(fp: &str, finished: bool, at: i64) -> StoredKey {
        StoredKey {
            fingerprint: fp.into(),
            finished,
            created_at: Timestamp(at),
            claimed_at: Timestamp(at),
            reservation_id: None,
        }
    }

    #[test]
    fn same_request_replays_other_request_is_refused() {
        let now = Timestamp(100_000);
        assert_eq!(decide(None, "a", false, now), Ok(Decision::Run));
        assert_eq!(
            decide(Some(&stored("a", true, 99_000)), "a", false, now),
            Ok(Decision::Replay)
        );
        assert_eq!(
            decide(Some(&stored("a", true, 99_000)), "b", false, now)
                .unwrap_err()
                .code,
            ErrorCode::IdempotencyKeyReused
        );
        let in_use = decide(Some(&stored("a", false, 99_999)), "a", true, now).unwrap_err();
        assert_eq!(
            (in_use.code, in_use.retry_after),
            (ErrorCode::IdempotencyKeyInUse, Some(1))
        );
        // Another request is refused even while the first runs.
        assert_eq!(
            decide(Some(&stored("a", false, 99_999)), "b", true, now)
                .unwrap_err()
                .code,
            ErrorCode::IdempotencyKeyReused
        );
    }

    #[test]
    fn a_claim_whose_request_died_is_resumed_or_run_again() {
        let now = Timestamp(100_000);
        let claimed = stored("a", false, 99_990);
        // Died before writing anything: run again at once (the runtime restarted, nothing is running).
        assert_eq!(decide(Some(&claimed), "a", false, now), Ok(Decision::Run));
        // Died after writing its reservation: answer from it, never book a second time.
        let written = StoredKey {
            reservation_id: Some(42),
            ..claimed.clone()
        };
        assert_eq!(decide(Some(&written), "a", false, now), Ok(Decision::Resume(42)));
        // Alive but past its lease (a call that hangs): a retry is not kept waiting forever.
        let old = StoredKey {
            claimed_at: Timestamp(now.0 - LEASE_SECONDS),
            ..written
        };
        assert_eq!(decide(Some(&old), "a", true, now), Ok(Decision::Resume(42)));
        let old_empty = StoredKey {
            claimed_at: Timestamp(now.0 - LEASE_SECONDS + 1),
            ..claimed
        };
        assert!(
            decide(Some(&old_empty), "a", true, now).is_err(),
            "inside the lease it is still in use"
        );
    }

    #[test]
    fn keys_expire_after_a_day() {
        let now = Timestamp(200_000);
        assert_eq!(
            decide(Some(&stored("a", true, now.0 - KEEP_SECONDS)), "b", false, now),
            Ok(Decision::Run)
        );
        assert!(decide(Some(&stored("a", true, now.0 - KEEP_SECONDS + 1)), "b", false, now).is_err());
    }

    #[test]
    fn key_format() {
        assert!(check_key("3f1c2a9e-5b7d-4c1e-9a8b-0f6e2d4c8a1b").is_ok());
        assert_eq!(check_key("").unwrap_err().param.as_deref(), Some("Idempotency-Key"));
        assert!(check_key("has space").is_err());
        assert!(check_key(&"k".repeat(256)).is_err());
    }
}
