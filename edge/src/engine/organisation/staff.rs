//! The staff reservations API: list with filters, create, read, change (status and times under the same
//! no-overbooking check as a reserve), delete. A hold staff cancel has its Checkout Session expired.

use super::book::book;
use super::reservations::{insert_allocations, matching, place, NewReservation};
use super::webhooks::emit_for;
use super::{candidates, resource_type, Organisation};
use crate::engine::sql::{exec, transaction, Params};
use slotbook_core::error::{ApiError, ApiResult};
use slotbook_core::reservation::{PaymentStatus, ReservationStatus};
use slotbook_core::time::Timestamp;
use slotbook_core::webhook::EventKind;
use slotbook_core::wire::{Reservation, ReservationChanges, ReservationFilter, ReservationList};

impl Organisation {
    pub(super) fn list(&self, f: &ReservationFilter) -> ApiResult<ReservationList> {
        let mut query = String::from("1 = 1");
        let mut params: Params = Vec::new();
        if let Some(t) = f.resource_type_id {
            query.push_str(" AND resource_type_id = ?");
            params.push(t.into());
        }
        if let Some(r) = f.resource_id {
            query.push_str(" AND id IN (SELECT reservation_id FROM allocations WHERE resource_id = ?)");
            params.push(r.into());
        }
        if let Some(s) = f.status {
            query.push_str(" AND status = ?");
            params.push(s.as_str().into());
        }
        if let Some(t) = f.start_from {
            query.push_str(" AND start_time >= ?");
            params.push(t.0.into());
        }
        if let Some(t) = f.end_to {
            query.push_str(" AND end_time <= ?");
            params.push(t.0.into());
        }
        query.push_str(" ORDER BY start_time, id LIMIT 1000");
        let data = matching(&self.sql(), &query, params)?
            .into_iter()
            .map(|row| self.with_resources(row).map(|s| s.reservation))
            .collect::<ApiResult<_>>()?;
        Ok(ReservationList { data })
    }

    pub(super) fn staff_create(&self, c: ReservationChanges, now: Timestamp) -> ApiResult<Reservation> {
        let loaded = self.load()?;
        refuse_for_bardge(&loaded)?;
        let doc = &loaded.doc;
        let (start, end) = (c.start_time.expect("validated"), c.end_time.expect("validated"));
        let wanted = wanted_resources(&c);
        let type_id = match c.resource_type_id {
            Some(t) => t,
            None => wanted
                .as_ref()
                .and_then(|w| w.first())
                .and_then(|first| {
                    doc.resource_types
                        .iter()
                        .find(|rt| rt.resources.iter().any(|r| r.id == *first))
                })
                .map(|rt| rt.id)
                .ok_or_else(|| ApiError::validation("resourceTypeId", "resourceTypeId is required"))?,
        };
        let rt = resource_type(doc, type_id)?;
        let resources = candidates(rt, wanted.as_deref())?;
        let quantity = c.quantity.unwrap_or(1);
        let new = NewReservation {
            resource_type_id: rt.id,
            start,
            end,
            quantity,
            status: ReservationStatus::Confirmed,
            payment_status: PaymentStatus::NotRequired,
            customer: c.customer_info.clone().unwrap_or_default(),
            notes: c.notes.clone().filter(|n| !n.is_empty()),
            unit_amount: rt.unit_amount,
            currency: doc.currency.clone(),
            payment_required: rt.requires_payment,
            hold_expires_at: None,
            return_url: None,
            source: "staff",
            manage_token_hash: None,
        };
        let sql = self.sql();
        let stored = transaction(&self.state.storage(), || book(&sql, &resources, &new, now))?;
        Ok(stored.reservation)
    }

