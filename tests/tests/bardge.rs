//! Bardge reseller mode end to end: the real Workers runtime against a stand-in for Bardge's reseller API that
//! speaks BARDGE.md. Catalog and times come from Bardge; a reserve books for the member a verified token
//! names; forged tokens, Bardge's refusals and its silence answer in the product's error shape; the reseller's
//! API key is in no answer and no log line.

use serde_json::{json, Value};
use slotbook_core::bardge::member_token::{sign, sign_with_header};
use slotbook_core::time::Timestamp;
use slotbook_tests::bardge_double::{BardgeDouble, ClassSpec, PassSpec, ServiceSpec, API_KEY};
use slotbook_tests::booking::{now, today};
use slotbook_tests::http::{self, Answer};
use slotbook_tests::paid::{signed_webhook, wait_for_refund};
use slotbook_tests::stripe_double::StripeDouble;
use slotbook_tests::{wait_until, Edge};
use std::sync::OnceLock;

const SLUG: &str = "wellcorp";
const SECRET: &str = "5f0c1e9a7b3d2468ace13579bdf02468acef1357";
const YOGA: i64 = 1;
const PILATES: i64 = 2;
const MASSAGE: i64 = 3;
const SPIN: i64 = 4;

struct Setup {
    edge: Edge,
    bardge: BardgeDouble,
    stripe: StripeDouble,
    /// Tomorrow at 00:00 UTC; every time of the stand-in is on that day.
    day: i64,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let day = (now() / 86_400 + 1) * 86_400;
        let at = |hour: i64| day + hour * 3600;
        let classes = vec![
            ClassSpec {
                id: "cls_yoga",
                provider_id: "prov_fitzone",
                name: "Morning Yoga",
                duration_minutes: 60,
                instances: vec![
                    ("ci_yoga_9".into(), at(9), 2),
                    ("ci_yoga_11".into(), at(11), 1),
                    ("ci_yoga_15".into(), at(15), 3),
                    ("ci_yoga_16".into(), at(16), 3),
                    ("ci_yoga_17".into(), at(17), 3),
                    ("ci_yoga_18".into(), at(18), 3),
                    ("ci_yoga_19".into(), at(19), 3),
                    ("ci_yoga_20".into(), at(20), 3),
                ],
                copay_options: vec![],
            },
            ClassSpec {
                id: "cls_spin",
                provider_id: "prov_fitzone",
                name: "Spin",
                duration_minutes: 30,
                instances: vec![
                    ("ci_spin_8".into(), at(8), 5),
                    ("ci_spin_9".into(), at(9), 5),
                    ("ci_spin_10".into(), at(10), 5),
                    ("ci_spin_11".into(), at(11), 5),
                    ("ci_spin_12".into(), at(12), 5),
                    ("ci_spin_13".into(), at(13), 5),
                ],
                copay_options: vec![("copay_day", "Day pass", 1500), ("copay_week", "Week pass", 4000)],
            },
            ClassSpec {
                id: "cls_pilates",
                provider_id: "prov_fitzone",
                name: "Reformer Pilates",
                duration_minutes: 45,
                instances: vec![
                    ("ci_pilates_10".into(), at(10), 5),
                    ("ci_pilates_12".into(), at(12), 5),
                    ("ci_pilates_14".into(), at(14), 5),
                    ("ci_pilates_16".into(), at(16), 5),
                    ("ci_pilates_18".into(), at(18), 5),
                    ("ci_pilates_19".into(), at(19), 5),
                    ("ci_pilates_20".into(), at(20), 5),
                ],
                copay_options: vec![("copay_day", "Day pass", 1500)],
            },
        ];
        let services = vec![ServiceSpec {
            id: "svc_massage",
            provider_id: "prov_zen",
            name: "Deep Tissue Massage",
            duration_minutes: 50,
            slots: vec![at(13), at(14), at(15), at(16)],
            copay_amount: 2500,
        }];
        let passes = vec![
            PassSpec {
                pass_id: "brgpass_ada",
                client_id: "client_ada",
                covers: vec!["cls_yoga", "svc_massage"],
                visits_left: 10,
            },
            // Covers spin but has used its visits; covers nothing else.
            PassSpec {
                pass_id: "brgpass_bob",
                client_id: "client_bob",
                covers: vec!["cls_spin"],
                visits_left: 0,
            },
        ];
        let bardge = BardgeDouble::start(classes, services, passes);
        let stripe = StripeDouble::start();
        let edge = start_edge(&bardge, &stripe);
        Setup {
            edge,
            bardge,
            stripe,
            day,
        }
    })
}

