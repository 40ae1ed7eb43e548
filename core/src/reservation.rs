//! The reservation state machine: statuses, payment statuses, which transitions are allowed, and which
//! reservations hold places.

use crate::error::{ApiError, ErrorCode};
use crate::time::Timestamp;

/// How long after its end a payment hold still keeps its places (see [`ReservationStatus::holds_places`]).
pub const HOLD_GRACE_SECONDS: i64 = 600;

/// On the wire as its [`ReservationStatus::as_str`] name (serde by hand, below: the names exist once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReservationStatus {
    Pending,
    /// Waiting for Stripe; holds its places until the hold expires.
    PendingPayment,
    Confirmed,
    Completed,
    Cancelled,
    Waitlist,
    /// The payment failed; places released.
    Failed,
}

/// On the wire as its [`PaymentStatus::as_str`] name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    NotRequired,
    Pending,
    /// Paid with a delayed method (a bank debit): Stripe has not got the money yet.
    Processing,
    Succeeded,
    Failed,
    Expired,
    /// Paid, then given back (a payment that arrived after the reservation had ended).
    Refunded,
}

impl ReservationStatus {
    pub const ALL: [ReservationStatus; 7] = [
        Self::Pending,
        Self::PendingPayment,
        Self::Confirmed,
        Self::Completed,
        Self::Cancelled,
        Self::Waitlist,
        Self::Failed,
    ];

    /// The statuses whose places may count against capacity (`pending_payment` only while its hold lasts: see
    /// [`ReservationStatus::holds_places`]), for a query to narrow its rows by.
    pub const MAY_HOLD_PLACES: [ReservationStatus; 4] =
        [Self::Pending, Self::PendingPayment, Self::Confirmed, Self::Completed];

    /// [`ReservationStatus::MAY_HOLD_PLACES`] as an SQL list, for `status IN …` (a test keeps the two alike).
    pub const MAY_HOLD_PLACES_SQL: &'static str = "('pending', 'pending_payment', 'confirmed', 'completed')";

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::PendingPayment => "pending_payment",
            Self::Confirmed => "confirmed",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Waitlist => "waitlist",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Statuses staff may set through the reservations API.
    pub fn settable_by_staff(self) -> bool {
        matches!(
            self,
            Self::Pending | Self::Confirmed | Self::Completed | Self::Cancelled | Self::Waitlist
        )
    }

    /// Whether a reservation in this status holds places at `now`. A payment hold keeps its places for a
    /// grace period after its end, so a payment that completes at the last second (its webhook late, or the
    /// hold's alarm asking Stripe) can never find them sold to someone else; the alarm settles it long before.
    pub fn holds_places(self, hold_expires_at: Option<Timestamp>, now: Timestamp) -> bool {
        match self {
            Self::Pending | Self::Confirmed | Self::Completed => true,
            Self::PendingPayment => hold_expires_at.is_some_and(|t| t.0 + HOLD_GRACE_SECONDS > now.0),
            Self::Cancelled | Self::Waitlist | Self::Failed => false,
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Cancelled | Self::Failed | Self::Completed)
    }

    /// Checks a status change; `Ok` also for no change.
    pub fn transition_to(self, next: ReservationStatus) -> Result<(), ApiError> {
        use ReservationStatus::*;
        if self == next {
            return Ok(());
        }
        let allowed = match self {
            Pending | Waitlist => matches!(next, Pending | Confirmed | Completed | Cancelled | Waitlist),
            PendingPayment => matches!(next, Confirmed | Cancelled | Failed),
            Confirmed => matches!(next, Completed | Cancelled | Pending),
            Cancelled => {
                return Err(ApiError::new(
                    ErrorCode::AlreadyCancelled,
                    "The reservation is already cancelled",
                ))
            }
            Completed | Failed => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::InvalidTransition,
                format!("A {} reservation cannot become {}", self.as_str(), next.as_str()),
            ))
        }
    }
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotRequired => "not_required",
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::NotRequired,
            Self::Pending,
            Self::Processing,
            Self::Succeeded,
            Self::Failed,
            Self::Expired,
            Self::Refunded,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

serde_by_name!(ReservationStatus, PaymentStatus);

/// When a customer can no longer cancel or move a booking themselves: `notice_hours` before its start.
pub fn change_deadline(start: Timestamp, notice_hours: u32) -> Timestamp {
    Timestamp(start.0 - notice_hours as i64 * 3600)
}

