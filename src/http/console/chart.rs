//! Bar charts as inline SVG, laid out here and drawn by the templates: readable without
//! JavaScript, coloured by CSS classes (the console's CSP allows no inline style), each bar
//! with a `<title>` for pointer users. The numbers are always in a table beside the chart too.
//! Pure layout: no I/O, no clock.

/// A drawn rectangle (coordinates in the chart's own units, formatted for SVG).
pub struct Rect {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    /// A CSS class (its colour).
    pub class: &'static str,
    /// What the bar says, for the tooltip.
    pub title: String,
}

/// A text in the chart.
pub struct Label {
    pub x: String,
    pub y: String,
    pub text: String,
    /// `start`, `middle` or `end`.
    pub anchor: &'static str,
    /// `thin` for every other column label: hidden at phone width, where they would touch.
    pub class: &'static str,
}

/// A horizontal grid line with its value.
pub struct Tick {
    pub y: String,
    pub x1: String,
    pub x2: String,
    pub label: Label,
}

/// A chart: its view box and what is drawn in it.
pub struct Chart {
    pub width: u32,
    pub height: u32,
    pub rects: Vec<Rect>,
    pub labels: Vec<Label>,
    pub ticks: Vec<Tick>,
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// A round top for the value axis: 1, 2, 5 × a power of ten, at least `max`.
pub fn nice_max(max: u64) -> u64 {
    if max <= 4 {
        return 4;
    }
    let mut step = 1u64;
    loop {
        for m in [1u64, 2, 5] {
            let top = m.saturating_mul(step).saturating_mul(4);
            if top >= max {
                return top;
            }
        }
        step = step.saturating_mul(10);
        if step > u64::MAX / 100 {
            return max;
        }
    }
}

#[allow(clippy::cast_precision_loss)] // counts far below 2^52
fn ratio(v: u64, max: u64) -> f64 {
    if max == 0 { 0.0 } else { v as f64 / max as f64 }
}

/// One column of a vertical bar chart: its label under the axis and its stacked parts
/// (value, CSS class, tooltip).
pub struct Column {
    pub label: String,
    pub parts: Vec<(u64, &'static str, String)>,
}

const WIDTH: u32 = 720;
const HEIGHT: u32 = 260;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 34.0;

/// A vertical (stacked) bar chart with a value axis of four steps; at most `max_labels`
/// column labels are written under the axis (evenly spaced), so a year of weeks stays legible.
pub fn columns(cols: &[Column], max_labels: usize) -> Chart {
    let plot_w = f64::from(WIDTH) - LEFT - RIGHT;
    let plot_h = f64::from(HEIGHT) - TOP - BOTTOM;
    let max = cols
        .iter()
        .map(|c| c.parts.iter().map(|p| p.0).sum::<u64>())
        .max()
        .unwrap_or(0);
    let top = nice_max(max);
    let mut chart = Chart {
        width: WIDTH,
        height: HEIGHT,
        rects: Vec::new(),
        labels: Vec::new(),
        ticks: Vec::new(),
    };
    for i in 0..=4u64 {
        let value = top / 4 * i;
        let y = TOP + plot_h - plot_h * ratio(value, top);
        chart.ticks.push(Tick {
            y: f(y),
            x1: f(LEFT),
            x2: f(LEFT + plot_w),
            label: Label {
                x: f(LEFT - 6.0),
                y: f(y + 4.0),
                text: value.to_string(),
                anchor: "end",
                class: "",
            },
        });
    }
    let n = cols.len().max(1);
    #[allow(clippy::cast_precision_loss)] // at most a few hundred columns
    let slot = plot_w / n as f64;
    let bar = (slot * 0.7).max(1.0);
    let every = n.div_ceil(max_labels.max(1)).max(1);
    for (i, c) in cols.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let mut base = TOP + plot_h;
        for (value, class, title) in &c.parts {
            if *value == 0 {
                continue;
            }
            let h = plot_h * ratio(*value, top);
            base -= h;
            chart.rects.push(Rect {
                x: f(x),
                y: f(base),
                w: f(bar),
                h: f(h),
                class,
                title: title.clone(),
            });
        }
        if i % every == 0 {
            chart.labels.push(Label {
                x: f(x + bar / 2.0),
                y: f(TOP + plot_h + 20.0),
                text: c.label.clone(),
                anchor: "middle",
                class: if (i / every) % 2 == 1 { "thin" } else { "" },
            });
        }
    }
    chart
}

/// One row of a horizontal bar chart: its label (written above the bar) and its parts.
pub struct Row {
    pub label: String,
    pub parts: Vec<(u64, &'static str, String)>,
}

/// A horizontal (stacked) bar chart, one row per item, scaled to the largest row (or to
/// `scale` when given, e.g. 100 for parts of a whole); each row's total is written after it.
pub fn rows(items: &[Row], scale: Option<u64>) -> Chart {
    const ROW_H: f64 = 46.0;
    const BAR_H: f64 = 18.0;
    const LEFT_H: f64 = 4.0;
    const END_ROOM: f64 = 60.0;
    let plot_w = f64::from(WIDTH) - LEFT_H - END_ROOM;
    let max = scale.unwrap_or_else(|| {
        items
            .iter()
            .map(|r| r.parts.iter().map(|p| p.0).sum::<u64>())
            .max()
            .unwrap_or(0)
    });
    let n = u32::try_from(items.len().max(1)).unwrap_or(1);
    // Whole units: the view box is written as integers.
    let height = n * 46 + 8;
    let mut chart = Chart {
        width: WIDTH,
        height,
        rects: Vec::new(),
        labels: Vec::new(),
        ticks: Vec::new(),
    };
    for (i, r) in items.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let y0 = 4.0 + ROW_H * i as f64;
        chart.labels.push(Label {
            x: f(LEFT_H),
            y: f(y0 + 14.0),
            text: r.label.clone(),
            anchor: "start",
            class: "",
        });
        let mut x = LEFT_H;
        let total: u64 = r.parts.iter().map(|p| p.0).sum();
        for (value, class, title) in &r.parts {
            if *value == 0 {
                continue;
            }
            let w = plot_w * ratio(*value, max);
            chart.rects.push(Rect {
                x: f(x),
                y: f(y0 + 20.0),
                w: f(w),
                h: f(BAR_H),
                class,
                title: title.clone(),
            });
            x += w;
        }
        chart.labels.push(Label {
            x: f(x + 6.0),
            y: f(y0 + 20.0 + BAR_H - 4.0),
            text: total.to_string(),
            anchor: "start",
            class: "",
        });
    }
    chart
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_tops_are_round() {
        assert_eq!(nice_max(0), 4);
        assert_eq!(nice_max(5), 8);
        assert_eq!(nice_max(9), 20);
        assert_eq!(nice_max(37), 40);
        assert_eq!(nice_max(41), 80);
        assert_eq!(nice_max(1234), 2000);
    }

