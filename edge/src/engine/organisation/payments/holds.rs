//! Payment holds ended at their time: Stripe's session expired first, or a paid one confirmed instead.

use super::super::Organisation;
use super::events::settle;
use crate::engine::sql::{exec, rows, transaction};
use crate::stripe::Stripe;
use serde::Deserialize;
use slotbook_core::error::ApiResult;
use slotbook_core::reservation::ReservationStatus;
use slotbook_core::stripe::local_session_organisation;
use slotbook_core::time::Timestamp;

/// How often a hold whose payment Stripe is still processing (delayed methods) is looked at again.
const DELAYED_PAYMENT_RECHECK_SECONDS: i64 = 24 * 3600;

impl Organisation {
    /// Ends every payment hold past its time: Stripe's session is expired first, and a session Stripe
    /// reports paid confirms the reservation instead. A hold Stripe could not be asked about stays held and
    /// is looked at again in a minute, without keeping the others waiting.
    pub(super) async fn release_expired_holds(&self, now: Timestamp) -> ApiResult<()> {
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
}
