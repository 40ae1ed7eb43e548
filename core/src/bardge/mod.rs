//! Bardge's V3 reseller API: the one place that knows its shapes and rules, so that an assumption that turns
//! out wrong is a change here. [`wire`] holds the bodies; [`member_token`] who is booking; this file the rules
//! the adapter follows: paths, Idempotency-Keys, what a session leaves due, and what an error means.
//!
//! Stated by Bardge and relied on: bearer API key; `{"error":{type,code,message,request_id}}` errors, shown to
//! a customer only for `invalid_request_error`; `Bardge-Request-Id` on every answer; Idempotency-Keys (UUIDs)
//! on initiate and confirm, the same key with another body refused as `idempotency_key_reused`; a class or spa
//! initiate books at once when the pass covers it, else opens a 24-hour session; confirm debits the reseller
//! and books, atomically, and is called only after the client has paid.
//!
//! Assumed (Bardge's pages for these are not public; the README lists them too):
//! - `GET /classes?provider_id=…&limit=100`, `GET /classes/{id}?from=…&to=…` (with `instances`: `id`,
//!   `scheduled_for`, `capacity`, `spots_left`), `GET /providers/{id}/services`,
//!   `GET /providers/{id}/services/{id}/availability?date=…` (`slots` of `scheduled_for`);
//! - a session's `session_id`, `expires_at` (Unix seconds), `copay_options` (`id`, `name`, `amount`,
//!   `currency`), `cost_per_visit` with `currency` and `durations`, a spa session's `copay_amount`;
//! - `POST /bookings/spa` takes `provider_id`, `service_id`, `scheduled_for`, `client_id`, `user_pass_id`,
//!   `first_name`, `last_name`; `POST /bookings/{id}/cancel` answers the booking;
//! - amounts in the currency's minor unit; statuses in either case.

pub mod member_token;
pub mod wire;

use crate::error::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};
use wire::{ClassConfirm, CopayOption, Initiation};

/// Bardge's production base URL (the Worker var `BARDGE_API_URL` points elsewhere for tests and the demo).
pub const PRODUCTION_URL: &str = "https://api-prod.bardge.com/v3/api/business/reseller";
/// Every Bardge answer carries it; it is logged with every failure.
pub const REQUEST_ID_HEADER: &str = "Bardge-Request-Id";
/// Sessions of either kind last this long (stated).
pub const SESSION_SECONDS: i64 = 24 * 3600;
/// A Checkout Session ends at least this long before Bardge's session does, so a payment made at the last
/// moment can still be confirmed.
pub const CONFIRM_MARGIN_SECONDS: i64 = 10 * 60;
/// The most a class's days of instances are asked for at once (a month view).
pub const MAX_DAYS_PER_READ: i64 = 31;

/// An id Bardge gave (or a document names) that may go into a path as it is.
pub fn is_id(s: &str) -> bool {
    (1..=100).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A UUID-formatted Idempotency-Key derived from what identifies the call, so a retry sends the same key
/// without having stored it, and no two calls share one. Version 8 (RFC 9562's "custom" layout) over SHA-256.
pub fn derived_key(seed: &str, purpose: &str) -> String {
    let digest = crate::digest::sha256_hex(format!("{purpose}\n{seed}").as_bytes());
    let h = digest.as_bytes();
    let s = |r: std::ops::Range<usize>| std::str::from_utf8(&h[r]).unwrap_or_default();
    // Version nibble 8, variant bits 10.
    let variant = b"89ab"[(h[16] as char).to_digit(16).unwrap_or(0) as usize % 4] as char;
    format!(
        "{}-{}-8{}-{variant}{}-{}",
        s(0..8),
        s(8..12),
        s(13..16),
        s(17..20),
        s(20..32)
    )
}

/// The most additional visits bought in one booking.
pub const MAX_VISITS: u32 = 20;

/// What an initiate left to do (the initiate's answer is kept with the reservation and read again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// The pass covered it: booked.
    Nothing { booking_id: String },
    /// A class the pass does not cover: the client picks a co-pay package.
    Copay {
        session_id: String,
        expires_at: i64,
        options: Vec<CopayOption>,
    },
    /// A covered class whose visits are used up: the client buys more, on a billing cycle.
    Visits {
        session_id: String,
        expires_at: i64,
        cost_per_visit: i64,
        currency: String,
        durations: Vec<String>,
    },
    /// A spa service with a co-pay: one amount.
    SpaCopay {
        session_id: String,
        expires_at: i64,
        amount: i64,
        currency: String,
    },
}

