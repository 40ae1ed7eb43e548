//! Stripe, as the engine speaks to it and hears from it: [`signature`] (webhook signatures), [`events`]
//! (Checkout Session events and what they do), [`checkout`] (payments mode, sessions, refunds), [`amounts`]
//! (the smallest and largest charge Stripe takes).

mod amounts;
mod checkout;
mod events;
mod signature;

pub use amounts::*;
pub use checkout::*;
pub use events::*;
pub use signature::*;
