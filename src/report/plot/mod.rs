//! Charts as SVG. One function, [`render_svg`], draws every plot lrtrain writes: the schedule
//! preview (`schedule --plot`), a run's `curves.svg`, `compare`'s overlays and `find-lr`'s loss
//! against rate. Like hyperfine's exports it is a pure function from data to bytes: no files, no
//! fonts looked up, and the same input gives the same bytes.
//!
//! What a caller can rely on:
//! - Points with a NaN or infinite coordinate are skipped (the line joins across them), and a note
//!   under the panel says how many: a diverged run still gets its chart.
//! - On a log axis, zero and negative values have no place: those points are skipped and a note
//!   says how many. If no point is positive on that axis at all, it falls back to linear, and a
//!   note says so (a constant-zero rate still gets a readable chart).
//! - A series longer than [`MAX_POINTS`] is decimated to the lowest and highest point of each run
//!   of consecutive points, so a 100,000-step curve is a small SVG whose spikes stay visible.
//! - A single value is widened into an interval; an empty panel draws empty axes and says so.
//! - Colours come from the Okabe-Ito palette (distinguishable with the common colour-vision
//!   deficiencies), picked by `Series::color`, else by the series' index. [`Series::styled`]
//!   gives the k-th of 32 distinct colour × dash combinations (8 colours, then each again
//!   long-dashed, dotted, dashed), so a ninth run does not repeat the first one's line.
//! - A legend is drawn when more than one series has a name, to the right of the plot area (never
//!   over a curve), one entry per named series with a sample of its line.
//! - The y axis spans the finite values of the series that did not diverge ([`Series::diverged`]),
//!   or [`Panel::y_range`] when given: a diverged run's blow-up (1e77) does not flatten the other
//!   curves. A diverged series is drawn up to where it leaves the axis and marked there with a
//!   cross and "diverged"; one that turns NaN is marked on the top edge at the x of its first
//!   NaN (the epoch it diverged in), so a run diverging in its first epoch still shows. Other
//!   lines are cut where they leave the axis, never drawn along its edge: a triangle on the edge
//!   points out of the plot where each excursion leaves, and a note says how many points lay
//!   beyond.
//! - Stacked panels share one x axis: the same extent, y-label width and legend column, so an
//!   epoch sits at the same pixel in every panel.
//! - Marker labels sit in a band at the top of the plot, one row each, on the side of their line
//!   where they fit; marker lines start below that band, so no line crosses a label.

mod axis;
mod data;

pub use data::MAX_POINTS;

use anyhow::{Context, Result, bail};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use axis::Axis;

/// How a series' line is drawn: compare plots draw training solid and validation dashed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LineStyle {
    #[default]
    Solid,
    /// Dashes of 8 pixels, gaps of 5.
    Dashed,
    /// Dots of 2 pixels, gaps of 4.
    Dotted,
    /// Dashes of 16 pixels, gaps of 6.
    LongDashed,
}

impl LineStyle {
    /// (dash, gap) in pixels; `None` for a solid line.
    fn pattern(self) -> Option<(u32, u32)> {
        match self {
            LineStyle::Solid => None,
            LineStyle::Dashed => Some((8, 5)),
            LineStyle::Dotted => Some((2, 4)),
            LineStyle::LongDashed => Some((16, 6)),
        }
    }
}

/// The dash patterns [`Series::styled`] cycles through after the 8 colours, most legible first.
const STYLE_CYCLE: [LineStyle; 4] = [
    LineStyle::Solid,
    LineStyle::LongDashed,
    LineStyle::Dotted,
    LineStyle::Dashed,
];

/// How many series [`Series::styled`] keeps apart before a combination repeats.
pub const DISTINCT_STYLES: usize = PALETTE.len() * STYLE_CYCLE.len();

/// One curve: `(x, y)` points joined in the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// Shown in the legend; an empty name keeps the series out of it.
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub style: LineStyle,
    /// Palette index; a run's training and validation series share one. `None`: the series'
    /// index in its panel.
    pub color: Option<usize>,
    /// The run behind it diverged: it does not set the y range, and where it ends (or leaves
    /// the axis) is marked.
    pub diverged: bool,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.into(),
            points,
            ..Series::default()
        }
    }

    pub fn dashed(mut self) -> Series {
        self.style = LineStyle::Dashed;
        self
    }

    pub fn with_color(mut self, palette_index: usize) -> Series {
        self.color = Some(palette_index);
        self
    }

    /// The `k`-th of [`DISTINCT_STYLES`] colour × dash combinations: colour `k mod 8`, then a
    /// dash pattern for each further round of 8.
    pub fn styled(mut self, k: usize) -> Series {
        self.color = Some(k % PALETTE.len());
        self.style = STYLE_CYCLE[(k / PALETTE.len()) % STYLE_CYCLE.len()];
        self
    }

    /// Marks the series as a diverged run's.
    pub fn diverged(mut self, diverged: bool) -> Series {
        self.diverged = diverged;
        self
    }
}

/// A labelled vertical line across a panel, e.g. a learning rate `find-lr` suggests.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub x: f64,
    pub label: String,
}

/// One chart: axes, curves and markers. Panels are stacked top to bottom in one SVG.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Panel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
    /// Replaces the automatic x ticks, e.g. epoch boundaries on a per-step axis: `(x, text)`.
    /// When they are too many to label, every k-th keeps its text and the rest draw grid lines.
    pub x_ticks: Option<Vec<(f64, String)>>,
    /// The x axis reaches at least down to this value (epoch panels start at 0, where the
    /// first epoch's rate starts).
    pub x_from: Option<f64>,
    /// The y range to show, in data units, instead of the data's extent (find-lr shows the
    /// informative part and cuts the final blow-up).
    pub y_range: Option<(f64, f64)>,
    /// The values cannot blow up (an accuracy stays in [0, 1]): a diverged series sets the y
    /// range like any other, so its last values are drawn, not cut.
    pub bounded_y: bool,
}

impl Panel {
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Panel {
        Panel {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Panel::default()
        }
    }
}

/// Smallest readable size of one panel, and the largest SVG side (plotters works in `i32`).
pub const MIN_WIDTH: u32 = 240;
pub const MIN_HEIGHT_PER_PANEL: u32 = 160;
const MAX_SIDE: u32 = 30_000;