impl Due {
    /// Reads an initiate's answer; one that is not whole (a session without id or expiry, a co-pay without a
    /// package, an amount that is not positive, ids that cannot go into a path) is refused with why.
    pub fn of(i: Initiation, spa: bool) -> Result<Due, &'static str> {
        if !i.copay_required && !i.additional_visits_required {
            return match i.booking_id {
                Some(id) if is_id(&id) => Ok(Due::Nothing { booking_id: id }),
                _ => Err("booked without a booking_id"),
            };
        }
        let session_id = i
            .session_id
            .filter(|s| is_id(s))
            .ok_or("a session without a session_id")?;
        let expires_at = i.expires_at.ok_or("a session without expires_at")?;
        let currency = |c: Option<String>| {
            c.map(|c| c.to_ascii_lowercase())
                .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_lowercase()))
                .ok_or("an amount without an ISO currency")
        };
        if spa {
            let amount = i
                .copay_amount
                .filter(|a| *a > 0)
                .ok_or("a spa co-pay without an amount")?;
            return Ok(Due::SpaCopay {
                session_id,
                expires_at,
                amount,
                currency: currency(i.currency)?,
            });
        }
        if i.copay_required {
            let mut options = i.copay_options;
            for o in &mut options {
                o.currency = currency(Some(o.currency.clone()))?;
                if o.amount <= 0 || !is_id(&o.id) {
                    return Err("a co-pay package without an id or a positive amount");
                }
            }
            if options.is_empty() {
                return Err("a co-pay session without packages");
            }
            return Ok(Due::Copay {
                session_id,
                expires_at,
                options,
            });
        }
        let cost_per_visit = i
            .cost_per_visit
            .filter(|a| *a > 0)
            .ok_or("visits without cost_per_visit")?;
        let durations: Vec<String> = i.durations.into_iter().filter(|d| is_id(d)).collect();
        if durations.is_empty() {
            return Err("visits without a billing cycle");
        }
        Ok(Due::Visits {
            session_id,
            expires_at,
            cost_per_visit,
            currency: currency(i.currency)?,
            durations,
        })
    }

    pub fn session(&self) -> Option<(&str, i64)> {
        match self {
            Due::Nothing { .. } => None,
            Due::Copay {
                session_id, expires_at, ..
            }
            | Due::Visits {
                session_id, expires_at, ..
            }
            | Due::SpaCopay {
                session_id, expires_at, ..
            } => Some((session_id, *expires_at)),
        }
    }
}

/// What the client chose to pay for: a co-pay package, or a number of visits on a billing cycle (a spa
/// co-pay has nothing to choose).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Choice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copay_package_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_visits: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

impl Choice {
    /// A `POST {manageUrl}/pay` body: `copayPackageId`, or `numberOfVisits` with `duration` (a spa co-pay:
    /// `{}`). Which of them the session needs is checked by [`Due::price`].
    pub fn read(body: &serde_json::Value) -> Result<Choice, ApiError> {
        let fields = body
            .as_object()
            .ok_or_else(|| ApiError::validation("body", "The body must be a JSON object"))?;
        if let Some(unknown) = fields
            .keys()
            .find(|k| !["copayPackageId", "numberOfVisits", "duration"].contains(&k.as_str()))
        {
            return Err(ApiError::validation(
                unknown,
                format!("{unknown} is not a field of this request"),
            ));
        }
        let text = |name: &str| match fields.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) if is_id(s) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::validation(
                name,
                format!("{name} must be an id of letters, digits, _ or -"),
            )),
        };
        let number_of_visits = match fields.get("numberOfVisits") {
            None | Some(serde_json::Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .filter(|n| *n <= MAX_VISITS as u64)
                    .ok_or_else(|| ApiError::validation("numberOfVisits", "numberOfVisits must be between 1 and 20"))?
                    as u32,
            ),
        };
        Ok(Choice {
            copay_package_id: text("copayPackageId")?,
            number_of_visits,
            duration: text("duration")?,
        })
    }
}

