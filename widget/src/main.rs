//! The booking flow's wasm file: what `widget.js` loads on a venue's page.

slotbook_widget::export_mount!(slotbook_widget::app::booking);

fn main() {}
