//! Payments: the Stripe webhook (verified before anything else, then applied once per event), and the local
//! test checkout that stands in for Stripe Checkout in local development. The test checkout is on only with
//! `TEST_CHECKOUT=true` and no Stripe key (see `PaymentsMode`); otherwise its routes are 404. It sends its
//! result through the same verification path as Stripe's own events, signed with the webhook secret.

use crate::engine::{self, Command, DirectoryCommand, ORGANISATIONS};
use crate::html::{escape, money, page};
use crate::http::internal;
use crate::incoming::Incoming;
use crate::proxy::{Outgoing, Upstream};
use crate::runtime::{now, random_hex, setting};
use slotbook_core::error::{ApiError, ApiResult, ErrorCode};
use slotbook_core::route::WEBHOOK_BODY_LIMIT;
use slotbook_core::stripe::{self, local_session_organisation, PaymentsMode};
use worker::{Env, Headers, Method, Response};

/// `POST /api/payments/stripe/webhook`. In proxy mode a verified event goes to the upstream unchanged (raw
/// body and signature), and counts as processed only once the upstream accepted it.
pub async fn webhook(
    mut req: Incoming,
    env: &Env,
    upstream: Option<&Upstream>,
    request_id: &str,
) -> ApiResult<Response> {
    let signature = req.header("Stripe-Signature");
    let body = crate::http::read_body(&mut req, WEBHOOK_BODY_LIMIT).await?;
    let Some(upstream) = upstream else {
        return apply_signed(env, signature.as_deref(), &body).await;
    };
    let event = verified(env, signature.as_deref(), &body)?;
    let seen: serde_json::Value = engine::directory_json(
        env,
        &DirectoryCommand::EventForwarded {
            event_id: event.id.clone(),
        },
    )
    .await?;
    if seen["seen"] == true {
        return crate::http::json(200, &serde_json::json!({"received": true, "duplicate": true}));
    }
    let out = Outgoing {
        method: Method::Post,
        path_and_query: "/api/payments/stripe/webhook".into(),
        headers: vec![
            (
                "content-type".into(),
                req.header("Content-Type").unwrap_or_else(|| "application/json".into()),
            ),
            ("stripe-signature".into(), signature.unwrap_or_default()),
            ("x-request-id".into(), request_id.to_string()),
        ],
        body: Some(body),
        keep_status: true,
    };
    let answer = upstream.forward(&out).await?;
    engine::directory(
        env,
        &DirectoryCommand::MarkForwarded {
            event_id: event.id,
            at: now().0,
        },
    )
    .await?;
    Ok(answer)
}

fn verified(env: &Env, signature: Option<&str>, body: &[u8]) -> ApiResult<stripe::CheckoutEvent> {
    let secrets = setting(env, "STRIPE_WEBHOOK_SECRET").unwrap_or_default();
    stripe::verify(signature, body, &stripe::secrets(&secrets), now().0)
        .map_err(|e| ApiError::new(ErrorCode::InvalidSignature, e.message()))?;
    let value = std::str::from_utf8(body)
        .ok()
        .and_then(|text| crate::http::from_json(text).ok());
    value
        .as_ref()
        .and_then(stripe::read_event)
        .ok_or_else(|| ApiError::validation("body", "The body is not a Stripe event"))
}

