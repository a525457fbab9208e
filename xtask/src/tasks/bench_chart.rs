//! The bench report's chart: per operation, APDU exchanges and wall time as horizontal bars, ours
//! beside the official module's (bench_official.rs), then the browser logins; an SVG drawn with
//! plotters' SVG backend (which escapes every text it writes).

use std::time::Duration;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One operation of the chart.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ChartRow {
    /// The operation's name, shown as is (escaped by the backend).
    pub name: String,
    /// Our APDU exchanges and wall time.
    pub ours: (u64, Duration),
    /// The official module's, where it has the same operation.
    pub official: Option<(u64, Duration)>,
}

const OURS: RGBColor = RGBColor(31, 119, 180);
const OFFICIAL: RGBColor = RGBColor(255, 127, 14);
const GRID: RGBColor = RGBColor(220, 220, 220);

const WIDTH: u32 = 1520;
const LABELS: i32 = 620;
const PANEL: i32 = 380;
const GAP: i32 = 30;
const ROW: i32 = 30;
const TOP: i32 = 110;
const HEADING: i32 = 34;

/// The SVG: `rows` (the operations measured with the latency model `model`), then `browsers`
/// (ours only) under a heading of their own; `source` names where the official figures come from.
pub(crate) fn svg(rows: &[ChartRow], browsers: &[ChartRow], model: &str, source: &str) -> Result<String, String> {
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX / 2);
    let notes = wrap(source, 190);
    let height = TOP + (count(rows.len()) + count(browsers.len())) * ROW + HEADING * 2 + 50 + count(notes.len()) * 15;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, u32::try_from(height).unwrap_or(800))).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        // plotters writes a font of size s as s / 1.24 px.
        let font = |size: i32| ("sans-serif", f64::from(size) * 1.24).into_font();
        let text = |s: &str, at: (i32, i32), size: i32, pos: Pos, colour: &RGBColor| {
            root.draw(&Text::new(s.to_owned(), at, font(size).color(colour).pos(pos)))
        };
        let left = Pos::new(HPos::Left, VPos::Center);
        let err = |e: DrawingAreaErrorKind<_>| e.to_string();
        text("cie: APDU exchanges and wall time per operation", (20, 24), 22, left, &BLACK).map_err(err)?;
        text(&format!("through pcscd and the simulated card, latency model {model:?}"), (20, 50), 14, left, &BLACK)
            .map_err(err)?;
        // Legend.
        for (i, (colour, label)) in
            [(OURS, "this middleware (measured)"), (OFFICIAL, "official module (its design under the same model)")]
                .iter()
                .enumerate()
        {
            let x = 20 + count(i) * 300;
            root.draw(&Rectangle::new([(x, 68), (x + 14, 82)], colour.filled())).map_err(err)?;
            text(label, (x + 20, 75), 13, left, &BLACK).map_err(err)?;
        }

        let panels = [("APDU exchanges", LABELS), ("wall time (ms)", LABELS + PANEL + GAP)];
        let max_ex = rows.iter().chain(browsers).flat_map(|r| [Some(r.ours.0), r.official.map(|o| o.0)]).flatten();
        let max_ex = max_ex.max().unwrap_or(1).max(1) as f64;
        let max_ms = rows.iter().chain(browsers).flat_map(|r| [Some(r.ours.1), r.official.map(|o| o.1)]).flatten();
        let max_ms = max_ms.max().unwrap_or(Duration::ZERO).as_secs_f64().max(1e-3) * 1000.0;
        let bottom = height - 30 - count(notes.len()) * 15;
        for ((title, x0), max) in panels.iter().zip([max_ex, max_ms]) {
            text(title, (*x0, TOP - 12), 14, left, &BLACK).map_err(err)?;
            // Five grid lines with their values.
            for k in 0..=4 {
                let x = x0 + PANEL * k / 4;
                root.draw(&PathElement::new(vec![(x, TOP), (x, bottom)], GRID)).map_err(err)?;
                let v = max * f64::from(k) / 4.0;
                let centre = Pos::new(HPos::Center, VPos::Top);
                text(&format!("{v:.0}"), (x, bottom + 4), 11, centre, &BLACK).map_err(err)?;
            }
        }
        let bar = |x0: i32, max: f64, v: f64| x0 + ((v / max) * f64::from(PANEL)).round() as i32;
        let mut y = TOP;
        for (heading, group) in [("PKCS#11 module, cie-core, TLS", rows), ("browsers (this middleware)", browsers)] {
            if group.is_empty() {
                continue;
            }
            text(heading, (20, y + HEADING / 2), 15, left, &BLACK).map_err(err)?;
            y += HEADING;
            for r in group {
                text(&r.name, (20, y + ROW / 2), 12, left, &BLACK).map_err(err)?;
                let values = |(ex, wall): (u64, Duration)| [ex as f64, wall.as_secs_f64() * 1000.0];
                let series = [(Some(r.ours), OURS, 0), (r.official, OFFICIAL, ROW / 2 - 2)];
                for (figures, colour, dy) in series {
                    let Some(figures) = figures else { continue };
                    for (((_, x0), max), v) in panels.iter().zip([max_ex, max_ms]).zip(values(figures)) {
                        let (top, end) = (y + 2 + dy, bar(*x0, max, v));
                        root.draw(&Rectangle::new([(*x0, top), (end.max(x0 + 1), top + ROW / 2 - 4)], colour.filled()))
                            .map_err(err)?;
                        let label = if *x0 == LABELS || v >= 100.0 { format!("{v:.0}") } else { format!("{v:.1}") };
                        text(&label, (end + 4, top + ROW / 4 - 2), 10, left, &BLACK).map_err(err)?;
                    }
                }
                y += ROW;
            }
        }
        for (i, line) in notes.iter().enumerate() {
            text(line, (20, bottom + 30 + count(i) * 15), 10, left, &RGBColor(90, 90, 90)).map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(out)
}

