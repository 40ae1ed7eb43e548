//! Reading a document: JSON into [`OrganisationDocument`], then every rule checked, each error naming its
//! field as a path (`resourceTypes[1].durationMinutes`).

use super::*;
use crate::availability::Zone;
use crate::error::{ApiError, ApiResult, Unreadable};
use crate::stripe::{charge_refusal, order_refusal, AmountRefusal, MAX_CHARGE};
use crate::validate::{is_plausible_email, origin_of};

impl OrganisationDocument {
    /// A document as read, checked against every rule. Errors name the field as a path. The reader that tracks
    /// the path is the caller's: the Worker's reads what the runtime's `JSON.parse` made (`js_value`), so that
    /// it carries no JSON parser of its own; the tests use serde_json's.
    pub fn checked(read: Result<Self, Unreadable>) -> ApiResult<Self> {
        let doc = read.map_err(|Unreadable { mut path, message }| {
            // serde reports a missing field at its parent; name the field itself.
            if let Some(field) = message
                .strip_prefix("missing field `")
                .and_then(|r| r.split('`').next())
            {
                path = if path.is_empty() {
                    field.to_string()
                } else {
                    format!("{path}.{field}")
                };
            }
            let shown = if path.is_empty() { "." } else { &path };
            let message = format!("{shown}: {}", strip_position(&message));
            let param = (!path.is_empty()).then_some(path);
            ApiError {
                param,
                ..ApiError::new(crate::ErrorCode::ValidationError, message)
            }
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
                return err(
                    format!("allowedOrigins[{i}]"),
                    "must be an origin such as https://acme.example",
                );
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
            if a.trim().is_empty()
                || a.chars().count() > MAX_ADDRESS_CHARS
                || a.chars().any(|c| c.is_control() && c != '\n')
            {
                return err("address".into(), "must be 1 to 300 characters");
            }
        }
        if let Some(b) = &self.bardge {
            check_bardge(b)?;
            if !self.resource_types.is_empty() {
                return err(
                    "resourceTypes".into(),
                    "must be empty with bardge: Bardge's offers are the services",
                );
            }
        } else if self.resource_types.is_empty() {
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
            // A price paid online must be one Stripe can charge, for one place and for the most at once.
            if rt.requires_payment {
                if let Some(AmountRefusal::BelowMinimum(min)) = charge_refusal(&self.currency, rt.unit_amount) {
                    return err(p("unitAmount"), &format!("must be at least {min} when requiresPayment is true: the smallest charge Stripe takes in {}", self.currency));
                }
                if order_refusal(&self.currency, rt.unit_amount, rt.max_quantity) == Some(AmountRefusal::AboveMaximum) {
                    return err(p("maxQuantity"), &format!("times unitAmount must be at most {MAX_CHARGE} when requiresPayment is true: the largest charge Stripe takes"));
                }
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
                        return err(
                            p("publicToken"),
                            "must be 16 to 128 letters, digits, - or _, and unique",
                        );
                    }
                    tokens.push(t);
                }
            }
        }
        for (i, k) in self.api_keys.iter().enumerate() {
            if k.key.len() < 24 || k.key.len() > 200 || k.key.chars().any(char::is_whitespace) {
                return err(
                    format!("apiKeys[{i}].key"),
                    "must be 24 to 200 characters without spaces",
                );
            }
            if key_strength_bits(&k.key) < MIN_KEY_BITS {
                return err(format!("apiKeys[{i}].key"), "must be random enough to resist guessing: for example 32 random hex digits or 24 random base64 characters");
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
                return err(
                    format!("webhooks[{i}].secret"),
                    "must be 24 to 200 characters without spaces or commas",
                );
            }
        }
        // Reject e-mail-looking names early: a common mistake is pasting the owner's address.
        if is_plausible_email(&self.name) {
            return err("name".into(), "must be the organisation's name");
        }
        Ok(())
    }
}

fn check_bardge(b: &BardgeDoc) -> ApiResult<()> {
    use crate::bardge::is_id;
    let err = |param: &str, message: &str| Err(ApiError::validation(param, format!("{param} {message}")));
    if b.api_key.is_empty() || b.api_key.len() > 200 || !b.api_key.bytes().all(|c| c.is_ascii_graphic()) {
        return err(
            "bardge.apiKey",
            "must be the reseller's API key: 1 to 200 characters without spaces",
        );
    }
    let secret = &b.member_token_secret;
    if secret.len() < 32 || secret.len() > 200 || key_strength_bits(secret) < MIN_SECRET_BITS {
        return err(
            "bardge.memberTokenSecret",
            "must be 32 to 200 random characters (for example `openssl rand -hex 32`): it signs who is booking",
        );
    }
    if origin_of(&b.sign_in_url).is_none() {
        return err("bardge.signInUrl", "must be an absolute http(s) URL");
    }
    if b.offers.is_empty() || b.offers.len() > MAX_BARDGE_OFFERS {
        return err("bardge.offers", "must list 1 to 20 classes or spa services");
    }
    let mut ids = Vec::new();
    for (i, o) in b.offers.iter().enumerate() {
        let p = |field: &str| format!("bardge.offers[{i}].{field}");
        if !(1..=crate::validate::MAX_ID).contains(&o.id) || ids.contains(&o.id) {
            return err(&p("id"), "must be a positive integer, unique among offers");
        }
        ids.push(o.id);
        if !is_id(&o.provider_id) {
            return err(&p("providerId"), "must be a Bardge provider id");
        }
        match (&o.class_id, &o.service_id) {
            (Some(c), None) if is_id(c) => {}
            (None, Some(s)) if is_id(s) => {}
            (Some(_), None) => return err(&p("classId"), "must be a Bardge class id"),
            (None, Some(_)) => return err(&p("serviceId"), "must be a Bardge spa service id"),
            _ => return err(&p("classId"), "or serviceId must be given, not both"),
        }
    }
    Ok(())
}

/// What a member-token secret must be worth: HS256's key, which nothing limits the guessing of offline.
const MIN_SECRET_BITS: u32 = 128;

/// What a staff API key must be worth, by [`key_strength_bits`]: out of reach of guessing through the
/// per-IP limit from any number of addresses.
const MIN_KEY_BITS: u32 = 96;

/// A conservative count of a key's randomness, in whole numbers only: its length times the whole bits of
/// its variety (⌊log2 distinct characters⌋). 32 random hex digits: 32 × 3 = 96; a key of few characters or
/// one character repeated counts little however long it is.
fn key_strength_bits(key: &str) -> u32 {
    // Counted by looking back, not by sorting: a key is at most 200 characters, and a sort would add its code
    // to the Worker for this one use.
    let mut distinct: Vec<char> = Vec::new();
    for c in key.chars() {
        if !distinct.contains(&c) {
            distinct.push(c);
        }
    }
    let variety = (distinct.len() as u32).checked_ilog2().unwrap_or(0);
    key.chars().count() as u32 * variety
}

fn strip_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}
