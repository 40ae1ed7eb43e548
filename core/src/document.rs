//! The organisation document: one JSON document that replaces an organisation's whole catalog in the
//! built-in engine (`PUT /api/admin/organisations/:slug`). Parsed and checked here in full before anything
//! is stored, so a bad document is rejected whole with the offending field named.

use crate::availability::{OpeningHours, Schedule, Zone};
use crate::error::{ApiError, ApiResult};
use crate::time::Date;
use crate::validate::{is_plausible_email, origin_of};
use crate::wire::{Branding, Catalog, OrganisationInfo, ResourceInfo, ResourceTypeInfo};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub const MIN_HOLD_MINUTES: u32 = 30;
pub const MAX_HOLD_MINUTES: u32 = 24 * 60;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrganisationDocument {
    pub name: String,
    pub time_zone: String,
    pub currency: String,
    #[serde(default = "default_locale")]
    pub locale: String,
    #[serde(default)]
    pub branding: Branding,
    /// Origins of the venue's pages that may call the API from a browser and receive customers back from
    /// Stripe (`returnUrl`).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    #[serde(default)]
    pub accepts_payments: bool,
    #[serde(default = "default_window")]
    pub booking_window_days: u32,
    /// How long a payment-required reservation holds its places while the customer pays.
    #[serde(default = "default_hold")]
    pub hold_minutes: u32,
    pub resource_types: Vec<ResourceTypeDoc>,
    #[serde(default)]
    pub closed_dates: Vec<Date>,
    /// Staff API keys, given in clear here and stored only as SHA-256 digests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_keys: Vec<ApiKeyDoc>,
    /// Where the venue is, for confirmations and calendar files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// How many hours before its start a customer may still cancel or move a booking themselves.
    #[serde(default = "default_notice")]
    pub cancellation_notice_hours: u32,
    /// Where the venue's own systems hear of bookings (`reservation.*` events, signed with the secret). The
    /// secrets stay in the organisation's storage and appear in no answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<WebhookDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDoc {
    pub url: String,
    pub secret: String,
}

