//! The manage view's wasm file: `widget.js` loads it instead of the booking flow when the page carries a
//! booking's manage token (`?booking=…`), so that the booking flow's first visit does not download it.

slotbook_widget::export_mount!(slotbook_widget::app::manage_booking);

fn main() {}
