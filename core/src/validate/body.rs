//! JSON request bodies: reserve, reschedule and staff changes become typed requests, or a `validation_error`
//! that names the field.

use super::contact::{
    is_plausible_email, is_plausible_phone, MAX_EMAIL_CHARS, MAX_NAME_CHARS, MAX_NOTES_CHARS, MAX_PHONE_CHARS,
};
use super::urls::origin_of;
use crate::error::{ApiError, ApiResult};
use crate::reservation::ReservationStatus;
use crate::time::Timestamp;
use crate::wire::{CustomerInfo, ReservationChanges, ReserveRequest};
use serde_json::{Map, Value};

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
            _ => Err(ApiError::new(
                crate::ErrorCode::ValidationError,
                "The request body must be a JSON object",
            )),
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
            Some(_) => Err(ApiError::validation(
                name,
                format!("{name} must be between {min} and {max}"),
            )),
            None => Err(ApiError::validation(name, format!("{name} must be an integer"))),
        }
    }

    pub fn id(&self, name: &str) -> ApiResult<Option<i64>> {
        self.int(name, 1, MAX_ID)
            .map_err(|_| ApiError::validation(name, format!("{name} must be a positive integer")))
    }

    pub fn required_id(&self, name: &str) -> ApiResult<i64> {
        Self::require(name, self.id(name)?)
    }

    pub fn ids(&self, name: &str) -> ApiResult<Option<Vec<i64>>> {
        let Some(v) = self.get(name) else { return Ok(None) };
        let bad = || {
            ApiError::validation(
                name,
                format!("{name} must be a non-empty array of unique positive integers"),
            )
        };
        let items = v.as_array().filter(|items| !items.is_empty()).ok_or_else(bad)?;
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
        let s = v
            .as_str()
            .ok_or_else(|| ApiError::validation(name, format!("{name} must be a string")))?;
        let s = s.trim();
        if s.chars().count() > max_chars {
            return Err(ApiError::validation(
                name,
                format!("{name} must be at most {max_chars} characters"),
            ));
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
            Some(s) if !is_plausible_email(&s) => Err(ApiError::validation(
                name,
                format!("{name} must be a valid email address"),
            )),
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
            Some(s) if origin_of(&s).is_none() => Err(ApiError::validation(
                name,
                format!("{name} must be an absolute http(s) URL"),
            )),
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
    let resource_type_id = if requires_type {
        Some(f.required_id("resourceTypeId")?)
    } else {
        f.id("resourceTypeId")?
    };
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
    let Some(v) = f.get("customerInfo") else {
        return Ok(None);
    };
    if !v.is_object() {
        return Err(ApiError::validation("customerInfo", "customerInfo must be an object"));
    }
    let c = Fields::of(v)?;
    let prefixed = |e: ApiError| ApiError {
        param: e.param.map(|p| format!("customerInfo.{p}")),
        ..e
    };
    Ok(Some(CustomerInfo {
        name: c
            .string("name", MAX_NAME_CHARS)
            .map_err(prefixed)?
            .filter(|s| !s.is_empty()),
        email: c.email("email").map_err(prefixed)?,
        phone: c.phone("phone").map_err(prefixed)?,
    }))
}

/// `CreateReservationDto` (`create` = true) or `UpdateReservationDto`.
pub fn reservation_changes(body: &Value, create: bool) -> ApiResult<ReservationChanges> {
    let f = Fields::of(body)?;
    let (start_time, end_time) = if create {
        (
            Some(f.required_datetime("startTime")?),
            Some(f.required_datetime("endTime")?),
        )
    } else {
        (f.datetime("startTime")?, f.datetime("endTime")?)
    };
    if let (Some(s), Some(e)) = (start_time, end_time) {
        check_order(s, e)?;
    }
    let status = match f.string("status", 32)? {
        Some(_) if create => return Err(ApiError::validation("status", "status can only be set by an update")),
        Some(s) => Some(
            ReservationStatus::parse(&s)
                .filter(|s| s.settable_by_staff())
                .ok_or_else(|| {
                    ApiError::validation(
                        "status",
                        "status must be one of pending, confirmed, completed, cancelled, waitlist",
                    )
                })?,
        ),
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

/// How deeply JSON text may nest arrays and objects. Deeper text is refused before it is parsed: what the
/// parser makes of it is read recursively.
pub const MAX_JSON_DEPTH: usize = 64;

/// Whether JSON text nests arrays and objects at most `limit` deep (brackets inside strings do not count).
/// It says nothing else about the text; the parser judges the rest.
pub fn json_depth_within(text: &str, limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
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
        assert_eq!(
            reserve_request(&json!([1]), true).unwrap_err().code,
            ErrorCode::ValidationError
        );
    }

    #[test]
    fn staff_changes_validate_status_and_ids() {
        let e = reservation_changes(&json!({"status": "pending_payment"}), false).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("status"));
        for ids in [json!([1, 1]), json!([]), json!([0]), json!("1")] {
            let e = reservation_changes(&json!({"resourceIds": ids}), false).unwrap_err();
            assert_eq!(e.param.as_deref(), Some("resourceIds"), "{ids}");
        }
        let e = reservation_changes(&json!({"customerInfo": {"email": "nope"}}), false).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("customerInfo.email"));
        let e = reservation_changes(&json!({"startTime": "2026-04-01T08:00:00Z"}), true).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("endTime"));
        let c = reservation_changes(&json!({"status": "cancelled"}), false).unwrap();
        assert_eq!(c.status, Some(ReservationStatus::Cancelled));
    }

    #[test]
    fn json_nesting_is_measured_outside_strings() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(json_depth_within(&nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH));
        assert!(!json_depth_within(&nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH));
        assert!(json_depth_within(r#"{"a":[{"b":{}}]}"#, 4));
        assert!(!json_depth_within(r#"{"a":[{"b":{}}]}"#, 3));
        // Brackets in strings, escaped quotes and backslashes included, are text.
        assert!(json_depth_within(r#"{"a":"[[[{{{","b":"\\\"[[[","c":"\\"}"#, 1));
        assert!(!json_depth_within(r#"{"c":"\\",  "d":[1]}"#, 1));
    }
}
