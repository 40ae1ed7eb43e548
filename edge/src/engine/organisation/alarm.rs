//! When the organisation's alarm fires: at the first of a hold's end, a payment follow-up and a webhook
//! delivery that are due (the alarm's work itself is `Organisation::alarm`, in the module root).

use super::Organisation;
use crate::engine::sql::rows;
use serde::Deserialize;
use slotbook_core::error::ApiResult;
use slotbook_core::reservation::ReservationStatus;
use slotbook_core::time::Timestamp;

impl Organisation {
    /// Makes sure the alarm fires by `at`.
    pub(super) async fn wake_at(&self, at: Timestamp) {
        let storage = self.state.storage();
        let wanted = at.0 as f64 * 1000.0;
        let current = storage.get_alarm().await.ok().flatten();
        if current.is_none_or(|c| c as f64 > wanted) {
            let when = worker::ScheduledTime::new(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(wanted)));
            if let Err(e) = storage.set_alarm(when).await {
                worker::console_error!("set_alarm failed: {e}");
            }
        }
    }

    /// Sets the alarm for whatever is due first, not before `not_before`: a hold's end, a follow-up, a
    /// webhook delivery.
    pub(super) async fn wake_for_next(&self, not_before: Timestamp) -> ApiResult<()> {
        #[derive(Deserialize)]
        struct Next {
            next: Option<i64>,
        }
        let next = rows::<Next>(
            &self.sql(),
            "SELECT MIN(t) AS next FROM (SELECT MIN(hold_expires_at) AS t FROM reservations WHERE status = ?
             UNION ALL SELECT MIN(payment_action_at) FROM reservations WHERE payment_action IS NOT NULL
             UNION ALL SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending')",
            vec![ReservationStatus::PendingPayment.as_str().into()],
        )?;
        if let Some(next) = next.first().and_then(|n| n.next) {
            self.wake_at(Timestamp(next.max(not_before.0))).await;
        }
        Ok(())
    }
}
