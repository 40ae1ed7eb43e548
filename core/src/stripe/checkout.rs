//! What the edge asks of Stripe's API: whether it takes payments at all, the pinned API version, Checkout
//! Sessions (with an `expires_at` Stripe accepts) and refunds, form-encoded as Stripe takes them.

use super::signature::secrets;

/// How an edge takes payments, from its settings. Fails closed: without a Stripe key and a webhook secret
/// to confirm payments with, it takes none, unless local development opts into the test checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentsMode {
    /// Stripe Checkout through Stripe's API; events verified with the webhook secret.
    Stripe,
    /// The edge's own test checkout (`TEST_CHECKOUT=true`, local development only): no money moves.
    TestCheckout,
    Unavailable,
}

impl PaymentsMode {
    /// `secret_key`: STRIPE_SECRET_KEY; `webhook_secret`: STRIPE_WEBHOOK_SECRET; `test_checkout`: TEST_CHECKOUT.
    pub fn from_settings(
        secret_key: Option<&str>,
        webhook_secret: Option<&str>,
        test_checkout: Option<&str>,
    ) -> PaymentsMode {
        let has = |v: Option<&str>| v.is_some_and(|v| !v.trim().is_empty());
        let webhooks = webhook_secret.is_some_and(|s| !secrets(s).is_empty());
        match (has(secret_key), webhooks) {
            (true, true) => PaymentsMode::Stripe,
            (true, false) => PaymentsMode::Unavailable,
            (false, _) if webhooks && test_checkout.is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) => {
                PaymentsMode::TestCheckout
            }
            (false, _) => PaymentsMode::Unavailable,
        }
    }
}

/// The Stripe API version every call is pinned to (`Stripe-Version`), so an account's default version
/// changing on Stripe's side cannot change what the edge sends or reads.
pub const API_VERSION: &str = "2026-02-25.clover";

/// Stripe accepts a Checkout Session's `expires_at` from 30 minutes to 24 hours after the session's creation.
pub const SESSION_MIN_SECONDS: i64 = 30 * 60;
pub const SESSION_MAX_SECONDS: i64 = 24 * 3600;
/// Kept off both ends of that window: the time the request takes to reach Stripe, and clock skew.
pub const SESSION_MARGIN_SECONDS: i64 = 5 * 60;

/// The `expires_at` to send for a hold that began at `held_at` (Unix seconds) and ends at `hold_end`: the
/// hold's end, moved inside Stripe's window with a margin on both sides. It depends only on the reservation,
/// so a retried create (same Idempotency-Key) sends the same parameters, as Stripe requires. The hold still
/// governs the places; the hold's alarm expires the session at the hold's end.
pub fn session_expires_at(held_at: i64, hold_end: i64) -> i64 {
    hold_end.clamp(
        held_at + SESSION_MIN_SECONDS + SESSION_MARGIN_SECONDS,
        held_at + SESSION_MAX_SECONDS - SESSION_MARGIN_SECONDS,
    )
}

/// A refund of a whole payment (`POST /v1/refunds`), one per reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest<'a> {
    pub organisation: &'a str,
    pub reservation_id: i64,
    pub payment_intent: &'a str,
    /// Why, in Stripe's words: `duplicate`, `fraudulent` or `requested_by_customer`.
    pub reason: &'a str,
    /// How many attempts failed before this one (see [`RefundRequest::idempotency_key`]).
    pub attempt: u32,
}

