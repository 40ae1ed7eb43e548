//! Request validation, before anything else runs: JSON bodies and query strings become typed requests or a
//! `validation_error` that names the field. The widget uses the same plausibility checks as you type.

use crate::error::{ApiError, ApiResult};
use crate::reservation::ReservationStatus;
use crate::time::{Date, Timestamp};
use crate::wire::{CustomerInfo, ReservationChanges, ReservationFilter, ReserveRequest};
use serde_json::{Map, Value};

pub const MAX_NOTES_CHARS: usize = 2048;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_EMAIL_CHARS: usize = 254;
pub const MAX_PHONE_CHARS: usize = 40;

/// A plausible email: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    let labels_ok = domain.split('.').all(|l| {
        !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-') && !l.starts_with('-') && !l.ends_with('-')
    });
    s.len() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && local.len() <= 64
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.contains('.')
        && labels_ok
}

/// A plausible phone number: 5 to 20 digits, optionally with `+` first and spaces, dashes, dots, brackets.
pub fn is_plausible_phone(s: &str) -> bool {
    let s = s.trim();
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let body = s.strip_prefix('+').unwrap_or(s);
    (5..=20).contains(&digits) && body.chars().all(|c| c.is_ascii_digit() || " -.()/".contains(c))
}

/// The origin (`scheme://host[:port]`) of an absolute http(s) URL.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') || authority.chars().any(|c| c.is_whitespace()) {
        return None;
    }
    Some(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

/// Whether the widget may send the browser to `url` to pay: Stripe Checkout's own host over https, or the
/// edge's local test checkout on the widget's API origin (`api`). Plain http only for a loopback host, so a
/// `checkoutUrl` can never run script (`javascript:`) or lead a customer to another site.
pub fn is_checkout_url(url: &str, api: &str) -> bool {
    let Some(origin) = origin_of(url) else { return false };
    if !url.starts_with(&origin) || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    let path = &url[origin.len()..];
    if origin == "https://checkout.stripe.com" {
        return path.starts_with('/');
    }
    let secure = origin.starts_with("https://") || is_loopback(&origin);
    secure && origin_of(api).is_some_and(|a| a == origin) && path.starts_with("/api/test-checkout/")
}

/// Whether an origin (`scheme://host[:port]`) is this machine: where plain http is acceptable (development).
pub fn is_loopback(origin: &str) -> bool {
    let authority = origin.split_once("://").map_or("", |(_, a)| a);
    let host = if authority.ends_with(']') { authority } else { authority.rsplit_once(':').map_or(authority, |(h, _)| h) };
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// The largest id: ids travel as JSON numbers, which browsers and the Workers runtime read as doubles.
pub const MAX_ID: i64 = 9_007_199_254_740_991;

/// Reads the fields of a JSON object body. `null` counts as absent; unknown fields are ignored.
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub fn of(body: &'a Value) -> ApiResult<Self> {
        match body {
            Value::Object(obj) => Ok(Fields { obj }),
            _ => Err(ApiError::new(crate::ErrorCode::ValidationError, "The request body must be a JSON object")),
        }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.obj.get(name).filter(|v| !v.is_null())
    }

    fn require<T>(name: &str, v: Option<T>) -> ApiResult<T> {
        v.ok_or_else(|| ApiError::validation(name, format!("{name} is required")))
    }

    pub fn int(&self, name: &str, min: i64, max: i64) -> ApiResult<Option<i64>> {
        let Some(v) = self.get(name) else { return Ok(None) };
        match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            Some(_) if max == i64::MAX => Err(ApiError::validation(name, format!("{name} must be at least {min}"))),
            Some(_) => Err(ApiError::validation(name, format!("{name} must be between {min} and {max}"))),
            None => Err(ApiError::validation(name, format!("{name} must be an integer"))),
        }
    }

    pub fn id(&self, name: &str) -> ApiResult<Option<i64>> {
        self.int(name, 1, MAX_ID).map_err(|_| ApiError::validation(name, format!("{name} must be a positive integer")))
    }

    pub fn required_id(&self, name: &str) -> ApiResult<i64> {
        Self::require(name, self.id(name)?)
    }

    pub fn ids(&self, name: &str) -> ApiResult<Option<Vec<i64>>> {
        let Some(v) = self.get(name) else { return Ok(None) };
        let bad = || ApiError::validation(name, format!("{name} must be an array of unique positive integers"));
        let items = v.as_array().ok_or_else(bad)?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let n = item.as_i64().filter(|n| (1..=MAX_ID).contains(n)).ok_or_else(bad)?;
            if out.contains(&n) {
                return Err(bad());
            }
            out.push(n);
        }
        Ok(Some(out))
    }

    /// A string, trimmed; an empty string counts as given-but-empty (an error when `required`).
    pub fn string(&self, name: &str, max_chars: usize) -> ApiResult<Option<String>> {
        let Some(v) = self.get(name) else { return Ok(None) };
        let s = v.as_str().ok_or_else(|| ApiError::validation(name, format!("{name} must be a string")))?;
        let s = s.trim();
        if s.chars().count() > max_chars {
            return Err(ApiError::validation(name, format!("{name} must be at most {max_chars} characters")));
        }
        Ok(Some(s.to_string()))
    }

    pub fn required_string(&self, name: &str, max_chars: usize) -> ApiResult<String> {
        let s = Self::require(name, self.string(name, max_chars)?)?;
        if s.is_empty() {
            return Err(ApiError::validation(name, format!("{name} must not be empty")));
        }
        Ok(s)
    }

    pub fn datetime(&self, name: &str) -> ApiResult<Option<Timestamp>> {
        let Some(v) = self.get(name) else { return Ok(None) };
        v.as_str()
            .and_then(Timestamp::parse)
            .map(Some)
            .ok_or_else(|| ApiError::validation(name, format!("{name} must be an ISO 8601 date-time with a time zone")))
    }

    pub fn required_datetime(&self, name: &str) -> ApiResult<Timestamp> {
        Self::require(name, self.datetime(name)?)
    }

    pub fn email(&self, name: &str) -> ApiResult<Option<String>> {
        match self.string(name, MAX_EMAIL_CHARS)? {
            Some(s) if !is_plausible_email(&s) => {
                Err(ApiError::validation(name, format!("{name} must be a valid email address")))
            }
            other => Ok(other),
        }
    }

    pub fn phone(&self, name: &str) -> ApiResult<Option<String>> {
        match self.string(name, MAX_PHONE_CHARS)? {
            Some(s) if !is_plausible_phone(&s) => {
                Err(ApiError::validation(name, format!("{name} must be a phone number")))
            }
            other => Ok(other),
        }
    }

    pub fn url(&self, name: &str) -> ApiResult<Option<String>> {
        match self.string(name, 2048)? {
            Some(s) if origin_of(&s).is_none() => {
                Err(ApiError::validation(name, format!("{name} must be an absolute http(s) URL")))
            }
            other => Ok(other),
        }
    }
}