pub const MAX_WEBHOOKS: usize = 5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceTypeDoc {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub duration_minutes: u32,
    /// Defaults to the duration.
    #[serde(default)]
    pub slot_interval_minutes: Option<u32>,
    #[serde(default = "one")]
    pub max_quantity: u32,
    /// Price per place in minor units of the organisation's currency.
    #[serde(default)]
    pub unit_amount: i64,
    #[serde(default)]
    pub requires_payment: bool,
    #[serde(default)]
    pub allow_resource_choice: bool,
    pub opening_hours: Vec<OpeningHoursDoc>,
    pub resources: Vec<ResourceDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpeningHoursDoc {
    #[serde(with = "weekday_names")]
    pub days: Vec<u8>,
    #[serde(with = "clock")]
    pub opens: u32,
    #[serde(with = "clock")]
    pub closes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDoc {
    pub id: i64,
    pub name: String,
    #[serde(default = "one")]
    pub capacity: u32,
    /// The legacy booking token that publishes this resource; replacing it retires the old one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyDoc {
    pub name: String,
    pub key: String,
}

fn default_locale() -> String {
    "en".into()
}
fn default_window() -> u32 {
    90
}
fn default_hold() -> u32 {
    MIN_HOLD_MINUTES
}
fn default_notice() -> u32 {
    24
}
pub const MAX_NOTICE_HOURS: u32 = 30 * 24;
pub const MAX_ADDRESS_CHARS: usize = 300;
fn one() -> u32 {
    1
}

/// A slug: lower-case letters, digits and dashes, 2 to 64 characters.
pub fn is_valid_slug(s: &str) -> bool {
    (2..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A legacy booking token: 16 to 128 characters of letters, digits, `-` and `_`.
pub fn is_valid_token(s: &str) -> bool {
    (16..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl OrganisationDocument {
    /// Parses and checks a document. Errors name the field as a path (`resourceTypes[1].durationMinutes`).
    pub fn parse(json: &str) -> ApiResult<Self> {
        let de = &mut serde_json::Deserializer::from_str(json);
        let doc: OrganisationDocument = serde_path_to_error::deserialize(de).map_err(|e| {
            let mut path = e.path().to_string();
            let inner = e.into_inner();
            // serde reports a missing field at its parent; name the field itself.
            let text = inner.to_string();
            if let Some(field) = text.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
                path = if path == "." { field.to_string() } else { format!("{path}.{field}") };
            }
            let message = if inner.is_syntax() || inner.is_eof() {
                format!("The document is not valid JSON: {inner}")
            } else {
                format!("{path}: {}", strip_position(&inner.to_string()))
            };
            let param = if path == "." { None } else { Some(path) };
            ApiError { param, ..ApiError::new(crate::ErrorCode::ValidationError, message) }
        })?;
        doc.check()?;
        Ok(doc)
    }

    fn check(&self) -> ApiResult<()> {
        let err = |param: String, message: &str| Err(ApiError::validation(&param, format!("{param} {message}")));
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return err("name".into(), "must be 1 to 200 characters");
        }
        if Zone::named(&self.time_zone).is_none() {
            return err("timeZone".into(), "must be an IANA time zone such as Europe/Budapest");
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_lowercase()) {
            return err("currency".into(), "must be a lower-case ISO 4217 code such as eur");
        }
        if self.locale.is_empty() || self.locale.len() > 35 {
            return err("locale".into(), "must be a BCP 47 language tag");
        }
        if let Some(c) = &self.branding.brand_color {
            let hex = c.strip_prefix('#').unwrap_or("");
            if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return err("branding.brandColor".into(), "must be a colour #rrggbb");
            }
        }
        if let Some(url) = &self.branding.logo_url {
            if origin_of(url).is_none() {
                return err("branding.logoUrl".into(), "must be an absolute http(s) URL");
            }
        }
        for (i, o) in self.allowed_origins.iter().enumerate() {
            if origin_of(o).as_deref() != Some(o.trim_end_matches('/')) {
                return err(format!("allowedOrigins[{i}]"), "must be an origin such as https://acme.example");
            }
        }
        if !(1..=730).contains(&self.booking_window_days) {
            return err("bookingWindowDays".into(), "must be between 1 and 730");
        }
        if !(MIN_HOLD_MINUTES..=MAX_HOLD_MINUTES).contains(&self.hold_minutes) {
            return err("holdMinutes".into(), "must be between 30 and 1440");
        }
        if self.cancellation_notice_hours > MAX_NOTICE_HOURS {
            return err("cancellationNoticeHours".into(), "must be between 0 and 720");
        }
        if let Some(a) = &self.address {
            if a.trim().is_empty() || a.chars().count() > MAX_ADDRESS_CHARS || a.chars().any(|c| c.is_control() && c != '\n') {
                return err("address".into(), "must be 1 to 300 characters");
            }
        }
        if self.resource_types.is_empty() {
            return err("resourceTypes".into(), "must list at least one resource type");
        }
        let mut type_ids = Vec::new();
        let mut resource_ids = Vec::new();
        let mut tokens = Vec::new();
        for (i, rt) in self.resource_types.iter().enumerate() {
            let p = |field: &str| format!("resourceTypes[{i}].{field}");
            if !(1..=crate::validate::MAX_ID).contains(&rt.id) || type_ids.contains(&rt.id) {
                return err(p("id"), "must be a positive integer, unique among resource types");
            }
            type_ids.push(rt.id);
            if rt.name.trim().is_empty() || rt.name.len() > 200 {
                return err(p("name"), "must be 1 to 200 characters");
            }
            if !(5..=1440).contains(&rt.duration_minutes) {
                return err(p("durationMinutes"), "must be between 5 and 1440");
            }
            if rt.slot_interval_minutes.is_some_and(|m| !(5..=1440).contains(&m)) {
                return err(p("slotIntervalMinutes"), "must be between 5 and 1440");
            }
            if !(1..=1000).contains(&rt.max_quantity) {
                return err(p("maxQuantity"), "must be between 1 and 1000");
            }
            if rt.unit_amount < 0 || rt.unit_amount > 99_999_999 {
                return err(p("unitAmount"), "must be between 0 and 99999999 minor units");
            }
            if rt.requires_payment && rt.unit_amount == 0 {
                return err(p("unitAmount"), "must be above 0 when requiresPayment is true");
            }
            for (j, h) in rt.opening_hours.iter().enumerate() {
                if h.opens >= h.closes {
                    return err(p(&format!("openingHours[{j}].closes")), "must be after opens");
                }
                if h.days.is_empty() {
                    return err(p(&format!("openingHours[{j}].days")), "must name at least one day");
                }
            }
            if rt.resources.is_empty() {
                return err(p("resources"), "must list at least one resource");
            }
            for (j, r) in rt.resources.iter().enumerate() {
                let p = |field: &str| format!("resourceTypes[{i}].resources[{j}].{field}");
                if !(1..=crate::validate::MAX_ID).contains(&r.id) || resource_ids.contains(&r.id) {
                    return err(p("id"), "must be a positive integer, unique among all resources");
                }
                resource_ids.push(r.id);
                if r.name.trim().is_empty() || r.name.len() > 200 {
                    return err(p("name"), "must be 1 to 200 characters");
                }
                if !(1..=10_000).contains(&r.capacity) {
                    return err(p("capacity"), "must be between 1 and 10000");
                }
                if let Some(t) = &r.public_token {
                    if !is_valid_token(t) || tokens.contains(&t) {
                        return err(p("publicToken"), "must be 16 to 128 letters, digits, - or _, and unique");
                    }
                    tokens.push(t);
                }
            }
        }
        for (i, k) in self.api_keys.iter().enumerate() {
            if k.key.len() < 24 || k.key.len() > 200 || k.key.chars().any(char::is_whitespace) {
                return err(format!("apiKeys[{i}].key"), "must be 24 to 200 characters without spaces");
            }
            if k.name.trim().is_empty() {
                return err(format!("apiKeys[{i}].name"), "must not be empty");
            }
        }
        if self.webhooks.len() > MAX_WEBHOOKS {
            return err("webhooks".into(), "at most 5 webhooks");
        }
        for (i, w) in self.webhooks.iter().enumerate() {
            if !crate::webhook::is_endpoint(&w.url) {
                return err(format!("webhooks[{i}].url"), "must be an https URL in ASCII (an internationalised host in its xn-- form; http only for localhost)");
            }
            if w.secret.len() < 24 || w.secret.len() > 200 || w.secret.chars().any(|c| c.is_whitespace() || c == ',') {
                return err(format!("webhooks[{i}].secret"), "must be 24 to 200 characters without spaces or commas");
            }
        }
        // Reject e-mail-looking names early: a common mistake is pasting the owner's address.
        if is_plausible_email(&self.name) {
            return err("name".into(), "must be the organisation's name");
        }
        Ok(())
    }

    pub fn zone(&self) -> Zone {
        Zone::named(&self.time_zone).expect("checked when the document was parsed")
    }

    pub fn resource_type(&self, id: i64) -> Option<&ResourceTypeDoc> {
        self.resource_types.iter().find(|rt| rt.id == id)
    }

    /// The resource type and resource a legacy token publishes.
    pub fn token_target(&self, token: &str) -> Option<(&ResourceTypeDoc, &ResourceDoc)> {
        self.resource_types.iter().find_map(|rt| {
            rt.resources.iter().find(|r| r.public_token.as_deref() == Some(token)).map(|r| (rt, r))
        })
    }

    /// The public catalog. `today` is the organisation's local date; closed dates before it are left out.
    pub fn catalog(&self, slug: &str, today: Date, only: Option<(i64, i64)>) -> Catalog {
        let window_end = today.add_days(self.booking_window_days as i64);
        Catalog {
            organisation: OrganisationInfo {
                slug: slug.to_string(),
                name: self.name.clone(),
                time_zone: self.time_zone.clone(),
                currency: self.currency.clone(),
                locale: self.locale.clone(),
                branding: self.branding.clone(),
                accepts_payments: self.accepts_payments,
                booking_window_days: self.booking_window_days,
                closed_dates: self.closed_dates.iter().filter(|d| **d >= today && **d < window_end).copied().collect(),
            },
            resource_types: self
                .resource_types
                .iter()
                .filter(|rt| only.is_none_or(|(type_id, _)| rt.id == type_id))
                .map(|rt| ResourceTypeInfo {
                    id: rt.id,
                    name: rt.name.clone(),
                    description: rt.description.clone(),
                    duration_minutes: rt.duration_minutes,
                    slot_interval_minutes: rt.slot_interval(),
                    max_quantity: rt.max_quantity,
                    unit_amount: rt.unit_amount,
                    currency: self.currency.clone(),
                    requires_payment: rt.requires_payment,
                    open_weekdays: rt.open_weekdays(),
                    allow_resource_choice: rt.allow_resource_choice && only.is_none(),
                    resources: rt
                        .resources
                        .iter()
                        .filter(|r| only.is_none_or(|(_, resource_id)| r.id == resource_id))
                        .map(|r| ResourceInfo { id: r.id, name: r.name.clone(), capacity: r.capacity })
                        .collect(),
                })
                .collect(),
        }
    }
}

impl ResourceTypeDoc {
    pub fn slot_interval(&self) -> u32 {
        self.slot_interval_minutes.unwrap_or(self.duration_minutes)
    }

    pub fn weekly_hours(&self) -> Vec<OpeningHours> {
        self.opening_hours
            .iter()
            .flat_map(|h| h.days.iter().map(|&weekday| OpeningHours { weekday, opens: h.opens, closes: h.closes }))
            .collect()
    }

    pub fn open_weekdays(&self) -> Vec<u8> {
        let mut days: Vec<u8> = self.opening_hours.iter().flat_map(|h| h.days.iter().copied()).collect();
        days.sort_unstable();
        days.dedup();
        days
    }

    pub fn schedule<'a>(&self, zone: &'a Zone, hours: &'a [OpeningHours], closed: &'a [Date]) -> Schedule<'a> {
        Schedule {
            zone,
            duration_minutes: self.duration_minutes,
            slot_interval_minutes: self.slot_interval(),
            hours,
            closed_dates: closed,
        }
    }
}

fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

mod weekday_names {
    use super::*;

    pub fn serialize<S: Serializer>(days: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(days.iter().map(|d| WEEKDAYS[(*d as usize).clamp(1, 7) - 1]))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        names
            .iter()
            .map(|n| {
                WEEKDAYS
                    .iter()
                    .position(|w| w.eq_ignore_ascii_case(n.get(..3).unwrap_or("")) && n.len() >= 3)
                    .map(|i| i as u8 + 1)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown day {n:?}; use mon, tue, … sun")))
            })
            .collect()
    }
}

mod clock {
    use super::*;

    pub fn serialize<S: Serializer>(minutes: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{:02}:{:02}", minutes / 60, minutes % 60))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || serde::de::Error::custom(format!("expected a time HH:MM, got {s:?}"));
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h.to_string().len() > 2 || m > 59 || h * 60 + m > 1440 || m.to_string().len() > 2 {
            return Err(bad());
        }
        Ok(h * 60 + m)
    }
}

impl OrganisationDocument {
    /// What a reservation booked, in words (a type or resource removed since shows as it was not found).
    pub fn summary(&self, r: &crate::wire::Reservation) -> crate::wire::BookingSummary {
        let rt = self.resource_type(r.resource_type_id);
        let resources = rt
            .filter(|rt| rt.allow_resource_choice)
            .map(|rt| rt.resources.iter().filter(|res| r.resource_ids.contains(&res.id)).map(|res| res.name.clone()).collect())
            .unwrap_or_default();
        crate::wire::BookingSummary {
            reference: r.id.to_string(),
            organisation: self.name.clone(),
            service: rt.map(|rt| rt.name.clone()).unwrap_or_default(),
            resources,
            start_time: r.start_time,
            end_time: r.end_time,
            time_zone: self.time_zone.clone(),
            duration_minutes: ((r.end_time.0 - r.start_time.0) / 60) as u32,
            quantity: r.quantity,
            amount: r.quoted_total_amount,
            currency: r.quoted_currency.clone(),
            status: r.status,
            payment_status: r.payment_status,
            address: self.address.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> serde_json::Value {
        json!({
            "name": "Acme Spa", "timeZone": "Europe/Budapest", "currency": "eur",
            "allowedOrigins": ["http://localhost:8787"],
            "resourceTypes": [{
                "id": 8, "name": "Massage", "durationMinutes": 60, "maxQuantity": 2, "unitAmount": 2500,
                "requiresPayment": true,
                "openingHours": [{"days": ["mon", "tue", "wed"], "opens": "09:00", "closes": "18:00"}],
                "resources": [{"id": 21, "name": "Room 1"}, {"id": 22, "name": "Room 2", "publicToken": "tok_room2_abcdefghijkl"}]
            }],
            "closedDates": ["2026-12-25"]
        })
    }

    fn param(v: serde_json::Value) -> String {
        OrganisationDocument::parse(&v.to_string()).unwrap_err().param.unwrap_or_default()
    }

    #[test]
    fn parses_a_good_document_with_defaults() {
        let d = OrganisationDocument::parse(&doc().to_string()).unwrap();
        let rt = d.resource_type(8).unwrap();
        assert_eq!(rt.slot_interval(), 60);
        assert_eq!(rt.resources[0].capacity, 1);
        assert_eq!(rt.open_weekdays(), vec![1, 2, 3]);
        assert_eq!(rt.weekly_hours()[0], OpeningHours { weekday: 1, opens: 540, closes: 1080 });
        assert_eq!(d.hold_minutes, 30);
        assert_eq!(d.token_target("tok_room2_abcdefghijkl").unwrap().1.id, 22);
    }

    #[test]
    fn bad_documents_name_the_field() {
        let mut d = doc();
        d["timeZone"] = json!("Europe/Nowhere");
        assert_eq!(param(d), "timeZone");
        let mut d = doc();
        d["resourceTypes"][0]["durationMinutes"] = json!("sixty");
        assert_eq!(param(d), "resourceTypes[0].durationMinutes");
        let mut d = doc();
        d["resourceTypes"][0]["openingHours"][0]["opens"] = json!("25:00");
        assert_eq!(param(d), "resourceTypes[0].openingHours[0].opens");
        let mut d = doc();
        d["resourceTypes"][0]["openingHours"][0]["closes"] = json!("08:00");
        assert_eq!(param(d), "resourceTypes[0].openingHours[0].closes");
        let mut d = doc();
        d["resourceTypes"][0]["resources"][1]["id"] = json!(21);
        assert_eq!(param(d), "resourceTypes[0].resources[1].id");
        let mut d = doc();
        d["resourceTypes"][0]["unitAmount"] = json!(0);
        assert_eq!(param(d), "resourceTypes[0].unitAmount");
        let mut d = doc();
        d["allowedOrigins"] = json!(["https://acme.example/path"]);
        assert_eq!(param(d), "allowedOrigins[0]");
        let mut d = doc();
        d.as_object_mut().unwrap().remove("name");
        assert_eq!(param(d), "name");
        let mut d = doc();
        d["holdMinutes"] = json!(10);
        assert_eq!(param(d), "holdMinutes");
    }

    #[test]
    fn catalog_shows_what_a_customer_needs() {
        let d = OrganisationDocument::parse(&doc().to_string()).unwrap();
        let c = d.catalog("acme-spa", Date::parse("2026-12-01").unwrap(), None);
        assert_eq!(c.organisation.closed_dates, vec![Date::parse("2026-12-25").unwrap()]);
        assert_eq!(c.resource_types[0].resources.len(), 2);
        let c = d.catalog("acme-spa", Date::parse("2026-12-01").unwrap(), Some((8, 22)));
        assert_eq!(c.resource_types[0].resources.len(), 1);
        let json = serde_json::to_string(&c).unwrap();
        assert!(!json.contains("tok_room2"), "tokens are never published in a catalog");
    }

    #[test]
    fn slugs_and_tokens() {
        assert!(is_valid_slug("acme-spa"));
        assert!(!is_valid_slug("Acme"));
        assert!(!is_valid_slug("-x"));
        assert!(is_valid_token("tok_room2_abcdefghijkl"));
        assert!(!is_valid_token("short"));
    }
}
