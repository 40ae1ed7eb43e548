//! At import: a Bardge organisation's offers become the catalog's services, named as Bardge names them.

use super::read_json;
use crate::bardge::Bardge;
use crate::http::internal;
use slotbook_core::bardge::wire::{Class, Service};
use slotbook_core::document::OrganisationDocument;
use slotbook_core::error::{ApiError, ApiResult};
use worker::Env;

/// At import: each offer becomes one of the catalog's services, named as Bardge names it. An offer Bardge does
/// not know is refused, naming it.
pub async fn name_offers(env: &Env, doc: &mut OrganisationDocument) -> ApiResult<()> {
    let Some(section) = &doc.bardge else {
        return Ok(());
    };
    let bardge = Bardge::new(env, section.api_key.clone());
    let mut types = Vec::new();
    for (i, offer) in section.offers.iter().enumerate() {
        let unknown = |what: &str| {
            ApiError::validation(
                &format!("bardge.offers[{i}].{what}"),
                format!(
                    "bardge.offers[{i}].{what} is not offered by provider {}",
                    offer.provider_id
                ),
            )
        };
        let rt = match (&offer.class_id, &offer.service_id) {
            (Some(class_id), _) => {
                let text = bardge
                    .read(&format!("/classes?provider_id={}&limit=100", offer.provider_id), 0)
                    .await?;
                let classes = Class::list(&read_json(&text, "bardge classes")?);
                let c = classes
                    .iter()
                    .find(|c| &c.id == class_id)
                    .ok_or_else(|| unknown("classId"))?;
                offer.resource_type(&c.name, &c.description, c.duration_minutes, &c.provider_name)
            }
            (None, Some(service_id)) => {
                let text = bardge
                    .read(&format!("/providers/{}/services", offer.provider_id), 0)
                    .await?;
                let services = Service::list(&read_json(&text, "bardge services")?);
                let s = services
                    .iter()
                    .find(|s| &s.id == service_id)
                    .ok_or_else(|| unknown("serviceId"))?;
                offer.resource_type(&s.name, "", s.duration_minutes, "")
            }
            (None, None) => return Err(unknown("classId")),
        };
        if !(5..=1440).contains(&rt.duration_minutes) {
            return Err(internal("bardge offer", "a duration outside 5 to 1440 minutes"));
        }
        types.push(rt);
    }
    doc.resource_types = types;
    Ok(())
}
