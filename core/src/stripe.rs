//! Stripe webhook signatures (`Stripe-Signature: t=…,v1=…`): HMAC-SHA256 over `"{t}.{raw body}"`, hex.
//! Accepted when any `v1` matches any configured secret, compared in constant time, within the tolerance.

use crate::reservation::{PaymentStatus, ReservationStatus};
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


/// The part of a Checkout Session event the engine acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutEvent {
    pub id: String,
    pub kind: String,
    pub session_id: String,
    pub payment_status: Option<String>,
    pub reservation_id: Option<i64>,
    pub organisation: Option<String>,
    /// The payment's id (`pi_…`), once there is one: what a refund names.
    pub payment_intent: Option<String>,
}

/// Reads a Stripe event (`{"id", "type", "data": {"object": {…session…}}}`); `None` if it is not one.
pub fn parse_event(body: &[u8]) -> Option<CheckoutEvent> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let object = &v["data"]["object"];
    let metadata = &object["metadata"];
    Some(CheckoutEvent {
        id: v["id"].as_str()?.to_string(),
        kind: v["type"].as_str()?.to_string(),
        session_id: object["id"].as_str().unwrap_or_default().to_string(),
        payment_status: object["payment_status"].as_str().map(str::to_string),
        reservation_id: metadata["reservation_id"].as_str().and_then(|s| s.parse().ok()),
        organisation: metadata["organisation"].as_str().map(str::to_string),
        payment_intent: object["payment_intent"].as_str().map(str::to_string),
    })
}

/// What a Checkout Session event does to a reservation waiting for payment. Only `pending_payment`
/// reservations move, so repeated and out-of-order events leave a settled reservation as it is.
pub fn transition(kind: &str, payment_status: Option<&str>, current: ReservationStatus) -> Option<(ReservationStatus, PaymentStatus)> {
    if current != ReservationStatus::PendingPayment {
        return None;
    }
    match (kind, payment_status) {
        ("checkout.session.completed", Some("paid" | "no_payment_required")) | ("checkout.session.async_payment_succeeded", _) => {
            Some((ReservationStatus::Confirmed, PaymentStatus::Succeeded))
        }
        ("checkout.session.async_payment_failed", _) => Some((ReservationStatus::Failed, PaymentStatus::Failed)),
        ("checkout.session.expired", _) => Some((ReservationStatus::Cancelled, PaymentStatus::Expired)),
        // Completed but unpaid (delayed methods): still waiting, no longer payable again.
        ("checkout.session.completed", _) => Some((ReservationStatus::PendingPayment, PaymentStatus::Processing)),
        _ => None,
    }
}

const LOCAL_PREFIX: &str = "cs_test_local_";

/// A session id of the local test checkout, naming its organisation: `cs_test_local_{random}_{slug}`.
pub fn local_session_id(random_hex: &str, slug: &str) -> String {
    format!("{LOCAL_PREFIX}{random_hex}_{slug}")
}

/// The organisation of a local test checkout session.
pub fn local_session_organisation(session_id: &str) -> Option<&str> {
    let rest = session_id.strip_prefix(LOCAL_PREFIX)?;
    let (random, slug) = rest.split_once('_')?;
    (!random.is_empty() && random.bytes().all(|b| b.is_ascii_hexdigit()) && crate::document::is_valid_slug(slug)).then_some(slug)
}

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
    pub fn from_settings(secret_key: Option<&str>, webhook_secret: Option<&str>, test_checkout: Option<&str>) -> PaymentsMode {
        let has = |v: Option<&str>| v.is_some_and(|v| !v.trim().is_empty());
        let webhooks = webhook_secret.is_some_and(|s| !secrets(s).is_empty());
        match (has(secret_key), webhooks) {
            (true, true) => PaymentsMode::Stripe,
            (true, false) => PaymentsMode::Unavailable,
            (false, _) if webhooks && test_checkout.is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) => PaymentsMode::TestCheckout,
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
    hold_end.clamp(held_at + SESSION_MIN_SECONDS + SESSION_MARGIN_SECONDS, held_at + SESSION_MAX_SECONDS - SESSION_MARGIN_SECONDS)
}

