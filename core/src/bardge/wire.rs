//! Bardge's wire shapes, as the edge sends and reads them. The booking calls' shapes are Bardge's documented
//! ones; the reads of classes, services and slots and the sessions' extra fields are assumed (see the module
//! above). Answers are read from JSON values by hand, field by field (what is not there is `None`, what is
//! malformed is skipped or refused): the Worker then carries one JSON reader, not one per shape. Bodies are
//! written with `serde_json::json!` for the same reason.

use serde_json::{json, Value};

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)?.as_str().map(str::to_string)
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key)?.as_i64()
}

fn count(v: &Value, key: &str) -> Option<u32> {
    u32::try_from(v.get(key)?.as_u64()?).ok()
}

/// The items of an array field (none when it is missing or not an array); Bardge's list envelope
/// (`{"object":"list","data":[…],"has_more":…}`) keeps them in `data`.
fn items<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// Assumed: `GET /classes?provider_id=…` items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    pub id: String,
    pub name: String,
    pub description: String,
    pub provider_name: String,
    pub duration_minutes: u32,
}

impl Class {
    pub fn list(v: &Value) -> Vec<Class> {
        items(v, "data")
            .filter_map(|c| {
                Some(Class {
                    id: text(c, "id")?,
                    name: text(c, "name")?,
                    description: text(c, "description").unwrap_or_default(),
                    provider_name: text(c, "provider_name").unwrap_or_default(),
                    duration_minutes: count(c, "duration_minutes")?,
                })
            })
            .collect()
    }
}

/// Assumed: `GET /classes/{class_id}?from=…&to=…`, the class with its instances in those days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassWithInstances {
    pub duration_minutes: u32,
    pub instances: Vec<ClassInstance>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassInstance {
    pub id: String,
    /// The instant (Unix seconds); `date` and `time` are the provider's wall clock and not read.
    pub scheduled_for: i64,
    pub duration_minutes: Option<u32>,
    pub capacity: u32,
    pub spots_left: u32,
}

impl ClassWithInstances {
    pub fn read(v: &Value) -> Option<ClassWithInstances> {
        Some(ClassWithInstances {
            duration_minutes: count(v, "duration_minutes")?,
            instances: items(v, "instances")
                .filter_map(|i| {
                    Some(ClassInstance {
                        id: text(i, "id")?,
                        scheduled_for: int(i, "scheduled_for")?,
                        duration_minutes: count(i, "duration_minutes"),
                        capacity: count(i, "capacity")?,
                        spots_left: count(i, "spots_left")?,
                    })
                })
                .collect(),
        })
    }
}

/// Assumed: `GET /providers/{provider_id}/services` items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub duration_minutes: u32,
}

impl Service {
    pub fn list(v: &Value) -> Vec<Service> {
        items(v, "data")
            .filter_map(|s| {
                Some(Service {
                    id: text(s, "id")?,
                    name: text(s, "name")?,
                    duration_minutes: count(s, "duration_minutes")?,
                })
            })
            .collect()
    }
}

/// Assumed: `GET /providers/{provider_id}/services/{service_id}/availability?date=…`: the slots' instants.
pub fn spa_slots(v: &Value) -> Vec<i64> {
    items(v, "slots").filter_map(|s| int(s, "scheduled_for")).collect()
}

/// `POST /bookings/class` (documented).
pub struct ClassInitiate<'a> {
    pub class_instance_id: &'a str,
    pub client_id: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub user_pass_id: &'a str,
}

impl ClassInitiate<'_> {
    pub fn body(&self) -> String {
        json!({"class_instance_id": self.class_instance_id, "client_id": self.client_id,
               "first_name": self.first_name, "last_name": self.last_name, "user_pass_id": self.user_pass_id})
        .to_string()
    }
}

/// `POST /bookings/spa` (its fields assumed).
pub struct SpaInitiate<'a> {
    pub provider_id: &'a str,
    pub service_id: &'a str,
    pub scheduled_for: i64,
    pub client_id: &'a str,
    pub user_pass_id: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
}

impl SpaInitiate<'_> {
    pub fn body(&self) -> String {
        json!({"provider_id": self.provider_id, "service_id": self.service_id, "scheduled_for": self.scheduled_for,
               "client_id": self.client_id, "user_pass_id": self.user_pass_id, "first_name": self.first_name,
               "last_name": self.last_name})
        .to_string()
    }
}

/// `POST /bookings/class/{sessionId}/confirm` (documented): a co-pay package, or how many additional visits
/// on which billing cycle. A spa confirm has no body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassConfirm {
    Package(String),
    Visits { number: u32, duration: String },
}

impl ClassConfirm {
    pub fn body(&self) -> String {
        match self {
            ClassConfirm::Package(id) => json!({ "copay_package_id": id }),
            ClassConfirm::Visits { number, duration } => json!({"number_of_visits": number, "duration": duration}),
        }
        .to_string()
    }
}

