//! Building answers: JSON bodies, the shared error shape, and turning worker errors into it; reading JSON.

use serde::de::DeserializeOwned;
use serde::Serialize;
use slotbook_core::error::{ApiError, ErrorBody};
use slotbook_core::js_value::from_js;
use slotbook_core::validate::{json_depth_within, MAX_JSON_DEPTH};
use wasm_bindgen::{JsCast, JsValue};
use worker::{Headers, Response};

/// JSON text parsed by the runtime (`JSON.parse`), so that the Worker carries no JSON parser of its own.
/// Text nested deeper than [`MAX_JSON_DEPTH`] is refused first: reading the result is recursive.
pub fn parse_json(text: &str) -> Result<JsValue, String> {
    if !json_depth_within(text, MAX_JSON_DEPTH) {
        return Err(format!("it nests deeper than {MAX_JSON_DEPTH} levels"));
    }
    js_sys::JSON::parse(text).map_err(|e| js_sys::Error::from(e).message().into())
}

/// JSON text into a typed value: parsed by [`parse_json`], read by [`from_js`].
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    from_js(parse_json(text)?).map_err(|e| e.to_string())
}

/// Anything the runtime can fail with becomes an internal error; the detail goes to the log, not the client.
pub fn internal(context: &str, e: impl std::fmt::Display) -> ApiError {
    worker::console_error!(
        "{}",
        serde_json::json!({"internal_error": context, "detail": e.to_string()})
    );
    ApiError::internal()
}

pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Response, ApiError> {
    Response::from_json(value)
        .map(|r| r.with_status(status))
        .map_err(|e| internal("serialise answer", e))
}

/// A JSON body that is already serialised (an engine answer).
pub fn raw_json(status: u16, body: String) -> Result<Response, ApiError> {
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    Response::ok(body)
        .map(|r| r.with_status(status).with_headers(headers))
        .map_err(|e| internal("answer", e))
}

/// A stored JSON answer, marked `Idempotent-Replayed` when it is given again for a repeated key.
pub fn replayable_json(status: u16, body: String, replayed: bool) -> Result<Response, ApiError> {
    let mut response = raw_json(status, body)?;
    if replayed {
        let _ = response
            .headers_mut()
            .set(slotbook_core::idempotency::REPLAYED_HEADER, "true");
    }
    Ok(response)
}

pub fn error_response(error: &ApiError, request_id: &str) -> Response {
    let body = serde_json::to_string(&error.body(request_id)).unwrap_or_default();
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    if error.replayed {
        let _ = headers.set(slotbook_core::idempotency::REPLAYED_HEADER, "true");
    }
    if let Some(seconds) = error.retry_after {
        let _ = headers.set("Retry-After", &seconds.to_string());
    }
    if let Some(allowed) = &error.allow {
        let _ = headers.set("Allow", allowed);
    }
    Response::ok(body)
        .map(|r| r.with_status(error.status()).with_headers(headers))
        .unwrap_or_else(|_| Response::empty().unwrap().with_status(500))
}

/// Reads an error answer of the engine (same shape, no request id yet) back into an [`ApiError`].
pub fn parse_error(status: u16, body: &str) -> ApiError {
    match from_json::<ErrorBody>(body) {
        Ok(b) => b.error.into(),
        Err(e) => internal(&format!("unreadable error answer with status {status}"), e),
    }
}

/// A request body of at most `limit` bytes, refused with 413 `payload_too_large`: by its Content-Length
/// before anything is read, else as it streams in, never holding more than `limit` bytes.
pub async fn read_body(req: &mut crate::incoming::Incoming, limit: usize) -> Result<Vec<u8>, ApiError> {
    use wasm_bindgen::JsCast;
    let declared = req.header("Content-Length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let unreadable = |_| ApiError::validation("body", "The request body could not be read");
    let Some(stream) = req.inner().body() else {
        return Ok(Vec::new());
    };
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut body = Vec::new();
    let mut over = false;
    loop {
        let chunk = wasm_bindgen_futures::JsFuture::from(reader.read())
            .await
            .map_err(unreadable)?;
        let done = js_sys::Reflect::get(&chunk, &"done".into())
            .map_err(unreadable)?
            .as_bool()
            .unwrap_or(true);
        if done {
            break;
        }
        if over {
            // Past the limit nothing is kept. The rest is let through, not cut off: a local runtime drops
            // its connection when an answer overtakes a body still streaming in.
            continue;
        }
        let bytes = js_sys::Uint8Array::new(&js_sys::Reflect::get(&chunk, &"value".into()).map_err(unreadable)?);
        if body.len() + bytes.length() as usize > limit {
            over = true;
            body = Vec::new();
            continue;
        }
        body.extend_from_slice(&bytes.to_vec());
    }
    if over {
        return Err(too_large(limit));
    }
    Ok(body)
}

pub fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        slotbook_core::ErrorCode::PayloadTooLarge,
        format!("The request body is larger than {} KB", limit / 1024),
    )
}

