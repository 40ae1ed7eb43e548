//! The API's route table: one place that turns a method and a path into a [`Route`].
//! The edge dispatches on the result; unknown paths and wrong methods become errors in the shared shape.

use crate::error::{ApiError, ErrorCode};

/// Request body limits, in bytes: reserve and staff calls, Stripe's webhook, an organisation document.
pub const BODY_LIMIT: usize = 16 * 1024;
pub const WEBHOOK_BODY_LIMIT: usize = 256 * 1024;
pub const IMPORT_BODY_LIMIT: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    Head,
}

impl Method {
    pub fn parse(s: &str) -> Option<Method> {
        Some(match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            "HEAD" => Method::Head,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
        }
    }
}

/// The public booking flow a call takes (the reference document's two): the organisation flow names an
/// organisation by slug; the legacy token flow names one published resource by its booking token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    Organisation(String),
    Token(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicCall {
    Catalog,
    Availability,
    /// Which days of a month have room.
    Month,
    Reserve,
    CheckoutStatus,
}

/// What a customer does with their booking through its manage link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManageCall {
    View,
    Cancel,
    Reschedule,
    Calendar,
    /// Bardge mode: the client's choice of what to pay, which starts the payment.
    Pay,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffCall {
    List,
    Create,
    Get(i64),
    Update(i64),
    Delete(i64),
    /// The organisation's recent webhook deliveries.
    Deliveries,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Public(Flow, PublicCall),
    /// A booking's manage link (`/api/public/booking/manage/:token[/…]`).
    Manage(String, ManageCall),
    Staff(StaffCall),
    AdminImport(String),
    StripeWebhook,
    /// The page the widget runs in when a host embeds it with `data-mode="iframe"`.
    Embed,
    /// The local test checkout page (only without a Stripe key) and its Pay/Cancel action.
    TestCheckout(String),
    TestCheckoutAction(String),
    /// The edge's root page: the demo venue where the demo organisation is served, else a page about the edge.
    Home,
}

impl Route {
    /// Resolves a path below the origin. Paths outside `/api/` are not routes (static files), except the root.
    pub fn resolve(method: Method, path: &str) -> Result<Route, ApiError> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        let (route, allowed): (Option<Route>, &[Method]) = match segments.as_slice() {
            ["api", "public", "booking", "manage", token] => {
                (Some(Route::Manage(token.to_string(), ManageCall::View)), &[Method::Get])
            }
            ["api", "public", "booking", "manage", token, action] => match *action {
                "cancel" => (
                    Some(Route::Manage(token.to_string(), ManageCall::Cancel)),
                    &[Method::Post],
                ),
                "reschedule" => (
                    Some(Route::Manage(token.to_string(), ManageCall::Reschedule)),
                    &[Method::Post],
                ),
                "calendar.ics" => (
                    Some(Route::Manage(token.to_string(), ManageCall::Calendar)),
                    &[Method::Get],
                ),
                "pay" => (Some(Route::Manage(token.to_string(), ManageCall::Pay)), &[Method::Post]),
                _ => (None, &[]),
            },
            ["api", "public", "booking", "organisations", slug] => (
                Some(Route::Public(Flow::Organisation(slug.to_string()), PublicCall::Catalog)),
                &[Method::Get],
            ),
            ["api", "public", "booking", "organisations", slug, call] => public_call(call)
                .map_or((None, &[]), |(c, m)| {
                    (Some(Route::Public(Flow::Organisation(slug.to_string()), c)), m)
                }),
            ["api", "public", "booking", token] => (
                Some(Route::Public(Flow::Token(token.to_string()), PublicCall::Catalog)),
                &[Method::Get],
            ),
            ["api", "public", "booking", token, call] => public_call(call).map_or((None, &[]), |(c, m)| {
                (Some(Route::Public(Flow::Token(token.to_string()), c)), m)
            }),
            ["api", "reservations"] => {
                let call = match method {
                    Method::Post => StaffCall::Create,
                    _ => StaffCall::List,
                };
                (Some(Route::Staff(call)), &[Method::Get, Method::Post])
            }
            ["api", "reservations", id] => {
                let id = match id.parse::<i64>() {
                    Ok(id) if (1..=crate::validate::MAX_ID).contains(&id) => id,
                    _ => return Err(ApiError::not_found("Reservation")),
                };
                let call = match method {
                    Method::Patch => StaffCall::Update(id),
                    Method::Delete => StaffCall::Delete(id),
                    _ => StaffCall::Get(id),
                };
                (Some(Route::Staff(call)), &[Method::Get, Method::Patch, Method::Delete])
            }
            ["api", "webhook-deliveries"] => (Some(Route::Staff(StaffCall::Deliveries)), &[Method::Get]),
            ["api", "admin", "organisations", slug] => (Some(Route::AdminImport(slug.to_string())), &[Method::Put]),
            ["api", "payments", "stripe", "webhook"] => (Some(Route::StripeWebhook), &[Method::Post]),
            ["api", "embed"] => (Some(Route::Embed), &[Method::Get]),
            [] | ["index.html"] => (Some(Route::Home), &[Method::Get]),
            ["api", "test-checkout", session] => (Some(Route::TestCheckout(session.to_string())), &[Method::Get]),
            ["api", "test-checkout", session, "complete"] => {
                (Some(Route::TestCheckoutAction(session.to_string())), &[Method::Post])
            }
            _ => (None, &[]),
        };
        let Some(route) = route else {
            return Err(ApiError::new(
                ErrorCode::ResourceNotFound,
                format!("No route for {path}"),
            ));
        };
        let head_as_get = method == Method::Head && allowed.contains(&Method::Get);
        if !allowed.contains(&method) && !head_as_get {
            return Err(method_not_allowed(allowed));
        }
        Ok(route)
    }

    /// The organisation slug the route names directly, for logs and per-organisation limits.
    pub fn organisation(&self) -> Option<&str> {
        match self {
            Route::Public(Flow::Organisation(slug), _) | Route::AdminImport(slug) => Some(slug),
            _ => None,
        }
    }

    /// The largest request body the route reads, in bytes; a larger one is refused (413) before it is read.
    pub fn body_limit(&self) -> usize {
        match self {
            Route::AdminImport(_) => IMPORT_BODY_LIMIT,
            Route::StripeWebhook => WEBHOOK_BODY_LIMIT,
            _ => BODY_LIMIT,
        }
    }

    /// A short label for log lines (no ids or personal data).
    pub fn label(&self) -> &'static str {
        match self {
            Route::Public(_, PublicCall::Catalog) => "catalog",
            Route::Public(_, PublicCall::Availability) => "availability",
            Route::Public(_, PublicCall::Month) => "calendar",
            Route::Public(_, PublicCall::Reserve) => "reserve",
            Route::Public(_, PublicCall::CheckoutStatus) => "checkout_status",
            Route::Manage(_, ManageCall::View) => "manage.view",
            Route::Manage(_, ManageCall::Cancel) => "manage.cancel",
            Route::Manage(_, ManageCall::Reschedule) => "manage.reschedule",
            Route::Manage(_, ManageCall::Calendar) => "manage.calendar",
            Route::Manage(_, ManageCall::Pay) => "manage.pay",
            Route::Staff(StaffCall::List) => "reservations.list",
            Route::Staff(StaffCall::Create) => "reservations.create",
            Route::Staff(StaffCall::Get(_)) => "reservations.get",
            Route::Staff(StaffCall::Update(_)) => "reservations.update",
            Route::Staff(StaffCall::Delete(_)) => "reservations.delete",
            Route::Staff(StaffCall::Deliveries) => "webhook_deliveries.list",
            Route::AdminImport(_) => "admin.import",
            Route::StripeWebhook => "stripe.webhook",
            Route::Embed => "embed",
            Route::Home => "home",
            Route::TestCheckout(_) => "test_checkout.page",
            Route::TestCheckoutAction(_) => "test_checkout.complete",
        }
    }
}

