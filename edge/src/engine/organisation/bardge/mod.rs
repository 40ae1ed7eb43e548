//! A Bardge organisation: its offers named at import as Bardge names them (`offers`), its times asked of
//! Bardge through the cache (`times`, see `crate::bardge`), a reserve that verifies the member token and
//! initiates with Bardge under a key derived from the reserve's own Idempotency-Key (`reserve`; a booking the
//! pass covers is confirmed at once), a co-pay from the client's choice to Bardge's confirm (`co_pay`), and the
//! cancel (`cancel`). What they share lives here: the client, the offer a service names, the kept answer.

mod cancel;
mod co_pay;
mod offers;
mod reserve;
mod times;

pub use offers::name_offers;

use super::reservations::ReservationRecord;
use super::{resource_type, schema, Organisation, Venue};
use crate::bardge::Bardge;
use crate::http::{from_json, internal};
use slotbook_core::bardge::wire::Initiation;
use slotbook_core::bardge::Due;
use slotbook_core::document::BardgeOffer;
use slotbook_core::error::{ApiError, ApiResult};

impl Organisation {
    fn bardge_client(&self) -> ApiResult<(Bardge, String)> {
        let (api_key, secret) = schema::bardge_secrets(&self.sql())?;
        Ok((Bardge::new(&self.env, api_key), secret))
    }

    /// The offer a service id names, and the service's duration in minutes.
    fn offer(loaded: &Venue, type_id: Option<i64>) -> ApiResult<(&BardgeOffer, u32)> {
        let type_id = type_id.ok_or_else(|| ApiError::validation("resourceTypeId", "resourceTypeId is required"))?;
        let rt = resource_type(&loaded.doc, type_id)?;
        let offer = loaded
            .doc
            .bardge
            .iter()
            .flat_map(|b| &b.offers)
            .find(|o| o.id == type_id)
            .ok_or_else(|| internal("bardge", "a service without its offer"))?;
        Ok((offer, rt.duration_minutes))
    }
}

/// A Bardge answer's JSON, read by the runtime's parser (one reader for every shape; see `wire`).
fn read_json(text: &str, what: &str) -> ApiResult<serde_json::Value> {
    from_json(text).map_err(|e| internal(what, e))
}

/// What a Bardge reservation's initiate left due, read again from the answer kept with it.
pub(in crate::engine::organisation) fn due_of(loaded: &Venue, r: &ReservationRecord) -> Option<Due> {
    let offer = loaded
        .doc
        .bardge
        .as_ref()?
        .offers
        .iter()
        .find(|o| o.id == r.resource_type_id)?;
    let answer = from_json::<serde_json::Value>(r.bardge_session.as_deref()?).ok()?;
    Due::of(Initiation::read(&answer)?, offer.service_id.is_some()).ok()
}