/// A JSON request body (at most `limit` bytes): its bytes as received (to forward unchanged) and its value
/// (to validate).
pub async fn json_body(
    req: &mut crate::incoming::Incoming,
    limit: usize,
) -> Result<(Vec<u8>, serde_json::Value), ApiError> {
    let bytes = read_body(req, limit).await?;
    let value = std::str::from_utf8(&bytes)
        .map_err(|_| "it is not UTF-8 text".to_string())
        .and_then(from_json)
        .map_err(|e| ApiError::validation("body", format!("The request body is not valid JSON: {e}")))?;
    Ok((bytes, value))
}

/// A subrequest, to another server (or to a Durable Object): its URL and the runtime's own `RequestInit`.
pub struct Subrequest {
    url: String,
    init: web_sys::RequestInit,
}

/// A subrequest with no Cloudflare `cf` options (their conversion would carry a serializer for them). A
/// redirect is followed only where `follow_redirects` says so.
pub fn outgoing(
    url: &str,
    method: worker::Method,
    headers: &Headers,
    body: Option<JsValue>,
    follow_redirects: bool,
) -> Subrequest {
    let init = web_sys::RequestInit::new();
    init.set_method(method.as_ref());
    init.set_headers(&headers.0);
    if let Some(body) = &body {
        init.set_body(body);
    }
    if !follow_redirects {
        init.set_redirect(web_sys::RequestRedirect::Manual);
    }
    Subrequest {
        url: url.to_string(),
        init,
    }
}

impl Subrequest {
    /// As a `Request`, for the bindings that take one (a Durable Object's stub, the assets).
    pub fn into_request(self) -> worker::Result<worker::Request> {
        Ok(web_sys::Request::new_with_str_and_init(&self.url, &self.init)?.into())
    }
}

/// The seconds an answer's `Retry-After` asks a caller to wait, when it says.
pub fn retry_after(response: &worker::Response) -> Option<u32> {
    response.headers().get("Retry-After").ok().flatten()?.parse().ok()
}

/// A response's whole body as text, read by the runtime (`Response.text()`): one call, where the worker
/// crate's reader would take the stream apart chunk by chunk in the wasm.
pub async fn body_text(response: worker::Response) -> worker::Result<String> {
    let response = web_sys::Response::from(response);
    let text = wasm_bindgen_futures::JsFuture::from(response.text()?).await?;
    Ok(text.as_string().unwrap_or_default())
}

/// A response's whole body as bytes, read by the runtime (`Response.arrayBuffer()`).
pub async fn body_bytes(response: worker::Response) -> worker::Result<Vec<u8>> {
    let response = web_sys::Response::from(response);
    let buffer = wasm_bindgen_futures::JsFuture::from(response.array_buffer()?).await?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Why a call to another server gave no answer.
pub enum Unanswered {
    /// It could not be reached (the network error's text).
    Unreachable(String),
    /// It did not answer within the time given; the call was aborted.
    TimedOut,
}

/// Sends `request`, giving up (and aborting it) after `timeout`: the runtime's own timed signal, which
/// costs no timer of ours on the way of every call. The runtime's `fetch(url, init)` is called as it is: no
/// `Request` object is made for it, and of the answer only its status, headers and body are read.
pub async fn fetch_within(request: Subrequest, timeout: std::time::Duration) -> Result<Response, Unanswered> {
    let millis = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
    let signal = web_sys::AbortSignal::timeout_with_u32(millis);
    request.init.set_signal(Some(&signal));
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let outcome =
        wasm_bindgen_futures::JsFuture::from(global.fetch_with_str_and_init(&request.url, &request.init)).await;
    match outcome {
        Ok(answer) => {
            let answer: web_sys::Response = answer.unchecked_into();
            let parts = worker::ResponseBuilder::new()
                .with_status(answer.status())
                .with_headers(Headers(answer.headers()));
            Ok(match answer.body() {
                Some(body) => parts.stream(body),
                None => parts.empty(),
            })
        }
        Err(_) if signal.aborted() => Err(Unanswered::TimedOut),
        Err(e) => Err(Unanswered::Unreachable(worker::Error::from(e).to_string())),
    }
}

/// An organisation document's JSON text, read and checked (errors name the field, as core's own parser).
pub fn read_document(text: &str) -> Result<slotbook_core::document::OrganisationDocument, ApiError> {
    let value =
        parse_json(text).map_err(|e| ApiError::validation("body", format!("The document is not valid JSON: {e}")))?;
    let read = from_js(value).map_err(slotbook_core::js_value::ReadError::into_unreadable);
    slotbook_core::document::OrganisationDocument::checked(read)
}
