//! The trip to Stripe and back: the pending payment kept in sessionStorage, the only payment pages the
//! widget will open, and, back on the venue's page, polling the checkout status until it settles.

use super::context::{Ctx, Detail};
use super::Outcome;
use crate::api::Failure;
use crate::i18n::Text;
use leptos::prelude::*;
use leptos::task::spawn_local;
use slotbook_core::reservation::ReservationStatus;
use slotbook_core::validate::is_checkout_url;
use slotbook_core::wire::CheckoutStatus;
use wasm_bindgen::JsCast;

const PENDING_KEY: &str = "slotbook.pending";
const RETURN_PARAM: &str = "booking_session_id";

/// A payment in progress, kept in sessionStorage across the trip to Stripe.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pending {
    pub booker_path: String,
    pub session_id: String,
    pub reservation_id: i64,
    #[serde(default)]
    pub manage_url: Option<String>,
    #[serde(default)]
    pub google_calendar_url: Option<String>,
}

/// Back from Stripe: the return URL carries the session id (and sessionStorage what we were paying for).
pub fn resume(ctx: &Ctx, outcome: RwSignal<Option<Outcome>>, status: RwSignal<String>) {
    let Some(pending) = read_pending(&ctx.api.booker_path) else {
        return;
    };
    let from_url = current_url().and_then(|u| u.search_params().get(RETURN_PARAM));
    if from_url.as_deref().is_some_and(|s| s != pending.session_id) {
        return;
    }
    if from_url.is_some() {
        forget_return_param();
    }
    outcome.set(Some(Outcome::Checking));
    status.set(ctx.t(Text::CheckingPayment).into());
    let ctx = ctx.clone();
    spawn_local(async move {
        let path = format!(
            "/checkout-status?sessionId={}",
            js_sys::encode_uri_component(&pending.session_id)
        );
        let mut delay = 1000;
        for polls in 0..60 {
            match ctx.api.get::<CheckoutStatus>(&path).await {
                Ok(s) if s.status == ReservationStatus::Confirmed || s.status == ReservationStatus::Completed => {
                    clear_pending();
                    ctx.emit(
                        "confirmed",
                        Detail::new()
                            .num("reservationId", s.reservation_id)
                            .text("status", s.status.as_str())
                            .text("paymentStatus", s.payment_status.as_str()),
                    );
                    status.set(ctx.t(Text::Confirmed).into());
                    outcome.set(Some(Outcome::Confirmed {
                        reservation_id: s.reservation_id,
                        booking: s.booking.clone(),
                        manage_url: pending.manage_url.clone(),
                        google_calendar_url: pending.google_calendar_url.clone(),
                    }));
                    return;
                }
                // Still open, and not paid: the customer came back without paying.
                Ok(s)
                    if s.status == ReservationStatus::PendingPayment
                        && s.can_retry_payment
                        && (from_url.is_none() || polls >= 3) =>
                {
                    status.set(ctx.t(Text::PaymentNotCompleted).into());
                    outcome.set(Some(match s.checkout_url {
                        Some(checkout_url) => Outcome::PaymentNotCompleted { checkout_url },
                        None => Outcome::PaymentFailed {
                            checkout_url: None,
                            reason: None,
                        },
                    }));
                    return;
                }
                Ok(s) if s.status != ReservationStatus::PendingPayment => {
                    clear_pending();
                    ctx.emit(
                        "failed",
                        Detail::new()
                            .num("reservationId", s.reservation_id)
                            .text("status", s.status.as_str())
                            .text("paymentStatus", s.payment_status.as_str()),
                    );
                    status.set(ctx.t(Text::PaymentFailed).into());
                    outcome.set(Some(Outcome::PaymentFailed {
                        checkout_url: s.checkout_url.filter(|_| s.can_retry_payment),
                        reason: s.reason,
                    }));
                    return;
                }
                Err(Failure::Api(_)) => {
                    clear_pending();
                    outcome.set(None);
                    return;
                }
                _ => {}
            }
            sleep(delay).await;
            delay = (delay * 3 / 2).min(5000);
        }
        status.set(ctx.t(Text::StillProcessing).into());
        outcome.set(Some(Outcome::StillProcessing));
    });
}

/// After a Stripe return the session id leaves the address bar, so a reload or a shared link does not
/// replay it.
fn forget_return_param() {
    let Some(url) = current_url() else { return };
    url.search_params().delete(RETURN_PARAM);
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url.href()));
    }
}

/// This page's address, to read or change its query.
pub(super) fn current_url() -> Option<web_sys::Url> {
    web_sys::Url::new(&window().location().href().ok()?).ok()
}

/// Where Stripe sends the customer back: this page, without a previous session marker.
pub fn return_url() -> String {
    current_url()
        .map(|u| {
            u.search_params().delete(RETURN_PARAM);
            u.href()
        })
        .unwrap_or_default()
}

/// Sends the top window (the widget may run inside a frame) to the payment page, but only to Stripe
/// Checkout or the edge's own test checkout: whatever an answer says, no other address is ever opened.
pub fn go_to_checkout(api: &str, url: &str) -> bool {
    if !is_checkout_url(url, api) {
        return false;
    }
    let top = window().top().ok().flatten();
    let moved = top.and_then(|t| t.location().set_href(url).ok());
    if moved.is_none() {
        let _ = window().location().set_href(url);
    }
    true
}

fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

pub fn save_pending(p: &Pending) {
    if let (Some(s), Ok(v)) = (session_storage(), crate::api::to_json(p).ok_or(())) {
        let _ = s.set_item(PENDING_KEY, &v);
    }
}

fn read_pending(booker_path: &str) -> Option<Pending> {
    let raw = session_storage()?.get_item(PENDING_KEY).ok()??;
    crate::api::parse::<Pending>(&raw).filter(|p| p.booker_path == booker_path)
}

pub fn clear_pending() {
    if let Some(s) = session_storage() {
        let _ = s.remove_item(PENDING_KEY);
    }
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(resolve.unchecked_ref(), ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