fn check_order(start: Timestamp, end: Timestamp) -> ApiResult<()> {
    if end <= start {
        return Err(ApiError::validation("endTime", "endTime must be after startTime"));
    }
    Ok(())
}

/// `CreateOrganisationPublicBookingDto` (with `requires_type`), or the legacy token flow's
/// `CreatePublicBookingDto`, plus the optional `returnUrl`.
pub fn reserve_request(body: &Value, requires_type: bool) -> ApiResult<ReserveRequest> {
    let f = Fields::of(body)?;
    let resource_type_id = if requires_type { Some(f.required_id("resourceTypeId")?) } else { f.id("resourceTypeId")? };
    let resource_id = f.id("resourceId")?;
    let start_time = f.required_datetime("startTime")?;
    let end_time = f.required_datetime("endTime")?;
    check_order(start_time, end_time)?;
    let quantity = Fields::require("quantity", f.int("quantity", 1, 10_000)?)? as u32;
    let customer_name = f.required_string("customerName", MAX_NAME_CHARS)?;
    let customer_email = Fields::require("customerEmail", f.email("customerEmail")?)?;
    let customer_phone = f.phone("customerPhone")?;
    let customer_phone = Fields::require("customerPhone", customer_phone)?;
    let notes = f.string("notes", MAX_NOTES_CHARS)?.filter(|n| !n.is_empty());
    let return_url = f.url("returnUrl")?;
    Ok(ReserveRequest {
        resource_type_id,
        resource_id,
        start_time,
        end_time,
        quantity,
        customer_name,
        customer_email,
        customer_phone,
        notes,
        return_url,
    })
}