/// What the client pays (exactly what Bardge debits the reseller) and what confirm sends Bardge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub amount: i64,
    pub currency: String,
    /// The class confirm's body; a spa confirm has none.
    pub confirm: Option<ClassConfirm>,
}

impl Due {
    /// The price when there is nothing to choose: a spa co-pay, or a class with one co-pay package.
    pub fn only_price(&self) -> Option<Priced> {
        match self {
            Due::SpaCopay { .. } => self.price(&Choice::default()).ok(),
            Due::Copay { options, .. } if options.len() == 1 => self
                .price(&Choice {
                    copay_package_id: Some(options[0].id.clone()),
                    ..Choice::default()
                })
                .ok(),
            _ => None,
        }
    }

    /// The price of a choice, refused (naming the field) when it is not one this session offers.
    pub fn price(&self, choice: &Choice) -> Result<Priced, ApiError> {
        match self {
            Due::Nothing { .. } => Err(ApiError::new(
                ErrorCode::InvalidTransition,
                "Nothing is due for this booking",
            )),
            Due::SpaCopay { amount, currency, .. } => Ok(Priced {
                amount: *amount,
                currency: currency.clone(),
                confirm: None,
            }),
            Due::Copay { options, .. } => {
                let id = choice.copay_package_id.as_deref().unwrap_or_default();
                let o = options.iter().find(|o| o.id == id).ok_or_else(|| {
                    ApiError::validation(
                        "copayPackageId",
                        "copayPackageId must be one of the co-pay packages offered",
                    )
                })?;
                Ok(Priced {
                    amount: o.amount,
                    currency: o.currency.clone(),
                    confirm: Some(ClassConfirm::Package(o.id.clone())),
                })
            }
            Due::Visits {
                cost_per_visit,
                currency,
                durations,
                ..
            } => {
                let n = choice.number_of_visits.unwrap_or(0);
                if !(1..=MAX_VISITS).contains(&n) {
                    return Err(ApiError::validation(
                        "numberOfVisits",
                        "numberOfVisits must be between 1 and 20",
                    ));
                }
                let duration = choice.duration.clone().unwrap_or_default();
                if !durations.contains(&duration) {
                    return Err(ApiError::validation(
                        "duration",
                        "duration must be one of the billing cycles offered",
                    ));
                }
                Ok(Priced {
                    amount: cost_per_visit * n as i64,
                    currency: currency.clone(),
                    confirm: Some(ClassConfirm::Visits { number: n, duration }),
                })
            }
        }
    }

    /// What the customer is shown to choose from.
    pub fn offer(&self) -> Option<crate::wire::CoPayDue> {
        use crate::wire::{CoPayDue, CoPayOption, VisitsDue};
        let (_, expires_at) = self.session()?;
        let (options, visits) = match self {
            Due::Copay { options, .. } => (
                options
                    .iter()
                    .map(|o| CoPayOption {
                        id: o.id.clone(),
                        name: o.name.clone(),
                        amount: o.amount,
                        currency: o.currency.clone(),
                    })
                    .collect(),
                None,
            ),
            Due::Visits {
                cost_per_visit,
                currency,
                durations,
                ..
            } => (
                Vec::new(),
                Some(VisitsDue {
                    cost_per_visit: *cost_per_visit,
                    currency: currency.clone(),
                    durations: durations.clone(),
                    max_visits: MAX_VISITS,
                }),
            ),
            Due::SpaCopay { amount, currency, .. } => (
                vec![CoPayOption {
                    id: String::new(),
                    name: String::new(),
                    amount: *amount,
                    currency: currency.clone(),
                }],
                None,
            ),
            Due::Nothing { .. } => return None,
        };
        Some(CoPayDue {
            options,
            visits,
            expires_at: crate::time::Timestamp(expires_at),
        })
    }
}

