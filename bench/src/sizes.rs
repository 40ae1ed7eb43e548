//! What a first visit downloads (the loader, the glue, the wasm with its CSS inside, the catalog answer),
//! what a manage link downloads instead of the booking flow's files, and the Worker bundle, raw and
//! compressed as the network would carry them.

use crate::report::Row;
use slotbook_tests::{http, repo_root, Edge};
use std::io::Write;

fn kb(n: usize) -> f64 {
    n as f64 / 1024.0
}

pub fn gzip(data: &[u8]) -> usize {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(data).unwrap();
    gz.finish().unwrap().len()
}

pub fn brotli(data: &[u8]) -> usize {
    let mut br = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        w.write_all(data).unwrap();
    }
    br.len()
}

/// The built widget file of a kind in dist/: `loader`, `glue` or `wasm` (the booking flow's),
/// `manage-glue` or `manage-wasm` (the manage view's).
fn widget_file(kind: &str) -> Vec<u8> {
    std::fs::read(repo_root().join("dist").join(widget_file_name(kind))).unwrap()
}

/// The name in dist/ of the built widget file of a kind (see [`widget_file`]).
pub fn widget_file_name(kind: &str) -> String {
    let dist = repo_root().join("dist");
    std::fs::read_dir(&dist)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| match kind {
            "loader" => n == "widget.js",
            "wasm" => n.starts_with("slotbook-widget-") && n.ends_with("_bg.wasm"),
            "manage-wasm" => n.starts_with("slotbook-manage-") && n.ends_with("_bg.wasm"),
            "manage-glue" => n.starts_with("slotbook-manage-") && n.ends_with(".js"),
            _ => n.starts_with("slotbook-widget-") && n.ends_with(".js"),
        })
        .unwrap_or_else(|| panic!("no widget {kind} in dist/: run scripts/build.sh"))
}

pub fn widget(edge: &Edge, rows: &mut Vec<Row>) {
    let loader = widget_file("loader");
    let glue = widget_file("glue");
    let wasm = widget_file("wasm");
    let catalog = http::get(&edge.url("/api/public/booking/organisations/acme-spa"))
        .unwrap()
        .body
        .into_bytes();
    let css = include_bytes!("../../widget/style.css");
    let parts = [&loader[..], &glue[..], &wasm[..], &catalog[..]];
    let first_visit: usize = parts.iter().map(|p| brotli(p)).sum();
    rows.push(
        Row::new(
            "first_visit_brotli",
            "first visit, inline: loader + glue + wasm (CSS inside) + catalog, brotli",
            kb(first_visit),
            "KB",
        )
        .detail(format!("raw {:.1}", kb(parts.iter().map(|p| p.len()).sum())))
        .ratchet(114.0),
    );
    rows.push(
        Row::new("wasm_brotli", "widget wasm, brotli", kb(brotli(&wasm)), "KB")
            .detail(format!("raw {:.1}, gzip {:.1}", kb(wasm.len()), kb(gzip(&wasm))))
            .ratchet(108.0),
    );
    rows.push(
        Row::new("glue_brotli", "widget glue (JS), brotli", kb(brotli(&glue)), "KB")
            .detail(format!("raw {:.1}", kb(glue.len()))),
    );
    rows.push(
        Row::new("loader_gzip", "loader (inline mode), gzip", kb(gzip(&loader)), "KB")
            .detail(format!("raw {:.1}", kb(loader.len())))
            .budget(2.0),
    );
    rows.push(
        Row::new(
            "css_brotli",
            "widget CSS (inside the wasm), brotli",
            kb(brotli(css)),
            "KB",
        )
        .detail(format!("raw {:.1}", kb(css.len()))),
    );
    let manage = [widget_file("manage-glue"), widget_file("manage-wasm")];
    rows.push(
        Row::new(
            "manage_brotli",
            "manage link instead: its glue + wasm, brotli (not in a first visit)",
            kb(manage.iter().map(|f| brotli(f)).sum()),
            "KB",
        )
        .detail(format!("raw {:.1}", kb(manage.iter().map(|f| f.len()).sum()))),
    );
    rows.push(
        Row::new(
            "catalog_brotli",
            "catalog answer (demo organisation), brotli",
            kb(brotli(&catalog)),
            "KB",
        )
        .detail(format!("raw {:.1}", kb(catalog.len()))),
    );
}

pub fn worker(rows: &mut Vec<Row>) {
    let wasm = std::fs::read(repo_root().join("edge/build/index_bg.wasm")).unwrap();
    let js = std::fs::read(repo_root().join("edge/build/index.js")).unwrap();
    let bundle = [wasm.as_slice(), js.as_slice()].concat();
    rows.push(
        Row::new(
            "worker_gzip",
            "Worker bundle (wasm + js), gzip",
            kb(gzip(&bundle)),
            "KB",
        )
        .detail(format!("raw {:.1}", kb(bundle.len())))
        .ratchet(261.0),
    );
}
