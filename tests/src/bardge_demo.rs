//! The local demo of Bardge reseller mode, as `scripts/run.sh` starts it (through the `bardge-demo` binary)
//! and the browser tests drive it: a Bardge stand-in with two weeks of classes and spa slots, and a
//! reseller's own website on another origin, clearly marked as a demo, whose "backend" signs a member token
//! for its demo client and hands it to the widget. Without signing in, the same page books nothing.

use crate::bardge_double::{BardgeDouble, ClassSpec, PassSpec, ServiceSpec};
use crate::booking::now;
use crate::double::{Answer, Server};
use serde_json::json;
use slotbook_core::bardge::member_token::sign;

/// The reseller organisation's slug, as `edge/demo/wellcorp.json` is imported.
pub const SLUG: &str = "wellcorp";
/// The demo's member-token secret (the document's `memberTokenSecret`): a demo value for a local stand-in,
/// never a real reseller's.
pub const MEMBER_SECRET: &str = "demo-member-secret-5f0c1e9a7b3d2468ace13579bdf0";

/// Two weeks from tomorrow (UTC days): yoga twice a day (Ada's pass covers it), reformer pilates (one co-pay
/// package), spin (two packages to choose from), and a massage (covered) with two slots a day.
pub fn scenario() -> (Vec<ClassSpec>, Vec<ServiceSpec>, Vec<PassSpec>) {
    let first = (now() / 86_400 + 1) * 86_400;
    let times = |name: &str, hours: &[i64], capacity: u32| -> Vec<(String, i64, u32)> {
        (0..14)
            .flat_map(|d| hours.iter().map(move |h| (d, *h)))
            .map(|(d, h)| (format!("ci_{name}_{d}_{h}"), first + d * 86_400 + h * 3600, capacity))
            .collect()
    };
    let classes = vec![
        ClassSpec {
            id: "cls_yoga",
            provider_id: "prov_fitzone",
            name: "Morning Yoga",
            duration_minutes: 60,
            instances: times("yoga", &[7, 17], 12),
            copay_options: vec![],
        },
        ClassSpec {
            id: "cls_pilates",
            provider_id: "prov_fitzone",
            name: "Reformer Pilates",
            duration_minutes: 45,
            instances: times("pilates", &[10], 6),
            copay_options: vec![("copay_day", "Day pass", 1500)],
        },
        ClassSpec {
            id: "cls_spin",
            provider_id: "prov_fitzone",
            name: "Spin",
            duration_minutes: 30,
            instances: times("spin", &[12], 20),
            copay_options: vec![("copay_day", "Day pass", 1500), ("copay_week", "Week pass", 4000)],
        },
    ];
    let services = vec![ServiceSpec {
        id: "svc_massage",
        provider_id: "prov_zen",
        name: "Deep Tissue Massage",
        duration_minutes: 50,
        slots: (0..14)
            .flat_map(|d| [13, 15].map(|h| first + d * 86_400 + h * 3600))
            .collect(),
        copay_amount: 2500,
    }];
    let passes = vec![PassSpec {
        pass_id: "brgpass_demo_ada",
        client_id: "client_demo_ada",
        covers: vec!["cls_yoga", "svc_massage"],
        visits_left: 50,
    }];
    (classes, services, passes)
}

/// The Bardge stand-in with the demo's scenario.
pub fn bardge(port: u16) -> BardgeDouble {
    let (classes, services, passes) = scenario();
    BardgeDouble::start_on(port, classes, services, passes)
}

/// The demo client's member token, signed as the reseller's backend signs it (valid for an hour).
pub fn member_token(slug: &str) -> String {
    let claims = json!({"sub": "client_demo_ada", "pass_id": "brgpass_demo_ada", "given_name": "Ada",
        "family_name": "Lovelace", "email": "ada@wellcorp.example", "aud": slug, "exp": now() + 3600});
    sign(&claims, MEMBER_SECRET)
}

/// The reseller's website: `/` signed in as the demo client, `/sign-in` the demo's sign-in, `/signed-out`
/// the same page without a member. `edge` is the edge's origin, `slug` the reseller organisation's.
pub fn reseller_site(port: u16, edge: &str, slug: &str) -> Server {
    let (edge, slug) = (edge.to_string(), slug.to_string());
    Server::start_on(port, move |r| {
        let path = r.path.split('?').next().unwrap_or_default();
        let (title, widget) = match path {
            "/" => ("Book a class", Some(member_token(&slug))),
            "/signed-out" => ("Book a class (signed out)", None),
            "/sign-in" => ("Sign in", None),
            _ => {
                return Answer {
                    status: 404,
                    headers: vec![("Content-Type", "text/plain".into())],
                    body: "Not found".into(),
                }
            }
        };
        let body = match (path, widget) {
            ("/sign-in", _) => r#"<p>A real reseller signs its client in here. In this demo, <a href="/">continue as Ada Lovelace</a>.</p>"#.to_string(),
            (_, token) => {
                let member = token
                    .as_ref()
                    .map(|t| format!(r#" data-member-token="{t}""#))
                    .unwrap_or_default();
                let who = if token.is_some() {
                    r#"Signed in as Ada Lovelace · <a href="/signed-out">sign out</a>"#
                } else {
                    r#"Not signed in · <a href="/sign-in">sign in</a>"#
                };
                format!(
                    r##"<p>{who}</p><div id="booking"></div>
<script src="{edge}/widget.js" data-organisation="{slug}" data-target="#booking"{member} async></script>"##
                )
            }
        };
        let page = format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>WellCorp Wellness (demo) · {title}</title>
<style>body{{font:16px system-ui,sans-serif;max-width:720px;margin:2rem auto;padding:0 1rem}}.demo{{background:#fef3c7;border:1px solid #f59e0b;padding:.5rem 1rem;border-radius:8px}}</style></head>
<body><p class="demo"><strong>Demo.</strong> A reseller's website, with a Bardge stand-in behind the edge: no real Bardge account, no real client, no real money.</p>
<h1>WellCorp Wellness</h1>{body}</body></html>"#
        );
        Answer {
            status: 200,
            headers: vec![("Content-Type", "text/html; charset=utf-8".into())],
            body: page,
        }
    })
}