/// An edge booking through `bardge`, taking co-pays through the Stripe stand-in, retrying confirms each second.
fn start_edge(bardge: &BardgeDouble, stripe: &StripeDouble) -> Edge {
    let edge = Edge::start_with(&[
        ("BARDGE_API_URL", bardge.api_url.as_str()),
        ("STRIPE_SECRET_KEY", "sk_test_double_key"),
        ("STRIPE_API_BASE", stripe.base.as_str()),
        ("FOLLOW_UP_RETRY_SECONDS", "1"),
    ]);
    let imported = edge.import(SLUG, &document());
    assert_eq!(imported.status, 200, "{}", imported.body);
    edge
}

fn document() -> Value {
    json!({
        "name": "WellCorp Wellness", "timeZone": "Europe/Budapest", "currency": "eur",
        "allowedOrigins": ["https://wellcorp.example"], "resourceTypes": [], "acceptsPayments": true,
        "cancellationNoticeHours": 0,
        "bardge": {
            "apiKey": API_KEY, "memberTokenSecret": SECRET, "signInUrl": "https://wellcorp.example/sign-in",
            "offers": [
                {"id": YOGA, "providerId": "prov_fitzone", "classId": "cls_yoga"},
                {"id": PILATES, "providerId": "prov_fitzone", "classId": "cls_pilates"},
                {"id": MASSAGE, "providerId": "prov_zen", "serviceId": "svc_massage"},
                {"id": SPIN, "providerId": "prov_fitzone", "classId": "cls_spin"}
            ]
        }
    })
}

fn base() -> String {
    setup().edge.url(&format!("/api/public/booking/organisations/{SLUG}"))
}

fn claims() -> Value {
    json!({"sub": "client_ada", "pass_id": "brgpass_ada", "given_name": "Ada", "family_name": "Lovelace",
           "email": "ada@wellcorp.example", "aud": SLUG, "exp": now() + 3600})
}

fn token() -> String {
    sign(&claims(), SECRET)
}

/// Bob: his pass covers spin with no visits left, and nothing else.
fn bobs_token() -> String {
    let mut c = claims();
    c["sub"] = json!("client_bob");
    c["pass_id"] = json!("brgpass_bob");
    c["given_name"] = json!("Bob");
    sign(&c, SECRET)
}

fn iso(t: i64) -> String {
    Timestamp(t).to_string()
}

/// A reserve of `type_id` at `hour` (tomorrow, UTC) of `minutes`, with a member token and a key when given.
fn reserve(type_id: i64, hour: i64, minutes: i64, token: Option<&str>, key: Option<&str>) -> Answer {
    reserve_on(&setup().edge, type_id, hour, minutes, token, key)
}

fn reserve_on(edge: &Edge, type_id: i64, hour: i64, minutes: i64, token: Option<&str>, key: Option<&str>) -> Answer {
    let start = setup().day + hour * 3600;
    let body = json!({"resourceTypeId": type_id, "startTime": iso(start), "endTime": iso(start + minutes * 60),
        "quantity": 1, "customerName": "Typed Name", "customerEmail": "typed@example.com", "customerPhone": "+36 1 234 5678"});
    let bearer = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![];
    if let Some(b) = &bearer {
        headers.push(("Authorization", b.as_str()));
    }
    if let Some(k) = key {
        headers.push(("Idempotency-Key", k));
    }
    http::send(
        "POST",
        &edge.url(&format!("/api/public/booking/organisations/{SLUG}/reserve")),
        Some(&body.to_string()),
        &headers,
    )
    .unwrap()
}

fn initiates() -> Vec<slotbook_tests::double::Recorded> {
    setup()
        .bardge
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/bookings/class") || r.path.ends_with("/bookings/spa"))
        .collect()
}

/// The client pays the session on Stripe's page, and Stripe's signed event reaches `edge`. Returns the
/// payment's id.
fn pay(edge: &Edge, reserved: &Value) -> String {
    let (event, intent) = paid_event(&setup().stripe, reserved);
    assert_eq!(signed_webhook(edge, &event).status, 200);
    intent
}

/// Stripe's `checkout.session.completed` for a reserve's session, once the client paid on Stripe's page; and
/// the payment's id.
fn paid_event(stripe: &StripeDouble, reserved: &Value) -> (String, String) {
    let session = reserved["stripeCheckoutSessionId"]
        .as_str()
        .expect("a checkout session");
    let intent = stripe.complete(session);
    let id = reserved["reservationId"].as_i64().unwrap();
    let event = json!({"id": format!("evt_{session}"), "type": "checkout.session.completed", "data": {"object": {
        "id": session, "object": "checkout.session", "payment_status": "paid", "payment_intent": intent,
        "metadata": {"organisation": SLUG, "reservation_id": id.to_string()}}}});
    (event.to_string(), intent)
}

