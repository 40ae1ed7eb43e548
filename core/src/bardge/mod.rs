//! Bardge's V3 reseller API: the one place that knows its shapes and rules, so that an assumption that turns
//! out wrong is a change here. [`wire`] holds the bodies; [`member_token`] who is booking; `due` what a session
//! leaves due ([`Due`]); this file the rules the adapter follows: paths, Idempotency-Keys, and what an error
//! means.
//!
//! Stated by Bardge and relied on: bearer API key; `{"error":{type,code,message,request_id}}` errors, shown to
//! a customer only for `invalid_request_error`; `Bardge-Request-Id` on every answer; Idempotency-Keys (UUIDs)
//! on initiate and confirm, the same key with another body refused as `idempotency_key_reused`; a class or spa
//! initiate books at once when the pass covers it, else opens a 24-hour session; confirm debits the reseller
//! and books, atomically, and is called only after the client has paid.
//!
//! Assumed (Bardge's pages for these are not public; the README lists them too):
//! - `GET /classes?provider_id=…&limit=100`, `GET /classes/{id}?from=…&to=…` (with `instances`: `id`,
//!   `scheduled_for`, `capacity`, `spots_left`), `GET /providers/{id}/services`,
//!   `GET /providers/{id}/services/{id}/availability?date=…` (`slots` of `scheduled_for`);
//! - a session's `session_id`, `expires_at` (Unix seconds), `copay_options` (`id`, `name`, `amount`,
//!   `currency`), `cost_per_visit` with `currency` and `durations`, a spa session's `copay_amount`;
//! - `POST /bookings/spa` takes `provider_id`, `service_id`, `scheduled_for`, `client_id`, `user_pass_id`,
//!   `first_name`, `last_name`; `POST /bookings/{id}/cancel` answers the booking;
//! - amounts in the currency's minor unit; statuses in either case.

mod due;
pub mod member_token;
pub mod wire;

pub use due::{Choice, Due, Priced, MAX_VISITS};

use crate::error::{ApiError, ErrorCode};

/// Bardge's production base URL (the Worker var `BARDGE_API_URL` points elsewhere for tests and the demo).
pub const PRODUCTION_URL: &str = "https://api-prod.bardge.com/v3/api/business/reseller";
/// Every Bardge answer carries it; it is logged with every failure.
pub const REQUEST_ID_HEADER: &str = "Bardge-Request-Id";
/// Sessions of either kind last this long (stated).
pub const SESSION_SECONDS: i64 = 24 * 3600;
/// A Checkout Session ends at least this long before Bardge's session does, so a payment made at the last
/// moment can still be confirmed.
pub const CONFIRM_MARGIN_SECONDS: i64 = 10 * 60;
/// The most a class's days of instances are asked for at once (a month view).
pub const MAX_DAYS_PER_READ: i64 = 31;

/// An id Bardge gave (or a document names) that may go into a path as it is.
pub fn is_id(s: &str) -> bool {
    (1..=100).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A UUID-formatted Idempotency-Key derived from what identifies the call, so a retry sends the same key
/// without having stored it, and no two calls share one. Version 8 (RFC 9562's "custom" layout) over SHA-256.
pub fn derived_key(seed: &str, purpose: &str) -> String {
    let digest = crate::digest::sha256_hex(format!("{purpose}\n{seed}").as_bytes());
    let h = digest.as_bytes();
    let s = |r: std::ops::Range<usize>| std::str::from_utf8(&h[r]).unwrap_or_default();
    // Version nibble 8, variant bits 10.
    let variant = b"89ab"[(h[16] as char).to_digit(16).unwrap_or(0) as usize % 4] as char;
    format!(
        "{}-{}-8{}-{variant}{}-{}",
        s(0..8),
        s(8..12),
        s(13..16),
        s(17..20),
        s(20..32)
    )
}

/// When the Checkout Session for a Bardge session's co-pay must end: the hold's end (within Stripe's limits),
/// but at least [`CONFIRM_MARGIN_SECONDS`] before Bardge's session does. `None` when that leaves less than Stripe's
/// shortest session (30 minutes) from now: the session is too near its end to be paid and confirmed.
pub fn checkout_expires_at(now: i64, hold_end: i64, session_expires_at: i64) -> Option<i64> {
    let end = crate::stripe::session_expires_at(now, hold_end).min(session_expires_at - CONFIRM_MARGIN_SECONDS);
    (end >= now + crate::stripe::SESSION_MIN_SECONDS + crate::stripe::SESSION_MARGIN_SECONDS).then_some(end)
}

/// What to do after a confirm call: Bardge's status (`None`: no answer came) and error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Timeouts, network errors, 5xx, and 401/403 (a key being rotated or an account being sorted out can
    /// heal before the session ends): the same call, the same key, later.
    Retry,
    /// Bardge said no for good (class full, slot gone, session expired or unknown, validation): refund.
    Refused,
    /// The key was used with another body: a bug of ours, never "fixed" with a new key. Logged loudly,
    /// refunded.
    KeyReused,
}

