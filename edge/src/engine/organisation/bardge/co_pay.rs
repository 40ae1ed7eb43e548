//! A booking with a co-pay, after its reserve: the client's choice of what to pay, Stripe Checkout for it, and
//! Bardge's confirm once paid (or the booking failed and refunded).

use super::super::reservations::ReservationRecord;
use super::super::reserve::{reserve_answer, Addresses};
use super::super::webhooks::emit_for;
use super::super::Organisation;
use super::{due_of, read_json};
use crate::engine::sql::{exec, rows, transaction};
use crate::http::internal;
use slotbook_core::bardge::wire::booking_id;
use slotbook_core::bardge::{checkout_expires_at, verdict, Choice, Due, Verdict};
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::reservation::ReservationStatus;
use slotbook_core::stripe::order_refusal;
use slotbook_core::time::Timestamp;
use slotbook_core::webhook::EventKind;
use slotbook_core::wire::ReserveResponse;

impl Organisation {
    /// The client's choice of what to pay for a booking waiting for one: its price, then Stripe Checkout for
    /// exactly that amount, ending at least ten minutes before Bardge's session does.
    pub(in crate::engine::organisation) async fn pay_co_pay(
        &self,
        r: &ReservationRecord,
        choice: &Choice,
        manage_url: &str,
        now: Timestamp,
    ) -> ApiResult<ReserveResponse> {
        let loaded = self.load()?;
        let base_url = manage_url
            .split("/api/public/booking/manage/")
            .next()
            .unwrap_or_default();
        let public_path = format!("/api/public/booking/organisations/{}", loaded.slug);
        let at = Addresses {
            base_url,
            public_path: &public_path,
        };
        let due = due_of(&loaded, r)
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidTransition, "Nothing is due for this booking"))?;
        if !r.payable(now) {
            return Err(ApiError::new(
                ErrorCode::InvalidTransition,
                "This booking can no longer be paid",
            ));
        }
        if r.stripe_checkout_session_id.is_some() {
            // Payment started already (a repeated click): its checkout, whatever was chosen now.
            return Ok(reserve_answer(
                r,
                &loaded,
                at.public_path,
                Some(manage_url.to_string()),
                now,
            ));
        }
        let priced = due.price(choice)?;
        if order_refusal(&priced.currency, priced.amount, 1).is_some() {
            return Err(ApiError::new(
                ErrorCode::PaymentsUnavailable,
                "This amount cannot be paid online; please contact the reseller",
            ));
        }
        let (_, expires_at) = due.session().unwrap_or_default();
        let hold = now.0 + self.hold_seconds(&loaded.doc);
        let end = checkout_expires_at(now.0, hold, expires_at).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidTransition,
                "This booking can no longer be paid in time",
            )
        })?;
        exec(
            &self.sql(),
            "UPDATE reservations SET quoted_unit_amount = ?, quoted_total_amount = ?, quoted_currency = ?,
                bardge_confirm_body = ?, hold_expires_at = ?, updated_at = ? WHERE id = ? AND stripe_session_id IS NULL",
            vec![
                priced.amount.into(),
                priced.amount.into(),
                priced.currency.clone().into(),
                priced.confirm.map(|c| c.body()).into(),
                end.into(),
                now.0.into(),
                r.id.into(),
            ],
        )?;
        let stored = self.stored(r.id)?;
        self.start_checkout(&loaded, stored, at, Some(manage_url.to_string()), None, now)
            .await
    }

    /// The follow-up after payment: Bardge confirms the session (debiting the reseller) under the key stored
    /// with the payment. No answer, a 5xx or a key being sorted out: an error, so the alarm tries again later
    /// with the same key. A refusal, a reused key or the session's end: the booking fails and is refunded.
    pub(in crate::engine::organisation) async fn confirm_with_bardge(
        &self,
        r: &ReservationRecord,
        now: Timestamp,
    ) -> ApiResult<()> {
        #[derive(serde::Deserialize)]
        struct Confirm {
            bardge_confirm_key: Option<String>,
            bardge_confirm_body: Option<String>,
        }
        let due = due_of(&*self.load()?, r);
        let Some((session_id, expires_at)) = due.as_ref().and_then(Due::session) else {
            return Err(internal("bardge confirm", "a paid booking without its Bardge session"));
        };
        let confirm = rows::<Confirm>(
            &self.sql(),
            "SELECT bardge_confirm_key, bardge_confirm_body FROM reservations WHERE id = ?",
            vec![r.id.into()],
        )?
        .into_iter()
        .next();
        let Some(Confirm {
            bardge_confirm_key: Some(key),
            bardge_confirm_body: body,
        }) = confirm
        else {
            return Err(internal("bardge confirm", "no stored Idempotency-Key"));
        };
        if now.0 >= expires_at {
            return self.bardge_failed(
                r.id,
                "The booking could not be confirmed in time; your payment is refunded",
                now,
            );
        }
        let spa = matches!(due, Some(Due::SpaCopay { .. }));
        let path = format!("/bookings/{}/{session_id}/confirm", if spa { "spa" } else { "class" });
        let (bardge, _) = self.bardge_client()?;
        // A spa confirm has no body: none was stored for it.
        let reply = bardge.post(&path, body, Some(&key)).await?;
        if reply.ok() {
            let booking_id = booking_id(&read_json(&reply.body, "bardge booking")?)
                .ok_or_else(|| internal("bardge booking", "a booking without its id"))?;
            let sql = self.sql();
            return transaction(&self.state.storage(), || {
                exec(
                    &sql,
                    "UPDATE reservations SET status = ?, bardge_booking_id = ?, payment_action = NULL, payment_action_at = NULL,
                        payment_action_attempts = 0, updated_at = ? WHERE id = ? AND status = ?",
                    vec![
                        ReservationStatus::Confirmed.as_str().into(),
                        booking_id.clone().into(),
                        now.0.into(),
                        r.id.into(),
                        ReservationStatus::PendingPayment.as_str().into(),
                    ],
                )?;
                emit_for(&sql, EventKind::Confirmed, r.id, now)
            });
        }
        let e = reply.error.clone().unwrap_or_default();
        match verdict(reply.status, &e.code) {
            Verdict::Retry => Err(ApiError::new(
                ErrorCode::UpstreamUnavailable,
                "Bardge did not confirm the booking yet",
            )),
            Verdict::KeyReused => {
                worker::console_error!(
                    "{}",
                    serde_json::json!({"bardge_confirm": r.id, "idempotency_key_reused": true, "request_id": e.request_id,
                        "action": "refunded; the key is never replaced"})
                );
                self.bardge_failed(
                    r.id,
                    "The booking could not be confirmed; your payment is refunded",
                    now,
                )
            }
            Verdict::Refused => {
                let reason = format!("{} Your payment is refunded.", reply.customer_error().message);
                self.bardge_failed(r.id, &reason, now)
            }
        }
    }

    /// A paid Bardge booking that will not be confirmed: failed, with why, and its payment refunded.
    fn bardge_failed(&self, id: i64, reason: &str, now: Timestamp) -> ApiResult<()> {
        let sql = self.sql();
        transaction(&self.state.storage(), || {
            exec(
                &sql,
                "UPDATE reservations SET status = ?, bardge_failure = ?, updated_at = ? WHERE id = ?",
                vec![
                    ReservationStatus::Failed.as_str().into(),
                    reason.into(),
                    now.0.into(),
                    id.into(),
                ],
            )?;
            emit_for(&sql, EventKind::Cancelled, id, now)?;
            Organisation::schedule_refund(&sql, id, now)
        })
    }
}
