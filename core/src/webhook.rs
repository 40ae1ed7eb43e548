//! Webhooks out: what a venue's own systems hear of bookings. Events are `reservation.created`,
//! `.confirmed`, `.cancelled`, `.rescheduled`, each with an id to de-duplicate by (delivery is at least
//! once). A delivery is signed the way Stripe signs: `Slotbook-Signature: t={unix},v1={hex HMAC-SHA256 of
//! "{t}.{body}"}`, so a venue can verify it as it verifies Stripe's. Failed deliveries are retried with
//! growing pauses for more than a day.

use crate::validate::{is_loopback, origin_of};

/// How long a delivery that has ended (delivered, or its attempts spent) is kept for staff to look up: its
/// body repeats the customer's contact details, which the reservation itself keeps.
pub const KEEP_ENDED_DELIVERIES_SECONDS: i64 = 30 * 86_400;

pub const SIGNATURE_HEADER: &str = "Slotbook-Signature";
pub const EVENT_ID_HEADER: &str = "Slotbook-Event-Id";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Created,
    Confirmed,
    Cancelled,
    Rescheduled,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "reservation.created",
            EventKind::Confirmed => "reservation.confirmed",
            EventKind::Cancelled => "reservation.cancelled",
            EventKind::Rescheduled => "reservation.rescheduled",
        }
    }
}

/// The pause before attempt `n + 1` after `n` failed attempts; `None` once the attempts are spent.
/// Together the pauses cover more than 24 hours.
pub fn retry_delay(failed_attempts: u32) -> Option<i64> {
    const PAUSES: [i64; 11] = [30, 120, 600, 1800, 3600, 7200, 14_400, 21_600, 28_800, 43_200, 43_200];
    PAUSES.get(failed_attempts.checked_sub(1)? as usize).copied()
}

/// The `Slotbook-Signature` value for `body` at `t` (the same scheme as Stripe's webhooks).
pub fn sign(body: &[u8], secret: &str, t: i64) -> String {
    crate::stripe::sign(body, secret, t)
}

/// An endpoint a webhook may be sent to: https to a named host, or plain http to the local machine
/// (development). A host given as an IP address is refused (but loopback's): a venue names its endpoint, and
/// an address could point the signed deliveries into a network the venue does not own.
pub fn is_endpoint(url: &str) -> bool {
    // ASCII only: the Worker's URL parser takes no internationalised host (its punycode `xn--` form works).
    let Some(origin) = origin_of(url).filter(|_| url.is_ascii()) else {
        return false;
    };
    if is_loopback(&origin) {
        return true;
    }
    origin.starts_with("https://") && !is_ip_literal(&origin)
}

/// Whether an origin's host is an IP address: IPv6 in brackets, or a last label of digits (`10.0.0.1`, the
/// single number `2130706433`) or hex (`0x7f.1`), which no DNS top-level domain is.
fn is_ip_literal(origin: &str) -> bool {
    let authority = origin.split_once("://").map_or(origin, |(_, a)| a);
    if authority.starts_with('[') {
        return true;
    }
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(h, _)| h)
        .trim_end_matches('.');
    let last = host.rsplit('.').next().unwrap_or(host);
    last.bytes().all(|b| b.is_ascii_digit()) || last.starts_with("0x")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_last_more_than_a_day_then_stop() {
        assert_eq!(retry_delay(0), None, "no failure, no retry");
        let pauses: Vec<i64> = (1..).map_while(retry_delay).collect();
        // Every pause, in minutes: 0.5, 2, 10, 30, then hours 1, 2, 4, 6, 8, 12, 12.
        assert_eq!(
            pauses,
            [30, 120, 600, 1800, 3600, 7200, 14_400, 21_600, 28_800, 43_200, 43_200]
        );
        assert!(
            pauses.iter().sum::<i64>() >= 24 * 3600,
            "the last attempt is more than a day after the first"
        );
        assert_eq!(
            retry_delay(12),
            None,
            "12 attempts in all, then the delivery has failed"
        );
    }

    #[test]
    fn endpoints() {
        assert!(is_endpoint("https://venue.example/hooks/slotbook"));
        assert!(is_endpoint("http://127.0.0.1:9000/hook"));
        assert!(is_endpoint("http://localhost/hook"));
        assert!(!is_endpoint("http://venue.example/hook"));
        assert!(!is_endpoint("ftp://venue.example/hook"));
        assert!(!is_endpoint("https://user@venue.example/hook"));
        // Internationalised hosts in their punycode form only.
        assert!(is_endpoint("https://xn--bcher-kva.example/hook"));
        assert!(!is_endpoint("https://bücher.example/hook"));
        // Addresses instead of names, in every spelling a URL parser takes.
        for literal in [
            "https://10.0.0.1/hook",
            "https://169.254.169.254/latest",
            "https://[fd00::1]/hook",
            "https://2130706433/hook",
            "https://0x7f.1/hook",
            "https://10.0.0.1./hook",
            "https://192.168.1.1:8443/hook",
        ] {
            assert!(!is_endpoint(literal), "{literal}");
        }
        assert!(is_endpoint("https://hooks.venue.example:8443/x"));
        assert!(
            is_endpoint("https://1password.example/hook"),
            "a name that starts with a digit is a name"
        );
    }
}