/// `POST …/manage/:token/reschedule`: the new slot's start and end.
pub fn reschedule_request(body: &Value) -> ApiResult<(Timestamp, Timestamp)> {
    let f = Fields::of(body)?;
    let start_time = f.required_datetime("startTime")?;
    let end_time = f.required_datetime("endTime")?;
    check_order(start_time, end_time)?;
    Ok((start_time, end_time))
}

fn customer_info(f: &Fields) -> ApiResult<Option<CustomerInfo>> {
    let Some(v) = f.get("customerInfo") else { return Ok(None) };
    if !v.is_object() {
        return Err(ApiError::validation("customerInfo", "customerInfo must be an object"));
    }
    let c = Fields::of(v)?;
    let prefixed = |e: ApiError| ApiError { param: e.param.map(|p| format!("customerInfo.{p}")), ..e };
    Ok(Some(CustomerInfo {
        name: c.string("name", MAX_NAME_CHARS).map_err(prefixed)?.filter(|s| !s.is_empty()),
        email: c.email("email").map_err(prefixed)?,
        phone: c.phone("phone").map_err(prefixed)?,
    }))
}

/// `CreateReservationDto` (`create` = true) or `UpdateReservationDto`.
pub fn reservation_changes(body: &Value, create: bool) -> ApiResult<ReservationChanges> {
    let f = Fields::of(body)?;
    let (start_time, end_time) = if create {
        (Some(f.required_datetime("startTime")?), Some(f.required_datetime("endTime")?))
    } else {
        (f.datetime("startTime")?, f.datetime("endTime")?)
    };
    if let (Some(s), Some(e)) = (start_time, end_time) {
        check_order(s, e)?;
    }
    let status = match f.string("status", 32)? {
        Some(_) if create => return Err(ApiError::validation("status", "status can only be set by an update")),
        Some(s) => Some(ReservationStatus::parse(&s).filter(|s| s.settable_by_staff()).ok_or_else(|| {
            ApiError::validation("status", "status must be one of pending, confirmed, completed, cancelled, waitlist")
        })?),
        None => None,
    };
    Ok(ReservationChanges {
        start_time,
        end_time,
        quantity: f.int("quantity", 1, 10_000)?.map(|q| q as u32),
        customer_info: customer_info(&f)?,
        notes: f.string("notes", MAX_NOTES_CHARS)?,
        resource_type_id: f.id("resourceTypeId")?,
        resource_id: f.id("resourceId")?,
        resource_ids: f.ids("resourceIds")?,
        status,
    })
}

/// Query-string parameters, decoded. Later duplicates win.
pub struct Query<'a> {
    pairs: &'a [(String, String)],
}

impl<'a> Query<'a> {
    pub fn new(pairs: &'a [(String, String)]) -> Self {
        Query { pairs }
    }

    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    pub fn id(&self, name: &str) -> ApiResult<Option<i64>> {
        self.get(name)
            .map(|v| {
                v.parse::<i64>()
                    .ok()
                    .filter(|n| (1..=MAX_ID).contains(n))
                    .ok_or_else(|| ApiError::validation(name, format!("{name} must be a positive integer")))
            })
            .transpose()
    }

    pub fn required_id(&self, name: &str) -> ApiResult<i64> {
        self.id(name)?.ok_or_else(|| ApiError::validation(name, format!("{name} is required")))
    }

    pub fn required_date(&self, name: &str) -> ApiResult<Date> {
        let v = self.get(name).ok_or_else(|| ApiError::validation(name, format!("{name} is required")))?;
        Date::parse(v).ok_or_else(|| ApiError::validation(name, format!("{name} must be a date YYYY-MM-DD")))
    }

    pub fn datetime(&self, name: &str) -> ApiResult<Option<Timestamp>> {
        self.get(name)
            .map(|v| {
                Timestamp::parse(v).ok_or_else(|| {
                    ApiError::validation(name, format!("{name} must be an ISO 8601 date-time with a time zone"))
                })
            })
            .transpose()
    }

