//! Booking domain logic shared by the edge and the widget, with no I/O.
//!
//! Everything here compiles natively (and is tested natively) and for wasm32. The `engine` feature adds the
//! parts only the booking engine needs: the organisation document, time zones and availability, allocation,
//! Stripe signatures and digests. The widget builds without it. The `js` feature adds [`js_value`], the reader
//! of values a JavaScript runtime parsed, for the two wasm builds.

/// serde for an enum written as its `as_str` name and read back by its `parse` (`None` for a name it does
/// not know): by hand rather than derived, so that the names exist once in the wasm files.
macro_rules! serde_by_name {
    ($($name:ident),*) => {$(
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = <String as serde::Deserialize>::deserialize(d)?;
                $name::parse(&name).ok_or_else(|| serde::de::Error::unknown_variant(&name, &[]))
            }
        }
    )*};
}

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
