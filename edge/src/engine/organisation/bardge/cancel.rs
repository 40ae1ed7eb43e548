//! A Bardge booking cancelled with Bardge.

use super::super::Organisation;
use slotbook_core::error::ApiResult;

impl Organisation {
    /// Cancels a booking with Bardge; one it has cancelled already counts as cancelled.
    pub(in crate::engine::organisation) async fn cancel_with_bardge(&self, booking_id: &str) -> ApiResult<()> {
        let (bardge, _) = self.bardge_client()?;
        let reply = bardge
            .post(&format!("/bookings/{booking_id}/cancel"), None, None)
            .await?;
        let already = reply.error.as_ref().is_some_and(|e| e.code == "already_cancelled");
        if reply.ok() || already {
            return Ok(());
        }
        Err(reply.customer_error())
    }
}
