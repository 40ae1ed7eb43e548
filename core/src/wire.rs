//! Wire types of the public booking API and the staff reservations API (camelCase JSON).
//! Money is in minor units with a lower-case ISO currency; instants are RFC 3339 UTC.

use crate::reservation::{PaymentStatus, ReservationStatus};
use crate::time::{Date, Timestamp};
use serde::{Deserialize, Serialize};

/// `GET /api/public/booking/organisations/:slug`: the organisation and its bookable services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    pub organisation: OrganisationInfo,
    pub resource_types: Vec<ResourceTypeInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganisationInfo {
    pub slug: String,
    pub name: String,
    /// IANA time zone; slots are generated and shown in it.
    pub time_zone: String,
    pub currency: String,
    pub locale: String,
    pub branding: Branding,
    pub accepts_payments: bool,
    /// How many days ahead (from today, in the organisation's zone) can be booked.
    pub booking_window_days: u32,
    /// Closed dates inside the booking window, so a calendar can disable them.
    pub closed_dates: Vec<Date>,
    /// Bardge mode: only a reseller's signed-in clients book (with a member token); others are sent here to
    /// sign in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Branding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// `#rrggbb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_color: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceTypeInfo {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub duration_minutes: u32,
    pub slot_interval_minutes: u32,
    pub max_quantity: u32,
    /// Price per place, minor units.
    pub unit_amount: i64,
    pub currency: String,
    pub requires_payment: bool,
    /// ISO weekdays (1 = Monday) with opening hours.
    pub open_weekdays: Vec<u8>,
    /// Whether customers may pick a specific resource.
    pub allow_resource_choice: bool,
    pub resources: Vec<ResourceInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceInfo {
    pub id: i64,
    pub name: String,
    pub capacity: u32,
}

/// Bardge mode: what the client may pay for a booking their pass does not fully cover, to choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoPayDue {
    /// Co-pay packages (a spa co-pay: one, without id or name).
    pub options: Vec<CoPayOption>,
    /// Additional visits, when the pass covers the class but its visits are used up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visits: Option<VisitsDue>,
    /// The choice must be paid by then.
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CoPayOption {
    pub id: String,
    pub name: String,
    pub amount: i64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitsDue {
    pub cost_per_visit: i64,
    pub currency: String,
    /// Billing cycles (`MONTHLY`, `ANNUALLY`, …).
    pub durations: Vec<String>,
    pub max_visits: u32,
}

/// `GET …/availability`: one day's slots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Availability {
    pub date: Date,
    pub time_zone: String,
    pub resource_type_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<i64>,
    pub slots: Vec<Slot>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Slot {
    pub start_time: Timestamp,
    pub end_time: Timestamp,
    pub capacity: u32,
    pub available: u32,
}

/// The body of a public reserve (`CreateOrganisationPublicBookingDto`, plus `returnUrl`).
/// In the token flow `resourceTypeId` is implied by the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReserveRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<i64>,
    pub start_time: Timestamp,
    pub end_time: Timestamp,
    pub quantity: u32,
    pub customer_name: String,
    pub customer_email: String,
    pub customer_phone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReserveResponse {
    pub reservation_id: i64,
    pub status: ReservationStatus,
    pub payment_status: PaymentStatus,
    pub requires_payment: bool,
    pub resource_type_id: i64,
    pub resource_ids: Vec<i64>,
    pub start_time: Timestamp,
    pub end_time: Timestamp,
    pub quantity: u32,
    pub quoted_amount: i64,
    pub quoted_currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_checkout_session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_data: Option<PaymentData>,
    /// What was booked, in words, for the confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking: Option<BookingSummary>,
    /// The customer's own link to see, move or cancel the booking and add it to a calendar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manage_url: Option<String>,
    /// The booking as a new Google Calendar event (given with `manage_url`, which its details link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google_calendar_url: Option<String>,
    /// Bardge mode: the booking waits for the client's choice of what to pay (then `POST {manageUrl}/pay`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub co_pay: Option<CoPayDue>,
}

/// What a customer booked, in words: for the confirmation, the manage page and the calendar file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingSummary {
    pub reference: String,
    pub organisation: String,
    pub service: String,
    /// The resources' names, where the customer may choose one (a room, a court).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    pub start_time: Timestamp,
    pub end_time: Timestamp,
    /// The organisation's zone, in which times are shown.
    pub time_zone: String,
    pub duration_minutes: u32,
    pub quantity: u32,
    pub amount: i64,
    pub currency: String,
    pub status: ReservationStatus,
    pub payment_status: PaymentStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// `GET …/calendar?month=YYYY-MM&resourceTypeId=N`: which days of a month have room, for the month view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MonthAvailability {
    /// The month's first day.
    pub month: Date,
    pub resource_type_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<i64>,
    /// Every day of the month, with the most places free in any one slot (0: closed, past or full).
    pub days: Vec<DayAvailability>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DayAvailability {
    pub date: Date,
    pub slots: u32,
    pub available: u32,
}

/// `GET /api/public/booking/manage/:token`: a booking as its customer sees it, and what they may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedBooking {
    pub reservation_id: i64,
    pub booking: BookingSummary,
    /// Cancelling and moving are possible until then (the organisation's notice before the start).
    pub change_deadline: Timestamp,
    pub can_cancel: bool,
    pub can_reschedule: bool,
    pub resource_type_id: i64,
    /// Where this booking's organisation is booked (for the availability of a new time).
    pub booking_path: String,
    pub calendar_url: String,
    pub google_calendar_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentData {
    pub provider: String,
    pub mode: String,
    pub checkout_url: String,
    pub stripe_checkout_session_id: String,
    pub amount: i64,
    pub currency: String,
    pub status: PaymentStatus,
    pub status_url: String,
    pub expires_at: Timestamp,
}

/// `GET …/checkout-status?sessionId=…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutStatus {
    pub reservation_id: i64,
    pub status: ReservationStatus,
    pub payment_status: PaymentStatus,
    pub requires_payment: bool,
    pub can_retry_payment: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
    /// What was booked, in words, for the confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking: Option<BookingSummary>,
    /// Why a paid booking failed, in words for the customer (Bardge mode: why it could not be confirmed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A reservation as the staff API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    pub id: i64,
    pub resource_type_id: i64,
    pub resource_ids: Vec<i64>,
    pub start_time: Timestamp,
    pub end_time: Timestamp,
    pub quantity: u32,
    pub status: ReservationStatus,
    pub payment_status: PaymentStatus,
    pub customer_info: CustomerInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub quoted_unit_amount: i64,
    pub quoted_total_amount: i64,
    pub quoted_currency: String,
    pub payment_required_snapshot: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_expires_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_checkout_session_id: Option<String>,
    pub source: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// `POST /api/reservations` (`CreateReservationDto`) and, with every field optional,
/// `PATCH /api/reservations/:id` (`UpdateReservationDto`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationChanges {
    pub start_time: Option<Timestamp>,
    pub end_time: Option<Timestamp>,
    pub quantity: Option<u32>,
    pub customer_info: Option<CustomerInfo>,
    pub notes: Option<String>,
    pub resource_type_id: Option<i64>,
    pub resource_id: Option<i64>,
    pub resource_ids: Option<Vec<i64>>,
    pub status: Option<ReservationStatus>,
}

/// Filters of `GET /api/reservations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationFilter {
    pub resource_id: Option<i64>,
    pub resource_type_id: Option<i64>,
    pub status: Option<ReservationStatus>,
    pub start_from: Option<Timestamp>,
    pub end_to: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationList {
    pub data: Vec<Reservation>,
}