/// When the Checkout Session for a Bardge session's co-pay must end: the hold's end (within Stripe's limits),
/// but at least [`CONFIRM_MARGIN_SECONDS`] before Bardge's session does. `None` when that leaves less than Stripe's
/// shortest session (30 minutes) from now: the session is too near its end to be paid and confirmed.
pub fn checkout_expires_at(now: i64, hold_end: i64, session_expires_at: i64) -> Option<i64> {
    let end = crate::stripe::session_expires_at(now, hold_end).min(session_expires_at - CONFIRM_MARGIN_SECONDS);
    (end >= now + crate::stripe::SESSION_MIN_SECONDS + crate::stripe::SESSION_MARGIN_SECONDS).then_some(end)
}

/// What to do after a confirm call: Bardge's status (`None`: no answer came) and error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Timeouts, network errors, 5xx, and 401/403 (a key being rotated or an account being sorted out can
    /// heal before the session ends): the same call, the same key, later.
    Retry,
    /// Bardge said no for good (class full, slot gone, session expired or unknown, validation): refund.
    Refused,
    /// The key was used with another body: a bug of ours, never "fixed" with a new key. Logged loudly,
    /// refunded.
    KeyReused,
}

pub fn verdict(status: Option<u16>, code: &str) -> Verdict {
    match status {
        None => Verdict::Retry,
        Some(_) if code == "idempotency_key_reused" => Verdict::KeyReused,
        Some(401 | 403 | 408 | 429) => Verdict::Retry,
        Some(s) if s >= 500 => Verdict::Retry,
        Some(_) => Verdict::Refused,
    }
}

