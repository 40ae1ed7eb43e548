//! Verified Stripe Checkout events, applied once each: the reservation moved as the event says, a late
//! payment's refund scheduled.

use super::super::reservations::by_session;
use super::super::webhooks::emit_for;
use super::super::Organisation;
use super::FollowUp;
use crate::engine::sql::{exec, exists, rows, transaction};
use crate::http::internal;
use serde::Deserialize;
use slotbook_core::error::ApiResult;
use slotbook_core::reservation::{PaymentStatus, ReservationStatus};
use slotbook_core::stripe::{transition, CheckoutEvent};
use slotbook_core::time::Timestamp;
use slotbook_core::webhook::EventKind;
use worker::SqlStorage;

impl Organisation {
    /// Applies a verified Stripe event once (by event id). Unknown sessions are acknowledged. A payment for a
    /// reservation that has ended is refunded.
    pub(in crate::engine::organisation) async fn apply_checkout_event(
        &self,
        e: &CheckoutEvent,
        now: Timestamp,
    ) -> ApiResult<serde_json::Value> {
        let sql = self.sql();
        let (answer, follow_up) = transaction(&self.state.storage(), || {
            if exists(
                &sql,
                "SELECT 1 FROM stripe_events WHERE id = ?",
                vec![e.id.clone().into()],
            )? {
                // Stripe delivers again what got no answer: what the first delivery made due (a refund, a
                // confirm with Bardge) may have died with it, so due follow-ups run again.
                return Ok((serde_json::json!({"received": true, "duplicate": true}), true));
            }
            exec(
                &sql,
                "INSERT INTO stripe_events (id, type, received_at) VALUES (?, ?, ?)",
                vec![e.id.clone().into(), e.kind.clone().into(), now.0.into()],
            )?;
            let Some(row) = by_session(&sql, &e.session_id)? else {
                worker::console_warn!(
                    "{}",
                    serde_json::json!({"stripe_event": e.id, "unknown_session": e.session_id})
                );
                return Ok((serde_json::json!({"received": true, "reservation": null}), false));
            };
            let follow_up = settle(
                &sql,
                row.id,
                &e.kind,
                e.payment_status.as_deref(),
                e.payment_intent.as_deref(),
                now,
            )?;
            Ok((serde_json::json!({"received": true, "reservation": row.id}), follow_up))
        })?;
        if follow_up {
            // Tried at once. The alarm is set first, so that a follow-up this request dies in is tried again;
            // it also tries again what a party did not take.
            self.wake_at(Timestamp(now.0 + 60)).await;
            self.run_follow_ups(now).await;
        }
        Ok(answer)
    }
}

/// Moves a reservation waiting for payment as a Checkout Session event says (see `stripe::transition`).
/// A payment for a reservation that has ended gets a refund scheduled; returns whether one was.
pub(super) fn settle(
    sql: &SqlStorage,
    id: i64,
    kind: &str,
    payment_status: Option<&str>,
    payment_intent: Option<&str>,
    now: Timestamp,
) -> ApiResult<bool> {
    #[derive(Deserialize)]
    struct Current {
        status: String,
        payment_status: String,
        bardge_session: Option<String>,
    }
    let Some(row) = rows::<Current>(
        sql,
        "SELECT status, payment_status, bardge_session FROM reservations WHERE id = ?",
        vec![id.into()],
    )?
    .into_iter()
    .next() else {
        return Ok(false);
    };
    let current = ReservationStatus::parse(&row.status).ok_or_else(|| internal("stored status", &row.status))?;
    let transition = transition(kind, payment_status, current);
    if let (Some((ReservationStatus::Confirmed, _)), Some(due)) = (transition, &row.bardge_session) {
        // Paid: Bardge confirms next, under a key stored before the first call and kept for every retry.
        let key = slotbook_core::bardge::derived_key(&format!("{id}:{due}"), "confirm");
        exec(
            sql,
            "UPDATE reservations SET payment_status = ?, payment_intent = COALESCE(?, payment_intent), hold_expires_at = NULL,
                bardge_confirm_key = COALESCE(bardge_confirm_key, ?), payment_action = ?, payment_action_at = ?,
                payment_action_attempts = 0, updated_at = ? WHERE id = ?",
            vec![PaymentStatus::Succeeded.as_str().into(), payment_intent.into(), key.into(),
                FollowUp::ConfirmWithBardge.as_str().into(), now.0.into(), now.0.into(), id.into()],
        )?;
        return Ok(true);
    }
    if let Some((status, payment)) = transition {
        exec(
            sql,
            "UPDATE reservations SET status = ?, payment_status = ?, payment_intent = COALESCE(?, payment_intent), updated_at = ? WHERE id = ?",
            vec![status.as_str().into(), payment.as_str().into(), payment_intent.into(), now.0.into(), id.into()],
        )?;
        match status {
            ReservationStatus::Confirmed => emit_for(sql, EventKind::Confirmed, id, now)?,
            ReservationStatus::Cancelled | ReservationStatus::Failed => emit_for(sql, EventKind::Cancelled, id, now)?,
            _ => {}
        }
        return Ok(false);
    }
    let paid = (kind == "checkout.session.completed" && payment_status == Some("paid"))
        || kind == "checkout.session.async_payment_succeeded";
    let ended = matches!(current, ReservationStatus::Cancelled | ReservationStatus::Failed);
    let refunded = row.payment_status == PaymentStatus::Refunded.as_str();
    if paid && ended && !refunded {
        worker::console_warn!(
            "{}",
            serde_json::json!({"late_payment": true, "reservation": id, "status": row.status, "refund": "scheduled"})
        );
        exec(
            sql,
            "UPDATE reservations SET payment_status = ?, payment_intent = COALESCE(?, payment_intent), payment_action = ?, payment_action_at = ?, payment_action_attempts = 0, updated_at = ? WHERE id = ?",
            vec![PaymentStatus::Succeeded.as_str().into(), payment_intent.into(), FollowUp::Refund.as_str().into(), now.0.into(), now.0.into(), id.into()],
        )?;
        return Ok(true);
    }
    Ok(false)
}