    #[test]
    fn stacked_columns_stand_on_the_axis() {
        let cols = vec![
            Column {
                label: "a".into(),
                parts: vec![(2, "k0", "2".into()), (2, "k1", "2".into())],
            },
            Column {
                label: "b".into(),
                parts: vec![(0, "k0", "0".into())],
            },
        ];
        let c = columns(&cols, 12);
        assert_eq!(c.rects.len(), 2, "no rectangle for a zero");
        // Top 4: the two parts fill the plot from its bottom (226) to its top (10).
        assert_eq!(c.rects[0].y, "118.0");
        assert_eq!(c.rects[1].y, "10.0");
        assert_eq!(c.labels.len(), 2);
        assert_eq!((c.labels[0].class, c.labels[1].class), ("", "thin"));
        assert_eq!(c.ticks.len(), 5);
    }

    #[test]
    fn rows_scale_to_the_largest() {
        let items = vec![
            Row {
                label: "x".into(),
                parts: vec![(3, "ok", "3".into()), (1, "late", "1".into())],
            },
            Row {
                label: "y".into(),
                parts: vec![(2, "ok", "2".into())],
            },
        ];
        let c = rows(&items, None);
        assert_eq!(c.rects.len(), 3);
        assert_eq!(c.rects[0].w, "492.0"); // 3/4 of 656
        assert_eq!(c.height, 100);
    }
}
