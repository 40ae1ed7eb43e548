//! Payments after the reserve: holds released at their end by the object's alarm (asking Stripe first),
//! verified Stripe events applied once, and the follow-ups that talk to Stripe after a reservation ended:
//! expiring the Checkout Session of a hold staff cancelled, and refunding a payment that arrived for a
//! reservation that no longer exists. A follow-up is written with the change that needs it (the
//! reservation's `payment_action`), so it is retried by the alarm until Stripe has done it, the pause growing
//! with each failure (`stripe::follow_up_delay`). A payment the venue refunded itself counts as refunded.
//!
//! `holds` releases holds at their end, `events` applies Stripe's events, `follow_ups` does what a change left
//! for Stripe (or Bardge) to do, and `test_checkout` is what the local test checkout page shows.

mod events;
mod follow_ups;
mod holds;
mod test_checkout;

use super::Organisation;
use slotbook_core::error::ApiResult;
use slotbook_core::time::Timestamp;

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
    pub(in crate::engine::organisation) async fn settle_due(&self, now: Timestamp) -> ApiResult<()> {
        self.release_expired_holds(now).await?;
        self.run_follow_ups(now).await;
        self.wake_for_next(Timestamp(now.0 + 1)).await
    }
}