/// A refund of a whole payment (`POST /v1/refunds`), one per reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest<'a> {
    pub organisation: &'a str,
    pub reservation_id: i64,
    pub payment_intent: &'a str,
    /// Why, in Stripe's words: `duplicate`, `fraudulent` or `requested_by_customer`.
    pub reason: &'a str,
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

    /// One refund per reservation, however often it is asked for.
    pub fn idempotency_key(&self) -> String {
        format!("refund-{}-{}", self.organisation, self.reservation_id)
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
            ("line_items[0][price_data][product_data][name]", self.product_name.to_string()),
            ("line_items[0][quantity]", self.quantity.to_string()),
            ("customer_email", self.customer_email.to_string()),
            ("client_reference_id", reservation.clone()),
            ("metadata[reservation_id]", reservation.clone()),
            ("metadata[organisation]", self.organisation.to_string()),
            ("payment_intent_data[metadata][reservation_id]", reservation),
            ("payment_intent_data[metadata][organisation]", self.organisation.to_string()),
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
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
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

    #[test]
    fn checkout_events_move_only_waiting_reservations() {
        use ReservationStatus::*;
        let paid = transition("checkout.session.completed", Some("paid"), PendingPayment);
        assert_eq!(paid, Some((Confirmed, PaymentStatus::Succeeded)));
        assert_eq!(transition("checkout.session.completed", Some("unpaid"), PendingPayment), Some((PendingPayment, PaymentStatus::Processing)));
        assert_eq!(transition("checkout.session.async_payment_succeeded", None, PendingPayment), Some((Confirmed, PaymentStatus::Succeeded)));
        assert_eq!(transition("checkout.session.async_payment_failed", None, PendingPayment), Some((Failed, PaymentStatus::Failed)));
        assert_eq!(transition("checkout.session.expired", None, PendingPayment), Some((Cancelled, PaymentStatus::Expired)));
        // Repeated or late events leave a settled reservation alone.
        assert_eq!(transition("checkout.session.expired", None, Confirmed), None);
        assert_eq!(transition("checkout.session.completed", Some("paid"), Cancelled), None);
    }

    #[test]
    fn parses_a_checkout_event_and_local_session_ids() {
        let body = br#"{"id":"evt_1","type":"checkout.session.completed","data":{"object":{"id":"cs_1",
            "payment_status":"paid","metadata":{"reservation_id":"42","organisation":"acme-spa"}}}}"#;
        let e = parse_event(body).unwrap();
        assert_eq!((e.id.as_str(), e.session_id.as_str(), e.reservation_id), ("evt_1", "cs_1", Some(42)));
        assert_eq!(e.organisation.as_deref(), Some("acme-spa"));
        assert_eq!(parse_event(b"not json"), None);
        let id = local_session_id("00ff", "acme-spa");
        assert_eq!(local_session_organisation(&id), Some("acme-spa"));
        assert_eq!(local_session_organisation("cs_test_local_zz_acme"), None);
        assert_eq!(local_session_organisation("cs_live_123"), None);
    }

    #[test]
    fn payments_fail_closed_without_their_settings() {
        use PaymentsMode::*;
        let mode = PaymentsMode::from_settings;
        assert_eq!(mode(Some("sk_live_x"), Some("whsec_1"), None), Stripe);
        // A key wins over the test checkout: production never signs its own "paid" events.
        assert_eq!(mode(Some("sk_live_x"), Some("whsec_1"), Some("true")), Stripe);
        assert_eq!(mode(Some("sk_live_x"), None, None), Unavailable, "no way to confirm payments");
        assert_eq!(mode(Some("sk_live_x"), Some(" , "), None), Unavailable);
        assert_eq!(mode(None, Some("whsec_1"), None), Unavailable, "a deploy that forgot the key");
        assert_eq!(mode(None, Some("whsec_1"), Some("1")), Unavailable, "only the word true opts in");
        assert_eq!(mode(None, Some("whsec_1"), Some("true")), TestCheckout);
        assert_eq!(mode(None, None, Some("true")), Unavailable);
        assert_eq!(mode(Some(" "), Some("whsec_1"), Some("TRUE")), TestCheckout);
    }

    #[test]
    fn session_expiry_stays_inside_stripes_window() {
        let t = NOW;
        // A 30-minute hold (the demo's) would leave Stripe less than 30 minutes: moved out past the minimum.
        assert_eq!(session_expires_at(t, t + 1800), t + SESSION_MIN_SECONDS + SESSION_MARGIN_SECONDS);
        // A day-long hold would be past 24 hours once the request reaches Stripe: moved in.
        assert_eq!(session_expires_at(t, t + 86_400), t + SESSION_MAX_SECONDS - SESSION_MARGIN_SECONDS);
        assert_eq!(session_expires_at(t, t + 8), t + 2100);
        // In between, the hold's end itself.
        assert_eq!(session_expires_at(t, t + 7200), t + 7200);
        for hold in [0, 60, 1800, 2100, 3600, 50_000, 86_400, 200_000] {
            let e = session_expires_at(t, t + hold);
            // Even a request that takes the whole margin to arrive is inside the window.
            assert!(e - (t + SESSION_MARGIN_SECONDS) >= 1800 && e - t <= 86_400 - SESSION_MARGIN_SECONDS, "{hold}");
        }
    }

    #[test]
    fn refund_form_names_the_payment() {
        let r = RefundRequest { organisation: "acme-spa", reservation_id: 7, payment_intent: "pi_123", reason: "requested_by_customer" };
        let form = form_encode(&r.form());
        assert_eq!(form, "payment_intent=pi_123&reason=requested_by_customer&metadata%5Breservation_id%5D=7&metadata%5Borganisation%5D=acme-spa");
        assert_eq!(r.idempotency_key(), "refund-acme-spa-7");
    }

    #[test]
    fn checkout_form_follows_stripes_parameters() {
        let r = CheckoutRequest {
            organisation: "acme-spa", reservation_id: 901, product_name: "Deep tissue massage", currency: "eur",
            unit_amount: 6500, quantity: 2, customer_email: "may@example.com",
            return_url: "https://acme.example/book?lang=en#widget", expires_at: 1_780_001_800,
        };
        let form = r.form();
        let get = |k: &str| form.iter().find(|(f, _)| f == k).map(|(_, v)| v.as_str());
        assert_eq!(get("mode"), Some("payment"));
        assert_eq!(get("line_items[0][price_data][unit_amount]"), Some("6500"));
        assert_eq!(get("line_items[0][quantity]"), Some("2"));
        assert_eq!(get("client_reference_id"), Some("901"));
        assert_eq!(get("metadata[organisation]"), Some("acme-spa"));
        assert_eq!(get("success_url"), Some("https://acme.example/book?lang=en&booking_session_id={CHECKOUT_SESSION_ID}#widget"));
        assert_eq!(get("expires_at"), Some("1780001800"));
        assert_eq!(r.idempotency_key(), "checkout-acme-spa-901");
        let encoded = form_encode(&form);
        assert!(encoded.contains("line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Deep+tissue+massage"));
        assert!(encoded.contains("customer_email=may%40example.com"));
    }
}
