//! Booking one reservation, the one way every path books: places checked and allocated, the row written,
//! its events queued — inside the caller's transaction (no await), so nothing interleaves. The public
//! reserve and the staff API `book`; a Bardge booking, whose places Bardge keeps, is `record`ed; a move
//! (`manage`) checks its new places with the same `place`.

use super::reservations::{by_id, insert_reservation, place, with_allocations, NewReservation, ReservationRecord};
use super::webhooks::emit;
use crate::http::internal;
use slotbook_core::availability::ResourceCapacity;
use slotbook_core::error::ApiResult;
use slotbook_core::reservation::ReservationStatus;
use slotbook_core::time::Timestamp;
use slotbook_core::webhook::EventKind;
use worker::SqlStorage;

/// Places `new` on `resources` (refused with `slot_unavailable` when they are not left), then records it.
pub fn book(
    sql: &SqlStorage,
    resources: &[ResourceCapacity],
    new: &NewReservation,
    now: Timestamp,
) -> ApiResult<ReservationRecord> {
    let allocated = place(sql, resources, new.start, new.end, new.quantity, None, now)?;
    record(sql, new, &allocated, now)
}

/// Writes `new` with its allocations and queues its events: created, and confirmed when it is.
pub fn record(
    sql: &SqlStorage,
    new: &NewReservation,
    allocated: &[(i64, u32)],
    now: Timestamp,
) -> ApiResult<ReservationRecord> {
    let id = insert_reservation(sql, new, allocated, now)?;
    let row = by_id(sql, id)?.ok_or_else(|| internal("book", "the reservation just written is not there"))?;
    let stored = with_allocations(sql, row)?;
    emit(sql, EventKind::Created, &stored, now)?;
    if stored.status == ReservationStatus::Confirmed {
        emit(sql, EventKind::Confirmed, &stored, now)?;
    }
    Ok(stored)
}
