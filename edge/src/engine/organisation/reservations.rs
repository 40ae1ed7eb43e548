//! Reservation rows and their allocations: what a reservation holds, inserting one, reading one back.

use super::Organisation;
use crate::engine::sql::{exec, flag, last_insert_id, rows};
use crate::http::internal;
use serde::Deserialize;
use slotbook_core::availability::{allocate, places_left, Booked, ResourceCapacity};
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::reservation::{PaymentStatus, ReservationStatus};
use slotbook_core::time::Timestamp;
use slotbook_core::wire::{CustomerInfo, Reservation};
use worker::SqlStorage;

/// Checks places and picks resources for `quantity` during `[start, end)`, not counting reservation `exclude`.
pub fn place(
    sql: &SqlStorage,
    resources: &[ResourceCapacity],
    start: Timestamp,
    end: Timestamp,
    quantity: u32,
    exclude: Option<i64>,
    now: Timestamp,
) -> ApiResult<Vec<(i64, u32)>> {
    let booked = holding(sql, start, end, exclude, now)?;
    let left = places_left(resources, &booked, start, end);
    allocate(&left, quantity)
        .ok_or_else(|| ApiError::new(ErrorCode::SlotUnavailable, "Not enough places are left at this time"))
}

/// Allocations overlapping `[from, to)` of reservations that hold places at `now`.
pub fn holding(
    sql: &SqlStorage,
    from: Timestamp,
    to: Timestamp,
    exclude: Option<i64>,
    now: Timestamp,
) -> ApiResult<Vec<Booked>> {
    #[derive(Deserialize)]
    struct Row {
        resource_id: i64,
        quantity: i64,
        start_time: i64,
        end_time: i64,
        status: String,
        hold_expires_at: Option<i64>,
    }
    let found = rows::<Row>(
        sql,
        &format!(
            "SELECT a.resource_id, a.quantity, a.start_time, a.end_time, r.status, r.hold_expires_at
             FROM allocations a JOIN reservations r ON r.id = a.reservation_id
             WHERE a.start_time < ? AND a.end_time > ? AND r.id != ? AND r.status IN {}",
            ReservationStatus::MAY_HOLD_PLACES_SQL
        ),
        vec![to.0.into(), from.0.into(), exclude.unwrap_or(0).into()],
    )?;
    Ok(found
        .into_iter()
        .filter(|r| {
            ReservationStatus::parse(&r.status).is_some_and(|s| s.holds_places(r.hold_expires_at.map(Timestamp), now))
        })
        .map(|r| Booked {
            resource_id: r.resource_id,
            start: Timestamp(r.start_time),
            end: Timestamp(r.end_time),
            quantity: r.quantity as u32,
        })
        .collect())
}

pub struct NewReservation {
    pub resource_type_id: i64,
    pub start: Timestamp,
    pub end: Timestamp,
    pub quantity: u32,
    pub status: ReservationStatus,
    pub payment_status: PaymentStatus,
    pub customer: CustomerInfo,
    pub notes: Option<String>,
    pub unit_amount: i64,
    pub currency: String,
    pub payment_required: bool,
    pub hold_expires_at: Option<Timestamp>,
    pub return_url: Option<String>,
    pub source: &'static str,
    /// The digest of the customer's manage link token.
    pub manage_token_hash: Option<String>,
}