/// Draws `panels` stacked top to bottom, each `width` × `height_per_panel` pixels, as an SVG
/// document.
pub fn render_svg(panels: &[Panel], width: u32, height_per_panel: u32) -> Result<String> {
    if panels.is_empty() {
        bail!("a chart needs at least one panel, found none");
    }
    if width < MIN_WIDTH || height_per_panel < MIN_HEIGHT_PER_PANEL {
        bail!(
            "a chart panel of {width}×{height_per_panel} pixels is too small to read: expected at \
             least {MIN_WIDTH}×{MIN_HEIGHT_PER_PANEL}"
        );
    }
    let height = u32::try_from(panels.len())
        .ok()
        .and_then(|n| n.checked_mul(height_per_panel))
        .filter(|&h| h <= MAX_SIDE && width <= MAX_SIDE)
        .with_context(|| {
            format!(
                "a chart of {} panels of {width}×{height_per_panel} pixels is too large: expected \
                 at most {MAX_SIDE} pixels a side",
                panels.len()
            )
        })?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).context("drawing the chart background")?;
        let layouts: Vec<Layout> = panels
            .iter()
            .map(|panel| Layout::new(panel, height_per_panel))
            .collect();
        // Stacked panels share one x axis: one width for every panel's y labels and legend, and
        // one x extent, so the same x sits at the same pixel in every panel.
        let shared = Shared {
            y_area: layouts.iter().map(|l| l.y_area).max().unwrap_or(0),
            legend_w: panels
                .iter()
                .map(|p| legend_width(p, width))
                .max()
                .unwrap_or(0),
            x_extent: if layouts.iter().all(|l| l.p.log_x == layouts[0].p.log_x) {
                axis::extent(layouts.iter().flat_map(|l| x_values(&l.p)))
            } else {
                None
            },
        };
        for (i, ((panel, layout), area)) in panels
            .iter()
            .zip(layouts)
            .zip(root.split_evenly((panels.len(), 1)))
            .enumerate()
        {
            draw_panel(panel, layout, &shared, &area)
                .with_context(|| format!("drawing chart panel {} ({:?})", i + 1, panel.title))?;
        }
        root.present().context("finishing the SVG")?;
    }
    Ok(svg)
}

/// Okabe & Ito (2008), in an order that keeps the first colours far apart; yellow, the faintest
/// on white, comes last.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

// Sizes in plotters' units (the SVG font-size is size / 1.24) and pixels.
const FONT: &str = "sans-serif";
const TITLE_SIZE: u32 = 22;
const TICK_SIZE: u32 = 15;
const DESC_SIZE: u32 = 16;
const NOTE_SIZE: u32 = 14;
/// Width of one tick-label character at TICK_SIZE (about 0.63 em of DejaVu Sans digits).
const CHAR_W: u32 = 8;
const MARGIN: u32 = 10;
/// Room on the right for half of the last x label.
const MARGIN_RIGHT: u32 = 28;
const TITLE_H: u32 = 34;
const X_AREA: u32 = 52;
const NOTE_H: u32 = 17;
/// Width of one character at NOTE_SIZE, and the height of one row of marker labels.
const NOTE_CHAR_W: u32 = 7;
const MARKER_ROW: i32 = 17;
const LINE_WIDTH: u32 = 2;
/// Length of a legend entry's line sample, and the height of one entry.
const LEGEND_SAMPLE: u32 = 30;
const LEGEND_ROW: i32 = 19;
const GRID_BOLD: RGBColor = RGBColor(0xD9, 0xD9, 0xD9);
const GRID_LIGHT: RGBColor = RGBColor(0xF0, 0xF0, 0xF0);
const MARKER_COLOR: RGBColor = RGBColor(0x44, 0x44, 0x44);
const NOTE_COLOR: RGBColor = RGBColor(0x55, 0x55, 0x55);

/// A panel's data made drawable: in plotting space, cleaned, decimated, with notes on what was
/// left out.
struct Prepared {
    log_x: bool,
    log_y: bool,
    /// Parallel to `Panel::series`: the pieces of each line inside the y axis.
    series: Vec<Vec<Vec<(f64, f64)>>>,
    markers: Vec<(f64, String)>,
    x_ticks: Option<Vec<(f64, String)>>,
    x_from: Option<f64>,
    /// The y axis' extent (plotting space), widened: the series are cut at its edges.
    y_axis: (f64, f64),
    /// Where diverged series were cut or ended (plotting space), in their series' index.
    diverged_at: Vec<(usize, (f64, f64))>,
    /// Where other series leave the y axis (plotting space), and whether above it.
    exits: Vec<(usize, (f64, f64), bool)>,
    notes: Vec<String>,
}

fn prepare(panel: &Panel) -> Prepared {
    let finite = || {
        panel
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    let any_data = finite().next().is_some();
    let log_x = panel.log_x && (!any_data || finite().any(|p| p.0 > 0.0));
    let log_y = panel.log_y && (!any_data || finite().any(|p| p.1 > 0.0));
    let mut notes = Vec::new();
    for (asked, kept, axis) in [(panel.log_x, log_x, "x"), (panel.log_y, log_y, "y")] {
        if asked && !kept {
            notes.push(format!(
                "no positive {axis} value: linear {axis} axis instead of log"
            ));
        }
    }
    let (mut non_finite, mut non_positive) = (0, 0);
    let series = panel
        .series
        .iter()
        .map(|s| {
            let c = data::clean(&s.points, log_x, log_y);
            non_finite += c.non_finite;
            non_positive += c.non_positive;
            data::decimate(c.points, MAX_POINTS)
        })
        .collect::<Vec<_>>();
    if non_finite > 0 {
        notes.push(format!(
            "{} not shown: NaN or infinite",
            count(non_finite, "point")
        ));
    }
    if non_positive > 0 {
        notes.push(format!(
            "{} not shown: zero or negative on a log axis",
            count(non_positive, "point")
        ));
    }
    if series.iter().all(|s| s.is_empty()) {
        notes.push("no data to plot".to_string());
    }
    let y_axis = axis::widen(y_extent(panel, &series, log_y), log_y, 0.05);
    // Where each series first has a NaN or infinite value: the epoch a run diverged in.
    let blow_up: Vec<Option<f64>> = panel
        .series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .find(|(x, y)| x.is_finite() && (!log_x || *x > 0.0) && !y.is_finite())
                .map(|p| data::to_axis(p.0, log_x))
        })
        .collect();
    let clipped = clip(panel, series, &blow_up, y_axis);
    if clipped.beyond > 0 {
        notes.push(format!(
            "{} beyond the y range not drawn: \u{25B2}/\u{25BC} where a line leaves it",
            count(clipped.beyond, "point")
        ));
    }
    let mut markers = Vec::new();
    for m in &panel.markers {
        if m.x.is_finite() && (!log_x || m.x > 0.0) {
            markers.push((data::to_axis(m.x, log_x), m.label.clone()));
        } else {
            notes.push(format!("marker {:?} at x = {} not shown", m.label, m.x));
        }
    }
    let x_ticks = panel.x_ticks.as_ref().map(|ticks| {
        ticks
            .iter()
            .filter(|(x, _)| x.is_finite() && (!log_x || *x > 0.0))
            .map(|(x, s)| (data::to_axis(*x, log_x), s.clone()))
            .collect()
    });
    Prepared {
        log_x,
        log_y,
        series: clipped.pieces,
        markers,
        x_ticks,
        x_from: panel
            .x_from
            .filter(|x| x.is_finite() && (!log_x || *x > 0.0))
            .map(|x| data::to_axis(x, log_x)),
        y_axis,
        diverged_at: clipped.diverged_at,
        exits: clipped.exits,
        notes,
    }
}

