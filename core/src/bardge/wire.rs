//! Bardge's wire shapes, as the edge sends and reads them. The booking calls' shapes are Bardge's documented
//! ones; the reads of classes, services and slots and the sessions' extra fields are assumed (see the module
//! above) and marked so here.

use serde::{Deserialize, Serialize};

/// Bardge's list envelope (`{"object":"list","data":[…],"has_more":…}`).
#[derive(Debug, Clone, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
}

/// Assumed: `GET /classes?provider_id=…` items.
#[derive(Debug, Clone, Deserialize)]
pub struct Class {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub provider_name: String,
    pub duration_minutes: u32,
}

/// Assumed: `GET /classes/{class_id}?from=…&to=…`, the class with its instances in those days.
#[derive(Debug, Clone, Deserialize)]
pub struct ClassWithInstances {
    pub id: String,
    pub duration_minutes: u32,
    #[serde(default)]
    pub instances: Vec<ClassInstance>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ClassInstance {
    pub id: String,
    /// The instant (Unix seconds); `date` and `time` are the provider's wall clock and not read.
    pub scheduled_for: i64,
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    pub capacity: u32,
    pub spots_left: u32,
}

/// Assumed: `GET /providers/{provider_id}/services` items.
#[derive(Debug, Clone, Deserialize)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub duration_minutes: u32,
}

/// Assumed: `GET /providers/{provider_id}/services/{service_id}/availability?date=…`.
#[derive(Debug, Clone, Deserialize)]
pub struct SpaAvailability {
    pub slots: Vec<SpaSlot>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SpaSlot {
    pub scheduled_for: i64,
}

/// `POST /bookings/class` (documented).
#[derive(Debug, Clone, Serialize)]
pub struct ClassInitiate<'a> {
    pub class_instance_id: &'a str,
    pub client_id: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub user_pass_id: &'a str,
}

/// `POST /bookings/spa` (its fields assumed).
#[derive(Debug, Clone, Serialize)]
pub struct SpaInitiate<'a> {
    pub provider_id: &'a str,
    pub service_id: &'a str,
    pub scheduled_for: i64,
    pub client_id: &'a str,
    pub user_pass_id: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
}

/// `POST /bookings/class/{sessionId}/confirm` (documented): a co-pay package, or how many additional visits
/// on which billing cycle. A spa confirm has no body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassConfirm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copay_package_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_visits: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

/// The answer of either initiate call: booked at once, or a session with what is due.
#[derive(Debug, Clone, Deserialize)]
pub struct Initiation {
    #[serde(default)]
    pub copay_required: bool,
    #[serde(default)]
    pub additional_visits_required: bool,
    /// Set when the pass covered it and the booking is made.
    #[serde(default)]
    pub booking_id: Option<String>,
    // Assumed from here on.
    #[serde(default)]
    pub session_id: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub copay_options: Vec<CopayOption>,
    #[serde(default)]
    pub cost_per_visit: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub durations: Vec<String>,
    /// A spa session's co-pay.
    #[serde(default)]
    pub copay_amount: Option<i64>,
}

/// One co-pay package of a class session (assumed shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopayOption {
    pub id: String,
    pub name: String,
    pub amount: i64,
    pub currency: String,
}

/// A booking (`object: "booking"`), as confirm, status and cancel answer it.
#[derive(Debug, Clone, Deserialize)]
pub struct Booking {
    pub id: String,
    pub status: String,
}

impl Booking {
    /// Statuses come in either case (`PENDING`, `confirmed`).
    pub fn is_cancelled(&self) -> bool {
        self.status.eq_ignore_ascii_case("cancelled") || self.status.eq_ignore_ascii_case("canceled")
    }
}

/// Bardge's error body: `{"error":{"type","code","message","request_id"}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorDetail {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub request_id: String,
}