/// The checkout status of a reserve's session, once it is `want`.
fn settled(edge: &Edge, reserved: &Value, want: &str) -> Value {
    let session = reserved["stripeCheckoutSessionId"].as_str().unwrap();
    let url = edge.url(&format!(
        "/api/public/booking/organisations/{SLUG}/checkout-status?sessionId={session}"
    ));
    wait_until(&format!("{session} {want}"), 30, || {
        let s = http::get(&url).unwrap().json();
        (s["status"] == want).then_some(s)
    })
}

/// What Bardge debited the reseller for a session.
fn debits_of(session: &str) -> Vec<i64> {
    setup()
        .bardge
        .debits()
        .into_iter()
        .filter(|(s, _)| s == session)
        .map(|(_, amount)| amount)
        .collect()
}

/// Bardge's confirm calls for a session.
fn confirms(session: &str) -> Vec<slotbook_tests::double::Recorded> {
    setup()
        .bardge
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with(&format!("/{session}/confirm")))
        .collect()
}

#[test]
fn the_catalog_lists_the_offers_as_bardge_names_them() {
    let catalog = http::get(&base()).unwrap();
    assert_eq!(catalog.status, 200, "{}", catalog.body);
    let c = catalog.json();
    let names: Vec<&str> = c["resourceTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Morning Yoga", "Reformer Pilates", "Deep Tissue Massage", "Spin"]
    );
    assert_eq!(c["resourceTypes"][1]["durationMinutes"], 45);
    assert_eq!(c["resourceTypes"][0]["maxQuantity"], 1);
    assert_eq!(c["organisation"]["signInUrl"], "https://wellcorp.example/sign-in");
    assert!(!catalog.body.contains(API_KEY) && !catalog.body.contains(SECRET));
}

#[test]
fn an_offer_bardge_does_not_know_is_refused_at_import_naming_it() {
    let mut doc = document();
    doc["bardge"]["offers"][1]["classId"] = json!("cls_gone");
    let answer = setup().edge.import("wellcorp-typo", &doc);
    let e = answer.error(400, "validation_error");
    assert_eq!(e["param"], "bardge.offers[1].classId");
    assert!(!answer.body.contains(API_KEY));
    // A wrong API key is Bardge's refusal, not the document's fault: said without the key.
    doc["bardge"]["offers"][1]["classId"] = json!("cls_pilates");
    doc["bardge"]["apiKey"] = json!("bardge_wrong_key");
    let answer = setup().edge.import("wellcorp-wrong-key", &doc);
    assert_eq!(answer.status, 502, "{}", answer.body);
    assert!(!answer.body.contains("bardge_wrong_key"));
}