/// The answer of either initiate call: booked at once, or a session with what is due.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Initiation {
    pub copay_required: bool,
    pub additional_visits_required: bool,
    /// Set when the pass covered it and the booking is made.
    pub booking_id: Option<String>,
    // Assumed from here on.
    pub session_id: Option<String>,
    /// Unix seconds.
    pub expires_at: Option<i64>,
    pub copay_options: Vec<CopayOption>,
    pub cost_per_visit: Option<i64>,
    pub currency: Option<String>,
    pub durations: Vec<String>,
    /// A spa session's co-pay.
    pub copay_amount: Option<i64>,
}

impl Initiation {
    pub fn read(v: &Value) -> Option<Initiation> {
        let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
        Some(Initiation {
            copay_required: flag("copay_required"),
            additional_visits_required: flag("additional_visits_required"),
            booking_id: text(v, "booking_id"),
            session_id: text(v, "session_id"),
            expires_at: int(v, "expires_at"),
            copay_options: items(v, "copay_options")
                .map(|o| {
                    Some(CopayOption {
                        id: text(o, "id")?,
                        name: text(o, "name")?,
                        amount: int(o, "amount")?,
                        currency: text(o, "currency")?,
                    })
                })
                .collect::<Option<_>>()?,
            cost_per_visit: int(v, "cost_per_visit"),
            currency: text(v, "currency"),
            durations: items(v, "durations")
                .filter_map(|d| d.as_str().map(str::to_string))
                .collect(),
            copay_amount: int(v, "copay_amount"),
        })
        .filter(|_| v.is_object())
    }
}

/// One co-pay package of a class session (assumed shape).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopayOption {
    pub id: String,
    pub name: String,
    pub amount: i64,
    pub currency: String,
}

/// A booking (`object: "booking"`), as confirm, status and cancel answer it: its id.
pub fn booking_id(v: &Value) -> Option<String> {
    text(v, "id")
}

/// Bardge's error body: `{"error":{"type","code","message","request_id"}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetail {
    pub kind: String,
    pub code: String,
    pub message: String,
    pub request_id: String,
}

impl ErrorDetail {
    pub fn read(v: &Value) -> Option<ErrorDetail> {
        let e = v.get("error")?;
        Some(ErrorDetail {
            kind: text(e, "type").unwrap_or_default(),
            code: text(e, "code").unwrap_or_default(),
            message: text(e, "message").unwrap_or_default(),
            request_id: text(e, "request_id").unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_as_bardge_writes_them() {
        // The documented class initiate answer of a covered booking.
        let booked = json!({"object": "class_booking_initiation", "copay_required": false,
            "additional_visits_required": false, "booking_id": "booking_3b5g", "status": "PENDING",
            "class_name": "Morning Yoga", "scheduled_for": 1747724400, "visits_deducted": 1});
        let i = Initiation::read(&booked).unwrap();
        assert_eq!(
            (i.copay_required, i.booking_id.as_deref()),
            (false, Some("booking_3b5g"))
        );
        // A package without an amount makes the answer unusable, not a package worth 0.
        let broken = json!({"copay_required": true, "session_id": "s", "copay_options": [{"id": "c", "name": "n"}]});
        assert_eq!(Initiation::read(&broken), None);
        assert_eq!(Initiation::read(&json!("not an object")), None);
        let class = json!({"object": "class", "id": "cls_1", "duration_minutes": 60, "instances": [
            {"id": "ci_1", "scheduled_for": 1, "capacity": 10, "spots_left": 3},
            {"id": "ci_2", "scheduled_for": 2, "capacity": 10}]});
        let c = ClassWithInstances::read(&class).unwrap();
        assert_eq!(c.instances.len(), 1, "an instance without spots_left is skipped");
        assert_eq!(c.instances[0].spots_left, 3);
        let list = json!({"object": "list", "data": [{"id": "cls_1", "name": "Yoga", "duration_minutes": 60},
            {"id": "cls_2"}], "has_more": false});
        assert_eq!(Class::list(&list).len(), 1);
        let e = ErrorDetail::read(
            &json!({"error": {"type": "resource_conflict_error", "code": "class_full",
            "message": "The class is full", "request_id": "req_1"}}),
        )
        .unwrap();
        assert_eq!((e.code.as_str(), e.request_id.as_str()), ("class_full", "req_1"));
        assert_eq!(
            spa_slots(&json!({"object": "availability", "slots": [{"scheduled_for": 5}, {"time": "x"}]})),
            [5]
        );
    }

    #[test]
    fn bodies_are_bardges_fields_escaped() {
        let b: Value = serde_json::from_str(
            &ClassInitiate {
                class_instance_id: "ci_1",
                client_id: "client_1",
                first_name: "Zoë \"Z\"",
                last_name: "O'Neil",
                user_pass_id: "brgpass_1",
            }
            .body(),
        )
        .unwrap();
        assert_eq!(b["first_name"], "Zoë \"Z\"");
        assert_eq!(b.as_object().unwrap().len(), 5);
        assert_eq!(
            ClassConfirm::Package("copay_abc".into()).body(),
            r#"{"copay_package_id":"copay_abc"}"#
        );
        let visits: Value = serde_json::from_str(
            &ClassConfirm::Visits {
                number: 5,
                duration: "ANNUALLY".into(),
            }
            .body(),
        )
        .unwrap();
        assert_eq!(visits, json!({"number_of_visits": 5, "duration": "ANNUALLY"}));
    }
}