pub fn verdict(status: Option<u16>, code: &str) -> Verdict {
    match status {
        None => Verdict::Retry,
        Some(_) if code == "idempotency_key_reused" => Verdict::KeyReused,
        Some(401 | 403 | 408 | 429) => Verdict::Retry,
        Some(s) if s >= 500 => Verdict::Retry,
        Some(_) => Verdict::Refused,
    }
}

/// A Bardge refusal of an initiate, for the customer: only an `invalid_request_error`'s message is shown;
/// the rest get the product's own words.
pub fn customer_error(status: u16, kind: &str, code: &str, message: &str) -> ApiError {
    match (kind, code) {
        (_, "class_full") => ApiError::new(ErrorCode::SlotUnavailable, "This class is full"),
        (_, "slot_unavailable" | "resource_not_found") => {
            ApiError::new(ErrorCode::SlotUnavailable, "This time can no longer be booked")
        }
        (_, "idempotency_key_reused") => ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was used for another booking",
        ),
        ("invalid_request_error", _) if status < 500 && !message.trim().is_empty() => ApiError::new(
            ErrorCode::ValidationError,
            message.chars().take(300).collect::<String>(),
        ),
        _ => ApiError::new(
            ErrorCode::UpstreamUnavailable,
            "The booking service cannot take this booking right now; please try again in a few minutes",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_are_uuids_stable_and_distinct() {
        let a = derived_key("wellcorp:abc", "initiate");
        assert_eq!(a, derived_key("wellcorp:abc", "initiate"));
        assert_ne!(a, derived_key("wellcorp:abc", "confirm"));
        assert_ne!(a, derived_key("wellcorp:abd", "initiate"));
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(a
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert!(groups[2].starts_with('8'), "version 8: {a}");
        assert!("89ab".contains(&groups[3][..1]), "RFC 9562 variant: {a}");
    }

    #[test]
    fn checkout_ends_ten_minutes_before_the_session() {
        let now = 1_780_000_000;
        // A 24-hour session and a 30-minute hold: the hold decides (with Stripe's margin on its shortest).
        assert_eq!(
            checkout_expires_at(now, now + 1800, now + SESSION_SECONDS),
            Some(now + 2100)
        );
        // A session with 50 minutes left: ends 10 minutes before it.
        assert_eq!(checkout_expires_at(now, now + 3600, now + 3000), Some(now + 2400));
        // 35 minutes left: 25 after the margin, below Stripe's 30 (plus its own margin): cannot be paid.
        assert_eq!(checkout_expires_at(now, now + 3600, now + 2100), None);
    }

    #[test]
    fn only_a_refusal_for_good_is_refunded() {
        assert_eq!(verdict(None, ""), Verdict::Retry);
        for status in [500, 502, 503, 401, 403, 429] {
            assert_eq!(
                verdict(Some(status), "internal_server_error"),
                Verdict::Retry,
                "{status}"
            );
        }
        for (status, code) in [
            (409, "class_full"),
            (409, "slot_unavailable"),
            (404, "resource_not_found"),
            (400, "validation_error"),
            (422, "session_expired"),
            (409, "a_code_added_later"),
        ] {
            assert_eq!(verdict(Some(status), code), Verdict::Refused, "{code}");
        }
        assert_eq!(verdict(Some(409), "idempotency_key_reused"), Verdict::KeyReused);
    }

    #[test]
    fn customers_see_only_invalid_request_messages() {
        let shown = customer_error(
            400,
            "invalid_request_error",
            "validation_error",
            "first_name is too long",
        );
        assert_eq!(shown.message, "first_name is too long");
        assert_eq!(shown.code, ErrorCode::ValidationError);
        let hidden = customer_error(
            500,
            "api_error",
            "internal_server_error",
            "NullPointerException at Foo.java:12",
        );
        assert!(!hidden.message.contains("Foo"), "{}", hidden.message);
        assert_eq!(hidden.code, ErrorCode::UpstreamUnavailable);
        let auth = customer_error(
            401,
            "authentication_error",
            "invalid_api_key",
            "Key sk_live_x is invalid",
        );
        assert!(!auth.message.contains("sk_live"));
        assert_eq!(
            customer_error(409, "resource_conflict_error", "class_full", "Class full").code,
            ErrorCode::SlotUnavailable
        );
    }
}
