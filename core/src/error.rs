//! The one error type of the API and its JSON shape:
//! `{"error":{"type","code","message","param","request_id"}}`.
//!
//! A code decides its HTTP status and its type, so the table lives in one place ([`ErrorCode::status`]).

use serde::{Deserialize, Serialize};

/// On the wire as its [`ErrorType::as_str`] name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    InvalidRequestError,
    AuthenticationError,
    PermissionError,
    IdempotencyError,
    ResourceConflictError,
    RateLimitError,
    ApiError,
}

impl ErrorType {
    const ALL: [ErrorType; 7] = [
        ErrorType::InvalidRequestError,
        ErrorType::AuthenticationError,
        ErrorType::PermissionError,
        ErrorType::IdempotencyError,
        ErrorType::ResourceConflictError,
        ErrorType::RateLimitError,
        ErrorType::ApiError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::InvalidRequestError => "invalid_request_error",
            ErrorType::AuthenticationError => "authentication_error",
            ErrorType::PermissionError => "permission_error",
            ErrorType::IdempotencyError => "idempotency_error",
            ErrorType::ResourceConflictError => "resource_conflict_error",
            ErrorType::RateLimitError => "rate_limit_error",
            ErrorType::ApiError => "api_error",
        }
    }

    pub fn parse(name: &str) -> Option<ErrorType> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

serde_by_name!(ErrorType);

/// Written and read as its snake_case name from `ErrorCode::NAMES` (a new code needs its line there): by hand
/// rather than derived, so that the names exist once and reading one is a lookup rather than a matcher of its
/// own in each wasm file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    ValidationError,
    InvalidSignature,
    MethodNotAllowed,
    InvalidApiKey,
    /// Bardge mode: the member token is missing, forged, for another organisation or expired.
    MemberTokenInvalid,
    OriginNotAllowed,
    AccountDisabled,
    ResourceNotFound,
    PayloadTooLarge,
    IdempotencyKeyReused,
    IdempotencyKeyInUse,
    SlotUnavailable,
    CapacityExceeded,
    PaymentsUnavailable,
    AlreadyCancelled,
    InvalidTransition,
    TooLateToChange,
    RateLimited,
    UpstreamUnavailable,
    UpstreamTimeout,
    InternalServerError,
    /// A code this build does not know (from a newer server); clients treat it by its type.
    Unknown,
}

impl ErrorCode {
    /// Every code but [`ErrorCode::Unknown`], with the name the wire spells it by.
    const NAMES: [(ErrorCode, &'static str); 21] = {
        use ErrorCode::*;
        [
            (ValidationError, "validation_error"),
            (InvalidSignature, "invalid_signature"),
            (MethodNotAllowed, "method_not_allowed"),
            (InvalidApiKey, "invalid_api_key"),
            (MemberTokenInvalid, "member_token_invalid"),
            (OriginNotAllowed, "origin_not_allowed"),
            (AccountDisabled, "account_disabled"),
            (ResourceNotFound, "resource_not_found"),
            (PayloadTooLarge, "payload_too_large"),
            (IdempotencyKeyReused, "idempotency_key_reused"),
            (IdempotencyKeyInUse, "idempotency_key_in_use"),
            (SlotUnavailable, "slot_unavailable"),
            (CapacityExceeded, "capacity_exceeded"),
            (PaymentsUnavailable, "payments_unavailable"),
            (AlreadyCancelled, "already_cancelled"),
            (InvalidTransition, "invalid_transition"),
            (TooLateToChange, "too_late_to_change"),
            (RateLimited, "rate_limited"),
            (UpstreamUnavailable, "upstream_unavailable"),
            (UpstreamTimeout, "upstream_timeout"),
            (InternalServerError, "internal_server_error"),
        ]
    };

    /// The code as the wire spells it.
    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(code, _)| *code == self)
            .map_or("unknown", |(_, name)| name)
    }

    /// The code the wire names; [`ErrorCode::Unknown`] for a name this build does not know.
    pub fn parse(name: &str) -> ErrorCode {
        Self::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map_or(ErrorCode::Unknown, |(code, _)| *code)
    }

    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            ValidationError | InvalidSignature => 400,
            InvalidApiKey | MemberTokenInvalid => 401,
            OriginNotAllowed | AccountDisabled => 403,
            ResourceNotFound => 404,
            MethodNotAllowed => 405,
            PayloadTooLarge => 413,
            IdempotencyKeyReused | IdempotencyKeyInUse | SlotUnavailable | CapacityExceeded | PaymentsUnavailable
            | AlreadyCancelled | InvalidTransition | TooLateToChange => 409,
            RateLimited => 429,
            UpstreamUnavailable => 502,
            UpstreamTimeout => 504,
            InternalServerError | Unknown => 500,
        }
    }

    pub fn error_type(self) -> ErrorType {
        use ErrorCode::*;
        match self {
            ValidationError | InvalidSignature | MethodNotAllowed | ResourceNotFound | PayloadTooLarge => {
                ErrorType::InvalidRequestError
            }
            InvalidApiKey | MemberTokenInvalid => ErrorType::AuthenticationError,
            OriginNotAllowed | AccountDisabled => ErrorType::PermissionError,
            IdempotencyKeyReused | IdempotencyKeyInUse => ErrorType::IdempotencyError,
            SlotUnavailable | CapacityExceeded | PaymentsUnavailable | AlreadyCancelled | InvalidTransition
            | TooLateToChange => ErrorType::ResourceConflictError,
            RateLimited => ErrorType::RateLimitError,
            UpstreamUnavailable | UpstreamTimeout | InternalServerError | Unknown => ErrorType::ApiError,
        }
    }
}

