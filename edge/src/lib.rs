//! The edge: a Cloudflare Worker that serves the booking API in front of either a venue's upstream backend
//! or the built-in booking engine (Durable Objects with SQLite storage).
//!
//! - [`gateway`]: the request path every API call takes (request id, CORS, routing, error shape, log line).
//! - [`builtin`]: the routes answered by the built-in engine; [`proxy`]: the same routes sent to a venue's
//!   booking backend when `UPSTREAM_URL` is set.
//! - [`bardge`]: Bardge's reseller API, for organisations that book through it.
//! - [`payments`]: the Stripe webhook and the local test checkout; [`stripe`]: Stripe's REST API.
//! - [`engine`]: the Durable Objects: one [`engine::Organisation`] per organisation, and the
//!   [`engine::Directory`] that maps booking tokens and API keys to organisations.
//! - [`manage`]: a customer's manage link (JSON, a plain page, the calendar file); [`manage_page`]: that
//!   page, in the customer's language; [`html`]: the edge's pages.
//! - [`origins`]: which organisations exist and which websites may book with each.
//! - [`http`]: JSON answers, the error answer, request bodies within their limits; [`incoming`]: the request
//!   as the runtime hands it over.

mod bardge;
mod builtin;
mod embed;
mod engine;
mod gateway;
mod html;
mod http;
mod incoming;
mod manage;
mod manage_page;
mod origins;
mod payments;
mod proxy;
mod runtime;
mod stripe;

pub use engine::{Directory, Organisation};
use worker::{event, Context, Env, Response, Result};

#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> Result<Response> {
    Ok(gateway::handle(incoming::Incoming::new(req), env, &ctx).await)
}