fn public_call(segment: &str) -> Option<(PublicCall, &'static [Method])> {
    Some(match segment {
        "availability" => (PublicCall::Availability, &[Method::Get]),
        "calendar" => (PublicCall::Month, &[Method::Get]),
        "reserve" => (PublicCall::Reserve, &[Method::Post]),
        "checkout-status" => (PublicCall::CheckoutStatus, &[Method::Get]),
        _ => return None,
    })
}

fn method_not_allowed(allowed: &[Method]) -> ApiError {
    let mut list = String::new();
    // A GET route answers HEAD too.
    let head = allowed.contains(&Method::Get).then_some(&Method::Head);
    for m in allowed.iter().chain(head) {
        if !list.is_empty() {
            list.push_str(", ");
        }
        list.push_str(m.as_str());
    }
    let message = format!("Method not allowed; use {list}");
    ApiError {
        allow: Some(list),
        ..ApiError::new(ErrorCode::MethodNotAllowed, message)
    }
}

/// The answer to a method this API does not take at all (TRACE, or a preflight where cross-origin calls are
/// not allowed): 405 with the methods the path does take, or 404 for a path that is no route.
pub fn refuse_method(path: &str, message: &str) -> ApiError {
    // No route takes OPTIONS (preflights are answered before routing), so this finds the path's methods.
    match Route::resolve(Method::Options, path) {
        Err(e) if e.code == ErrorCode::MethodNotAllowed => ApiError {
            message: message.to_string(),
            ..e
        },
        Err(e) => e,
        Ok(_) => method_not_allowed(&[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_public_routes_for_both_flows() {
        let r = Route::resolve(Method::Get, "/api/public/booking/organisations/acme-spa/availability").unwrap();
        assert_eq!(
            r,
            Route::Public(Flow::Organisation("acme-spa".into()), PublicCall::Availability)
        );
        let r = Route::resolve(Method::Post, "/api/public/booking/tok_123/reserve").unwrap();
        assert_eq!(r, Route::Public(Flow::Token("tok_123".into()), PublicCall::Reserve));
        let r = Route::resolve(Method::Get, "/api/public/booking/organisations/acme-spa/").unwrap();
        assert_eq!(r.organisation(), Some("acme-spa"));
    }

    #[test]
    fn wrong_method_and_unknown_path_are_errors() {
        let e = Route::resolve(Method::Get, "/api/public/booking/organisations/acme-spa/reserve").unwrap_err();
        assert_eq!(e.code, ErrorCode::MethodNotAllowed);
        assert_eq!(e.allow.as_deref(), Some("POST"));
        let e = Route::resolve(Method::Delete, "/api/reservations").unwrap_err();
        assert_eq!(
            e.allow.as_deref(),
            Some("GET, POST, HEAD"),
            "a GET route answers HEAD too"
        );
        // A method no route takes, and a preflight where none is allowed: the path's methods all the same.
        let e = refuse_method("/api/reservations/7", "Method not allowed");
        assert_eq!(
            (e.code, e.allow.as_deref()),
            (ErrorCode::MethodNotAllowed, Some("GET, PATCH, DELETE, HEAD"))
        );
        assert_eq!(
            refuse_method("/api/nothing/here", "x").code,
            ErrorCode::ResourceNotFound
        );
        let e = Route::resolve(Method::Get, "/api/nothing/here").unwrap_err();
        assert_eq!(e.code, ErrorCode::ResourceNotFound);
        let e = Route::resolve(Method::Get, "/api/reservations/abc").unwrap_err();
        assert_eq!(e.code, ErrorCode::ResourceNotFound);
    }

    #[test]
    fn manage_links_come_before_booking_tokens() {
        let r = Route::resolve(Method::Get, "/api/public/booking/manage/abc.acme-spa").unwrap();
        assert_eq!(r, Route::Manage("abc.acme-spa".into(), ManageCall::View));
        assert_eq!(
            Route::resolve(Method::Post, "/api/public/booking/manage/t/cancel").unwrap(),
            Route::Manage("t".into(), ManageCall::Cancel)
        );
        assert_eq!(
            Route::resolve(Method::Get, "/api/public/booking/manage/t/calendar.ics").unwrap(),
            Route::Manage("t".into(), ManageCall::Calendar)
        );
        assert_eq!(
            Route::resolve(Method::Get, "/api/public/booking/manage/t/cancel")
                .unwrap_err()
                .code,
            ErrorCode::MethodNotAllowed
        );
        assert_eq!(
            Route::resolve(Method::Get, "/api/public/booking/manage/t/other")
                .unwrap_err()
                .code,
            ErrorCode::ResourceNotFound
        );
    }

    #[test]
    fn body_limits_per_route() {
        let limit = |m, p| Route::resolve(m, p).unwrap().body_limit();
        assert_eq!(
            limit(Method::Post, "/api/public/booking/organisations/acme-spa/reserve"),
            16 * 1024
        );
        assert_eq!(limit(Method::Patch, "/api/reservations/1"), 16 * 1024);
        assert_eq!(limit(Method::Post, "/api/payments/stripe/webhook"), 256 * 1024);
        assert_eq!(limit(Method::Put, "/api/admin/organisations/acme-spa"), 1024 * 1024);
    }

    #[test]
    fn staff_routes_carry_the_call() {
        assert_eq!(
            Route::resolve(Method::Patch, "/api/reservations/7").unwrap(),
            Route::Staff(StaffCall::Update(7))
        );
        assert_eq!(
            Route::resolve(Method::Post, "/api/reservations").unwrap(),
            Route::Staff(StaffCall::Create)
        );
        assert!(Route::resolve(Method::Put, "/api/reservations").is_err());
    }
}
