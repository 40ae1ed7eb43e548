//! The organisation document: one JSON document that replaces an organisation's whole catalog in the
//! built-in engine (`PUT /api/admin/organisations/:slug`). Parsed and checked in full before anything is
//! stored, so a bad document is rejected whole with the offending field named.
//!
//! This file holds the document's shape; [`parse`] reads and checks it, [`read`] is what the engine and the
//! catalog read of it, [`fields`] the text forms of days and clock times.

mod fields;
mod parse;
mod read;

use crate::time::Date;
use crate::wire::Branding;
use fields::{clock, weekday_names};
use serde::{Deserialize, Serialize};

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
    /// Bardge reseller mode: the organisation books through a Bardge reseller account instead of its own
    /// resource types. Its API key and member-token secret stay in the organisation's storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bardge: Option<BardgeDoc>,
}

/// The `bardge` section: the reseller's credentials, where its clients sign in, and what is offered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BardgeDoc {
    pub api_key: String,
    /// Signs the member tokens of the reseller's backend (HS256).
    pub member_token_secret: String,
    /// Where a client who is not signed in is sent to sign in (the reseller's page with the widget).
    pub sign_in_url: String,
    pub offers: Vec<BardgeOffer>,
}

/// One class or spa service of a Bardge provider, offered as one of the catalog's services (`id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BardgeOffer {
    pub id: i64,
    pub provider_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
}

pub const MAX_BARDGE_OFFERS: usize = 20;