impl RefundRequest<'_> {
    pub fn form(&self) -> Vec<(String, String)> {
        [
            ("payment_intent", self.payment_intent.to_string()),
            ("reason", self.reason.to_string()),
            ("metadata[reservation_id]", self.reservation_id.to_string()),
            ("metadata[organisation]", self.organisation.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// A key per attempt. Stripe saves the first answer to a key whatever it was, a 500 included, and gives
    /// it again for 24 hours: a retry under the same key could not succeed for a day. One refund per
    /// reservation still holds: before a retry the payment's refunds are looked up (an attempt whose answer
    /// was lost may have made it), and Stripe refuses to refund a refunded payment again.
    pub fn idempotency_key(&self) -> String {
        format!("refund-{}-{}-{}", self.organisation, self.reservation_id, self.attempt)
    }
}

/// What a Checkout Session is created for (mode payment, one line item from the quote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest<'a> {
    pub organisation: &'a str,
    pub reservation_id: i64,
    pub product_name: &'a str,
    pub currency: &'a str,
    pub unit_amount: i64,
    pub quantity: u32,
    pub customer_email: &'a str,
    /// Where Stripe sends the customer back; the session id is appended as `booking_session_id`.
    pub return_url: &'a str,
    pub expires_at: i64,
}

impl CheckoutRequest<'_> {
    /// The form fields of `POST /v1/checkout/sessions`.
    pub fn form(&self) -> Vec<(String, String)> {
        let back = with_session_param(self.return_url, "{CHECKOUT_SESSION_ID}");
        let reservation = self.reservation_id.to_string();
        [
            ("mode", "payment".to_string()),
            ("line_items[0][price_data][currency]", self.currency.to_string()),
            ("line_items[0][price_data][unit_amount]", self.unit_amount.to_string()),
            (
                "line_items[0][price_data][product_data][name]",
                self.product_name.to_string(),
            ),
            ("line_items[0][quantity]", self.quantity.to_string()),
            ("customer_email", self.customer_email.to_string()),
            ("client_reference_id", reservation.clone()),
            ("metadata[reservation_id]", reservation.clone()),
            ("metadata[organisation]", self.organisation.to_string()),
            ("payment_intent_data[metadata][reservation_id]", reservation),
            (
                "payment_intent_data[metadata][organisation]",
                self.organisation.to_string(),
            ),
            ("success_url", back.clone()),
            ("cancel_url", back),
            ("expires_at", self.expires_at.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// The Idempotency-Key of the create call: one per reservation, so a retried call makes one session.
    pub fn idempotency_key(&self) -> String {
        format!("checkout-{}-{}", self.organisation, self.reservation_id)
    }
}

/// The pause before a follow-up at Stripe (expiring a session, refunding a payment) is tried again after
/// `failed_attempts` failures: a minute at first, doubling up to an hour, and never given up (a refund is
/// money owed; each failure is logged).
pub fn follow_up_delay(failed_attempts: u32) -> i64 {
    const FIRST: i64 = 60;
    const MOST: i64 = 3600;
    FIRST
        .saturating_mul(1 << failed_attempts.saturating_sub(1).min(6))
        .min(MOST)
}

/// `url` with `booking_session_id=<value>` added to its query.
pub fn with_session_param(url: &str, value: &str) -> String {
    let (base, fragment) = url.split_once('#').map_or((url, None), |(b, f)| (b, Some(f)));
    let separator = if base.contains('?') { '&' } else { '?' };
    let mut out = format!("{base}{separator}booking_session_id={value}");
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// `application/x-www-form-urlencoded`, as Stripe's API takes it.
pub fn form_encode(fields: &[(String, String)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000;

    #[test]
    fn payments_fail_closed_without_their_settings() {
        use PaymentsMode::*;
        let mode = PaymentsMode::from_settings;
        assert_eq!(mode(Some("sk_live_x"), Some("whsec_1"), None), Stripe);
        // A key wins over the test checkout: production never signs its own "paid" events.
        assert_eq!(mode(Some("sk_live_x"), Some("whsec_1"), Some("true")), Stripe);
        assert_eq!(
            mode(Some("sk_live_x"), None, None),
            Unavailable,
            "no way to confirm payments"
        );
        assert_eq!(mode(Some("sk_live_x"), Some(" , "), None), Unavailable);
        assert_eq!(
            mode(None, Some("whsec_1"), None),
            Unavailable,
            "a deploy that forgot the key"
        );
        assert_eq!(
            mode(None, Some("whsec_1"), Some("1")),
            Unavailable,
            "only the word true opts in"
        );
        assert_eq!(mode(None, Some("whsec_1"), Some("true")), TestCheckout);
        assert_eq!(mode(None, None, Some("true")), Unavailable);
        assert_eq!(mode(Some(" "), Some("whsec_1"), Some("TRUE")), TestCheckout);
    }

    #[test]
    fn session_expiry_stays_inside_stripes_window() {
        let t = NOW;
        // A 30-minute hold (the demo's) would leave Stripe less than 30 minutes: moved out past the minimum.
        assert_eq!(
            session_expires_at(t, t + 1800),
            t + SESSION_MIN_SECONDS + SESSION_MARGIN_SECONDS
        );
        // A day-long hold would be past 24 hours once the request reaches Stripe: moved in.
        assert_eq!(
            session_expires_at(t, t + 86_400),
            t + SESSION_MAX_SECONDS - SESSION_MARGIN_SECONDS
        );
        assert_eq!(session_expires_at(t, t + 8), t + 2100);
        // In between, the hold's end itself.
        assert_eq!(session_expires_at(t, t + 7200), t + 7200);
        for hold in [0, 60, 1800, 2100, 3600, 50_000, 86_400, 200_000] {
            let e = session_expires_at(t, t + hold);
            // Even a request that takes the whole margin to arrive is inside the window.
            assert!(
                e - (t + SESSION_MARGIN_SECONDS) >= 1800 && e - t <= 86_400 - SESSION_MARGIN_SECONDS,
                "{hold}"
            );
        }
    }

    #[test]
    fn follow_ups_are_retried_sooner_first_then_hourly() {
        let pauses: Vec<i64> = (1..=9).map(follow_up_delay).collect();
        assert_eq!(pauses, vec![60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(follow_up_delay(0), 60);
        assert_eq!(
            follow_up_delay(u32::MAX),
            3600,
            "never given up, never faster than hourly"
        );
    }

    #[test]
    fn refund_form_names_the_payment() {
        let r = RefundRequest {
            organisation: "acme-spa",
            reservation_id: 7,
            payment_intent: "pi_123",
            reason: "requested_by_customer",
            attempt: 0,
        };
        let form = form_encode(&r.form());
        assert_eq!(form, "payment_intent=pi_123&reason=requested_by_customer&metadata%5Breservation_id%5D=7&metadata%5Borganisation%5D=acme-spa");
        assert_eq!(r.idempotency_key(), "refund-acme-spa-7-0");
        let retry = RefundRequest { attempt: 2, ..r };
        assert_eq!(
            retry.idempotency_key(),
            "refund-acme-spa-7-2",
            "a new key for each attempt"
        );
        assert_eq!(form_encode(&retry.form()), form, "the same refund asked for");
    }

    #[test]
    fn checkout_form_follows_stripes_parameters() {
        let r = CheckoutRequest {
            organisation: "acme-spa",
            reservation_id: 901,
            product_name: "Deep tissue massage",
            currency: "eur",
            unit_amount: 6500,
            quantity: 2,
            customer_email: "may@example.com",
            return_url: "https://acme.example/book?lang=en#widget",
            expires_at: 1_780_001_800,
        };
        let form = r.form();
        let get = |k: &str| form.iter().find(|(f, _)| f == k).map(|(_, v)| v.as_str());
        assert_eq!(get("mode"), Some("payment"));
        assert_eq!(get("line_items[0][price_data][unit_amount]"), Some("6500"));
        assert_eq!(get("line_items[0][quantity]"), Some("2"));
        assert_eq!(get("client_reference_id"), Some("901"));
        assert_eq!(get("metadata[organisation]"), Some("acme-spa"));
        assert_eq!(
            get("success_url"),
            Some("https://acme.example/book?lang=en&booking_session_id={CHECKOUT_SESSION_ID}#widget")
        );
        assert_eq!(get("expires_at"), Some("1780001800"));
        assert_eq!(r.idempotency_key(), "checkout-acme-spa-901");
        let encoded = form_encode(&form);
        assert!(encoded.contains("line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Deep+tissue+massage"));
        assert!(encoded.contains("customer_email=may%40example.com"));
    }
}
