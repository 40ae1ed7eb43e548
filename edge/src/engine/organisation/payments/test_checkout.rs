//! The local test checkout page's data (`TEST_CHECKOUT`, local development only).

use super::super::reservations::by_session;
use super::super::Organisation;
use slotbook_core::error::{ApiError, ApiResult};
use slotbook_core::stripe::with_session_param;

impl Organisation {
    /// What the local test checkout page shows, and where it sends the customer afterwards.
    pub(in crate::engine::organisation) fn checkout_session(
        &self,
        session_id: &str,
        base_url: &str,
    ) -> ApiResult<serde_json::Value> {
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