/// Why a value could not be read as JSON of its shape: where (a path such as
/// `resourceTypes[1].durationMinutes`, empty at the top) and what.
#[derive(Debug)]
pub struct Unreadable {
    pub path: String,
    pub message: String,
}

/// An error answer before the request id is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub param: Option<String>,
    /// Seconds, for 429 and idempotency_key_in_use.
    pub retry_after: Option<u32>,
    /// An HTTP status other than the code's own, to pass an upstream's status through (a 5xx from a
    /// venue's backend answering a Stripe webhook must stay a 5xx so Stripe retries).
    pub status: Option<u16>,
    /// The stored refusal of an earlier request with the same Idempotency-Key, given again.
    pub replayed: bool,
    /// For 405: the methods the path takes (the `Allow` header every 405 carries, RFC 9110).
    pub allow: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            param: None,
            retry_after: None,
            status: None,
            replayed: false,
            allow: None,
        }
    }

    pub fn validation(param: &str, message: impl Into<String>) -> Self {
        ApiError {
            param: Some(param.to_string()),
            ..Self::new(ErrorCode::ValidationError, message)
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::ResourceNotFound, format!("{what} not found"))
    }

    /// The message never carries internals; they go to the log line under the request id.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::InternalServerError,
            "An unexpected error occurred. Quote the request id when reporting it.",
        )
    }

    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn status(&self) -> u16 {
        self.status.unwrap_or_else(|| self.code.status())
    }

    pub fn body(&self, request_id: &str) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                r#type: self.code.error_type(),
                code: self.code,
                message: self.message.clone(),
                param: self.param.clone(),
                request_id: Some(request_id.to_string()).filter(|id| !id.is_empty()),
            },
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|name| ErrorCode::parse(&name))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

/// The JSON body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub r#type: ErrorType,
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl From<ErrorDetail> for ApiError {
    fn from(d: ErrorDetail) -> Self {
        ApiError {
            code: d.code,
            message: d.message,
            param: d.param,
            retry_after: None,
            status: None,
            replayed: false,
            allow: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_the_shared_shape() {
        let e = ApiError::validation("endTime", "endTime must be after startTime");
        let json = serde_json::to_value(e.body("req_1")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"type": "invalid_request_error", "code": "validation_error",
                "message": "endTime must be after startTime", "param": "endTime", "request_id": "req_1"}})
        );
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn codes_map_to_status_and_type() {
        assert_eq!(ErrorCode::SlotUnavailable.status(), 409);
        assert_eq!(
            ErrorCode::SlotUnavailable.error_type(),
            ErrorType::ResourceConflictError
        );
        assert_eq!(ErrorCode::IdempotencyKeyInUse.error_type(), ErrorType::IdempotencyError);
        assert_eq!(ErrorCode::InvalidApiKey.status(), 401);
        assert_eq!(ErrorCode::RateLimited.status(), 429);
        assert_eq!(ErrorCode::PayloadTooLarge.status(), 413);
        assert_eq!(ErrorCode::PayloadTooLarge.error_type(), ErrorType::InvalidRequestError);
        assert_eq!(
            serde_json::to_value(ErrorCode::PayloadTooLarge).unwrap(),
            "payload_too_large"
        );
    }

    #[test]
    fn every_code_reads_back_as_itself() {
        for (code, _) in ErrorCode::NAMES {
            assert_eq!(ErrorCode::parse(code.as_str()), code);
            let written = serde_json::to_value(code).unwrap();
            assert_eq!(serde_json::from_value::<ErrorCode>(written).unwrap(), code);
        }
        let mut names: Vec<_> = ErrorCode::NAMES.iter().map(|(_, name)| *name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::NAMES.len(), "each name once");
        let mut codes: Vec<_> = ErrorCode::NAMES.iter().map(|(code, _)| format!("{code:?}")).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorCode::NAMES.len(), "each code once");
    }

    #[test]
    fn unknown_codes_from_newer_servers_still_parse() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"error":{"type":"api_error","code":"brand_new","message":"x","request_id":"req_2"}}"#,
        )
        .unwrap();
        assert_eq!(body.error.code, ErrorCode::Unknown);
    }
}
