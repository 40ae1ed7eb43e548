//! Bardge reseller mode in a real browser: the demo reseller's site (another origin) with the widget, against
//! the Bardge stand-in. Signed out, the widget offers the reseller's sign-in instead of a form; signed in,
//! a covered class is booked under the member's name; a class with a choice of co-pay packages is paid in
//! the test checkout and confirmed with Bardge, which debits the chosen package.

use serde_json::json;
use slotbook_tests::bardge_demo::{self, SLUG};
use slotbook_tests::booking::find_slot;
use slotbook_tests::webdriver::Browser;
use slotbook_tests::{pages, repo_root, wait_until, Edge};

const YOGA: i64 = 1;
const PILATES: i64 = 2;
const SPIN: i64 = 3;

#[test]
fn a_member_books_a_covered_class_and_pays_a_chosen_co_pay_on_the_resellers_site() {
    let bardge = bardge_demo::bardge(0);
    let edge = Edge::start_with(&[("BARDGE_API_URL", bardge.api_url.as_str())]);
    let site = bardge_demo::reseller_site(0, &edge.base, SLUG);
    let text = std::fs::read_to_string(repo_root().join("edge/demo/wellcorp.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["allowedOrigins"] = json!([site.base]);
    doc["bardge"]["signInUrl"] = json!(format!("{}/sign-in", site.base));
    let imported = edge.import(SLUG, &doc);
    assert_eq!(imported.status, 200, "{}", imported.body);
    let base = edge.url(&format!("/api/public/booking/organisations/{SLUG}"));
    let browser = Browser::start();

    // Signed out: times can be browsed; booking sends the client to the reseller's sign-in.
    browser.goto(&format!("{}/signed-out", site.base));
    let yoga = find_slot(&base, YOGA, 1, 0);
    pages::choose(&browser, YOGA, &yoga);
    let sign_in = browser.widget_element(".sb-form a.sb-primary");
    let href = browser.script("return arguments[0].href;", json!([sign_in]));
    assert_eq!(href, json!(format!("{}/sign-in", site.base)));
    assert!(browser.widget_text().contains("Sign in to book"));

    // Signed in: the form names the member and asks only for a phone number.
    browser.goto(&format!("{}/", site.base));
    pages::choose(&browser, YOGA, &yoga);
    let member = browser.widget_element(".sb-member");
    assert!(!member.is_null());
    let text = browser.widget_text();
    assert!(
        text.contains("Booking as: Ada Lovelace (ada@wellcorp.example)"),
        "{text}"
    );
    let name_field = browser.script(
        "return !!document.querySelector('[data-booking-widget]').shadowRoot.querySelector('#sb-name');",
        json!([]),
    );
    assert_eq!(name_field, json!(false), "no name to type: the token says who books");
    browser.type_into(&browser.widget_element("#sb-tel"), "+36 30 111 2222");
    browser.click(&browser.widget_element(".sb-primary"));
    browser.widget_element(".sb-confirmed");
    let booked = bardge.bookings();
    assert_eq!(booked.len(), 1, "{booked:?}");
    assert_eq!(booked[0]["class_name"], "Morning Yoga");

    // Spin is not covered: a choice of two packages, the week pass chosen, paid, confirmed with Bardge.
    browser.goto(&format!("{}/", site.base));
    let spin = find_slot(&base, SPIN, 1, 0);
    pages::choose(&browser, SPIN, &spin);
    browser.type_into(&browser.widget_element("#sb-tel"), "+36 30 111 2222");
    browser.click(&browser.widget_element(".sb-primary"));
    browser.widget_element(".sb-copay select");
    let choices = browser.widget_text();
    assert!(
        choices.contains("Day pass") && choices.contains("Week pass"),
        "{choices}"
    );
    browser.script(
        "const s = document.querySelector('[data-booking-widget]').shadowRoot.querySelector('.sb-copay select'); \
         s.value = '1'; s.dispatchEvent(new Event('change'));",
        json!([]),
    );
    browser.click(&browser.widget_element(".sb-copay .sb-primary"));
    pages::at_test_checkout(&browser);
    assert_eq!(
        browser.script("return document.body.textContent.includes('40.00');", json!([])),
        json!(true),
        "the week pass's price at the checkout"
    );
    pages::pay_at_test_checkout(&browser);
    browser.wait_for(
        "the return to the reseller's page",
        &format!(
            "return location.origin === '{}' && location.pathname === '/';",
            site.base
        ),
    );
    browser.widget_element(".sb-confirmed");
    let debits = wait_until("Bardge's debit", 10, || {
        let d = bardge.debits();
        (!d.is_empty()).then_some(d)
    });
    assert_eq!(debits.iter().map(|(_, amount)| *amount).collect::<Vec<_>>(), vec![4000]);

    // Pilates has one package: straight to the checkout. The class fills up at Bardge while the member pays:
    // the widget says why the booking failed, and that the payment comes back.
    browser.goto(&format!("{}/", site.base));
    let pilates = find_slot(&base, PILATES, 1, 0);
    pages::choose(&browser, PILATES, &pilates);
    browser.type_into(&browser.widget_element("#sb-tel"), "+36 30 111 2222");
    browser.click(&browser.widget_element(".sb-primary"));
    pages::at_test_checkout(&browser);
    let (day, hour) = {
        let start = slotbook_core::time::Timestamp::parse(pilates["startTime"].as_str().unwrap())
            .unwrap()
            .0;
        let first = (slotbook_tests::booking::now() / 86_400 + 1) * 86_400;
        ((start - first) / 86_400, (start % 86_400) / 3600)
    };
    bardge.fill(&format!("ci_pilates_{day}_{hour}"));
    pages::pay_at_test_checkout(&browser);
    browser.wait_for(
        "the return to the reseller's page",
        &format!(
            "return location.origin === '{}' && location.pathname === '/';",
            site.base
        ),
    );
    browser.widget_element(".sb-failed");
    let text = browser.widget_text();
    assert!(
        text.contains("This class is full") && text.contains("refunded"),
        "{text}"
    );
}
