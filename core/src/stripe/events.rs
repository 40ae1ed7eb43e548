//! Stripe's Checkout Session events as the engine reads them, what each does to a reservation waiting for
//! payment, and the session ids of the local test checkout.

use crate::reservation::{PaymentStatus, ReservationStatus};

/// The part of a Checkout Session event the engine acts on (passed on to the organisation's engine as is).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// Reads a Stripe event (`{"id", "type", "data": {"object": {…session…}}}`) from its JSON value (the Worker
/// parses the text with the runtime's `JSON.parse`); `None` if it is not one.
pub fn read_event(v: &serde_json::Value) -> Option<CheckoutEvent> {
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
pub fn transition(
    kind: &str,
    payment_status: Option<&str>,
    current: ReservationStatus,
) -> Option<(ReservationStatus, PaymentStatus)> {
    if current != ReservationStatus::PendingPayment {
        return None;
    }
    match (kind, payment_status) {
        ("checkout.session.completed", Some("paid" | "no_payment_required"))
        | ("checkout.session.async_payment_succeeded", _) => {
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
    (!random.is_empty() && random.bytes().all(|b| b.is_ascii_hexdigit()) && crate::document::is_valid_slug(slug))
        .then_some(slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkout_events_move_only_waiting_reservations() {
        use ReservationStatus::*;
        let paid = transition("checkout.session.completed", Some("paid"), PendingPayment);
        assert_eq!(paid, Some((Confirmed, PaymentStatus::Succeeded)));
        assert_eq!(
            transition("checkout.session.completed", Some("unpaid"), PendingPayment),
            Some((PendingPayment, PaymentStatus::Processing))
        );
        assert_eq!(
            transition("checkout.session.async_payment_succeeded", None, PendingPayment),
            Some((Confirmed, PaymentStatus::Succeeded))
        );
        assert_eq!(
            transition("checkout.session.async_payment_failed", None, PendingPayment),
            Some((Failed, PaymentStatus::Failed))
        );
        assert_eq!(
            transition("checkout.session.expired", None, PendingPayment),
            Some((Cancelled, PaymentStatus::Expired))
        );
        // Repeated or late events leave a settled reservation alone.
        assert_eq!(transition("checkout.session.expired", None, Confirmed), None);
        assert_eq!(transition("checkout.session.completed", Some("paid"), Cancelled), None);
    }

    #[test]
    fn parses_a_checkout_event_and_local_session_ids() {
        let body = br#"{"id":"evt_1","type":"checkout.session.completed","data":{"object":{"id":"cs_1",
            "payment_status":"paid","metadata":{"reservation_id":"42","organisation":"acme-spa"}}}}"#;
        let e = read_event(&serde_json::from_slice(body).unwrap()).unwrap();
        assert_eq!(
            (e.id.as_str(), e.session_id.as_str(), e.reservation_id),
            ("evt_1", "cs_1", Some(42))
        );
        assert_eq!(e.organisation.as_deref(), Some("acme-spa"));
        assert_eq!(read_event(&serde_json::json!("not an event")), None);
        assert_eq!(
            read_event(&serde_json::json!({"id": "evt_2", "data": {}})),
            None,
            "an event without its type"
        );
        let id = local_session_id("00ff", "acme-spa");
        assert_eq!(local_session_organisation(&id), Some("acme-spa"));
        assert_eq!(local_session_organisation("cs_test_local_zz_acme"), None);
        assert_eq!(local_session_organisation("cs_live_123"), None);
    }
}