impl BardgeOffer {
    /// The offer as one of the catalog's services, named as Bardge names it: one place per booking, any day
    /// (Bardge's own times decide), one resource (the provider).
    pub fn resource_type(
        &self,
        name: &str,
        description: &str,
        duration_minutes: u32,
        provider: &str,
    ) -> ResourceTypeDoc {
        ResourceTypeDoc {
            id: self.id,
            name: name.to_string(),
            description: description.to_string(),
            duration_minutes,
            slot_interval_minutes: None,
            max_quantity: 1,
            unit_amount: 0,
            requires_payment: false,
            allow_resource_choice: false,
            opening_hours: vec![OpeningHoursDoc {
                days: (1..=7).collect(),
                opens: 0,
                closes: 24 * 60,
            }],
            resources: vec![ResourceDoc {
                id: self.id,
                name: if provider.is_empty() { name } else { provider }.to_string(),
                capacity: 1,
                public_token: None,
            }],
        }
    }
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
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A legacy booking token: 16 to 128 characters of letters, digits, `-` and `_`.
pub fn is_valid_token(s: &str) -> bool {
    (16..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::availability::OpeningHours;
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

    /// Read as the Worker reads: by a deserializer that tracks where it is (here serde_json's, with the path
    /// kept by serde_path_to_error; the Worker's own path is checked end to end).
    fn parse(json: &str) -> crate::error::ApiResult<OrganisationDocument> {
        let read = serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(json)).map_err(|e| {
            let path = e.path().to_string();
            crate::error::Unreadable {
                path: if path == "." { String::new() } else { path },
                message: e.into_inner().to_string(),
            }
        });
        OrganisationDocument::checked(read)
    }

    fn param(v: serde_json::Value) -> String {
        parse(&v.to_string()).unwrap_err().param.unwrap_or_default()
    }

    #[test]
    fn parses_a_good_document_with_defaults() {
        let d = parse(&doc().to_string()).unwrap();
        let rt = d.resource_type(8).unwrap();
        assert_eq!(rt.slot_interval(), 60);
        assert_eq!(rt.resources[0].capacity, 1);
        assert_eq!(rt.open_weekdays(), vec![1, 2, 3]);
        assert_eq!(
            rt.weekly_hours()[0],
            OpeningHours {
                weekday: 1,
                opens: 540,
                closes: 1080
            }
        );
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
    fn a_price_paid_online_is_one_stripe_can_charge() {
        let error = |d: serde_json::Value| parse(&d.to_string()).unwrap_err();
        let mut d = doc();
        d["resourceTypes"][0]["unitAmount"] = json!(49);
        let e = error(d);
        assert_eq!(e.param.as_deref(), Some("resourceTypes[0].unitAmount"));
        assert!(e.message.contains("at least 50"), "{}", e.message);
        let mut d = doc();
        d["resourceTypes"][0]["unitAmount"] = json!(50);
        assert!(parse(&d.to_string()).is_ok(), "Stripe's minimum itself");
        // Paid at the venue: no charge online, so no Stripe limit.
        d["resourceTypes"][0]["unitAmount"] = json!(49);
        d["resourceTypes"][0]["requiresPayment"] = json!(false);
        assert!(parse(&d.to_string()).is_ok());
        let mut d = doc();
        d["currency"] = json!("huf");
        d["resourceTypes"][0]["unitAmount"] = json!(10_000);
        assert_eq!(
            param(d),
            "resourceTypes[0].unitAmount",
            "100 Ft is below Stripe's 175 Ft"
        );
        // The most places at once must fit in one charge.
        let mut d = doc();
        d["resourceTypes"][0]["unitAmount"] = json!(60_000_000);
        let e = error(d);
        assert_eq!(e.param.as_deref(), Some("resourceTypes[0].maxQuantity"));
        assert!(e.message.contains("99999999"), "{}", e.message);
        let mut d = doc();
        d["resourceTypes"][0]["unitAmount"] = json!(60_000_000);
        d["resourceTypes"][0]["maxQuantity"] = json!(1);
        assert!(parse(&d.to_string()).is_ok());
    }

    #[test]
    fn staff_api_keys_must_resist_guessing() {
        let with_key = |key: &str| {
            let mut d = doc();
            d["apiKeys"] = json!([{"name": "front desk", "key": key}]);
            parse(&d.to_string())
                .map(|_| ())
                .map_err(|e| e.param.unwrap_or_default())
        };
        // Long enough but of little variety: refused, naming the key.
        for weak in [
            "a".repeat(40),
            "ab".repeat(30),
            "0101010101010101010101010101010101".into(),
            "abcdabcdabcdabcdabcdabcd".into(),
        ] {
            assert_eq!(with_key(&weak), Err("apiKeys[0].key".into()), "{weak}");
        }
        // What `openssl rand -hex 16` and `openssl rand -base64 18` give, and a typical prefixed key.
        for strong in [
            "9f86d081884c7d659a2feaa0c55ad015",
            "q2Xf7Kp9/Lm3Rt+8VbN1wZcY",
            "sk_live_acme_front_desk_7f3a9c21e4",
        ] {
            assert_eq!(with_key(strong), Ok(()), "{strong}");
        }
    }

    #[test]
    fn a_bardge_section_is_checked_field_by_field() {
        let bardge = || {
            let mut d = doc();
            d["resourceTypes"] = json!([]);
            d["bardge"] = json!({
                "apiKey": "bardge_live_key_123", "memberTokenSecret": "5f0c1e9a7b3d2468ace13579bdf02468acef1357",
                "signInUrl": "https://wellcorp.example/sign-in",
                "offers": [{"id": 1, "providerId": "prov_fitzone", "classId": "cls_yoga"},
                           {"id": 2, "providerId": "prov_zen", "serviceId": "svc_massage"}]
            });
            d
        };
        let d = parse(&bardge().to_string()).unwrap();
        assert_eq!(d.bardge.unwrap().offers[1].service_id.as_deref(), Some("svc_massage"));
        let cases: [(&str, serde_json::Value, &str); 9] = [
            ("/bardge/apiKey", json!("has a space"), "bardge.apiKey"),
            ("/bardge/memberTokenSecret", json!("short"), "bardge.memberTokenSecret"),
            (
                "/bardge/memberTokenSecret",
                json!("ab".repeat(30)),
                "bardge.memberTokenSecret",
            ),
            ("/bardge/signInUrl", json!("/sign-in"), "bardge.signInUrl"),
            ("/bardge/offers", json!([]), "bardge.offers"),
            ("/bardge/offers/1/id", json!(1), "bardge.offers[1].id"),
            (
                "/bardge/offers/0/providerId",
                json!("prov/../x"),
                "bardge.offers[0].providerId",
            ),
            (
                "/bardge/offers/0",
                json!({"id": 1, "providerId": "prov_1", "classId": "cls_1", "serviceId": "svc_1"}),
                "bardge.offers[0].classId",
            ),
            ("/resourceTypes", doc()["resourceTypes"].clone(), "resourceTypes"),
        ];
        for (pointer, value, expected) in cases {
            let mut d = bardge();
            *d.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer}")) = value;
            assert_eq!(param(d), expected, "{pointer}");
        }
        let mut d = bardge();
        d["bardge"]["offers"][1].as_object_mut().unwrap().remove("serviceId");
        assert_eq!(param(d), "bardge.offers[1].classId");
    }

    #[test]
    fn catalog_shows_what_a_customer_needs() {
        let d = parse(&doc().to_string()).unwrap();
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
