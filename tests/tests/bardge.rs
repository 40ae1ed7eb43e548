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
use slotbook_tests::Edge;
use std::sync::OnceLock;

const SLUG: &str = "wellcorp";
const SECRET: &str = "5f0c1e9a7b3d2468ace13579bdf02468acef1357";
const YOGA: i64 = 1;
const PILATES: i64 = 2;
const MASSAGE: i64 = 3;

struct Setup {
    edge: Edge,
    bardge: BardgeDouble,
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
                ],
                copay_options: vec![],
            },
            ClassSpec {
                id: "cls_pilates",
                provider_id: "prov_fitzone",
                name: "Reformer Pilates",
                duration_minutes: 45,
                instances: vec![("ci_pilates_10".into(), at(10), 5)],
                copay_options: vec![("copay_day", "Day pass", 1500)],
            },
        ];
        let services = vec![ServiceSpec {
            id: "svc_massage",
            provider_id: "prov_zen",
            name: "Deep Tissue Massage",
            duration_minutes: 50,
            slots: vec![at(13), at(14)],
            copay_amount: 2500,
        }];
        let passes = vec![PassSpec {
            pass_id: "brgpass_ada",
            client_id: "client_ada",
            covers: vec!["cls_yoga", "svc_massage"],
            visits_left: 10,
        }];
        let bardge = BardgeDouble::start(classes, services, passes);
        let edge = Edge::start_with(&[("BARDGE_API_URL", bardge.api_url.as_str())]);
        let imported = edge.import(SLUG, &document());
        assert_eq!(imported.status, 200, "{}", imported.body);
        Setup { edge, bardge, day }
    })
}

fn document() -> Value {
    json!({
        "name": "WellCorp Wellness", "timeZone": "Europe/Budapest", "currency": "eur",
        "allowedOrigins": ["https://wellcorp.example"], "resourceTypes": [],
        "bardge": {
            "apiKey": API_KEY, "memberTokenSecret": SECRET, "signInUrl": "https://wellcorp.example/sign-in",
            "offers": [
                {"id": YOGA, "providerId": "prov_fitzone", "classId": "cls_yoga"},
                {"id": PILATES, "providerId": "prov_fitzone", "classId": "cls_pilates"},
                {"id": MASSAGE, "providerId": "prov_zen", "serviceId": "svc_massage"}
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

fn iso(t: i64) -> String {
    Timestamp(t).to_string()
}

/// A reserve of `type_id` at `hour` (tomorrow, UTC) of `minutes`, with a member token and a key when given.
fn reserve(type_id: i64, hour: i64, minutes: i64, token: Option<&str>, key: Option<&str>) -> Answer {
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
        &format!("{}/reserve", base()),
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
    assert_eq!(names, ["Morning Yoga", "Reformer Pilates", "Deep Tissue Massage"]);
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
    assert_eq!(slots.as_array().unwrap().len(), 1, "{slots}");
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
    assert_eq!(starts, [iso(setup().day + 13 * 3600), iso(setup().day + 14 * 3600)]);
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
    assert_eq!(of(&date.to_string())["slots"], 1);
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
    // The booking is the member's: their name and email, as the manage link shows.
    let managed = http::get(r["manageUrl"].as_str().unwrap()).unwrap().json();
    assert_eq!(managed["booking"]["service"], "Morning Yoga", "{managed}");
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
fn a_co_pay_is_not_taken_without_payment() {
    let answer = reserve(PILATES, 10, 45, Some(&token()), None);
    answer.error(409, "payments_unavailable");
    assert!(setup().bardge.debits().is_empty());
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
