//! `bardge-demo BARDGE_PORT SITE_PORT EDGE_ORIGIN`: the local demo of Bardge reseller mode (see
//! `slotbook_tests::bardge_demo`), until stopped. `scripts/run.sh` starts it beside `wrangler dev`.

use slotbook_tests::bardge_demo;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let port = |i: usize, default: u16| args.get(i).and_then(|p| p.parse().ok()).unwrap_or(default);
    let edge = args.get(3).cloned().unwrap_or_else(|| "http://localhost:8787".into());
    let bardge = bardge_demo::bardge(port(1, 8788));
    let site = bardge_demo::reseller_site(port(2, 8789), &edge, bardge_demo::SLUG);
    println!(
        "[bardge-demo] Bardge stand-in at {}, reseller site at {}",
        bardge.api_url, site.base
    );
    loop {
        std::thread::park();
    }
}