    pub(super) async fn staff_update(&self, id: i64, c: ReservationChanges, now: Timestamp) -> ApiResult<Reservation> {
        let loaded = self.load()?;
        refuse_for_bardge(&loaded)?;
        let current = self.reservation(id)?;
        let status = c.status.unwrap_or(current.status);
        current.status.transition_to(status)?;
        let (start, end) = (
            c.start_time.unwrap_or(current.start_time),
            c.end_time.unwrap_or(current.end_time),
        );
        if end <= start {
            return Err(ApiError::validation("endTime", "endTime must be after startTime"));
        }
        let type_id = c.resource_type_id.unwrap_or(current.resource_type_id);
        let rt = resource_type(&loaded.doc, type_id)?;
        let quantity = c.quantity.unwrap_or(current.quantity);
        let wanted = wanted_resources(&c).or_else(|| {
            (type_id == current.resource_type_id)
                .then(|| current.resource_ids.clone())
                .filter(|_| c.quantity.is_none())
        });
        let resources = candidates(rt, wanted.as_deref())?;
        let placement_changed = c.start_time.is_some()
            || c.end_time.is_some()
            || c.quantity.is_some()
            || c.resource_type_id.is_some()
            || c.resource_id.is_some()
            || c.resource_ids.is_some();
        let starts_holding =
            !current.status.holds_places(current.hold_expires_at, now) && status.holds_places(None, now);
        let customer = c.customer_info.clone().unwrap_or(current.customer_info.clone());
        let notes = c.notes.clone().or(current.notes.clone()).filter(|n| !n.is_empty());
        let cancels_hold =
            current.status == ReservationStatus::PendingPayment && status == ReservationStatus::Cancelled;
        let sql = self.sql();
        transaction(&self.state.storage(), || {
            if cancels_hold {
                Organisation::schedule_session_expiry(&sql, id, now)?;
            }
            if (placement_changed || starts_holding) && status.holds_places(current.hold_expires_at, now) {
                let allocated = place(&sql, &resources, start, end, quantity, Some(id), now)?;
                exec(
                    &sql,
                    "DELETE FROM allocations WHERE reservation_id = ?",
                    vec![id.into()],
                )?;
                insert_allocations(&sql, id, &allocated, start, end)?;
            } else if placement_changed {
                // Not holding places: keep the resources, move the times.
                exec(
                    &sql,
                    "UPDATE allocations SET start_time = ?, end_time = ? WHERE reservation_id = ?",
                    vec![start.0.into(), end.0.into(), id.into()],
                )?;
            }
            exec(
                &sql,
                "UPDATE reservations SET resource_type_id = ?, start_time = ?, end_time = ?, quantity = ?, status = ?,
                 customer_name = ?, customer_email = ?, customer_phone = ?, notes = ?, updated_at = ? WHERE id = ?",
                vec![
                    rt.id.into(),
                    start.0.into(),
                    end.0.into(),
                    (quantity as i64).into(),
                    status.as_str().into(),
                    customer.name.clone().into(),
                    customer.email.clone().into(),
                    customer.phone.clone().into(),
                    notes.clone().into(),
                    now.0.into(),
                    id.into(),
                ],
            )?;
            let moved = start != current.start_time || end != current.end_time;
            if moved {
                exec(
                    &sql,
                    "UPDATE reservations SET sequence = sequence + 1 WHERE id = ?",
                    vec![id.into()],
                )?;
            }
            match status {
                s if s == current.status && moved => emit_for(&sql, EventKind::Rescheduled, id, now),
                ReservationStatus::Cancelled if current.status != ReservationStatus::Cancelled => {
                    emit_for(&sql, EventKind::Cancelled, id, now)
                }
                ReservationStatus::Confirmed if current.status != ReservationStatus::Confirmed => {
                    emit_for(&sql, EventKind::Confirmed, id, now)
                }
                _ => Ok(()),
            }
        })?;
        if cancels_hold {
            // Tried at once; the alarm (set after every change) tries again if Stripe did not take it.
            self.run_follow_ups(now).await;
        }
        self.reservation(id)
    }

    pub(super) fn staff_delete(&self, id: i64) -> ApiResult<serde_json::Value> {
        self.reservation(id)?;
        exec(&self.sql(), "DELETE FROM reservations WHERE id = ?", vec![id.into()])?;
        Ok(serde_json::json!({"id": id, "deleted": true}))
    }
}

fn wanted_resources(c: &ReservationChanges) -> Option<Vec<i64>> {
    c.resource_ids.clone().or_else(|| c.resource_id.map(|r| vec![r]))
}

/// A Bardge organisation's bookings are Bardge's: staff see them here but make and change them there.
fn refuse_for_bardge(loaded: &super::Venue) -> ApiResult<()> {
    match loaded.doc.bardge {
        Some(_) => Err(ApiError::new(
            slotbook_core::ErrorCode::InvalidTransition,
            "This organisation books through Bardge: bookings are made and changed there",
        )),
        None => Ok(()),
    }
}
