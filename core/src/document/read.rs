//! What the engine reads of a stored document: its zone, a service, a booking token's target, the public
//! catalog, a service's schedule, and a reservation in words.

use super::*;
use crate::availability::{OpeningHours, Schedule, Zone};
use crate::wire::{Catalog, OrganisationInfo, ResourceInfo, ResourceTypeInfo};

impl OrganisationDocument {
    pub fn resource_type(&self, id: i64) -> Option<&ResourceTypeDoc> {
        self.resource_types.iter().find(|rt| rt.id == id)
    }

    /// The resource type and resource a legacy token publishes.
    pub fn token_target(&self, token: &str) -> Option<(&ResourceTypeDoc, &ResourceDoc)> {
        self.resource_types.iter().find_map(|rt| {
            rt.resources
                .iter()
                .find(|r| r.public_token.as_deref() == Some(token))
                .map(|r| (rt, r))
        })
    }

    /// The public catalog. `today` is the organisation's local date; closed dates before it are left out.
    pub fn catalog(&self, slug: &str, today: Date, only: Option<(i64, i64)>) -> Catalog {
        let window_end = today.add_days(self.booking_window_days as i64);
        Catalog {
            organisation: OrganisationInfo {
                slug: slug.to_string(),
                name: self.name.clone(),
                time_zone: self.time_zone.clone(),
                currency: self.currency.clone(),
                locale: self.locale.clone(),
                branding: self.branding.clone(),
                accepts_payments: self.accepts_payments,
                booking_window_days: self.booking_window_days,
                closed_dates: self
                    .closed_dates
                    .iter()
                    .filter(|d| **d >= today && **d < window_end)
                    .copied()
                    .collect(),
                sign_in_url: self.bardge.as_ref().map(|b| b.sign_in_url.clone()),
            },
            resource_types: self
                .resource_types
                .iter()
                .filter(|rt| only.is_none_or(|(type_id, _)| rt.id == type_id))
                .map(|rt| ResourceTypeInfo {
                    id: rt.id,
                    name: rt.name.clone(),
                    description: rt.description.clone(),
                    duration_minutes: rt.duration_minutes,
                    slot_interval_minutes: rt.slot_interval(),
                    max_quantity: rt.max_quantity,
                    unit_amount: rt.unit_amount,
                    currency: self.currency.clone(),
                    requires_payment: rt.requires_payment,
                    open_weekdays: rt.open_weekdays(),
                    allow_resource_choice: rt.allow_resource_choice && only.is_none(),
                    resources: rt
                        .resources
                        .iter()
                        .filter(|r| only.is_none_or(|(_, resource_id)| r.id == resource_id))
                        .map(|r| ResourceInfo {
                            id: r.id,
                            name: r.name.clone(),
                            capacity: r.capacity,
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// What a reservation booked, in words (a type or resource removed since shows as it was not found).
    pub fn summary(&self, r: &crate::wire::Reservation) -> crate::wire::BookingSummary {
        let rt = self.resource_type(r.resource_type_id);
        let resources = rt
            .filter(|rt| rt.allow_resource_choice)
            .map(|rt| {
                rt.resources
                    .iter()
                    .filter(|res| r.resource_ids.contains(&res.id))
                    .map(|res| res.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        crate::wire::BookingSummary {
            reference: r.id.to_string(),
            organisation: self.name.clone(),
            service: rt.map(|rt| rt.name.clone()).unwrap_or_default(),
            resources,
            start_time: r.start_time,
            end_time: r.end_time,
            time_zone: self.time_zone.clone(),
            duration_minutes: ((r.end_time.0 - r.start_time.0) / 60) as u32,
            quantity: r.quantity,
            amount: r.quoted_total_amount,
            currency: r.quoted_currency.clone(),
            status: r.status,
            payment_status: r.payment_status,
            address: self.address.clone(),
        }
    }
}

impl ResourceTypeDoc {
    pub fn slot_interval(&self) -> u32 {
        self.slot_interval_minutes.unwrap_or(self.duration_minutes)
    }

    pub fn weekly_hours(&self) -> Vec<OpeningHours> {
        self.opening_hours
            .iter()
            .flat_map(|h| {
                h.days.iter().map(|&weekday| OpeningHours {
                    weekday,
                    opens: h.opens,
                    closes: h.closes,
                })
            })
            .collect()
    }

    pub fn open_weekdays(&self) -> Vec<u8> {
        let mut days: Vec<u8> = self.opening_hours.iter().flat_map(|h| h.days.iter().copied()).collect();
        days.sort_unstable();
        days.dedup();
        days
    }

    pub fn schedule<'a>(&self, zone: &'a Zone, hours: &'a [OpeningHours], closed: &'a [Date]) -> Schedule<'a> {
        Schedule {
            zone,
            duration_minutes: self.duration_minutes,
            slot_interval_minutes: self.slot_interval(),
            hours,
            closed_dates: closed,
        }
    }
}
