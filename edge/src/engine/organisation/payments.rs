//! Payments after the reserve: holds released at their end by the object's alarm (asking Stripe first),
//! verified Stripe events applied once, and the follow-ups that talk to Stripe after a reservation ended:
//! expiring the Checkout Session of a hold staff cancelled, and refunding a payment that arrived for a
//! reservation that no longer exists. A follow-up is written with the change that needs it (the
//! reservation's `payment_action`), so it is retried by the alarm until Stripe has done it, the pause growing
//! with each failure (`stripe::follow_up_delay`). A payment the venue refunded itself counts as refunded.

use super::reservations::{by_session, matching};
use super::webhooks::emit_for;
use super::Organisation;
use crate::engine::sql::{exec, exists, rows, transaction};
use crate::http::internal;
use crate::stripe::{Session, Stripe};
use serde::Deserialize;
use slotbook_core::error::{ApiError, ApiResult};
use slotbook_core::reservation::{PaymentStatus, ReservationStatus};
use slotbook_core::stripe::{
    follow_up_delay, local_session_organisation, transition, with_session_param, CheckoutEvent, RefundRequest,
};
use slotbook_core::time::Timestamp;
use slotbook_core::webhook::EventKind;
use worker::SqlStorage;

/// How often a hold whose payment Stripe is still processing (delayed methods) is looked at again.
const DELAYED_PAYMENT_RECHECK_SECONDS: i64 = 24 * 3600;

/// What to do at Stripe for a reservation that ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FollowUp {
    /// Staff cancelled a hold: its Checkout Session must not stay payable.
    ExpireSession,
    /// Money arrived for a reservation that no longer holds places: give it back.
    Refund,
    /// Bardge mode: the client paid; Bardge confirms the booking (and debits the reseller).
    ConfirmWithBardge,
}

impl FollowUp {
    fn as_str(self) -> &'static str {
        match self {
            FollowUp::ExpireSession => "expire_session",
            FollowUp::Refund => "refund",
            FollowUp::ConfirmWithBardge => "bardge_confirm",
        }
    }

    fn parse(s: &str) -> Option<FollowUp> {
        [FollowUp::ExpireSession, FollowUp::Refund, FollowUp::ConfirmWithBardge]
            .into_iter()
            .find(|f| f.as_str() == s)
    }
}

impl Organisation {
    /// The alarm's work: holds past their end, then follow-ups due; then the alarm is set for the next.
    pub(super) async fn settle_due(&self, now: Timestamp) -> ApiResult<()> {
        self.release_expired_holds(now).await?;
        self.run_follow_ups(now).await;
        self.wake_for_next(Timestamp(now.0 + 1)).await
    }

    /// Ends every payment hold past its time: Stripe's session is expired first, and a session Stripe
    /// reports paid confirms the reservation instead. A hold Stripe could not be asked about stays held and
    /// is looked at again in a minute, without keeping the others waiting.
    async fn release_expired_holds(&self, now: Timestamp) -> ApiResult<()> {
        #[derive(Deserialize)]
        struct Hold {
            id: i64,
            stripe_session_id: Option<String>,
        }
        let due = rows::<Hold>(
            &self.sql(),
            "SELECT id, stripe_session_id FROM reservations WHERE status = ? AND hold_expires_at <= ?",
            vec![ReservationStatus::PendingPayment.as_str().into(), now.0.into()],
        )?;
        let stripe = Stripe::from_env(&self.env);
        for hold in due {
            let session = hold.stripe_session_id.unwrap_or_default();
            if let Err(e) = self.release_hold(stripe.as_ref(), hold.id, &session, now).await {
                worker::console_error!("{}", serde_json::json!({"hold": hold.id, "error": e.message}));
                // The session may still be paid: its places stay held until Stripe can say.
                exec(
                    &self.sql(),
                    "UPDATE reservations SET hold_expires_at = ? WHERE id = ? AND status = ?",
                    vec![
                        (now.0 + 60).into(),
                        hold.id.into(),
                        ReservationStatus::PendingPayment.as_str().into(),
                    ],
                )?;
            }
        }
        Ok(())
    }

