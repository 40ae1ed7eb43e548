//! What a Bardge session leaves due, read from the initiate's answer: nothing (the pass covered it), a co-pay,
//! or visits to buy; the client's choice among its prices, and the one price that is then paid.

use super::is_id;
use super::wire::{ClassConfirm, CopayOption, Initiation};
use crate::error::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};

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

#[cfg(test)]
mod tests {
    use super::*;

    fn initiation(json: serde_json::Value) -> Initiation {
        Initiation::read(&json).unwrap()
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
}