/// The y values the axis must show (plotting space): `Panel::y_range` when given; else the
/// series that did not diverge; else, when every series diverged, each one without its last
/// point (the blow-up before the NaN) if that leaves any.
fn y_extent(panel: &Panel, series: &[Vec<(f64, f64)>], log_y: bool) -> Option<(f64, f64)> {
    let tame = |s: &Series| !s.diverged || panel.bounded_y;
    if let Some((lo, hi)) = panel.y_range {
        let ok = |v: f64| v.is_finite() && (!log_y || v > 0.0);
        if ok(lo) && ok(hi) && lo < hi {
            return Some((data::to_axis(lo, log_y), data::to_axis(hi, log_y)));
        }
    }
    type Keep<'a> = &'a dyn Fn(&Series, &Vec<(f64, f64)>) -> Vec<f64>;
    let ys = |keep: Keep<'_>| {
        axis::extent(
            panel
                .series
                .iter()
                .zip(series)
                .flat_map(|(s, pts)| keep(s, pts)),
        )
    };
    ys(&|s, pts| match tame(s) {
        true => pts.iter().map(|p| p.1).collect(),
        false => Vec::new(),
    })
    .or_else(|| ys(&|_, pts| pts.iter().rev().skip(1).map(|p| p.1).collect()))
    .or_else(|| ys(&|_, pts| pts.iter().map(|p| p.1).collect()))
}

/// A series fitted into the y axis `[lo, hi]` (plotting space): the pieces of its line inside,
/// where it leaves the axis (a triangle pointing out of it), and how many points lay beyond.
#[derive(Debug, Default, PartialEq)]
struct Fitted {
    pieces: Vec<Vec<(f64, f64)>>,
    /// Where the line leaves the axis (or starts outside it), on the edge; `true`: above.
    exits: Vec<((f64, f64), bool)>,
    beyond: usize,
}

/// Cuts a line at the edges of `[lo, hi]`: nothing is drawn along an edge. Each excursion beyond
/// the axis is marked once, where the line leaves it.
fn fit(pts: &[(f64, f64)], lo: f64, hi: f64) -> Fitted {
    let side = |y: f64| {
        if y > hi {
            1
        } else if y < lo {
            -1
        } else {
            0
        }
    };
    let edge = |s: i32| if s > 0 { hi } else { lo };
    // The point of segment p→q at height y (p.1 != q.1 when called).
    let at =
        |p: (f64, f64), q: (f64, f64), y: f64| (p.0 + (q.0 - p.0) * (y - p.1) / (q.1 - p.1), y);
    let mut out = Fitted::default();
    let mut piece: Vec<(f64, f64)> = Vec::new();
    let mut prev: Option<(f64, f64)> = None;
    for &q in pts {
        let sq = side(q.1);
        if sq != 0 {
            out.beyond += 1;
        }
        match prev {
            None => {
                if sq == 0 {
                    piece.push(q);
                } else {
                    out.exits.push(((q.0, edge(sq)), sq > 0));
                }
            }
            Some(p) => {
                let sp = side(p.1);
                match (sp, sq) {
                    (0, 0) => piece.push(q),
                    (0, _) => {
                        let c = at(p, q, edge(sq));
                        piece.push(c);
                        out.pieces.push(std::mem::take(&mut piece));
                        out.exits.push((c, sq > 0));
                    }
                    (_, 0) => {
                        piece.push(at(p, q, edge(sp)));
                        piece.push(q);
                    }
                    (a, b) if a != b => {
                        let c = at(p, q, edge(sq));
                        out.pieces.push(vec![at(p, q, edge(sp)), c]);
                        out.exits.push((c, sq > 0));
                    }
                    _ => {}
                }
            }
        }
        prev = Some(q);
    }
    if !piece.is_empty() {
        out.pieces.push(piece);
    }
    out
}

/// What fitting every series gives: per series its pieces, the diverged marks `(series, point)`,
/// the exit marks `(series, point, above)`, and how many points lay beyond the axis.
struct Clipped {
    pieces: Vec<Vec<Vec<(f64, f64)>>>,
    diverged_at: Vec<(usize, (f64, f64))>,
    exits: Vec<(usize, (f64, f64), bool)>,
    beyond: usize,
}