pub fn insert_reservation(
    sql: &SqlStorage,
    r: &NewReservation,
    allocated: &[(i64, u32)],
    now: Timestamp,
) -> ApiResult<i64> {
    exec(
        sql,
        "INSERT INTO reservations (resource_type_id, start_time, end_time, quantity, status, payment_status,
            customer_name, customer_email, customer_phone, notes, quoted_unit_amount, quoted_total_amount,
            quoted_currency, payment_required_snapshot, hold_expires_at, return_url, source, created_at, updated_at,
            manage_token_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            r.resource_type_id.into(),
            r.start.0.into(),
            r.end.0.into(),
            (r.quantity as i64).into(),
            r.status.as_str().into(),
            r.payment_status.as_str().into(),
            r.customer.name.clone().into(),
            r.customer.email.clone().into(),
            r.customer.phone.clone().into(),
            r.notes.clone().into(),
            r.unit_amount.into(),
            (r.unit_amount * r.quantity as i64).into(),
            r.currency.clone().into(),
            flag(r.payment_required),
            r.hold_expires_at.map(|t| t.0).into(),
            r.return_url.clone().into(),
            r.source.into(),
            now.0.into(),
            now.0.into(),
            r.manage_token_hash.clone().into(),
        ],
    )?;
    let id = last_insert_id(sql)?;
    insert_allocations(sql, id, allocated, r.start, r.end)?;
    Ok(id)
}

pub fn insert_allocations(
    sql: &SqlStorage,
    id: i64,
    allocated: &[(i64, u32)],
    start: Timestamp,
    end: Timestamp,
) -> ApiResult<()> {
    for (resource_id, quantity) in allocated {
        exec(
            sql,
            "INSERT INTO allocations (reservation_id, resource_id, quantity, start_time, end_time) VALUES (?, ?, ?, ?, ?)",
            vec![id.into(), (*resource_id).into(), (*quantity as i64).into(), start.0.into(), end.0.into()],
        )?;
    }
    Ok(())
}

const SELECT_RESERVATION: &str = "SELECT id, resource_type_id, start_time, end_time, quantity, status, payment_status,
    customer_name, customer_email, customer_phone, notes, quoted_unit_amount, quoted_total_amount, quoted_currency,
    payment_required_snapshot, hold_expires_at, stripe_session_id, checkout_url, return_url, payment_intent, source,
    created_at, updated_at, sequence, bardge_session, bardge_booking_id, bardge_failure
    FROM reservations";

/// The reservation a checkout session was created for.
pub fn by_session(sql: &SqlStorage, session_id: &str) -> ApiResult<Option<ReservationRow>> {
    Ok(rows::<ReservationRow>(
        sql,
        &format!("{SELECT_RESERVATION} WHERE stripe_session_id = ?"),
        vec![session_id.into()],
    )?
    .into_iter()
    .next())
}

pub fn by_id(sql: &SqlStorage, id: i64) -> ApiResult<Option<ReservationRow>> {
    Ok(
        rows::<ReservationRow>(sql, &format!("{SELECT_RESERVATION} WHERE id = ?"), vec![id.into()])?
            .into_iter()
            .next(),
    )
}

/// The reservation a manage link's token digest names.
pub fn by_manage_token(sql: &SqlStorage, token_hash: &str) -> ApiResult<Option<ReservationRow>> {
    Ok(rows::<ReservationRow>(
        sql,
        &format!("{SELECT_RESERVATION} WHERE manage_token_hash = ?"),
        vec![token_hash.into()],
    )?
    .into_iter()
    .next())
}

/// Reservations matching a `WHERE …` clause (with its parameters), in start order.
pub fn matching(sql: &SqlStorage, clause: &str, params: crate::engine::sql::Params) -> ApiResult<Vec<ReservationRow>> {
    rows::<ReservationRow>(sql, &format!("{SELECT_RESERVATION} WHERE {clause}"), params)
}

#[derive(Deserialize)]
pub struct ReservationRow {
    pub id: i64,
    pub resource_type_id: i64,
    start_time: i64,
    end_time: i64,
    pub quantity: i64,
    pub status: String,
    payment_status: String,
    customer_name: Option<String>,
    customer_email: Option<String>,
    customer_phone: Option<String>,
    notes: Option<String>,
    quoted_unit_amount: i64,
    pub quoted_total_amount: i64,
    pub quoted_currency: String,
    payment_required_snapshot: i64,
    hold_expires_at: Option<i64>,
    stripe_session_id: Option<String>,
    checkout_url: Option<String>,
    return_url: Option<String>,
    payment_intent: Option<String>,
    source: String,
    created_at: i64,
    updated_at: i64,
    sequence: i64,
    bardge_session: Option<String>,
    bardge_booking_id: Option<String>,
    bardge_failure: Option<String>,
}

