//! Follow-ups: what a change left to do at Stripe (expire a session, refund a payment) or at Bardge (confirm
//! a paid booking), written with the change and retried by the alarm, the pause growing with each failure.

use super::super::reservations::{matching, ReservationRecord};
use super::super::Organisation;
use super::FollowUp;
use crate::engine::sql::{exec, rows};
use crate::http::internal;
use crate::stripe::{Session, Stripe};
use serde::Deserialize;
use slotbook_core::error::ApiResult;
use slotbook_core::reservation::PaymentStatus;
use slotbook_core::stripe::{follow_up_delay, local_session_organisation, RefundRequest};
use slotbook_core::time::Timestamp;
use worker::SqlStorage;

impl Organisation {
    /// After a paid booking was cancelled (in the same transaction as the change): refund its payment.
    pub(crate) fn schedule_refund(sql: &SqlStorage, id: i64, now: Timestamp) -> ApiResult<()> {
        exec(sql, "UPDATE reservations SET payment_action = ?, payment_action_at = ?, payment_action_attempts = 0 WHERE id = ? AND payment_status = ?",
            vec![FollowUp::Refund.as_str().into(), now.0.into(), id.into(), PaymentStatus::Succeeded.as_str().into()])
    }

    /// After staff cancelled a hold (in the same transaction as the change): expire its session.
    pub(in crate::engine::organisation) fn schedule_session_expiry(
        sql: &SqlStorage,
        id: i64,
        now: Timestamp,
    ) -> ApiResult<()> {
        exec(sql, "UPDATE reservations SET payment_status = ?, payment_action = ?, payment_action_at = ?, payment_action_attempts = 0 WHERE id = ? AND stripe_session_id IS NOT NULL",
            vec![PaymentStatus::Expired.as_str().into(), FollowUp::ExpireSession.as_str().into(), now.0.into(), id.into()])
    }

    /// Runs every follow-up that is due; one Stripe refused stays due and is tried again later.
    pub(in crate::engine::organisation) async fn run_follow_ups(&self, now: Timestamp) {
        let due = match matching(
            &self.sql(),
            "payment_action IS NOT NULL AND payment_action_at <= ? ORDER BY payment_action_at",
            vec![now.0.into()],
        ) {
            Ok(due) => due,
            Err(e) => return worker::console_error!("follow-ups: {e}"),
        };
        for row in due {
            // One run at a time per reservation: the alarm may fire while a request runs the same follow-up.
            // Kept in memory, like idempotency claims: a restart ends the run, and the next one may start.
            let running = format!("follow-up:{}", row.id);
            if !self.running.borrow_mut().insert(running.clone()) {
                continue;
            }
            let _running = super::super::idempotency::Running {
                organisation: self,
                id: running,
            };
            let Ok(stored) = self.with_resources(row) else { continue };
            // Read again: what ran meanwhile may have settled it.
            let Some((action, failed)) = self.action_of(stored.id, now) else {
                continue;
            };
            let outcome = match action {
                FollowUp::ExpireSession => self.expire_session(&stored, now).await,
                FollowUp::Refund => self.refund(&stored, failed, now).await,
                FollowUp::ConfirmWithBardge => self.confirm_with_bardge(&stored, now).await,
            };
            if let Err(e) = outcome {
                let failed = failed + 1;
                worker::console_error!(
                    "{}",
                    serde_json::json!({"follow_up": action.as_str(), "reservation": stored.id, "attempts": failed, "error": e.message})
                );
                let pause = crate::runtime::test_seconds(&self.env, "FOLLOW_UP_RETRY_SECONDS");
                let _ = exec(
                    &self.sql(),
                    "UPDATE reservations SET payment_action_attempts = ?, payment_action_at = ? WHERE id = ?",
                    vec![
                        (failed as i64).into(),
                        (now.0 + pause.unwrap_or_else(|| follow_up_delay(failed))).into(),
                        stored.id.into(),
                    ],
                );
            }
        }
    }

