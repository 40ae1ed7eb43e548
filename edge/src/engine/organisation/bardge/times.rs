//! An offer's times, asked of Bardge (its answers cached briefly), and the day and month views made of them.

use super::super::{Organisation, Venue};
use super::read_json;
use crate::bardge::Bardge;
use crate::http::internal;
use slotbook_core::bardge::wire::{spa_slots, ClassWithInstances};
use slotbook_core::document::BardgeOffer;
use slotbook_core::error::ApiResult;
use slotbook_core::time::{Date, Timestamp};
use slotbook_core::wire::{Availability, DayAvailability, MonthAvailability, Slot};

/// How long Bardge's answer about times is reused: short, as places go; enough that a busy page asks once.
const TIMES_TTL_SECONDS: u32 = 30;

/// One time of an offer, as Bardge has it.
pub(super) struct Time {
    /// The class instance's id (a spa slot has none).
    pub(super) instance_id: Option<String>,
    pub(super) start: Timestamp,
    pub(super) end: Timestamp,
    pub(super) capacity: u32,
    pub(super) available: u32,
}

impl Organisation {
    /// An offer's times from `from` to `to` (the provider's days, assumed in the organisation's zone).
    pub(super) async fn times(
        &self,
        bardge: &Bardge,
        offer: &BardgeOffer,
        minutes: u32,
        from: Date,
        to: Date,
    ) -> ApiResult<Vec<Time>> {
        if let Some(class_id) = &offer.class_id {
            let text = bardge
                .read(&format!("/classes/{class_id}?from={from}&to={to}"), TIMES_TTL_SECONDS)
                .await?;
            let class = ClassWithInstances::read(&read_json(&text, "bardge class")?)
                .ok_or_else(|| internal("bardge class", "not a class with instances"))?;
            return Ok(class
                .instances
                .into_iter()
                .map(|i| Time {
                    start: Timestamp(i.scheduled_for),
                    end: Timestamp(i.scheduled_for + 60 * i.duration_minutes.unwrap_or(class.duration_minutes) as i64),
                    instance_id: Some(i.id),
                    capacity: i.capacity,
                    available: i.spots_left.min(i.capacity),
                })
                .collect());
        }
        let service_id = offer.service_id.as_deref().unwrap_or_default();
        let mut times = Vec::new();
        let mut day = from;
        while day <= to {
            let path = format!(
                "/providers/{}/services/{service_id}/availability?date={day}",
                offer.provider_id
            );
            let text = bardge.read(&path, TIMES_TTL_SECONDS).await?;
            let slots = spa_slots(&read_json(&text, "bardge availability")?);
            times.extend(slots.into_iter().map(|start| Time {
                instance_id: None,
                start: Timestamp(start),
                end: Timestamp(start + 60 * minutes as i64),
                capacity: 1,
                available: 1,
            }));
            day = day.add_days(1);
        }
        Ok(times)
    }

    pub(in crate::engine::organisation) async fn bardge_availability(
        &self,
        loaded: &Venue,
        date: Date,
        type_id: Option<i64>,
        now: Timestamp,
    ) -> ApiResult<Availability> {
        let (offer, minutes) = Self::offer(loaded, type_id)?;
        let (bardge, _) = self.bardge_client()?;
        let mut slots: Vec<Slot> = self
            .times(&bardge, offer, minutes, date, date)
            .await?
            .into_iter()
            .filter(|t| loaded.zone.local_date(t.start) == date && loaded.bookable_at(t.start, now))
            .map(|t| Slot {
                start_time: t.start,
                end_time: t.end,
                capacity: t.capacity,
                available: t.available,
            })
            .collect();
        slots.sort_by_key(|s| s.start_time);
        Ok(Availability {
            date,
            time_zone: loaded.doc.time_zone.clone(),
            resource_type_id: offer.id,
            resource_id: None,
            slots,
        })
    }

    pub(in crate::engine::organisation) async fn bardge_month(
        &self,
        loaded: &Venue,
        date: Date,
        type_id: Option<i64>,
        now: Timestamp,
    ) -> ApiResult<MonthAvailability> {
        let (offer, minutes) = Self::offer(loaded, type_id)?;
        let first = date.first_of_month();
        let today = loaded.zone.local_date(now);
        let last = first
            .add_days(first.days_in_month() as i64 - 1)
            .min(today.add_days(loaded.doc.booking_window_days as i64 - 1));
        let times = if last >= first.max(today) {
            let (bardge, _) = self.bardge_client()?;
            self.times(&bardge, offer, minutes, first.max(today), last).await?
        } else {
            Vec::new()
        };
        let days = (0..first.days_in_month() as i64)
            .map(|i| {
                let day = first.add_days(i);
                let open = times
                    .iter()
                    .filter(|t| loaded.zone.local_date(t.start) == day && loaded.bookable_at(t.start, now));
                DayAvailability {
                    date: day,
                    slots: open.clone().count() as u32,
                    available: open.map(|t| t.available).max().unwrap_or(0),
                }
            })
            .collect();
        Ok(MonthAvailability {
            month: first,
            resource_type_id: offer.id,
            resource_id: None,
            days,
        })
    }
}
