//! Rate-limit rules: which calls count against which limit, the key a client is counted under, and the
//! fixed one-minute window the engine counts an organisation's reserves in (exactly, in its Durable Object).

use crate::error::{ApiError, ErrorCode};
use crate::route::{ManageCall, PublicCall, Route};
use crate::time::Timestamp;

/// A per-client limit, enforced with the Workers Rate Limiting binding of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientLimit {
    Reads,
    Reserves,
    /// Calls that present a credential the edge looks up (a staff API key, the admin token, a booking token
    /// in the embed page): limited so that keys cannot be guessed at speed, nor the directory loaded by anyone.
    Credentials,
}

impl ClientLimit {
    pub fn binding(self) -> &'static str {
        match self {
            ClientLimit::Reads => "READS_PER_IP",
            ClientLimit::Reserves => "RESERVES_PER_IP",
            ClientLimit::Credentials => "CREDENTIALS_PER_IP",
        }
    }

    /// The public calls a browser makes count per client IP; reserves more strictly.
    pub fn of(route: &Route) -> Option<ClientLimit> {
        match route {
            Route::Public(_, PublicCall::Reserve) => Some(ClientLimit::Reserves),
            Route::Manage(_, ManageCall::Cancel | ManageCall::Reschedule | ManageCall::Pay) => {
                Some(ClientLimit::Reserves)
            }
            Route::Public(..) | Route::Manage(..) | Route::Home => Some(ClientLimit::Reads),
            Route::Staff(_) | Route::AdminImport(_) | Route::Embed => Some(ClientLimit::Credentials),
            // Stripe's own servers, whose signature is checked before anything is looked up.
            Route::StripeWebhook => None,
            // The local test checkout: off wherever payments are real.
            Route::TestCheckout(_) | Route::TestCheckoutAction(_) => None,
        }
    }

    /// The key a client is counted under; without a client address all such requests share one key.
    pub fn key(self, client_ip: Option<&str>) -> String {
        format!("{}:{}", self.binding(), client_ip.unwrap_or("unknown"))
    }
}

/// The binding's period (wrangler.toml allows 10 or 60 seconds); clients are told to wait that long.
pub const CLIENT_PERIOD_SECONDS: u32 = 60;

pub fn limited(retry_after: u32) -> ApiError {
    ApiError::new(
        ErrorCode::RateLimited,
        "Too many requests; please wait a moment and try again",
    )
    .with_retry_after(retry_after.max(1))
}

/// The one-minute window `now` falls in, and the seconds until it ends.
pub fn minute_window(now: Timestamp) -> (i64, u32) {
    let start = now.0.div_euclid(60) * 60;
    (start, (start + 60 - now.0) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::Method;

    #[test]
    fn public_calls_count_per_client() {
        let reserve = Route::resolve(Method::Post, "/api/public/booking/organisations/acme-spa/reserve").unwrap();
        let catalog = Route::resolve(Method::Get, "/api/public/booking/tok_1234567890abcdef").unwrap();
        let staff = Route::resolve(Method::Get, "/api/reservations").unwrap();
        assert_eq!(ClientLimit::of(&reserve), Some(ClientLimit::Reserves));
        assert_eq!(ClientLimit::of(&catalog), Some(ClientLimit::Reads));
        assert_eq!(ClientLimit::of(&staff), Some(ClientLimit::Credentials));
        let embed = Route::resolve(Method::Get, "/api/embed").unwrap();
        assert_eq!(ClientLimit::of(&embed), Some(ClientLimit::Credentials));
        let admin = Route::resolve(Method::Put, "/api/admin/organisations/acme-spa").unwrap();
        assert_eq!(ClientLimit::of(&admin), Some(ClientLimit::Credentials));
        let webhook = Route::resolve(Method::Post, "/api/payments/stripe/webhook").unwrap();
        assert_eq!(ClientLimit::of(&webhook), None);
        assert_eq!(
            ClientLimit::Reserves.key(Some("203.0.113.7")),
            "RESERVES_PER_IP:203.0.113.7"
        );
    }

    #[test]
    fn windows_are_whole_minutes() {
        assert_eq!(minute_window(Timestamp(120)), (120, 60));
        assert_eq!(minute_window(Timestamp(179)), (120, 1));
        let e = limited(0);
        assert_eq!((e.status(), e.retry_after), (429, Some(1)));
    }
}