/// A Bardge refusal of an initiate, for the customer: only an `invalid_request_error`'s message is shown;
/// the rest get the product's own words.
pub fn customer_error(status: u16, kind: &str, code: &str, message: &str) -> ApiError {
    match (kind, code) {
        (_, "class_full") => ApiError::new(ErrorCode::SlotUnavailable, "This class is full"),
        (_, "slot_unavailable" | "resource_not_found") => {
            ApiError::new(ErrorCode::SlotUnavailable, "This time can no longer be booked")
        }
        (_, "idempotency_key_reused") => ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was used for another booking",
        ),
        ("invalid_request_error", _) if status < 500 && !message.trim().is_empty() => ApiError::new(
            ErrorCode::ValidationError,
            message.chars().take(300).collect::<String>(),
        ),
        _ => ApiError::new(
            ErrorCode::UpstreamUnavailable,
            "The booking service cannot take this booking right now; please try again in a few minutes",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn initiation(json: serde_json::Value) -> Initiation {
        Initiation::read(&json).unwrap()
    }

    #[test]
    fn derived_keys_are_uuids_stable_and_distinct() {
        let a = derived_key("wellcorp:abc", "initiate");
        assert_eq!(a, derived_key("wellcorp:abc", "initiate"));
        assert_ne!(a, derived_key("wellcorp:abc", "confirm"));
        assert_ne!(a, derived_key("wellcorp:abd", "initiate"));
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(groups.iter().map(|g| g.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(a
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert!(groups[2].starts_with('8'), "version 8: {a}");
        assert!("89ab".contains(&groups[3][..1]), "RFC 9562 variant: {a}");
    }

    #[test]
    fn an_initiation_says_what_is_due() {
        let booked = initiation(
            serde_json::json!({"object": "class_booking_initiation", "copay_required": false,
            "additional_visits_required": false, "booking_id": "booking_1", "status": "PENDING"}),
        );
        assert_eq!(
            Due::of(booked, false),
            Ok(Due::Nothing {
                booking_id: "booking_1".into()
            })
        );
        let copay = initiation(
            serde_json::json!({"copay_required": true, "additional_visits_required": false,
            "session_id": "sess_1", "expires_at": 1_780_086_400,
            "copay_options": [{"id": "copay_a", "name": "Day", "amount": 1500, "currency": "EUR", "duration": "DAILY"}]}),
        );
        let Ok(Due::Copay { options, .. }) = Due::of(copay, false) else {
            panic!()
        };
        assert_eq!(options[0].currency, "eur", "currencies as the product writes them");
        let visits = initiation(
            serde_json::json!({"copay_required": false, "additional_visits_required": true,
            "session_id": "sess_2", "expires_at": 1, "cost_per_visit": 900, "currency": "eur",
            "durations": ["MONTHLY", "ANNUALLY"]}),
        );
        assert!(matches!(
            Due::of(visits, false),
            Ok(Due::Visits {
                cost_per_visit: 900,
                ..
            })
        ));
        let spa = initiation(
            serde_json::json!({"copay_required": true, "session_id": "sess_3", "expires_at": 1,
            "copay_amount": 2500, "currency": "eur"}),
        );
        assert!(matches!(Due::of(spa, true), Ok(Due::SpaCopay { amount: 2500, .. })));
    }

    #[test]
    fn an_initiation_that_is_not_whole_is_refused() {
        for (json, spa) in [
            (serde_json::json!({"copay_required": false}), false),
            (
                serde_json::json!({"copay_required": true, "expires_at": 1, "copay_options": []}),
                false,
            ),
            (
                serde_json::json!({"copay_required": true, "session_id": "sess_1", "copay_options": []}),
                false,
            ),
            (
                serde_json::json!({"copay_required": true, "session_id": "sess_1", "expires_at": 1, "copay_options": []}),
                false,
            ),
            (
                serde_json::json!({"copay_required": true, "session_id": "../x", "expires_at": 1}),
                false,
            ),
            (
                serde_json::json!({"copay_required": true, "session_id": "s", "expires_at": 1,
                "copay_options": [{"id": "c", "name": "n", "amount": 0, "currency": "eur"}]}),
                false,
            ),
            (
                serde_json::json!({"additional_visits_required": true, "session_id": "s", "expires_at": 1,
                "cost_per_visit": 900, "currency": "eur", "durations": []}),
                false,
            ),
            (
                serde_json::json!({"copay_required": true, "session_id": "s", "expires_at": 1, "currency": "eur"}),
                true,
            ),
            (
                serde_json::json!({"copay_required": true, "session_id": "s", "expires_at": 1, "copay_amount": 5,
                "currency": "euro"}),
                true,
            ),
        ] {
            assert!(Due::of(initiation(json.clone()), spa).is_err(), "{json}");
        }
    }

    #[test]
    fn the_price_is_what_the_session_offers_and_nothing_else() {
        let copay = Due::Copay {
            session_id: "sess_1".into(),
            expires_at: 1,
            options: vec![
                CopayOption {
                    id: "copay_day".into(),
                    name: "Day".into(),
                    amount: 1500,
                    currency: "eur".into(),
                },
                CopayOption {
                    id: "copay_week".into(),
                    name: "Week".into(),
                    amount: 4000,
                    currency: "eur".into(),
                },
            ],
        };
        assert_eq!(copay.only_price(), None, "two packages: the client chooses");
        let week = copay
            .price(&Choice {
                copay_package_id: Some("copay_week".into()),
                ..Choice::default()
            })
            .unwrap();
        assert_eq!(
            (week.amount, week.confirm),
            (4000, Some(ClassConfirm::Package("copay_week".into())))
        );
        let e = copay.price(&Choice {
            copay_package_id: Some("copay_year".into()),
            ..Choice::default()
        });
        assert_eq!(e.unwrap_err().param.as_deref(), Some("copayPackageId"));
        let visits = Due::Visits {
            session_id: "sess_2".into(),
            expires_at: 1,
            cost_per_visit: 900,
            currency: "eur".into(),
            durations: vec!["MONTHLY".into(), "ANNUALLY".into()],
        };
        let choice = |n, d: &str| Choice {
            number_of_visits: Some(n),
            duration: Some(d.into()),
            ..Choice::default()
        };
        let three = visits.price(&choice(3, "ANNUALLY")).unwrap();
        assert_eq!(three.amount, 2700);
        assert_eq!(
            three.confirm,
            Some(ClassConfirm::Visits {
                number: 3,
                duration: "ANNUALLY".into()
            })
        );
        assert_eq!(
            visits.price(&choice(0, "MONTHLY")).unwrap_err().param.as_deref(),
            Some("numberOfVisits")
        );
        assert_eq!(
            visits.price(&choice(21, "MONTHLY")).unwrap_err().param.as_deref(),
            Some("numberOfVisits")
        );
        assert_eq!(
            visits.price(&choice(2, "WEEKLY")).unwrap_err().param.as_deref(),
            Some("duration")
        );
        let spa = Due::SpaCopay {
            session_id: "sess_3".into(),
            expires_at: 1,
            amount: 2500,
            currency: "eur".into(),
        };
        assert_eq!(spa.only_price().map(|p| (p.amount, p.confirm)), Some((2500, None)));
    }

    #[test]
    fn checkout_ends_ten_minutes_before_the_session() {
        let now = 1_780_000_000;
        // A 24-hour session and a 30-minute hold: the hold decides (with Stripe's margin on its shortest).
        assert_eq!(
            checkout_expires_at(now, now + 1800, now + SESSION_SECONDS),
            Some(now + 2100)
        );
        // A session with 50 minutes left: ends 10 minutes before it.
        assert_eq!(checkout_expires_at(now, now + 3600, now + 3000), Some(now + 2400));
        // 35 minutes left: 25 after the margin, below Stripe's 30 (plus its own margin): cannot be paid.
        assert_eq!(checkout_expires_at(now, now + 3600, now + 2100), None);
    }

    #[test]
    fn only_a_refusal_for_good_is_refunded() {
        assert_eq!(verdict(None, ""), Verdict::Retry);
        for status in [500, 502, 503, 401, 403, 429] {
            assert_eq!(
                verdict(Some(status), "internal_server_error"),
                Verdict::Retry,
                "{status}"
            );
        }
        for (status, code) in [
            (409, "class_full"),
            (409, "slot_unavailable"),
            (404, "resource_not_found"),
            (400, "validation_error"),
            (422, "session_expired"),
            (409, "a_code_added_later"),
        ] {
            assert_eq!(verdict(Some(status), code), Verdict::Refused, "{code}");
        }
        assert_eq!(verdict(Some(409), "idempotency_key_reused"), Verdict::KeyReused);
    }

    #[test]
    fn customers_see_only_invalid_request_messages() {
        let shown = customer_error(
            400,
            "invalid_request_error",
            "validation_error",
            "first_name is too long",
        );
        assert_eq!(shown.message, "first_name is too long");
        assert_eq!(shown.code, ErrorCode::ValidationError);
        let hidden = customer_error(
            500,
            "api_error",
            "internal_server_error",
            "NullPointerException at Foo.java:12",
        );
        assert!(!hidden.message.contains("Foo"), "{}", hidden.message);
        assert_eq!(hidden.code, ErrorCode::UpstreamUnavailable);
        let auth = customer_error(
            401,
            "authentication_error",
            "invalid_api_key",
            "Key sk_live_x is invalid",
        );
        assert!(!auth.message.contains("sk_live"));
        assert_eq!(
            customer_error(409, "resource_conflict_error", "class_full", "Class full").code,
            ErrorCode::SlotUnavailable
        );
    }
}
