//! `GET /api/openapi.json`: the API's OpenAPI document (`openapi.yaml` at the repository's root, turned into
//! JSON by the build and embedded here, so it always describes the Worker it ships with).

use crate::http::internal;
use slotbook_core::error::ApiResult;
use worker::{Headers, Response};

const DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

pub fn document() -> ApiResult<Response> {
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json");
    let _ = headers.set("Cache-Control", "public, max-age=300");
    let _ = headers.set("Access-Control-Allow-Origin", "*");
    Ok(Response::ok(DOCUMENT).map_err(|e| internal("openapi", e))?.with_headers(headers))
}
