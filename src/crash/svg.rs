//! `--svg`: the trace as a timeline, one band per context, the steps named along it, and every
//! crash point coloured by the worst outcome of its states — where in the fault path stale data
//! becomes reachable, at a glance.

use std::fmt::Write;

use super::class::Class;
use super::report::Report;

fn colour(c: Class) -> &'static str {
    match c {
        Class::Clean => "#4caf50",
        Class::Repairable => "#cddc39",
        Class::Corrupt => "#ff9800",
        Class::LostDurableData => "#9c27b0",
        Class::StaleData => "#e53935",
        Class::ReplayFailure => "#212121",
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The timeline of `r` as an SVG document.
pub fn render(r: &Report) -> String {
    const BANDS: [&str; 3] = ["fault", "jbd2", "flusher"];
    let n = r.points.len().max(1);
    let cell = if n > 400 { 2.0 } else { (1000.0 / n as f64).clamp(3.0, 14.0) };
    let left = 70.0;
    let top = 150.0;
    let band_h = 28.0;
    let width = left + cell * n as f64 + 30.0;
    let height = top + band_h * BANDS.len() as f64 + 90.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" font-family="sans-serif" font-size="11">"#
    );
    let title = format!(
        "{} — policy {}{} — {} crash points, {} states checked, {} violations",
        r.workload,
        r.policy,
        if r.injected.is_empty() { String::new() } else { format!(" + {}", r.injected.join(" + ")) },
        r.points_checked,
        r.states_checked,
        r.violations
    );
    let _ = writeln!(s, r#"<text x="10" y="18" font-size="13" font-weight="bold">{}</text>"#, esc(&title));
    for (i, b) in BANDS.iter().enumerate() {
        let y = top + band_h * i as f64;
        let _ = writeln!(
            s,
            r##"<rect x="{left}" y="{y}" width="{:.1}" height="{band_h}" fill="#f5f5f5" stroke="#ddd"/><text x="8" y="{:.1}">{b}</text>"##,
            cell * n as f64,
            y + band_h / 2.0 + 4.0
        );
    }
    let mut last_step = "";
    for (i, p) in r.points.iter().enumerate() {
        let x = left + cell * i as f64;
        let band = BANDS.iter().position(|b| *b == p.context).unwrap_or(0);
        let y = top + band_h * band as f64 + 3.0;
        let _ = writeln!(
            s,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>point {} ({}, {}): {} states, {} checked, {} violations, worst {}</title></rect>"#,
            (cell - 0.5).max(1.0),
            band_h - 6.0,
            colour(p.worst),
            p.point,
            esc(&p.step),
            p.context,
            p.states,
            p.checked,
            p.violations,
            p.worst
        );
        if p.step != last_step {
            last_step = &p.step;
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#999" stroke-dasharray="2,2"/><text transform="translate({:.1},{:.1}) rotate(-60)">{}</text>"##,
                top - 4.0,
                top + band_h * BANDS.len() as f64,
                x + 3.0,
                top - 8.0,
                esc(&p.step)
            );
        }
    }
    let ly = top + band_h * BANDS.len() as f64 + 30.0;
    for (i, c) in Class::ALL.iter().enumerate() {
        let x = 10.0 + 140.0 * i as f64;
        let _ = writeln!(
            s,
            r#"<rect x="{x}" y="{ly}" width="12" height="12" fill="{}"/><text x="{:.0}" y="{:.0}">{}</text>"#,
            colour(*c),
            x + 16.0,
            ly + 10.0,
            c
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="10" y="{:.0}">Each cell is a crash point (a trace position), in the band of the context that issued the event before it, coloured by the worst class among its states.</text>"#,
        ly + 36.0
    );
    s.push_str("</svg>\n");
    s
}
