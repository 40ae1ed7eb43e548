//! What a customer does through their manage link (its token is stored only as a digest): see the booking,
//! cancel it (a paid one is refunded; a hold's Checkout Session is expired), move it to another slot under
//! the same no-overbooking check as a reserve, and add it to a calendar. Changing is possible until the
//! organisation's `cancellationNoticeHours` before the start.

use super::book::move_to;
use super::reservations::{by_manage_token, ReservationRecord};
use super::webhooks::emit_for;
use super::{candidates, resource_type, Organisation, Venue};
use crate::engine::sql::{exec, transaction};
use crate::engine::ManageAction;
use crate::http::json;
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::ical::CalendarEvent;
use slotbook_core::reservation::{change_deadline, check_customer_change, PaymentStatus, ReservationStatus};
use slotbook_core::time::Timestamp;
use slotbook_core::webhook::EventKind;
use slotbook_core::wire::ManagedBooking;
use worker::Response;

impl Organisation {
    pub(super) async fn manage(
        &self,
        token_hash: &str,
        action: ManageAction,
        manage_url: &str,
        now: Timestamp,
    ) -> ApiResult<Response> {
        let row = by_manage_token(&self.sql(), token_hash)?.ok_or_else(|| ApiError::not_found("Booking"))?;
        let stored = self.with_resources(row)?;
        match action {
            ManageAction::View => {}
            ManageAction::Calendar => {
                let ics = calendar_event(&*self.load()?, &stored, manage_url, now, |e| e.to_ics());
                return json(200, &serde_json::json!({"ics": ics, "reservationId": stored.id}));
            }
            ManageAction::Pay { choice } => {
                return json(200, &self.pay_co_pay(&stored, &choice, manage_url, now).await?)
            }
            ManageAction::Cancel => self.customer_cancel(&stored, now).await?,
            ManageAction::Reschedule { start_time, end_time } => {
                self.customer_reschedule(&stored, start_time, end_time, now)?
            }
        }
        let stored = self.stored(stored.id)?;
        json(200, &self.managed(&stored, manage_url, now)?)
    }

    fn managed(&self, r: &ReservationRecord, manage_url: &str, now: Timestamp) -> ApiResult<ManagedBooking> {
        let loaded = self.load()?;
        let notice = loaded.doc.cancellation_notice_hours;
        let can_cancel = check_customer_change(r.status, r.start_time, notice, now).is_ok();
        Ok(ManagedBooking {
            reservation_id: r.id,
            booking: loaded.doc.summary(r),
            change_deadline: change_deadline(r.start_time, notice),
            can_cancel,
            // A Bardge booking is moved by cancelling and booking again (Bardge's own rules apply to both).
            can_reschedule: can_cancel
                && r.status != ReservationStatus::PendingPayment
                && r.bardge_session.is_none()
                && r.bardge_booking_id.is_none(),
            resource_type_id: r.resource_type_id,
            booking_path: format!("/api/public/booking/organisations/{}", loaded.slug),
            calendar_url: format!("{manage_url}/calendar.ics"),
            google_calendar_url: calendar_event(&loaded, r, manage_url, now, |e| e.google_calendar_url()),
        })
    }

    /// Cancels for the customer: a paid booking's payment goes back, a hold's session is expired.
    async fn customer_cancel(&self, r: &ReservationRecord, now: Timestamp) -> ApiResult<()> {
        let notice = self.load()?.doc.cancellation_notice_hours;
        check_customer_change(r.status, r.start_time, notice, now)?;
        // Bardge first: a booking it still holds must not look cancelled here.
        if let Some(booking_id) = &r.bardge_booking_id {
            self.cancel_with_bardge(booking_id).await?;
        }
        let sql = self.sql();
        let follow_up = transaction(&self.state.storage(), || {
            exec(
                &sql,
                "UPDATE reservations SET status = ?, sequence = sequence + 1, updated_at = ? WHERE id = ?",
                vec![ReservationStatus::Cancelled.as_str().into(), now.0.into(), r.id.into()],
            )?;
            emit_for(&sql, EventKind::Cancelled, r.id, now)?;
            match (r.status, r.payment_status) {
                (ReservationStatus::PendingPayment, _) => {
                    Organisation::schedule_session_expiry(&sql, r.id, now).map(|_| true)
                }
                (_, PaymentStatus::Succeeded) => Organisation::schedule_refund(&sql, r.id, now).map(|_| true),
                _ => Ok(false),
            }
        })?;
        if follow_up {
            // Tried at once; the alarm (set after every change) tries again if Stripe did not take it.
            self.run_follow_ups(now).await;
        }
        Ok(())
    }

    /// Moves the booking to another slot of its service: the same places, checked and allocated in one
    /// transaction as a reserve is.
    fn customer_reschedule(
        &self,
        r: &ReservationRecord,
        start: Timestamp,
        end: Timestamp,
        now: Timestamp,
    ) -> ApiResult<()> {
        let loaded = self.load()?;
        let doc = &loaded.doc;
        check_customer_change(r.status, r.start_time, doc.cancellation_notice_hours, now)?;
        if doc.bardge.is_some() {
            return Err(ApiError::new(
                ErrorCode::InvalidTransition,
                "This booking is moved by cancelling it and booking the new time",
            ));
        }
        if r.status == ReservationStatus::PendingPayment {
            return Err(ApiError::new(
                ErrorCode::InvalidTransition,
                "A booking waiting for its payment cannot be moved",
            ));
        }
        let rt = resource_type(doc, r.resource_type_id)?;
        let schedule = loaded.schedule(rt);
        let (slot_start, slot_end) = schedule
            .slot_at(start)
            .ok_or_else(|| ApiError::validation("startTime", "startTime is not the start of a slot of this service"))?;
        if slot_end != end {
            return Err(ApiError::validation(
                "endTime",
                format!("endTime must be {slot_end} for a slot starting at {slot_start}"),
            ));
        }
        if !loaded.bookable_at(start, now) {
            return Err(ApiError::new(
                ErrorCode::SlotUnavailable,
                "This time can no longer be booked",
            ));
        }
        // A resource the customer chose (a room, a court) stays; otherwise any of the service's will do.
        let wanted = rt.allow_resource_choice.then(|| r.resource_ids.clone());
        let resources = candidates(rt, wanted.as_deref())?;
        let sql = self.sql();
        transaction(&self.state.storage(), || move_to(&sql, &resources, r, start, end, now))
    }
}

/// A booking as a calendar event: the calendar file, and the Google Calendar link of the manage view and
/// the reserve answer.
pub(super) fn calendar_event<T>(
    loaded: &Venue,
    r: &ReservationRecord,
    manage_url: &str,
    now: Timestamp,
    out: impl FnOnce(&CalendarEvent) -> T,
) -> T {
    let summary = loaded.doc.summary(r);
    let uid = format!("{}-{}@slotbook", loaded.slug, r.id);
    let title = format!("{}, {}", summary.service, summary.organisation);
    let mut description = format!("{} × {}. Reference {}.", r.quantity, summary.service, r.id);
    if !summary.resources.is_empty() {
        description.push_str(&format!(" {}.", summary.resources.join(", ")));
    }
    let event = CalendarEvent {
        uid: &uid,
        start: r.start_time,
        end: r.end_time,
        stamp: now,
        summary: &title,
        description: &description,
        location: loaded.doc.address.as_deref(),
        url: manage_url,
        cancelled: matches!(r.status, ReservationStatus::Cancelled | ReservationStatus::Failed),
        sequence: r.sequence,
    };
    out(&event)
}