/// Whether a customer may cancel or move a booking in `status` that starts at `start`, at `now`.
pub fn check_customer_change(
    status: ReservationStatus,
    start: Timestamp,
    notice_hours: u32,
    now: Timestamp,
) -> Result<(), ApiError> {
    match status {
        ReservationStatus::Cancelled => {
            return Err(ApiError::new(
                ErrorCode::AlreadyCancelled,
                "The booking is already cancelled",
            ))
        }
        ReservationStatus::Pending | ReservationStatus::Confirmed | ReservationStatus::PendingPayment => {}
        other => {
            return Err(ApiError::new(
                ErrorCode::InvalidTransition,
                format!("A {} booking cannot be changed", other.as_str()),
            ))
        }
    }
    if now.0 >= change_deadline(start, notice_hours).0 {
        return Err(ApiError::new(
            ErrorCode::TooLateToChange,
            format!(
                "Bookings can be changed online until {notice_hours} hours before they start; please contact the venue"
            ),
        ));
    }
    Ok(())
}

/// A manage link's token: 32 random bytes as hex, then the organisation (`{hex}.{slug}`). Only its SHA-256
/// digest is stored.
pub fn manage_token(random_hex: &str, slug: &str) -> String {
    format!("{random_hex}.{slug}")
}

/// The organisation a manage token names, if it has the token's form.
pub fn manage_token_organisation(token: &str) -> Option<&str> {
    let (random, slug) = token.split_once('.')?;
    let slug_ok = (2..=64).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    (random.len() == 64 && random.bytes().all(|b| b.is_ascii_hexdigit()) && slug_ok).then_some(slug)
}

#[cfg(test)]
mod tests {
    use super::ReservationStatus::*;
    use super::*;

    #[test]
    fn pending_payment_holds_places_until_expiry_and_grace() {
        let now = Timestamp(10_000);
        assert!(PendingPayment.holds_places(Some(Timestamp(10_001)), now));
        assert!(PendingPayment.holds_places(Some(Timestamp(10_000 - HOLD_GRACE_SECONDS + 1)), now));
        assert!(!PendingPayment.holds_places(Some(Timestamp(10_000 - HOLD_GRACE_SECONDS)), now));
        assert!(!PendingPayment.holds_places(None, now));
        assert!(Confirmed.holds_places(None, now));
        assert!(!Cancelled.holds_places(None, now));
        assert!(!Waitlist.holds_places(None, now));
    }

    #[test]
    fn cancelled_is_final_and_says_so() {
        assert_eq!(
            Cancelled.transition_to(Confirmed).unwrap_err().code,
            ErrorCode::AlreadyCancelled
        );
        assert_eq!(
            Completed.transition_to(Pending).unwrap_err().code,
            ErrorCode::InvalidTransition
        );
        assert!(Pending.transition_to(Confirmed).is_ok());
        assert!(Waitlist.transition_to(Confirmed).is_ok());
        assert!(PendingPayment.transition_to(Completed).is_err());
    }

    #[test]
    fn customers_change_bookings_until_the_notice() {
        let start = Timestamp(100 * 3600);
        assert_eq!(change_deadline(start, 24), Timestamp(76 * 3600));
        assert!(check_customer_change(Confirmed, start, 24, Timestamp(76 * 3600 - 1)).is_ok());
        assert_eq!(
            check_customer_change(Confirmed, start, 24, Timestamp(76 * 3600))
                .unwrap_err()
                .code,
            ErrorCode::TooLateToChange
        );
        assert_eq!(
            check_customer_change(Cancelled, start, 24, Timestamp(0))
                .unwrap_err()
                .code,
            ErrorCode::AlreadyCancelled
        );
        assert_eq!(
            check_customer_change(Completed, start, 24, Timestamp(0))
                .unwrap_err()
                .code,
            ErrorCode::InvalidTransition
        );
        assert!(check_customer_change(Confirmed, start, 0, Timestamp(start.0 - 1)).is_ok());
    }

    #[test]
    fn manage_tokens_name_their_organisation() {
        let token = manage_token(&"a1".repeat(32), "acme-spa");
        assert_eq!(manage_token_organisation(&token), Some("acme-spa"));
        assert_eq!(manage_token_organisation("short.acme-spa"), None);
        assert_eq!(manage_token_organisation(&format!("{}.Acme", "a1".repeat(32))), None);
        assert_eq!(manage_token_organisation(&"a1".repeat(32)), None);
    }

    #[test]
    fn statuses_round_trip_as_strings() {
        for s in ReservationStatus::ALL {
            assert_eq!(ReservationStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }

    #[test]
    fn the_sql_list_of_statuses_that_may_hold_places_is_theirs() {
        let names: Vec<String> = ReservationStatus::MAY_HOLD_PLACES
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        assert_eq!(
            ReservationStatus::MAY_HOLD_PLACES_SQL,
            format!("({})", names.join(", "))
        );
    }

    #[test]
    fn the_statuses_that_may_hold_places_are_those_that_ever_do() {
        let far = Some(Timestamp(4_000_000_000));
        for status in ReservationStatus::ALL {
            assert_eq!(
                ReservationStatus::MAY_HOLD_PLACES.contains(&status),
                status.holds_places(far, Timestamp(0)),
                "{status:?}"
            );
        }
    }
}