/// A stored reservation with what only the engine sees.
pub struct ReservationRecord {
    pub reservation: Reservation,
    pub checkout_url: Option<String>,
    pub return_url: Option<String>,
    pub payment_intent: Option<String>,
    /// Rises with each change a calendar should know of.
    pub sequence: u32,
    /// Bardge mode: what the initiate left due (JSON of `slotbook_core::bardge::Due`), the booking Bardge
    /// made, and why Bardge would not confirm, in the customer's words.
    pub bardge_session: Option<String>,
    pub bardge_booking_id: Option<String>,
    pub bardge_failure: Option<String>,
}

impl ReservationRecord {
    /// Waiting for its payment, and still payable: held, not paid, the hold not over.
    pub fn payable(&self, now: Timestamp) -> bool {
        self.status == ReservationStatus::PendingPayment
            && self.payment_status == PaymentStatus::Pending
            && self.hold_expires_at.is_some_and(|t| t > now)
    }
}

impl std::ops::Deref for ReservationRecord {
    type Target = Reservation;
    fn deref(&self) -> &Reservation {
        &self.reservation
    }
}

impl ReservationRow {
    fn into_stored(self, resource_ids: Vec<i64>) -> ApiResult<ReservationRecord> {
        let status = ReservationStatus::parse(&self.status).ok_or_else(|| internal("stored status", &self.status))?;
        let payment_status = PaymentStatus::parse(&self.payment_status)
            .ok_or_else(|| internal("stored payment status", &self.payment_status))?;
        Ok(ReservationRecord {
            checkout_url: self.checkout_url,
            return_url: self.return_url,
            payment_intent: self.payment_intent,
            sequence: self.sequence as u32,
            bardge_session: self.bardge_session,
            bardge_booking_id: self.bardge_booking_id,
            bardge_failure: self.bardge_failure,
            reservation: Reservation {
                id: self.id,
                resource_type_id: self.resource_type_id,
                resource_ids,
                start_time: Timestamp(self.start_time),
                end_time: Timestamp(self.end_time),
                quantity: self.quantity as u32,
                status,
                payment_status,
                customer_info: CustomerInfo {
                    name: self.customer_name,
                    email: self.customer_email,
                    phone: self.customer_phone,
                },
                notes: self.notes,
                quoted_unit_amount: self.quoted_unit_amount,
                quoted_total_amount: self.quoted_total_amount,
                quoted_currency: self.quoted_currency,
                payment_required_snapshot: self.payment_required_snapshot != 0,
                hold_expires_at: self.hold_expires_at.map(Timestamp),
                stripe_checkout_session_id: self.stripe_session_id,
                source: self.source,
                created_at: Timestamp(self.created_at),
                updated_at: Timestamp(self.updated_at),
            },
        })
    }
}

impl Organisation {
    pub(super) fn reservation(&self, id: i64) -> ApiResult<Reservation> {
        Ok(self.stored(id)?.reservation)
    }

    pub(super) fn stored(&self, id: i64) -> ApiResult<ReservationRecord> {
        let row = by_id(&self.sql(), id)?.ok_or_else(|| ApiError::not_found("Reservation"))?;
        self.with_resources(row)
    }

    pub(super) fn with_resources(&self, row: ReservationRow) -> ApiResult<ReservationRecord> {
        with_allocations(&self.sql(), row)
    }
}

/// A reservation row with the resources it holds.
pub fn with_allocations(sql: &SqlStorage, row: ReservationRow) -> ApiResult<ReservationRecord> {
    #[derive(Deserialize)]
    struct Alloc {
        resource_id: i64,
    }
    let ids = rows::<Alloc>(
        sql,
        "SELECT resource_id FROM allocations WHERE reservation_id = ? ORDER BY resource_id",
        vec![row.id.into()],
    )?;
    row.into_stored(ids.into_iter().map(|a| a.resource_id).collect())
}