    pub fn required_string(&self, name: &str) -> ApiResult<&'a str> {
        self.get(name).ok_or_else(|| ApiError::validation(name, format!("{name} is required")))
    }
}

/// `PublicOrganisationAvailabilityQueryDto` (the token flow has only `date`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AvailabilityQuery {
    pub date: Date,
    pub resource_type_id: Option<i64>,
    pub resource_id: Option<i64>,
}

pub fn availability_query(q: &Query, requires_type: bool) -> ApiResult<AvailabilityQuery> {
    Ok(AvailabilityQuery {
        date: q.required_date("date")?,
        resource_type_id: if requires_type { Some(q.required_id("resourceTypeId")?) } else { q.id("resourceTypeId")? },
        resource_id: q.id("resourceId")?,
    })
}

/// `…/calendar?month=YYYY-MM&resourceTypeId=N[&resourceId=N]`: the month as its first day.
pub fn month_query(q: &Query, requires_type: bool) -> ApiResult<AvailabilityQuery> {
    let bad = || ApiError::validation("month", "month must be YYYY-MM");
    let month = q.get("month").ok_or_else(|| ApiError::validation("month", "month is required"))?;
    let date = if month.len() == 7 { Date::parse(&format!("{month}-01")).ok_or_else(bad)? } else { return Err(bad()) };
    Ok(AvailabilityQuery {
        date,
        resource_type_id: if requires_type { Some(q.required_id("resourceTypeId")?) } else { q.id("resourceTypeId")? },
        resource_id: q.id("resourceId")?,
    })
}