    async fn release_hold(&self, stripe: Option<&Stripe>, id: i64, session: &str, now: Timestamp) -> ApiResult<()> {
        let session_now = match (stripe, local_session_organisation(session)) {
            (Some(stripe), None) if !session.is_empty() => match stripe.expire(session).await {
                Ok(s) => Some(s),
                // Stripe refuses to expire a session that is no longer open: ask how it ended. One it does
                // not know can never be paid, and ends like an expired one.
                Err(_) => stripe.retrieve(session).await?,
            },
            _ => None,
        };
        let (sql, storage) = (self.sql(), self.state.storage());
        match session_now {
            Some(s) if s.is_paid() => transaction(&storage, || {
                settle(
                    &sql,
                    id,
                    "checkout.session.completed",
                    Some("paid"),
                    s.payment_intent.as_deref(),
                    now,
                )
                .map(|_| ())
            }),
            // Completed with a delayed payment method, or still open: the result comes later (by webhook,
            // or at the next look), and the places stay held until then.
            Some(s) if s.status != "expired" => {
                let processing = s.status == "complete";
                let again = now.0
                    + if processing {
                        DELAYED_PAYMENT_RECHECK_SECONDS
                    } else {
                        60
                    };
                transaction(&storage, || {
                    if processing {
                        settle(
                            &sql,
                            id,
                            "checkout.session.completed",
                            Some("unpaid"),
                            s.payment_intent.as_deref(),
                            now,
                        )?;
                    }
                    exec(
                        &sql,
                        "UPDATE reservations SET hold_expires_at = ? WHERE id = ? AND status = ?",
                        vec![
                            again.into(),
                            id.into(),
                            ReservationStatus::PendingPayment.as_str().into(),
                        ],
                    )
                })
            }
            _ => transaction(&storage, || {
                settle(&sql, id, "checkout.session.expired", Some("unpaid"), None, now).map(|_| ())
            }),
        }
    }

    /// Applies a verified Stripe event once (by event id). Unknown sessions are acknowledged. A payment for a
    /// reservation that has ended is refunded.
    pub(super) async fn apply_checkout_event(&self, e: &CheckoutEvent, now: Timestamp) -> ApiResult<serde_json::Value> {
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

    /// After a paid booking was cancelled (in the same transaction as the change): refund its payment.
    pub(crate) fn schedule_refund(sql: &SqlStorage, id: i64, now: Timestamp) -> ApiResult<()> {
        exec(sql, "UPDATE reservations SET payment_action = ?, payment_action_at = ?, payment_action_attempts = 0 WHERE id = ? AND payment_status = ?",
            vec![FollowUp::Refund.as_str().into(), now.0.into(), id.into(), PaymentStatus::Succeeded.as_str().into()])
    }

    /// After staff cancelled a hold (in the same transaction as the change): expire its session.
    pub(super) fn schedule_session_expiry(sql: &SqlStorage, id: i64, now: Timestamp) -> ApiResult<()> {
        exec(sql, "UPDATE reservations SET payment_status = ?, payment_action = ?, payment_action_at = ?, payment_action_attempts = 0 WHERE id = ? AND stripe_session_id IS NOT NULL",
            vec![PaymentStatus::Expired.as_str().into(), FollowUp::ExpireSession.as_str().into(), now.0.into(), id.into()])
    }

    /// Runs every follow-up that is due; one Stripe refused stays due and is tried again later.
    pub(super) async fn run_follow_ups(&self, now: Timestamp) {
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
            let _running = super::idempotency::Running {
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

    async fn expire_session(&self, r: &super::reservations::ReservationRecord, now: Timestamp) -> ApiResult<()> {
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
    async fn refund(&self, r: &super::reservations::ReservationRecord, attempt: u32, now: Timestamp) -> ApiResult<()> {
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

    /// What the local test checkout page shows, and where it sends the customer afterwards.
    pub(super) fn checkout_session(&self, session_id: &str, base_url: &str) -> ApiResult<serde_json::Value> {
        let loaded = self.load()?;
        let row = by_session(&self.sql(), session_id)?.ok_or_else(|| ApiError::not_found("Checkout session"))?;
        let r = self.with_resources(row)?;
        let back = r.return_url.clone().unwrap_or_else(|| format!("{base_url}/"));
        let success_url = with_session_param(&back, session_id);
        let service = loaded
            .doc
            .resource_type(r.resource_type_id)
            .map(|rt| rt.name.clone())
            .unwrap_or_default();
        Ok(serde_json::json!({
            "organisation": loaded.doc.name, "service": service, "quantity": r.quantity,
            "amount": r.quoted_total_amount, "currency": r.quoted_currency, "status": r.status,
            "reservationId": r.id, "startTime": r.start_time, "timeZone": loaded.doc.time_zone,
            "successUrl": success_url, "cancelUrl": success_url,
        }))
    }
}

/// Moves a reservation waiting for payment as a Checkout Session event says (see `stripe::transition`).
/// A payment for a reservation that has ended gets a refund scheduled; returns whether one was.
fn settle(
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