async fn apply_signed(env: &Env, signature: Option<&str>, body: &[u8]) -> ApiResult<Response> {
    let event = verified(env, signature, body)?;
    let organisation = event
        .organisation
        .clone()
        .or_else(|| local_session_organisation(&event.session_id).map(str::to_string));
    let Some(slug) = organisation.filter(|_| event.kind.starts_with("checkout.session.")) else {
        worker::console_log!(
            "{}",
            serde_json::json!({"stripe_event": event.id, "type": event.kind, "ignored": true})
        );
        return crate::http::json(200, &serde_json::json!({"received": true}));
    };
    // An event for an organisation nobody imported is acknowledged, and creates no Durable Object. Any other
    // failure to look it up answers 5xx, so that Stripe sends the event again.
    match crate::origins::of_organisation(env, &slug).await {
        Err(e) if e.code == ErrorCode::ResourceNotFound => {
            worker::console_warn!(
                "{}",
                serde_json::json!({"stripe_event": event.id, "unknown_organisation": true})
            );
            return crate::http::json(200, &serde_json::json!({"received": true, "reservation": null}));
        }
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    let answer = engine::call(env, ORGANISATIONS, &slug, &Command::ApplyCheckoutEvent { event }).await?;
    crate::http::raw_json(answer.status, answer.body)
}

fn test_checkout_enabled(env: &Env) -> ApiResult<()> {
    if crate::stripe::payments_mode(env) != PaymentsMode::TestCheckout {
        return Err(ApiError::new(ErrorCode::ResourceNotFound, "No route for this path"));
    }
    Ok(())
}

async fn session(env: &Env, session_id: &str, base_url: &str) -> ApiResult<serde_json::Value> {
    let slug = local_session_organisation(session_id).ok_or_else(|| ApiError::not_found("Checkout session"))?;
    // Only organisations the directory knows reach a Durable Object.
    crate::origins::of_organisation(env, slug).await?;
    let command = Command::CheckoutSession {
        session_id: session_id.to_string(),
        base_url: base_url.to_string(),
    };
    engine::call_json(env, ORGANISATIONS, slug, &command).await
}

/// `GET /api/test-checkout/:session`: the page that stands in for Stripe Checkout.
pub async fn test_checkout_page(env: &Env, session_id: &str, base_url: &str) -> ApiResult<Response> {
    test_checkout_enabled(env)?;
    let s = session(env, session_id, base_url).await?;
    let open = s["status"] == "pending_payment";
    let body = format!(
        r#"<p class="banner" role="note">TEST PAYMENT: no money moves. This page stands in for Stripe Checkout in local development.</p>
<h1>{org}</h1><p>{service} × {quantity}</p><p id="amount"><strong>{amount}</strong></p>
{form}"#,
        org = escape(s["organisation"].as_str().unwrap_or_default()),
        service = escape(s["service"].as_str().unwrap_or_default()),
        quantity = s["quantity"],
        amount = money(
            s["amount"].as_i64().unwrap_or_default(),
            s["currency"].as_str().unwrap_or_default()
        ),
        form = if open {
            format!(
                r#"<form method="post" action="/api/test-checkout/{id}/complete"><button class="pay" name="outcome" value="pay">Pay</button><button name="outcome" value="cancel">Cancel</button></form>"#,
                id = escape(session_id)
            )
        } else {
            format!(
                "<p>This checkout is closed ({}).</p>",
                escape(s["status"].as_str().unwrap_or_default())
            )
        },
    );
    page("en", "Test payment", &body)
}

/// `POST /api/test-checkout/:session/complete`: signs the event Stripe would send, applies it through the
/// webhook path, and sends the customer back as Stripe would.
pub async fn test_checkout_complete(
    mut req: Incoming,
    env: &Env,
    session_id: &str,
    base_url: &str,
) -> ApiResult<Response> {
    test_checkout_enabled(env)?;
    let form = String::from_utf8(crate::http::read_body(&mut req, slotbook_core::route::BODY_LIMIT).await?)
        .unwrap_or_default();
    let pay = slotbook_core::request_url::form_pairs(&form)
        .iter()
        .any(|(name, value)| name == "outcome" && value == "pay");
    let s = session(env, session_id, base_url).await?;
    let slug = local_session_organisation(session_id).unwrap_or_default();
    let (kind, payment_status, back) = if pay {
        (
            "checkout.session.completed",
            "paid",
            s["successUrl"].as_str().unwrap_or_default(),
        )
    } else {
        (
            "checkout.session.expired",
            "unpaid",
            s["cancelUrl"].as_str().unwrap_or_default(),
        )
    };
    let event = serde_json::json!({
        "id": format!("evt_test_local_{}", random_hex(12)), "object": "event", "type": kind, "livemode": false,
        "created": now().0,
        "data": {"object": {"id": session_id, "object": "checkout.session", "payment_status": payment_status,
            "client_reference_id": s["reservationId"].to_string(),
            "metadata": {"reservation_id": s["reservationId"].to_string(), "organisation": slug}}}
    })
    .to_string();
    let secrets = setting(env, "STRIPE_WEBHOOK_SECRET")
        .ok_or_else(|| internal("test checkout", "STRIPE_WEBHOOK_SECRET is not set"))?;
    let secret = stripe::secrets(&secrets)
        .first()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let signature = stripe::sign(event.as_bytes(), &secret, now().0);
    apply_signed(env, Some(&signature), event.as_bytes()).await?;
    let headers = Headers::new();
    let _ = headers.set("Location", back);
    Ok(Response::empty()
        .map_err(|e| internal("redirect", e))?
        .with_status(303)
        .with_headers(headers))
}
