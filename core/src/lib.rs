//! Booking domain logic shared by the edge and the widget, with no I/O.
//!
//! Everything here compiles natively (and is tested natively) and for wasm32. The `engine` feature adds the
//! parts only the booking engine needs: the organisation document, time zones and availability, allocation,
//! Stripe signatures and digests. The widget builds without it. The `js` feature adds [`js_value`], the reader
//! of values a JavaScript runtime parsed, for the two wasm builds.

pub mod error;
pub mod idempotency;
pub mod lang;
pub mod ratelimit;
pub mod request_url;
pub mod reservation;
pub mod route;
pub mod time;
pub mod validate;
pub mod wire;

#[cfg(feature = "js")]
pub mod js_value;

#[cfg(feature = "engine")]
pub mod availability;
#[cfg(feature = "engine")]
pub mod bardge;
#[cfg(feature = "engine")]
pub mod digest;
#[cfg(feature = "engine")]
pub mod document;
#[cfg(feature = "engine")]
pub mod ical;
#[cfg(feature = "engine")]
pub mod stripe;
#[cfg(feature = "engine")]
pub mod webhook;
#[cfg(feature = "engine")]
pub mod zone;

pub use error::{ApiError, ErrorCode, ErrorType};