#[test]
fn times_are_bardges_with_their_places_left() {
    let date = Timestamp(setup().day).utc_date();
    let a = http::get(&format!("{}/availability?date={date}&resourceTypeId={PILATES}", base())).unwrap();
    assert_eq!(a.status, 200, "{}", a.body);
    let slots = a.json()["slots"].clone();
    assert_eq!(slots.as_array().unwrap().len(), 7, "{slots}");
    assert_eq!(slots[0]["startTime"], iso(setup().day + 10 * 3600));
    assert_eq!(slots[0]["endTime"], iso(setup().day + 10 * 3600 + 45 * 60));
    assert_eq!(
        (slots[0]["capacity"].as_u64(), slots[0]["available"].as_u64()),
        (Some(5), Some(5))
    );
    let spa = http::get(&format!("{}/availability?date={date}&resourceTypeId={MASSAGE}", base())).unwrap();
    let starts: Vec<String> = spa.json()["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["startTime"].as_str().unwrap().to_string())
        .collect();
    let hours: Vec<String> = [13, 14, 15, 16].iter().map(|h| iso(setup().day + h * 3600)).collect();
    assert_eq!(starts, hours);
    let month = http::get(&format!(
        "{}/calendar?month={}&resourceTypeId={PILATES}",
        base(),
        &date.to_string()[..7]
    ))
    .unwrap();
    assert_eq!(month.status, 200, "{}", month.body);
    let days = month.json()["days"].clone();
    let of = |d: &str| {
        days.as_array()
            .unwrap()
            .iter()
            .find(|x| x["date"] == d)
            .cloned()
            .unwrap()
    };
    assert_eq!(of(&date.to_string())["slots"], 7);
    assert_eq!(of(&today().to_string())["slots"], 0, "no pilates today");
}

#[test]
fn a_page_asked_again_and_again_asks_bardge_once_a_while() {
    let date = Timestamp(setup().day).utc_date();
    let url = format!("{}/availability?date={date}&resourceTypeId={YOGA}", base());
    let asked = || {
        setup()
            .bardge
            .requests()
            .iter()
            .filter(|r| r.path.contains("/classes/cls_yoga?"))
            .count()
    };
    let before = asked();
    for _ in 0..5 {
        assert_eq!(http::get(&url).unwrap().status, 200);
    }
    assert!(
        asked() - before <= 1,
        "Bardge was asked {} times for 5 reads",
        asked() - before
    );
}

#[test]
fn a_covered_class_is_booked_for_the_member_the_token_names() {
    let key = "reserve-yoga-16-0001";
    let first = reserve(YOGA, 16, 60, Some(&token()), Some(key));
    assert_eq!(first.status, 201, "{}", first.body);
    let r = first.json();
    assert_eq!(r["status"], "confirmed");
    assert_eq!(r["requiresPayment"], false);
    assert!(r["manageUrl"].as_str().unwrap().contains("/api/public/booking/manage/"));
    assert_eq!(r["booking"]["service"], "Morning Yoga");
    // Bardge heard of the member from the token, not from the form, under a UUID key.
    let sent: Vec<_> = initiates()
        .into_iter()
        .filter(|q| q.text().contains("ci_yoga_16"))
        .collect();
    assert_eq!(sent.len(), 1);
    let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(
        body,
        json!({"class_instance_id": "ci_yoga_16", "client_id": "client_ada", "first_name": "Ada",
               "last_name": "Lovelace", "user_pass_id": "brgpass_ada"})
    );
    let idem = &sent[0].headers["idempotency-key"];
    assert_eq!(
        idem.split('-').map(str::len).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12],
        "{idem}"
    );
    assert_eq!(setup().bardge.spots_left("ci_yoga_16"), 2);
    // The same reserve again: the first answer, and no second booking at Bardge.
    let again = reserve(YOGA, 16, 60, Some(&token()), Some(key));
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json()["reservationId"], r["reservationId"]);
    assert_eq!(setup().bardge.spots_left("ci_yoga_16"), 2);
    // After booking, as for any booking: the manage link and its calendar file.
    let managed = http::get(r["manageUrl"].as_str().unwrap()).unwrap().json();
    assert_eq!(managed["booking"]["service"], "Morning Yoga", "{managed}");
    let ics = http::get(&format!("{}/calendar.ics", r["manageUrl"].as_str().unwrap())).unwrap();
    assert_eq!(ics.status, 200);
    assert!(ics.body.contains("SUMMARY:Morning Yoga"), "{}", ics.body);
}

#[test]
fn a_covered_spa_appointment_is_booked() {
    let answer = reserve(MASSAGE, 14, 50, Some(&token()), None);
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.json()["status"], "confirmed");
    let sent = initiates()
        .into_iter()
        .find(|q| q.path.ends_with("/bookings/spa"))
        .unwrap();
    let body: Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["scheduled_for"], setup().day + 14 * 3600);
    assert_eq!(
        (body["provider_id"].as_str(), body["service_id"].as_str()),
        (Some("prov_zen"), Some("svc_massage"))
    );
}

#[test]
fn each_forged_member_token_is_refused() {
    // The 15:00 class is this test's alone.
    let for_this_class = || initiates().iter().filter(|q| q.text().contains("ci_yoga_15")).count();
    let with = |field: &str, value: Value| {
        let mut c = claims();
        c[field] = value;
        sign(&c, SECRET)
    };
    let mut no_exp = claims();
    no_exp.as_object_mut().unwrap().remove("exp");
    let unsigned = sign_with_header(&json!({"alg": "none"}), &claims(), SECRET);
    let forged = [
        (
            "another secret",
            sign(&claims(), "some-other-secret-of-sufficient-length"),
        ),
        ("alg none", format!("{}.", &unsigned[..unsigned.rfind('.').unwrap()])),
        ("HS512", sign_with_header(&json!({"alg": "HS512"}), &claims(), SECRET)),
        ("another organisation", with("aud", json!("acme-spa"))),
        ("expired", with("exp", json!(now() - 10))),
        ("too long", with("exp", json!(now() + 3 * 86_400))),
        ("no exp", sign(&no_exp, SECRET)),
        ("not a JWT", "Ada".to_string()),
    ];
    for (what, token) in &forged {
        let answer = reserve(YOGA, 15, 60, Some(token), None);
        let e = answer.error(401, "member_token_invalid");
        assert_eq!(e["type"], "authentication_error", "{what}");
    }
    let none = reserve(YOGA, 15, 60, None, None);
    assert!(none.error(401, "member_token_invalid")["message"]
        .as_str()
        .unwrap()
        .contains("sign in"));
    assert_eq!(for_this_class(), 0, "no forged token reached Bardge");
}