pub fn reservation_filter(q: &Query) -> ApiResult<ReservationFilter> {
    let status = q
        .get("status")
        .map(|s| {
            ReservationStatus::parse(s)
                .ok_or_else(|| ApiError::validation("status", "status must be a reservation status"))
        })
        .transpose()?;
    Ok(ReservationFilter {
        resource_id: q.id("resourceId")?,
        resource_type_id: q.id("resourceTypeId")?,
        status,
        start_from: q.datetime("startFrom")?,
        end_to: q.datetime("endTo")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use serde_json::json;

    fn valid() -> Value {
        json!({"resourceTypeId": 8, "startTime": "2026-04-01T08:00:00.000Z", "endTime": "2026-04-01T09:00:00.000Z",
            "quantity": 1, "customerName": "May B. Late", "customerEmail": "may@example.com",
            "customerPhone": "+36301112222", "somethingElse": {"ignored": true}})
    }

    fn param_of(body: Value) -> Option<String> {
        let e = reserve_request(&body, true).unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationError);
        e.param
    }

    #[test]
    fn accepts_the_reference_example() {
        let r = reserve_request(&valid(), true).unwrap();
        assert_eq!(r.resource_type_id, Some(8));
        assert_eq!(r.end_time.0 - r.start_time.0, 3600);
        assert_eq!(r.notes, None);
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: Vec<(&str, Value)> = vec![
            ("resourceTypeId", json!(0)),
            ("resourceTypeId", json!("8")),
            ("resourceTypeId", Value::Null),
            ("resourceId", json!(-1)),
            ("startTime", json!("yesterday")),
            ("startTime", Value::Null),
            ("endTime", json!("2026-04-01T07:00:00Z")),
            ("quantity", json!(0)),
            ("quantity", json!(1.5)),
            ("customerName", json!("   ")),
            ("customerEmail", json!("not-an-email")),
            ("customerEmail", json!("a@b")),
            ("customerPhone", json!("")),
            ("customerPhone", json!("call me")),
            ("notes", json!("x".repeat(2049))),
            ("returnUrl", json!("javascript:alert(1)")),
        ];
        for (field, value) in cases {
            let mut body = valid();
            body[field] = value;
            assert_eq!(param_of(body).as_deref(), Some(field), "{field}");
        }
    }

    #[test]
    fn body_must_be_an_object() {
        assert_eq!(reserve_request(&json!([1]), true).unwrap_err().code, ErrorCode::ValidationError);
    }

    #[test]
    fn email_and_phone_plausibility() {
        for ok in ["may@example.com", "a.b+c@sub.example.hu", "x@xn--bcher-kva.example"] {
            assert!(is_plausible_email(ok), "{ok}");
        }
        for bad in ["", "@example.com", "may@", "may@example", "may @example.com", "may@exa mple.com", "may@-x.com"] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
        assert!(is_plausible_phone("+36 30 111 2222"));
        assert!(is_plausible_phone("(555) 123-4567"));
        assert!(!is_plausible_phone("1234"));
        assert!(!is_plausible_phone("+36 30 abc"));
    }

    #[test]
    fn month_queries() {
        let pairs = |m: &str| vec![("month".to_string(), m.to_string()), ("resourceTypeId".to_string(), "9".to_string())];
        let ok = pairs("2026-12");
        assert_eq!(month_query(&Query::new(&ok), true).unwrap().date.to_string(), "2026-12-01");
        for bad in ["2026-13", "2026-1", "2026-12-01", "december"] {
            let p = pairs(bad);
            assert_eq!(month_query(&Query::new(&p), true).unwrap_err().param.as_deref(), Some("month"), "{bad}");
        }
    }

    #[test]
    fn checkout_urls_the_widget_may_open() {
        let api = "https://edge.example";
        assert!(is_checkout_url("https://checkout.stripe.com/c/pay/cs_live_a1#fid", api));
        assert!(is_checkout_url("https://edge.example/api/test-checkout/cs_test_local_00_acme", api));
        assert!(is_checkout_url("http://localhost:8787/api/test-checkout/cs_x", "http://localhost:8787"));
        assert!(is_checkout_url("http://127.0.0.1:9000/api/test-checkout/cs_x", "http://127.0.0.1:9000"));
        for bad in [
            "javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,hi", "//checkout.stripe.com/c/pay/x",
            "http://checkout.stripe.com/c/pay/x", "https://checkout.stripe.com.evil.example/c/pay/x",
            "https://evil.example/api/test-checkout/x", "https://edge.example/api/public/booking/x",
            "https://user@checkout.stripe.com/c/pay/x", "https://checkout.stripe.com\\@evil.example/",
            "https://checkout.stripe.com /x", "http://edge.example/api/test-checkout/x",
        ] {
            assert!(!is_checkout_url(bad, api), "{bad}");
        }
        assert!(!is_checkout_url("http://edge.example/api/test-checkout/x", "http://edge.example"), "http only on loopback");
        assert!(!is_checkout_url("http://localhost:8787/api/test-checkout/x", "http://localhost:9999"), "another origin");
    }

    #[test]
    fn origins_of_urls() {
        assert_eq!(origin_of("https://Acme.example/book?x=1").as_deref(), Some("https://acme.example"));
        assert_eq!(origin_of("http://localhost:8787").as_deref(), Some("http://localhost:8787"));
        assert_eq!(origin_of("https://evil@acme.example/"), None);
        assert_eq!(origin_of("ftp://acme.example/"), None);
        assert_eq!(origin_of("//acme.example/"), None);
    }

    #[test]
    fn staff_changes_validate_status_and_ids() {
        let e = reservation_changes(&json!({"status": "pending_payment"}), false).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("status"));
        let e = reservation_changes(&json!({"resourceIds": [1, 1]}), false).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("resourceIds"));
        let e = reservation_changes(&json!({"customerInfo": {"email": "nope"}}), false).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("customerInfo.email"));
        let e = reservation_changes(&json!({"startTime": "2026-04-01T08:00:00Z"}), true).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("endTime"));
        let c = reservation_changes(&json!({"status": "cancelled"}), false).unwrap();
        assert_eq!(c.status, Some(ReservationStatus::Cancelled));
    }

    #[test]
    fn availability_query_names_its_fields() {
        let pairs = vec![("date".to_string(), "2026-02-30".to_string())];
        let e = availability_query(&Query::new(&pairs), true).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("date"));
        let pairs = vec![("date".to_string(), "2026-03-01".to_string())];
        let e = availability_query(&Query::new(&pairs), true).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("resourceTypeId"));
    }
}