    /// The reservation's follow-up if it is due, and how often it has failed so far.
    fn action_of(&self, id: i64, now: Timestamp) -> Option<(FollowUp, u32)> {
        #[derive(Deserialize)]
        struct Row {
            payment_action: Option<String>,
            payment_action_attempts: u32,
        }
        let row = rows::<Row>(
            &self.sql(),
            "SELECT payment_action, payment_action_attempts FROM reservations WHERE id = ? AND payment_action_at <= ?",
            vec![id.into(), now.0.into()],
        )
        .ok()?
        .into_iter()
        .next()?;
        Some((
            FollowUp::parse(row.payment_action.as_deref()?)?,
            row.payment_action_attempts,
        ))
    }

    async fn expire_session(&self, r: &ReservationRecord, now: Timestamp) -> ApiResult<()> {
        let session = r.stripe_checkout_session_id.clone().unwrap_or_default();
        let stripe = Stripe::from_env(&self.env);
        let ended: Option<Session> = match (&stripe, local_session_organisation(&session)) {
            (Some(stripe), None) => match stripe.expire(&session).await {
                Ok(s) => Some(s),
                // Not open any more, or unknown to Stripe (nothing to expire then).
                Err(_) => stripe.retrieve(&session).await?,
            },
            // The test checkout's sessions end with the reservation; without Stripe there is nothing to call.
            _ => None,
        };
        let sql = self.sql();
        match ended {
            Some(s) if s.status == "open" => Err(internal("expire session", "Stripe still reports the session open")),
            // Paid before the expiry reached Stripe: the money goes back.
            Some(s) if s.is_paid() => {
                exec(&sql,
                    "UPDATE reservations SET payment_status = ?, payment_intent = COALESCE(?, payment_intent), payment_action = ?, payment_action_at = ?, payment_action_attempts = 0, updated_at = ? WHERE id = ?",
                    vec![PaymentStatus::Succeeded.as_str().into(), s.payment_intent.clone().into(), FollowUp::Refund.as_str().into(), now.0.into(), now.0.into(), r.id.into()])?;
                self.refund(&self.stored(r.id)?, 0, now).await
            }
            _ => exec(&sql, "UPDATE reservations SET payment_action = NULL, payment_action_at = NULL, payment_action_attempts = 0 WHERE id = ?", vec![r.id.into()]),
        }
    }

    /// Refunds the reservation's payment in full, once: `attempt` is how many tries failed before this one (the
    /// caller has it), which names the try at Stripe (see `RefundRequest::idempotency_key`).
    async fn refund(&self, r: &ReservationRecord, attempt: u32, now: Timestamp) -> ApiResult<()> {
        let session = r.stripe_checkout_session_id.clone().unwrap_or_default();
        let refund_id = match (Stripe::from_env(&self.env), local_session_organisation(&session)) {
            (Some(stripe), None) => {
                let payment_intent = match &r.payment_intent {
                    Some(p) => p.clone(),
                    None => stripe
                        .retrieve(&session)
                        .await?
                        .and_then(|s| s.payment_intent)
                        .ok_or_else(|| internal("refund", "the session names no payment"))?,
                };
                let slug = self.load()?.slug.clone();
                let request = RefundRequest {
                    organisation: &slug,
                    reservation_id: r.id,
                    payment_intent: &payment_intent,
                    reason: "requested_by_customer",
                    attempt,
                };
                // A retry looks first: an earlier attempt may have made the refund and lost the answer.
                let made = match attempt {
                    0 => None,
                    _ => stripe.refund_made_for(&payment_intent, r.id).await?,
                };
                match made {
                    Some(id) => Some(id),
                    // `None`: the payment was refunded already (by the venue, in Stripe's Dashboard): the money
                    // is back.
                    None => stripe.refund(&request).await?,
                }
            }
            // The test checkout moved no money: nothing to give back.
            (_, Some(_)) => None,
            (None, None) => return Err(internal("refund", "no Stripe key to refund with")),
        };
        worker::console_log!("{{\"refunded\":true,\"reservation\":{}}}", r.id);
        exec(&self.sql(),
            "UPDATE reservations SET payment_status = ?, refund_id = ?, payment_action = NULL, payment_action_at = NULL, payment_action_attempts = 0, updated_at = ? WHERE id = ?",
            vec![PaymentStatus::Refunded.as_str().into(), refund_id.into(), now.0.into(), r.id.into()])
    }
}