#[test]
fn bardges_refusals_and_silence_reach_the_customer_in_the_products_shape() {
    setup().bardge.fill("ci_yoga_11");
    // Bardge's times are cached for a while; the class filled up at Bardge since.
    let full = reserve(YOGA, 11, 60, Some(&token()), None);
    if full.status == 409 {
        full.error(409, "slot_unavailable");
    } else {
        panic!("a full class: {} {}", full.status, full.body);
    }
    setup().bardge.fail("ci_yoga_9", 1);
    let failing = reserve(YOGA, 9, 60, Some(&token()), None);
    let e = failing.error(502, "upstream_unavailable");
    assert!(
        !e["message"]
            .as_str()
            .unwrap()
            .contains("unexpected error occurred on our side"),
        "Bardge's own words stay inside"
    );
    // A time that is not one of the class's.
    let off = reserve(YOGA, 12, 60, Some(&token()), None);
    off.error(409, "slot_unavailable");
    // Two places at once is not something a pass books.
    let start = setup().day + 9 * 3600;
    let body = json!({"resourceTypeId": YOGA, "startTime": iso(start), "endTime": iso(start + 3600), "quantity": 2,
        "customerName": "A", "customerEmail": "a@example.com", "customerPhone": "+36 1 234 5678"});
    let bearer = format!("Bearer {}", token());
    let two = http::send(
        "POST",
        &format!("{}/reserve", base()),
        Some(&body.to_string()),
        &[("Authorization", &bearer)],
    )
    .unwrap();
    assert_eq!(two.error(409, "capacity_exceeded")["param"], "quantity");
}

#[test]
fn a_co_pay_class_is_paid_then_confirmed_debited_once() {
    let reserved = reserve(PILATES, 10, 45, Some(&token()), Some("copay-pilates-10"));
    assert_eq!(reserved.status, 201, "{}", reserved.body);
    let r = reserved.json();
    assert_eq!(
        (r["status"].as_str(), r["requiresPayment"].as_bool()),
        (Some("pending_payment"), Some(true))
    );
    assert_eq!(
        (r["quotedAmount"].as_i64(), r["quotedCurrency"].as_str()),
        (Some(1500), Some("eur"))
    );
    // Stripe is asked for exactly the co-pay, ending at least ten minutes before Bardge's session.
    let session = r["stripeCheckoutSessionId"].as_str().unwrap();
    let created = setup()
        .stripe
        .requests()
        .into_iter()
        .rfind(|q| {
            q.path == "/v1/checkout/sessions" && q.text().contains(&format!("reservation_id%5D={}", r["reservationId"]))
        })
        .expect("a Checkout Session was created");
    assert_eq!(
        created.field("line_items[0][price_data][unit_amount]").as_deref(),
        Some("1500")
    );
    assert_eq!(created.field("line_items[0][quantity]").as_deref(), Some("1"));
    let expires: i64 = created.field("expires_at").unwrap().parse().unwrap();
    assert!(
        expires <= now() + 24 * 3600 - 600,
        "the checkout outlives Bardge's session: {expires}"
    );
    let bardge_session = setup().bardge.session_of("ci_pilates_10").unwrap();
    assert!(
        confirms(&bardge_session).is_empty(),
        "nothing is confirmed before the client paid"
    );
    pay(&setup().edge, &r);
    let s = settled(&setup().edge, &r, "confirmed");
    assert_eq!(s["paymentStatus"], "succeeded");
    // Bardge confirmed the session with the package, under a UUID key, and debited the reseller once.
    let calls = confirms(&bardge_session);
    assert_eq!(calls.len(), 1);
    assert_eq!(
        serde_json::from_slice::<Value>(&calls[0].body).unwrap(),
        json!({"copay_package_id": "copay_day"})
    );
    assert_eq!(calls[0].headers["idempotency-key"].len(), 36);
    assert_eq!(debits_of(&bardge_session), vec![1500]);
    assert!(session.starts_with("cs_"));
}

