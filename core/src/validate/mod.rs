//! Request validation, before anything else runs: JSON bodies and query strings become typed requests or a
//! `validation_error` that names the field. The widget uses the same plausibility checks as you type.
//!
//! [`contact`]: the customer's fields and their limits; [`urls`]: origins and payment pages; [`body`]: JSON
//! bodies; [`query`]: query strings.

mod body;
mod contact;
mod query;
mod urls;

pub use body::*;
pub use contact::*;
pub use query::*;
pub use urls::*;
