//! Booking, the one way every path places a reservation: places checked and allocated, the row written, its
//! events queued — inside the caller's transaction (no await), so nothing interleaves. The public reserve and
//! the staff API `book`; the manage view's reschedule moves (`move_to`, its own places not counted against
//! it); a Bardge booking, whose places Bardge keeps, is `record`ed.

use super::reservations::{
    by_id, insert_allocations, insert_reservation, place, with_allocations, NewReservation, ReservationRecord,
};
use super::webhooks::{emit, emit_for};
use crate::engine::sql::exec;
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

/// Moves a reservation to `[start, end)` on `resources`: the same places, checked as a booking is (its own
/// current places not counted against it), the calendar's sequence raised, a `reservation.rescheduled` event.
pub fn move_to(
    sql: &SqlStorage,
    resources: &[ResourceCapacity],
    r: &ReservationRecord,
    start: Timestamp,
    end: Timestamp,
    now: Timestamp,
) -> ApiResult<()> {
    let allocated = place(sql, resources, start, end, r.quantity, Some(r.id), now)?;
    exec(
        sql,
        "DELETE FROM allocations WHERE reservation_id = ?",
        vec![r.id.into()],
    )?;
    insert_allocations(sql, r.id, &allocated, start, end)?;
    exec(
        sql,
        "UPDATE reservations SET start_time = ?, end_time = ?, sequence = sequence + 1, updated_at = ? WHERE id = ?",
        vec![start.0.into(), end.0.into(), now.0.into(), r.id.into()],
    )?;
    emit_for(sql, EventKind::Rescheduled, r.id, now)
}