#[test]
fn several_packages_are_a_choice_and_the_choice_is_what_is_charged() {
    // Ada's pass does not cover spin, which has two packages.
    let reserved = reserve(SPIN, 8, 30, Some(&token()), None);
    assert_eq!(reserved.status, 201, "{}", reserved.body);
    let r = reserved.json();
    assert_eq!(r["status"], "pending_payment");
    assert!(
        r["stripeCheckoutSessionId"].is_null(),
        "no checkout before the choice: {r}"
    );
    let names: Vec<&str> = r["coPay"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Day pass", "Week pass"]);
    let pay_url = format!("{}/pay", r["manageUrl"].as_str().unwrap());
    let wrong = http::send("POST", &pay_url, Some(r#"{"copayPackageId":"copay_year"}"#), &[]).unwrap();
    assert_eq!(wrong.error(400, "validation_error")["param"], "copayPackageId");
    let chosen = http::send("POST", &pay_url, Some(r#"{"copayPackageId":"copay_week"}"#), &[]).unwrap();
    assert_eq!(chosen.status, 200, "{}", chosen.body);
    let c = chosen.json();
    assert_eq!(c["quotedAmount"], 4000);
    assert_eq!(c["reservationId"], r["reservationId"]);
    assert!(c["checkoutUrl"].is_string());
    // A second click keeps the first choice's checkout.
    let again = http::send("POST", &pay_url, Some(r#"{"copayPackageId":"copay_day"}"#), &[])
        .unwrap()
        .json();
    assert_eq!(again["stripeCheckoutSessionId"], c["stripeCheckoutSessionId"]);
    pay(&setup().edge, &c);
    settled(&setup().edge, &c, "confirmed");
    let session = setup().bardge.session_of("ci_spin_8").unwrap();
    let calls = confirms(&session);
    assert_eq!(
        serde_json::from_slice::<Value>(&calls[0].body).unwrap(),
        json!({"copay_package_id": "copay_week"})
    );
    assert_eq!(debits_of(&session), vec![4000]);
}

#[test]
fn used_up_visits_are_bought_by_number_and_billing_cycle() {
    // Bob's pass covers spin but its visits are used up.
    let reserved = reserve(SPIN, 9, 30, Some(&bobs_token()), None);
    assert_eq!(reserved.status, 201, "{}", reserved.body);
    let r = reserved.json();
    assert_eq!(r["coPay"]["visits"]["costPerVisit"], 900);
    assert_eq!(r["coPay"]["visits"]["durations"], json!(["MONTHLY", "ANNUALLY"]));
    let pay_url = format!("{}/pay", r["manageUrl"].as_str().unwrap());
    let weekly = http::send(
        "POST",
        &pay_url,
        Some(r#"{"numberOfVisits":2,"duration":"WEEKLY"}"#),
        &[],
    )
    .unwrap();
    assert_eq!(weekly.error(400, "validation_error")["param"], "duration");
    let chosen = http::send(
        "POST",
        &pay_url,
        Some(r#"{"numberOfVisits":2,"duration":"ANNUALLY"}"#),
        &[],
    )
    .unwrap();
    assert_eq!(chosen.status, 200, "{}", chosen.body);
    assert_eq!(chosen.json()["quotedAmount"], 1800);
    pay(&setup().edge, &chosen.json());
    settled(&setup().edge, &chosen.json(), "confirmed");
    let session = setup().bardge.session_of("ci_spin_9").unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&confirms(&session)[0].body).unwrap(),
        json!({"number_of_visits": 2, "duration": "ANNUALLY"})
    );
    assert_eq!(debits_of(&session), vec![1800]);
}

#[test]
fn a_spa_appointment_with_a_co_pay_is_paid_and_confirmed() {
    let reserved = reserve(MASSAGE, 15, 50, Some(&bobs_token()), None);
    assert_eq!(reserved.status, 201, "{}", reserved.body);
    let r = reserved.json();
    assert_eq!(r["quotedAmount"], 2500, "one price: straight to checkout");
    pay(&setup().edge, &r);
    settled(&setup().edge, &r, "confirmed");
    let session = setup()
        .bardge
        .session_of(&(setup().day + 15 * 3600).to_string())
        .unwrap();
    let calls = confirms(&session);
    assert_eq!(calls.len(), 1);
    assert!(calls[0].path.contains("/bookings/spa/"), "{}", calls[0].path);
    assert!(calls[0].body.is_empty(), "a spa confirm has no body");
    assert_eq!(debits_of(&session), vec![2500]);
}

#[test]
fn a_confirm_bardge_refuses_after_payment_is_refunded_with_a_reason() {
    let r = reserve(PILATES, 12, 45, Some(&token()), None).json();
    // Between payment and confirm, the class filled up at Bardge.
    setup().bardge.fill("ci_pilates_12");
    let intent = pay(&setup().edge, &r);
    let s = settled(&setup().edge, &r, "failed");
    let reason = s["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("full") && reason.contains("refunded"), "{s}");
    wait_for_refund(&setup().stripe, &intent);
    let session = setup().bardge.session_of("ci_pilates_12").unwrap();
    assert!(debits_of(&session).is_empty());
}

#[test]
fn a_confirm_failing_twice_books_once_and_debits_once() {
    let r = reserve(PILATES, 14, 45, Some(&token()), None).json();
    let session = setup().bardge.session_of("ci_pilates_14").unwrap();
    // The session's own calls: `/sess_4/` is in neither `/sess_14/` nor `/sess_41/`.
    setup().bardge.fail(&format!("/{session}/"), 2);
    pay(&setup().edge, &r);
    settled(&setup().edge, &r, "confirmed");
    let calls = confirms(&session);
    assert_eq!(calls.len(), 3, "two failures, then the confirm");
    let keys: Vec<&String> = calls.iter().map(|c| &c.headers["idempotency-key"]).collect();
    assert!(keys.iter().all(|k| *k == keys[0]), "one key for every try: {keys:?}");
    assert_eq!(debits_of(&session), vec![1500]);
}

#[test]
fn killed_between_payment_and_confirm_it_books_once_and_debits_once() {
    // An edge of its own (this one dies), with a Stripe of its own (its reservations count from 1 again).
    let stripe = StripeDouble::start();
    let mut edge = start_edge(&setup().bardge, &stripe);
    let reserved = reserve_on(&edge, PILATES, 16, 45, Some(&token()), None);
    assert_eq!(reserved.status, 201, "{}", reserved.body);
    let r = reserved.json();
    let session = setup().bardge.session_of("ci_pilates_16").unwrap();
    // Bardge is slow to confirm; the runtime dies while it waits.
    setup().bardge.hang(&format!("/{session}/"), 4000);
    let (event, _) = paid_event(&stripe, &r);
    let deliver = |edge: &Edge| {
        let signature = slotbook_core::stripe::sign(event.as_bytes(), slotbook_tests::WEBHOOK_SECRET, now());
        let (url, event) = (edge.url("/api/payments/stripe/webhook"), event.clone());
        std::thread::spawn(move || http::send("POST", &url, Some(&event), &[("Stripe-Signature", &signature)]).ok())
    };
    let first = deliver(&edge);
    wait_until("the confirm call", 10, || {
        (!confirms(&session).is_empty()).then_some(())
    });
    edge.kill();
    let _ = first.join();
    edge.restart();
    // Stripe delivers the event again, as it does when a delivery got no answer.
    let _ = deliver(&edge).join();
    settled(&edge, &r, "confirmed");
    assert_eq!(debits_of(&session), vec![1500], "debited once");
    let keys: Vec<String> = confirms(&session)
        .iter()
        .map(|c| c.headers["idempotency-key"].clone())
        .collect();
    assert!(keys.len() >= 2, "confirmed again after the restart");
    assert!(keys.iter().all(|k| *k == keys[0]), "with the same key: {keys:?}");
}

#[test]
fn a_session_bardge_forgot_is_refunded() {
    let r = reserve(PILATES, 18, 45, Some(&token()), None).json();
    let session = setup().bardge.session_of("ci_pilates_18").unwrap();
    setup().bardge.forget_session(&session);
    let intent = pay(&setup().edge, &r);
    let s = settled(&setup().edge, &r, "failed");
    assert!(s["reason"].as_str().unwrap_or_default().contains("refunded"), "{s}");
    wait_for_refund(&setup().stripe, &intent);
    assert_eq!(confirms(&session).len(), 1, "a refusal is not retried");
}

#[test]
fn a_reused_confirm_key_is_refunded_never_replaced() {
    let r = reserve(PILATES, 19, 45, Some(&token()), None).json();
    let session = setup().bardge.session_of("ci_pilates_19").unwrap();
    setup().bardge.reuse_key_of(&session);
    let intent = pay(&setup().edge, &r);
    settled(&setup().edge, &r, "failed");
    wait_for_refund(&setup().stripe, &intent);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let calls = confirms(&session);
    assert_eq!(calls.len(), 1, "no second try, and no new key");
    assert!(setup().edge.log().contains("idempotency_key_reused"), "logged loudly");
    assert!(debits_of(&session).is_empty());
}

#[test]
fn cancelling_through_the_manage_link_cancels_with_bardge_and_refunds_the_co_pay() {
    // A covered class: cancelled at Bardge, its place back.
    let covered = reserve(YOGA, 18, 60, Some(&token()), None).json();
    assert_eq!(setup().bardge.spots_left("ci_yoga_18"), 2);
    let cancel = |r: &Value| {
        http::send(
            "POST",
            &format!("{}/cancel", r["manageUrl"].as_str().unwrap()),
            Some("{}"),
            &[],
        )
        .unwrap()
    };
    let answer = cancel(&covered);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["booking"]["status"], "cancelled");
    assert_eq!(setup().bardge.spots_left("ci_yoga_18"), 3);
    let cancelled = setup()
        .bardge
        .bookings()
        .into_iter()
        .filter(|b| b["class_instance_id"] == "ci_yoga_18")
        .collect::<Vec<_>>();
    assert_eq!(cancelled[0]["status"], "cancelled");
    // A paid co-pay: cancelled at Bardge, then refunded.
    let paid = reserve(PILATES, 20, 45, Some(&token()), None).json();
    let intent = pay(&setup().edge, &paid);
    settled(&setup().edge, &paid, "confirmed");
    let answer = cancel(&paid);
    assert_eq!(answer.status, 200, "{}", answer.body);
    wait_for_refund(&setup().stripe, &intent);
    assert!(setup()
        .bardge
        .bookings()
        .iter()
        .any(|b| b["class_instance_id"] == "ci_pilates_20" && b["status"] == "cancelled"));
    // Moving a Bardge booking is cancelling and booking again.
    let again = reserve(YOGA, 19, 60, Some(&token()), None).json();
    let managed = http::send(
        "GET",
        again["manageUrl"].as_str().unwrap(),
        None,
        &[("Accept", "application/json")],
    )
    .unwrap()
    .json();
    assert_eq!(managed["canReschedule"], false, "{managed}");
}

#[test]
fn the_api_key_and_the_token_secret_are_in_no_log_line() {
    // A failing call and a refused one first: their log lines are where a key would leak.
    setup().bardge.fail("ci_yoga_17", 1);
    let _ = reserve(YOGA, 17, 60, Some(&token()), None);
    let _ = reserve(YOGA, 17, 60, Some("forged"), None);
    let log = setup().edge.log();
    assert!(log.contains("bardge"), "the failure was logged");
    assert!(log.contains("req_standin_"), "with Bardge's request id");
    assert!(!log.contains(API_KEY), "the API key leaked into the log");
    assert!(!log.contains(SECRET), "the member-token secret leaked into the log");
}

#[test]
fn killed_with_the_key_claimed_and_nothing_written_the_retry_books_once() {
    // Bardge is slow to answer the initiate; the runtime dies while the reserve waits for it, before anything
    // is written. The customer's retry, with the same key, after the restart: one booking at Bardge.
    let stripe = StripeDouble::start();
    let mut edge = start_edge(&setup().bardge, &stripe);
    setup().bardge.hang("ci_yoga_20", 4000);
    let key = "crash-while-initiating-yoga-20";
    let url = edge.url(&format!("/api/public/booking/organisations/{SLUG}/reserve"));
    let start = setup().day + 20 * 3600;
    let body = json!({"resourceTypeId": YOGA, "startTime": iso(start), "endTime": iso(start + 3600), "quantity": 1,
        "customerName": "A", "customerEmail": "a@example.com", "customerPhone": "+36 1 234 5678"})
    .to_string();
    let bearer = format!("Bearer {}", token());
    let send = move |url: String, body: String, bearer: String| {
        http::send(
            "POST",
            &url,
            Some(&body),
            &[("Authorization", &bearer), ("Idempotency-Key", key)],
        )
        .ok()
    };
    let (u, b, t) = (url, body.clone(), bearer.clone());
    let first = std::thread::spawn(move || send(u, b, t));
    let initiated = || {
        initiates()
            .into_iter()
            .filter(|q| q.text().contains("ci_yoga_20"))
            .collect::<Vec<_>>()
    };
    wait_until("the initiate on its way", 10, || {
        (!initiated().is_empty()).then_some(())
    });
    edge.kill();
    let _ = first.join();
    edge.restart();
    // The same request again: same key, same body (a new token, as a page would sign one).
    let url = edge.url(&format!("/api/public/booking/organisations/{SLUG}/reserve"));
    let again = send(url, body, format!("Bearer {}", token())).expect("the restarted edge answers");
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.json()["status"], "confirmed");
    let booked = setup()
        .bardge
        .bookings()
        .into_iter()
        .filter(|b| b["class_instance_id"] == "ci_yoga_20")
        .count();
    assert_eq!(booked, 1, "one booking at Bardge");
    assert_eq!(setup().bardge.spots_left("ci_yoga_20"), 2);
    let keys: Vec<String> = initiated()
        .iter()
        .map(|q| q.headers["idempotency-key"].clone())
        .collect();
    assert!(keys.len() >= 2 && keys.iter().all(|k| *k == keys[0]), "{keys:?}");
}
