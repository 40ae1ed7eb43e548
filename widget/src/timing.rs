//! User Timing marks on the venue's page, for its own monitoring and for the bench: `booking:catalog` when
//! the organisation's services are shown, `booking:slots` each time a day's times are.

pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}