/// Fits the series into the y axis `[lo, hi]`. A diverged series ends where it diverged: at its
/// first point beyond the axis (drawn to the edge there), at its first NaN or infinite value
/// (`blow_up`, the x of the epoch it diverged in: marked on the top edge), or at its last
/// point, whichever comes first; it is marked there. Other series are cut at the edges and
/// each excursion is marked where it leaves.
fn clip(
    panel: &Panel,
    series: Vec<Vec<(f64, f64)>>,
    blow_up: &[Option<f64>],
    (lo, hi): (f64, f64),
) -> Clipped {
    let mut c = Clipped {
        pieces: Vec::new(),
        diverged_at: Vec::new(),
        exits: Vec::new(),
        beyond: 0,
    };
    for (i, (s, mut pts)) in panel.series.iter().zip(series).enumerate() {
        if s.diverged {
            let nan_x = blow_up[i];
            if let Some(x) = nan_x {
                pts.retain(|p| p.0 < x);
            }
            let cut = pts.iter().position(|p| p.1 < lo || p.1 > hi);
            if let Some(cut) = cut {
                pts.truncate(cut + 1);
                pts[cut].1 = pts[cut].1.clamp(lo, hi);
            }
            let mark = match (cut, nan_x) {
                (None, Some(x)) => Some((x, hi)),
                _ => pts.last().copied(),
            };
            if let Some(m) = mark {
                c.diverged_at.push((i, m));
            }
            c.pieces.push(vec![pts]);
        } else {
            let f = fit(&pts, lo, hi);
            c.beyond += f.beyond;
            c.exits
                .extend(f.exits.into_iter().map(|(p, up)| (i, p, up)));
            c.pieces.push(f.pieces);
        }
    }
    c
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// What is decided about a panel before drawing: its data, its y axis (which depends only on the
/// height), and the room that axis' labels need.
struct Layout {
    p: Prepared,
    y: Axis,
    /// Space under the x axis for the notes.
    bottom: u32,
    y_area: u32,
}

impl Layout {
    fn new(panel: &Panel, h: u32) -> Layout {
        let p = prepare(panel);
        let title_h = if panel.title.is_empty() { 0 } else { TITLE_H };
        let bottom = MARGIN + NOTE_H * p.notes.len() as u32;
        let plot_h = h.saturating_sub(MARGIN + title_h + X_AREA + bottom).max(40);
        let (y_lo, y_hi) = p.y_axis;
        let y = Axis::auto(y_lo, y_hi, p.log_y, (plot_h / 40).clamp(2, 10) as usize);
        // Tick labels, a gap, and the rotated axis description.
        let y_area = y.widest_label() as u32 * CHAR_W + 40;
        Layout {
            p,
            y,
            bottom,
            y_area,
        }
    }
}

/// What the stacked panels of one chart share so their x axes line up.
struct Shared {
    y_area: u32,
    legend_w: u32,
    /// The x extent of every panel's data (plotting space), when all have the same x scale.
    x_extent: Option<(f64, f64)>,
}

/// The series named in the legend: it is drawn when more than one is.
fn named(panel: &Panel) -> Vec<usize> {
    (0..panel.series.len())
        .filter(|&i| !panel.series[i].name.is_empty())
        .collect()
}

/// The width of a panel's legend column, right of the plot (so it never covers a curve).
fn legend_width(panel: &Panel, w: u32) -> u32 {
    let named = named(panel);
    match named.len() {
        0 | 1 => 0,
        _ => {
            let widest = named
                .iter()
                .map(|&i| panel.series[i].name.chars().count())
                .max()
                .unwrap_or(0) as u32;
            (LEGEND_SAMPLE + 14 + widest * CHAR_W).min(w / 3)
        }
    }
}

fn draw_panel(
    panel: &Panel,
    Layout { p, y, bottom, .. }: Layout,
    shared: &Shared,
    area: &DrawingArea<SVGBackend<'_>, Shift>,
) -> Result<()> {
    let (w, h) = area.dim_in_pixel();
    let named = named(panel);
    let (y_area, legend_w) = (shared.y_area, shared.legend_w);
    let plot_w = w
        .saturating_sub(MARGIN + y_area + MARGIN_RIGHT + legend_w)
        .max(40);
    let x = x_axis(&p, shared.x_extent, plot_w);
    if !(x.hi - x.lo).is_finite() || !(y.hi - y.lo).is_finite() {
        bail!(
            "the values span more than a 64-bit float can hold; there is no scale to draw them on"
        );
    }

    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(MARGIN)
        .margin_left(MARGIN)
        .margin_right(MARGIN_RIGHT + legend_w)
        .margin_bottom(bottom)
        .x_label_area_size(X_AREA)
        .y_label_area_size(y_area);
    if !panel.title.is_empty() {
        builder.caption(&panel.title, (FONT, TITLE_SIZE));
    }
    let mut chart = builder.build_cartesian_2d(x.clone(), y.clone())?;
    chart
        .configure_mesh()
        .x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str())
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, DESC_SIZE))
        .bold_line_style(GRID_BOLD)
        .light_line_style(GRID_LIGHT)
        .draw()?;

    for (i, (series, pieces)) in panel.series.iter().zip(&p.series).enumerate() {
        let style = line_style(series, i);
        for points in pieces {
            match series.style.pattern() {
                None => chart.draw_series(LineSeries::new(points.iter().copied(), style))?,
                Some((dash, gap)) => chart.draw_series(DashedLineSeries::new(
                    points.iter().copied(),
                    dash,
                    gap,
                    style,
                ))?,
            };
        }
        // A line through one point draws nothing: show the point itself.
        if let [only] = pieces.as_slice()
            && let [only] = only.as_slice()
        {
            chart.draw_series(std::iter::once(Circle::new(*only, 4, style.filled())))?;
        }
    }
    // A line leaving the y axis: a triangle on the edge, pointing out of the plot.
    for &(i, at, above) in &p.exits {
        let style = line_style(&panel.series[i], i).filled();
        let d = if above { 9 } else { -9 };
        chart.draw_series(std::iter::once(
            EmptyElement::at(at) + Polygon::new(vec![(0, 0), (-5, d), (5, d)], style),
        ))?;
    }
    for &(i, at) in &p.diverged_at {
        let style = line_style(&panel.series[i], i);
        let text = (FONT, NOTE_SIZE)
            .into_font()
            .color(&style.color)
            .pos(Pos::new(HPos::Right, VPos::Bottom));
        chart.draw_series(std::iter::once(
            EmptyElement::at(at)
                + Cross::new((0, 0), 6, style)
                + Text::new("diverged", (-6, -6), text),
        ))?;
    }

    // Marker labels: one row each (left to right) at the top of the plot, on the side of their
    // line where they fit. A line starts under its own label, or under the lowest label that
    // spans its x, so no line crosses a label.
    let marker_style = ShapeStyle::from(MARKER_COLOR).stroke_width(1);
    let (plot_px_w, plot_px_h) = chart.plotting_area().dim_in_pixel();
    let mut order: Vec<usize> = (0..p.markers.len()).collect();
    order.sort_by(|&a, &b| p.markers[a].0.total_cmp(&p.markers[b].0));
    // Per row: the marker's pixel x, its label's offset and anchor, and the label's pixel span.
    let placed: Vec<(f64, i32, HPos, (f64, f64))> = order
        .iter()
        .map(|&i| {
            let (mx, label) = &p.markers[i];
            let px = (mx - x.lo) / (x.hi - x.lo) * plot_px_w as f64;
            let text_w = f64::from(label.chars().count() as u32 * NOTE_CHAR_W);
            if px + 5.0 + text_w <= plot_px_w as f64 || px - 5.0 - text_w < 0.0 {
                (px, 5, HPos::Left, (px + 5.0, px + 5.0 + text_w))
            } else {
                (px, -5, HPos::Right, (px - 5.0 - text_w, px - 5.0))
            }
        })
        .collect();
    let row_top = |row: usize| 4 + MARKER_ROW * row as i32;
    for (row, &i) in order.iter().enumerate() {
        let (mx, label) = &p.markers[i];
        let (px, dx, h_pos, _) = placed[row];
        let lowest = (row..placed.len())
            .filter(|&r| r == row || (placed[r].3.0 - 2.0..=placed[r].3.1 + 2.0).contains(&px))
            .max()
            .unwrap_or(row);
        let start = row_top(lowest + 1);
        chart.draw_series(std::iter::once(
            EmptyElement::at((*mx, y.hi))
                + DashedPathElement::new([(0, start), (0, plot_px_h as i32)], 6, 4, marker_style),
        ))?;
        let text_style = (FONT, NOTE_SIZE)
            .into_font()
            .color(&MARKER_COLOR)
            .pos(Pos::new(h_pos, VPos::Top));
        chart.draw_series(std::iter::once(
            EmptyElement::at((*mx, y.hi))
                + Text::new(label.clone(), (dx, row_top(row)), text_style),
        ))?;
    }

    if legend_w > 0 {
        // Entries top-down from the plot's top edge, right of its right edge.
        let (px, py) = chart.plotting_area().get_base_pixel();
        let (pw, _) = chart.plotting_area().dim_in_pixel();
        let (ax, ay) = area.get_base_pixel();
        let left = px - ax + pw as i32 + MARGIN as i32;
        let label = (FONT, TICK_SIZE)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (row, &i) in named.iter().enumerate() {
            let series = &panel.series[i];
            let style = line_style(series, i);
            let y = py - ay + 10 + LEGEND_ROW * row as i32;
            let sample = [(left, y), (left + LEGEND_SAMPLE as i32, y)];
            match series.style.pattern() {
                None => area.draw(&PathElement::new(sample, style))?,
                Some((dash, gap)) => {
                    area.draw(&DashedPathElement::new(sample, dash, gap, style))?
                }
            }
            area.draw(&Text::new(
                series.name.clone(),
                (left + LEGEND_SAMPLE as i32 + 6, y),
                label.clone(),
            ))?;
        }
    }

    let note_style = (FONT, NOTE_SIZE)
        .into_font()
        .style(FontStyle::Italic)
        .color(&NOTE_COLOR);
    for (i, note) in p.notes.iter().enumerate() {
        let top = h.saturating_sub(bottom) + 2 + NOTE_H * i as u32;
        area.draw(&Text::new(
            note.clone(),
            (MARGIN as i32, top as i32),
            note_style.clone(),
        ))?;
    }
    Ok(())
}