/// `text` in lines of at most about `width` characters, broken between words.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tags open and close in order (a small well-formedness check: no XML parser in xtask).
    fn balanced(svg: &str) -> bool {
        let mut stack: Vec<&str> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let Some(end) = rest[start..].find('>') else { return false };
            let tag = &rest[start + 1..start + end];
            rest = &rest[start + end + 1..];
            if tag.starts_with('?') || tag.starts_with('!') || tag.ends_with('/') {
                continue;
            }
            let name = tag.trim_start_matches('/').split_whitespace().next().unwrap_or("");
            if tag.starts_with('/') {
                if stack.pop() != Some(name) {
                    return false;
                }
            } else {
                stack.push(name);
            }
        }
        stack.is_empty() && !rest.contains('<')
    }

    #[test]
    fn chart_of_fixed_rows() {
        let ms = Duration::from_millis;
        let rows = vec![
            ChartRow {
                name: "C_Login (first on this card)".into(),
                ours: (23, ms(1526)),
                official: Some((24, ms(1900))),
            },
            ChartRow { name: "further C_Sign".into(), ours: (3, ms(395)), official: Some((20, ms(1665))) },
            ChartRow { name: "C_OpenSession <b> & \"x\" 'y'".into(), ours: (0, ms(0)), official: None },
        ];
        let browsers =
            vec![ChartRow { name: "Chromium: first login & PIN".into(), ours: (40, ms(4200)), official: None }];
        let svg =
            svg(&rows, &browsers, "realistic", &format!("{} PROTOCOL.md §9 <estimate>", "word ".repeat(50))).unwrap();
        assert_eq!(wrap("a bb ccc dd", 6), ["a bb", "ccc dd"]);
        assert!(svg.trim_start().starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
        assert!(balanced(&svg), "{svg}");
        for name in ["C_Login (first on this card)", "further C_Sign", "Chromium: first login &amp; PIN"] {
            assert!(svg.contains(name), "{name} missing");
        }
        assert!(svg.contains("C_OpenSession &lt;b&gt; &amp; &quot;x&quot; &apos;y&apos;"), "not escaped: {svg}");
        assert!(!svg.contains("<b>") && svg.contains("§9 &lt;estimate&gt;"));
        // Bars: ours for each of the 4 rows and the official module's for 2, in both panels.
        let bars = |c: RGBColor| svg.matches(&format!("fill=\"#{:02X}{:02X}{:02X}\"", c.0, c.1, c.2)).count();
        assert_eq!(bars(OURS), 4 * 2 + 1, "{svg}");
        assert_eq!(bars(OFFICIAL), 2 * 2 + 1, "{svg}");
        // The values beside the bars (plotters puts a text's content on a line of its own).
        for v in ["1665", "24", "4200", "395", "0.0"] {
            assert!(svg.contains(&format!(">\n{v}\n<")), "{v} missing");
        }
    }
}
