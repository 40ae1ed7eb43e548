//! The bench's rows and what becomes of them: the printed table, `bench/out/results.json`, the SVG chart of
//! every budget (value against budget), and the change per row against an earlier results file.

use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// One measure. With a budget, the bench fails when `value` is above it.
pub struct Row {
    /// Stable key, used to compare runs.
    pub id: &'static str,
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
    /// How the value reads in the table, when more than `value unit` (p99, raw and gzip beside brotli...).
    pub detail: String,
    pub budget: Option<f64>,
    /// A size ratchet (the budget is what was measured when it was set; it never grows), not a goal.
    pub ratchet: bool,
}

impl Row {
    pub fn new(id: &'static str, name: impl Into<String>, value: f64, unit: &'static str) -> Row {
        Row {
            id,
            name: name.into(),
            value,
            unit,
            detail: String::new(),
            budget: None,
            ratchet: false,
        }
    }

    pub fn budget(mut self, limit: f64) -> Row {
        self.budget = Some(limit);
        self
    }

    /// A size that must not grow past `limit` (what it measured when the ratchet was set); a change that adds
    /// bytes pays them back in the same change.
    pub fn ratchet(mut self, limit: f64) -> Row {
        self.budget = Some(limit);
        self.ratchet = true;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Row {
        self.detail = detail.into();
        self
    }

    pub fn ok(&self) -> bool {
        self.budget.is_none_or(|b| self.value <= b)
    }

    fn shown(&self) -> String {
        // Ratios near their budgets need their second decimal.
        let v = if self.unit == "×" {
            format!("{:.2} ×", self.value)
        } else {
            format!("{} {}", number(self.value), self.unit)
        };
        if self.detail.is_empty() {
            v
        } else {
            format!("{v} ({})", self.detail)
        }
    }
}

fn number(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

pub fn print(rows: &[Row]) {
    println!("{:<66} {:>34}  budget", "measure", "value");
    for r in rows {
        let budget = match r.budget {
            Some(b) if r.ok() && r.ratchet => format!("ok (ratchet ≤ {} {})", number(b), r.unit),
            Some(b) if r.ok() && r.unit == "×" => format!("ok (≤ {b:.2} ×)"),
            Some(b) if r.unit == "×" => format!("MISSED (≤ {b:.2} ×)"),
            Some(b) if r.ok() => format!("ok (≤ {} {})", number(b), r.unit),
            Some(b) if r.ratchet => format!("GREW (ratchet ≤ {} {})", number(b), r.unit),
            Some(b) => format!("MISSED (≤ {} {})", number(b), r.unit),
            None => String::new(),
        };
        println!("{:<66} {:>34}  {budget}", r.name, r.shown());
    }
}

pub fn results(rows: &[Row]) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| json!({"id": r.id, "name": r.name, "value": r.value, "unit": r.unit, "detail": r.detail, "budget": r.budget, "ratchet": r.ratchet, "ok": r.ok()}))
        .collect();
    json!({"rows": rows})
}

/// The change per row against an earlier `results.json`.
pub fn compare(rows: &[Row], old: &Value) {
    println!("\nchange against the earlier run:");
    for r in rows {
        let before = old["rows"]
            .as_array()
            .and_then(|all| all.iter().find(|o| o["id"] == r.id))
            .and_then(|o| o["value"].as_f64());
        match before {
            Some(b) if b != 0.0 => println!(
                "  {:<66} {:>10} → {:>10} {:<6} {:+.1}%",
                r.name,
                number(b),
                number(r.value),
                r.unit,
                (r.value - b) / b * 100.0
            ),
            Some(b) => println!(
                "  {:<66} {:>10} → {:>10} {}",
                r.name,
                number(b),
                number(r.value),
                r.unit
            ),
            None => println!(
                "  {:<66} {:>10} → {:>10} {} (new)",
                r.name,
                "—",
                number(r.value),
                r.unit
            ),
        }
    }
}

/// A bar per budget: the value as a share of its budget, the budget line at 100 %.
pub fn chart(rows: &[Row]) -> String {
    let budgeted: Vec<&Row> = rows.iter().filter(|r| r.budget.is_some()).collect();
    let (label_w, bar_w, row_h, top) = (560.0, 300.0, 28.0, 46.0);
    let scale = 2.0; // the bar's full width is twice the budget
    let width = label_w + bar_w + 190.0;
    let height = top + row_h * budgeted.len() as f64 + 30.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="12" y="24" font-size="15" font-weight="600" fill="#111827">scripts/bench.sh: each measure against its budget (the line)</text>
"##
    );
    let line_x = label_w + bar_w / scale;
    for (i, r) in budgeted.iter().enumerate() {
        let budget = r.budget.unwrap_or(1.0);
        let share = if budget > 0.0 { r.value / budget } else { 0.0 };
        let y = top + row_h * i as f64;
        let w = (share.min(scale) / scale * bar_w).max(1.0);
        let color = if r.ok() { "#15803d" } else { "#b91c1c" };
        let _ = write!(
            svg,
            r##"<text x="12" y="{ty}" fill="#111827">{name}</text>
<rect x="{label_w}" y="{by}" width="{w:.1}" height="16" rx="3" fill="{color}"/>
<text x="{vx}" y="{ty}" fill="{color}">{value} / {limit} {unit}</text>
"##,
            ty = y + 13.0,
            by = y + 1.0,
            name = escape(&r.name),
            vx = label_w + bar_w + 10.0,
            value = number(r.value),
            limit = number(budget),
            unit = r.unit,
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{line_x}" y1="{y1}" x2="{line_x}" y2="{y2}" stroke="#111827" stroke-dasharray="4 3"/>
<text x="{line_x}" y="{ly}" text-anchor="middle" fill="#374151">budget</text>
</svg>
"##,
        y1 = top - 6.0,
        y2 = top + row_h * budgeted.len() as f64,
        ly = top + row_h * budgeted.len() as f64 + 16.0,
    );
    svg
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

pub fn write(dir: &Path, rows: &[Row]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("results.json"),
        serde_json::to_string_pretty(&results(rows)).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("chart.svg"), chart(rows)).unwrap();
}