/// A series' colour and stroke.
fn line_style(series: &Series, index: usize) -> ShapeStyle {
    let color = PALETTE[series.color.unwrap_or(index) % PALETTE.len()];
    ShapeStyle::from(color).stroke_width(LINE_WIDTH)
}

/// Every x a panel must show (plotting space): its data, where runs diverged, its markers and
/// caller-given ticks.
fn x_values(p: &Prepared) -> impl Iterator<Item = f64> + '_ {
    let custom = p.x_ticks.iter().flatten().map(|t| t.0).chain(p.x_from);
    let data = p.series.iter().flatten().flatten().map(|pt| pt.0);
    let diverged = p.diverged_at.iter().map(|d| d.1.0);
    let markers = p.markers.iter().map(|m| m.0);
    data.chain(diverged).chain(markers).chain(custom)
}

/// The x axis over `extent` (else the panel's own), with caller-given ticks, or automatic ones
/// thinned until their labels fit `plot_w`.
fn x_axis(p: &Prepared, extent: Option<(f64, f64)>, plot_w: u32) -> Axis {
    let extent = extent.or_else(|| axis::extent(x_values(p)));
    let (lo, hi) = axis::widen(extent, p.log_x, 0.0);
    if let Some(ticks) = &p.x_ticks {
        let widest = ticks.iter().map(|t| t.1.chars().count()).max().unwrap_or(1) as u32;
        let max_labels = plot_w / (widest * CHAR_W + 24);
        return Axis::custom(lo, hi, ticks.clone(), max_labels as usize);
    }
    let mut target = (plot_w / 90).clamp(2, 12) as usize;
    loop {
        let a = Axis::auto(lo, hi, p.log_x, target);
        let needed = a.major.len() as u32 * (a.widest_label() as u32 * CHAR_W + 16);
        if needed <= plot_w || target <= 2 {
            return a;
        }
        target -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses the SVG, failing the test if it is not well-formed XML.
    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not well-formed XML: {e}"))
    }

    fn texts(svg: &str) -> Vec<String> {
        parse(svg)
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or("").trim().to_string())
            .collect()
    }

    /// The point lists of the polylines stroked in `color`.
    fn polylines(svg: &str, color: RGBColor) -> Vec<Vec<(i32, i32)>> {
        let hex = format!("#{:02X}{:02X}{:02X}", color.0, color.1, color.2);
        parse(svg)
            .descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .filter(|n| {
                n.attribute("stroke")
                    .is_some_and(|s| s.eq_ignore_ascii_case(&hex))
            })
            .map(|n| {
                n.attribute("points")
                    .unwrap_or("")
                    .split_whitespace()
                    .map(|xy| {
                        let (x, y) = xy.split_once(',').expect("x,y");
                        (x.parse().expect("x"), y.parse().expect("y"))
                    })
                    .collect()
            })
            .collect()
    }

    fn ramp(n: usize) -> Vec<(f64, f64)> {
        (0..n).map(|i| (i as f64, 1.0 / (1.0 + i as f64))).collect()
    }

    fn one(series: Vec<Series>) -> Panel {
        Panel {
            series,
            ..Panel::new("Loss", "epoch", "loss")
        }
    }

    fn render(panel: Panel) -> String {
        render_svg(&[panel], 800, 400).expect("renders")
    }

    #[test]
    fn fit_cuts_a_line_at_the_edges_and_marks_each_excursion_once() {
        // In, out above, out above, in, out below, through the axis top to bottom.
        let pts = [(0.0, 0.5), (1.0, 1.5), (2.0, 2.0), (3.0, 0.5), (4.0, -1.0)];
        let f = fit(&pts, 0.0, 1.0);
        assert_eq!(f.beyond, 3);
        assert_eq!(
            f.pieces,
            vec![
                vec![(0.0, 0.5), (0.5, 1.0)],
                vec![(2.0 + 1.0 / 1.5, 1.0), (3.0, 0.5), (3.0 + 1.0 / 3.0, 0.0)],
            ]
        );
        assert_eq!(
            f.exits,
            vec![((0.5, 1.0), true), ((3.0 + 1.0 / 3.0, 0.0), false)]
        );
        // Starting below, jumping above: the piece across the axis; both excursions marked.
        let f = fit(&[(0.0, -1.0), (1.0, 2.0)], 0.0, 1.0);
        assert_eq!(f.pieces, vec![vec![(1.0 / 3.0, 0.0), (2.0 / 3.0, 1.0)]]);
        assert_eq!(f.exits, vec![((0.0, 0.0), false), ((2.0 / 3.0, 1.0), true)]);
        // Starting outside: marked at the first point.
        let f = fit(&[(0.0, 5.0), (1.0, 6.0)], 0.0, 1.0);
        assert!(f.pieces.is_empty());
        assert_eq!(f.exits, vec![((0.0, 1.0), true)]);
    }

    #[test]
    fn a_diverged_series_is_marked_at_its_first_nan_even_with_no_finite_point() {
        let panel = one(vec![
            Series::new("tame", vec![(1.0, 2.0), (2.0, 1.0), (3.0, 0.5)]),
            Series::new("late", vec![(1.0, 2.0), (2.0, f64::NAN)]).diverged(true),
            Series::new("early", vec![(1.0, f64::NAN)]).diverged(true),
        ]);
        let p = prepare(&panel);
        let top = p.y_axis.1;
        assert_eq!(p.diverged_at, vec![(1, (2.0, top)), (2, (1.0, top))]);
    }

    #[test]
    fn a_bounded_panel_lets_a_diverged_series_set_the_y_range() {
        let series = vec![
            Series::new("tame", vec![(1.0, 0.9), (2.0, 0.95)]),
            Series::new("wild", vec![(1.0, 0.375), (2.0, 0.1)]).diverged(true),
        ];
        let p = prepare(&Panel {
            bounded_y: true,
            ..one(series.clone())
        });
        assert!(p.y_axis.0 < 0.1, "{:?}", p.y_axis);
        assert!(p.exits.is_empty() && p.notes.is_empty(), "{:?}", p.notes);
        let p = prepare(&one(series));
        assert!(
            p.y_axis.0 > 0.8,
            "an unbounded panel leaves the blow-up out"
        );
    }

    #[test]
    fn stacked_panels_share_one_x_axis_whatever_their_legends() {
        let legend = one(vec![
            Series::new("training", ramp(5)),
            Series::new("validation", ramp(5)),
        ]);
        let alone = one(vec![Series::new("", ramp(3)).with_color(0)]);
        let svg = render_svg(&[legend, alone], 800, 300).unwrap();
        let ends: Vec<i32> = polylines(&svg, PALETTE[0])
            .iter()
            .filter(|l| l.len() > 2)
            .map(|l| l[0].0)
            .collect();
        assert_eq!(ends.len(), 2);
        assert_eq!(ends[0], ends[1], "x = 0 at the same pixel in both panels");
    }

    #[test]
    fn a_marker_label_reads_rightwards_where_it_fits_and_leftwards_only_at_the_right_edge() {
        let panel = Panel {
            markers: vec![
                Marker {
                    x: 2.0,
                    label: "minimum/10 2.00e0".into(),
                },
                Marker {
                    x: 5.5,
                    label: "steepest 5.50e0".into(),
                },
                Marker {
                    x: 9.0,
                    label: "valley 9.00e0 (chosen)".into(),
                },
            ],
            ..one(vec![Series::new("", ramp(10))])
        };
        let svg = render(panel);
        let doc = parse(&svg);
        let anchor = |label: &str| {
            doc.descendants()
                .find(|n| n.has_tag_name("text") && n.text().unwrap_or("").trim() == label)
                .and_then(|n| n.attribute("text-anchor"))
                .unwrap_or("")
                .to_string()
        };
        assert_eq!(anchor("minimum/10 2.00e0"), "start");
        assert_eq!(anchor("steepest 5.50e0"), "start", "fits right of its line");
        assert_eq!(
            anchor("valley 9.00e0 (chosen)"),
            "end",
            "would run off the plot"
        );
    }

    #[test]
    fn every_awkward_input_renders_well_formed_svg() {
        let cases = [
            ("no series", one(vec![])),
            ("an empty series", one(vec![Series::new("a", vec![])])),
            (
                "a single point",
                one(vec![Series::new("a", vec![(3.0, 0.5)])]),
            ),
            (
                "all-equal y",
                one(vec![Series::new("a", vec![(0.0, 2.0), (9.0, 2.0)])]),
            ),
            (
                "all-zero y and x",
                one(vec![Series::new("a", vec![(0.0, 0.0)])]),
            ),
            (
                "NaN and infinities",
                one(vec![Series::new(
                    "a",
                    vec![
                        (0.0, 1.0),
                        (1.0, f64::NAN),
                        (f64::NEG_INFINITY, 1.0),
                        (3.0, f64::INFINITY),
                    ],
                )]),
            ),
            (
                "only NaN",
                one(vec![Series::new("a", vec![(f64::NAN, f64::NAN)])]),
            ),
            (
                "zeros and negatives on log axes",
                Panel {
                    log_x: true,
                    log_y: true,
                    ..one(vec![Series::new(
                        "a",
                        vec![(0.0, 1.0), (1e-4, -1.0), (1e-2, 0.5), (1.0, 2.0)],
                    )])
                },
            ),
            (
                "no positive value on a log axis",
                Panel {
                    log_y: true,
                    ..one(vec![Series::new("a", vec![(0.0, 0.0), (1.0, 0.0)])])
                },
            ),
            (
                "a hundred thousand points",
                one(vec![Series::new("a", ramp(100_000))]),
            ),
            (
                "huge and tiny magnitudes",
                one(vec![Series::new("a", vec![(0.0, 1e-300), (1.0, 1e300)])]),
            ),
            (
                "markup in names and labels",
                Panel {
                    markers: vec![Marker {
                        x: 0.5,
                        label: "<lr & \"co\">".into(),
                    }],
                    x_ticks: Some(vec![(0.0, "<0>".into())]),
                    ..one(vec![
                        Series::new("a<b", ramp(3)),
                        Series::new("c&d", ramp(4)),
                    ])
                },
            ),
            (
                "markers off a log axis",
                Panel {
                    log_x: true,
                    markers: vec![
                        Marker {
                            x: -1.0,
                            label: "neg".into(),
                        },
                        Marker {
                            x: f64::NAN,
                            label: "nan".into(),
                        },
                    ],
                    ..one(vec![Series::new("a", vec![(1e-3, 1.0), (1e-1, 2.0)])])
                },
            ),
        ];
        for (what, panel) in cases {
            let svg = render_svg(&[panel], 640, 320).unwrap_or_else(|e| panic!("{what}: {e:#}"));
            roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{what}: {e}"));
        }
    }

    #[test]
    fn each_solid_series_is_one_polyline_in_its_own_colour() {
        let panel = one(vec![
            Series::new("a", ramp(50)),
            Series::new("b", ramp(40)),
            Series::new("c", ramp(30)).with_color(5),
        ]);
        let svg = render(panel);
        for (color, n) in [(PALETTE[0], 50), (PALETTE[1], 40), (PALETTE[5], 30)] {
            let lines = polylines(&svg, color);
            // The curve, and the two-point sample beside its legend entry.
            assert_eq!(
                lines.iter().filter(|l| l.len() == n).count(),
                1,
                "{color:?}"
            );
            assert_eq!(
                lines.iter().filter(|l| l.len() == 2).count(),
                1,
                "{color:?}"
            );
        }
    }

    #[test]
    fn a_dashed_series_is_drawn_as_dashes_in_its_runs_colour() {
        let panel = one(vec![
            Series::new("run1 train", ramp(20)).with_color(2),
            Series::new("run1 val", ramp(20)).with_color(2).dashed(),
        ]);
        let lines = polylines(&render(panel), PALETTE[2]);
        assert_eq!(lines.iter().filter(|l| l.len() == 20).count(), 1);
        assert!(lines.len() > 5, "dashes: {}", lines.len());
    }

    #[test]
    fn the_legend_names_every_series_but_a_lone_one_needs_none() {
        let svg = render(one(vec![
            Series::new("adam", ramp(5)),
            Series::new("sgd", ramp(5)),
        ]));
        let t = texts(&svg);
        assert!(
            t.contains(&"adam".to_string()) && t.contains(&"sgd".to_string()),
            "{t:?}"
        );
        let t = texts(&render(one(vec![Series::new("adam", ramp(5))])));
        assert!(!t.contains(&"adam".to_string()), "{t:?}");
    }

    #[test]
    fn titles_axis_labels_and_marker_labels_are_written() {
        let panel = Panel {
            markers: vec![Marker {
                x: 2.0,
                label: "suggested 3e-4".into(),
            }],
            ..one(vec![Series::new("a", ramp(5))])
        };
        let t = texts(&render(panel));
        for want in ["Loss", "epoch", "loss", "suggested 3e-4"] {
            assert!(t.iter().any(|s| s == want), "{want} missing from {t:?}");
        }
    }

    #[test]
    fn a_log_axis_is_labelled_with_powers_of_ten() {
        let points = (0..=40)
            .map(|i| (i as f64, 10f64.powf(-5.0 + i as f64 / 10.0)))
            .collect();
        let panel = Panel {
            log_y: true,
            ..Panel::new("lr", "step", "learning rate")
        };
        let t = texts(&render(Panel {
            series: vec![Series::new("lr", points)],
            ..panel
        }));
        for want in ["1e-5", "1e-4", "1e-3", "0.01", "0.1"] {
            assert!(t.iter().any(|s| s == want), "{want} missing from {t:?}");
        }
    }

    #[test]
    fn epoch_ticks_replace_the_automatic_ones() {
        let panel = Panel {
            x_ticks: Some(
                (0..=5)
                    .map(|e| (e as f64 * 100.0, format!("ep{e}")))
                    .collect(),
            ),
            ..one(vec![Series::new("lr", ramp(500))])
        };
        let t = texts(&render(panel));
        for e in 0..=5 {
            assert!(t.contains(&format!("ep{e}")), "{t:?}");
        }
        assert!(!t.iter().any(|s| s == "200"), "{t:?}");
    }

    #[test]
    fn a_hundred_thousand_steps_are_decimated_but_the_spike_stays() {
        let mut points: Vec<_> = (0..100_000).map(|i| (i as f64, 1.0)).collect();
        points[54_321].1 = 10.0;
        let svg = render(one(vec![Series::new("loss", points)]));
        let lines = polylines(&svg, PALETTE[0]);
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert!(line.len() <= MAX_POINTS, "{}", line.len());
        let top = line.iter().map(|p| p.1).min().unwrap();
        let bottom = line.iter().map(|p| p.1).max().unwrap();
        // The plot is about 300 px tall; the spike reaches nearly to its top.
        assert!(bottom - top > 250, "spike spans {top}..{bottom}");
        assert!(svg.len() < 200_000, "{} bytes", svg.len());
    }

    #[test]
    fn nan_points_are_skipped_and_counted_in_a_note() {
        let mut points = ramp(10);
        points[3].1 = f64::NAN;
        points[9].1 = f64::INFINITY;
        let svg = render(one(vec![Series::new("loss", points)]));
        let lines = polylines(&svg, PALETTE[0]);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), 8);
        assert!(
            texts(&svg)
                .iter()
                .any(|t| t.starts_with("2 points not shown"))
        );
    }

    #[test]
    fn non_positive_values_on_a_log_axis_are_dropped_with_a_note_or_the_axis_turns_linear() {
        let panel = Panel {
            log_x: true,
            ..one(vec![Series::new(
                "loss",
                vec![(0.0, 1.0), (1e-3, 1.0), (1e-1, 2.0)],
            )])
        };
        let svg = render(panel);
        assert_eq!(polylines(&svg, PALETTE[0])[0].len(), 2);
        assert!(
            texts(&svg)
                .iter()
                .any(|t| t.starts_with("1 point not shown: zero or negative"))
        );

        let panel = Panel {
            log_y: true,
            ..one(vec![Series::new("lr", vec![(0.0, 0.0), (5.0, 0.0)])])
        };
        let svg = render(panel);
        assert_eq!(polylines(&svg, PALETTE[0])[0].len(), 2);
        assert!(
            texts(&svg)
                .iter()
                .any(|t| t.contains("linear y axis instead of log"))
        );
    }

    #[test]
    fn panels_are_stacked_in_one_svg() {
        let panels = ["loss", "accuracy", "lr"].map(|n| Panel {
            series: vec![Series::new(n, ramp(10))],
            ..Panel::new(n, "epoch", n)
        });
        let svg = render_svg(&panels, 800, 300).unwrap();
        let doc = parse(&svg);
        assert_eq!(doc.root_element().attribute("height"), Some("900"));
        assert_eq!(polylines(&svg, PALETTE[0]).len(), 3);
    }

    #[test]
    fn the_same_input_gives_the_same_bytes() {
        let panel = || Panel {
            log_x: true,
            markers: vec![Marker {
                x: 1e-3,
                label: "min".into(),
            }],
            ..one(vec![
                Series::new(
                    "a",
                    (1..500)
                        .map(|i| (i as f64 * 1e-5, (i as f64).sin()))
                        .collect(),
                ),
                Series::new("b", ramp(300)).dashed(),
            ])
        };
        assert_eq!(render(panel()), render(panel()));
    }

    #[test]
    fn impossible_requests_are_errors_not_panics() {
        let err = render_svg(&[], 800, 400).unwrap_err();
        assert!(format!("{err}").contains("at least one panel"), "{err}");
        let err = render_svg(&[Panel::default()], 10, 10).unwrap_err();
        assert!(format!("{err}").contains("too small"), "{err}");
        let wild = one(vec![Series::new("a", vec![(0.0, -1e308), (1.0, 1e308)])]);
        let err = render_svg(&[wild], 800, 400).unwrap_err();
        assert!(format!("{err:#}").contains("panel 1 (\"Loss\")"), "{err:#}");
        let many = vec![Panel::default(); 1000];
        let err = render_svg(&many, 800, 400).unwrap_err();
        assert!(format!("{err}").contains("too large"), "{err}");
    }

    /// Writes sample charts for a person to look at (convert with `rsvg-convert`):
    /// `LRTRAIN_PLOT_SAMPLES=/tmp/plots cargo test --lib report::plot -- --ignored`.
    #[test]
    #[ignore = "writes files for a visual check"]
    fn sample_charts_are_written_for_a_visual_check() {
        let dir = std::path::PathBuf::from(
            std::env::var("LRTRAIN_PLOT_SAMPLES").unwrap_or_else(|_| "/tmp/lrtrain-plots".into()),
        );
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, panels: &[Panel], h: u32| {
            std::fs::write(dir.join(name), render_svg(panels, 900, h).unwrap()).unwrap();
        };

        // curves.svg: loss, accuracy and lr against epoch.
        let epochs = 30;
        let curve = |f: &dyn Fn(f64) -> f64| (0..epochs).map(|e| (e as f64, f(e as f64))).collect();
        let mut loss = Panel::new("Loss", "epoch", "loss");
        loss.series = vec![
            Series::new("train", curve(&|e| 2.3 * (-e / 6.0).exp() + 0.05)).with_color(0),
            Series::new(
                "validation",
                curve(&|e| 2.3 * (-e / 7.0).exp() + 0.09 + 0.002 * e),
            )
            .with_color(0)
            .dashed(),
        ];
        let mut acc = Panel::new("Accuracy", "epoch", "accuracy");
        acc.series = vec![
            Series::new("train", curve(&|e| 0.99 - 0.9 * (-e / 5.0).exp())).with_color(0),
            Series::new("validation", curve(&|e| 0.975 - 0.9 * (-e / 5.0).exp()))
                .with_color(0)
                .dashed(),
        ];
        let mut lr = Panel::new("Learning rate", "epoch", "learning rate");
        lr.series = vec![Series::new("lr", curve(&|e| 1e-3 * 0.9f64.powf(e)))];
        write("curves.svg", &[loss, acc, lr], 320);

        // compare loss.svg: five runs, train solid, validation dashed.
        let mut cmp = Panel::new("Loss by run", "epoch", "loss");
        for (r, name) in ["constant", "step", "cosine", "one_cycle", "exponential"]
            .iter()
            .enumerate()
        {
            let k = 4.0 + r as f64 * 1.5;
            cmp.series.push(
                Series::new(
                    format!("{name} train"),
                    curve(&|e| 2.0 * (-e / k).exp() + 0.05),
                )
                .with_color(r),
            );
            cmp.series.push(
                Series::new(
                    format!("{name} val"),
                    curve(&|e| 2.0 * (-e / k).exp() + 0.1 + 0.003 * e),
                )
                .with_color(r)
                .dashed(),
            );
        }
        write("compare-loss.svg", &[cmp], 480);
        let mut cmp_acc = Panel::new("Accuracy by run", "epoch", "accuracy");
        for r in 0..5 {
            let k = 3.0 + r as f64;
            cmp_acc.series.push(
                Series::new(
                    format!("run {r} train"),
                    curve(&|e| 0.98 - 0.88 * (-e / k).exp()),
                )
                .with_color(r),
            );
            cmp_acc.series.push(
                Series::new(
                    format!("run {r} val"),
                    curve(&|e| 0.96 - 0.88 * (-e / k).exp()),
                )
                .with_color(r)
                .dashed(),
            );
        }
        write("compare-accuracy.svg", &[cmp_acc], 480);

        // A diverged run (NaN from epoch 12), a log axis with nothing positive, an empty panel.
        let mut diverged = Panel::new("Diverged run", "epoch", "loss");
        diverged.log_y = true;
        diverged.series = vec![Series::new(
            "train",
            curve(&|e| {
                if e < 12.0 {
                    2.0 * 1.4f64.powf(e)
                } else {
                    f64::NAN
                }
            }),
        )];
        let mut zero = Panel::new("Constant zero rate", "step", "learning rate");
        zero.log_y = true;
        zero.series = vec![Series::new("lr", curve(&|_| 0.0))];
        write(
            "edge-cases.svg",
            &[diverged, zero, Panel::new("Nothing yet", "epoch", "loss")],
            300,
        );

        // schedule --plot: per-step cosine with warmup, 20 epochs of 469 steps, on a log axis.
        let (spe, n) = (469usize, 20usize);
        let total = (spe * n) as f64;
        let mut sched = Panel::new(
            "cosine schedule (warmup 500 steps)",
            "optimizer step (ticks: epochs)",
            "learning rate",
        );
        sched.log_y = true;
        sched.series = vec![Series::new(
            "lr",
            (0..spe * n)
                .map(|t| {
                    let t = t as f64;
                    let lr = if t < 500.0 {
                        1e-3 * t / 500.0
                    } else {
                        1e-6 + (1e-3 - 1e-6)
                            * (1.0 + (std::f64::consts::PI * (t - 500.0) / (total - 500.0)).cos())
                            / 2.0
                    };
                    (t, lr)
                })
                .collect(),
        )];
        sched.x_ticks = Some((0..=n).map(|e| ((e * spe) as f64, e.to_string())).collect());
        write("schedule-lr.svg", &[sched], 420);

        // find-lr: loss against lr on a log x axis with suggestions.
        let mut find = Panel::new("Learning-rate range test", "learning rate", "loss");
        find.log_x = true;
        find.series = vec![Series::new(
            "loss",
            (0..200)
                .map(|i| {
                    let lr = 10f64.powf(-7.0 + 7.0 * i as f64 / 199.0);
                    let x = lr.log10();
                    (
                        lr,
                        2.3 - 1.8 / (1.0 + (-(x + 3.5) * 2.0).exp())
                            + (x + 0.8).max(0.0).powi(2) * 3.0,
                    )
                })
                .collect(),
        )];
        find.markers = vec![
            Marker {
                x: 3e-4,
                label: "steepest 3e-4".into(),
            },
            Marker {
                x: 3e-3,
                label: "min/10 3e-3".into(),
            },
        ];
        write("find-lr.svg", &[find], 420);
    }
}
