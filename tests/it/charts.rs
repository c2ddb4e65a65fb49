//! Chart geometry through the binary: the SVGs are parsed and their marks, lines and labels
//! found by their attributes, then compared by coordinate: a diverged run marked at the epoch it
//! diverged in, values beyond the axis marked rather than drawn along its edge, stacked panels
//! sharing one x axis, and find-lr's marker lines crossing none of its labels.

use std::path::{Path, PathBuf};

use crate::common::{lrtrain, mnist_config, repo, stderr_of, write_config};

type Doc<'a> = roxmltree::Document<'a>;

#[derive(Debug)]
struct Text {
    s: String,
    x: f64,
    y: f64,
    anchor: String,
    fill: String,
    size: f64,
}

fn texts(doc: &Doc) -> Vec<Text> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let num = |a| n.attribute(a).unwrap_or("0").parse().unwrap();
            Text {
                s: n.text().unwrap_or("").trim().to_string(),
                x: num("x"),
                y: num("y"),
                anchor: n.attribute("text-anchor").unwrap_or("").to_string(),
                fill: n.attribute("fill").unwrap_or("").to_ascii_uppercase(),
                size: num("font-size"),
            }
        })
        .collect()
}

fn points(s: &str) -> Vec<(f64, f64)> {
    s.split_whitespace()
        .map(|xy| {
            let (x, y) = xy.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

/// `(stroke, stroke-width, points)` of a polyline.
type Polyline = (String, String, Vec<(f64, f64)>);

/// Every polyline.
fn polylines(doc: &Doc) -> Vec<Polyline> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .map(|n| {
            (
                n.attribute("stroke").unwrap_or("").to_ascii_uppercase(),
                n.attribute("stroke-width").unwrap_or("").to_string(),
                points(n.attribute("points").unwrap_or("")),
            )
        })
        .collect()
}

/// `(fill, points)` of every polygon.
fn polygons(doc: &Doc) -> Vec<(String, Vec<(f64, f64)>)> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polygon"))
        .map(|n| {
            (
                n.attribute("fill").unwrap_or("").to_ascii_uppercase(),
                points(n.attribute("points").unwrap_or("")),
            )
        })
        .collect()
}

/// The centres of the crosses (two 2-pixel `<line>`s each) drawn in `colour`.
fn crosses(doc: &Doc, colour: &str) -> Vec<(f64, f64)> {
    let mut centres: Vec<(f64, f64)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("line"))
        .filter(|n| {
            n.attribute("stroke")
                .unwrap_or("")
                .eq_ignore_ascii_case(colour)
        })
        .map(|n| {
            let num = |a| n.attribute(a).unwrap().parse::<f64>().unwrap();
            ((num("x1") + num("x2")) / 2.0, (num("y1") + num("y2")) / 2.0)
        })
        .collect();
    centres.dedup();
    centres
}

/// The x of the epoch tick labelled `label` (x tick labels are centred on their tick).
fn tick_x(doc: &Doc, label: &str) -> Vec<f64> {
    texts(doc)
        .into_iter()
        .filter(|t| t.s == label && t.anchor == "middle")
        .map(|t| t.x)
        .collect()
}

/// The colour of the legend entry whose text is `name`: its line sample's stroke.
fn legend_colour(doc: &Doc, name: &str) -> String {
    let t = texts(doc).into_iter().find(|t| t.s == name).unwrap();
    polylines(doc)
        .into_iter()
        .find(|(_, _, p)| p.len() == 2 && p.iter().all(|q| q.1 == t.y && q.0 < t.x))
        .unwrap_or_else(|| panic!("no legend sample for {name}"))
        .0
}

/// Writes a finished run directory by hand: metrics.csv with these losses and accuracies, and
/// summary.json.
fn handmade_run(dir: &Path, rows: &[(f64, f64)], status: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let mut csv = String::from("epoch,lr,loss,accuracy,val_loss,val_accuracy,grad_norm,seconds\n");
    for (e, (loss, acc)) in rows.iter().enumerate() {
        csv += &format!("{e},0.1,{loss},{acc},,,1,0.1\n");
    }
    std::fs::write(dir.join("metrics.csv"), csv).unwrap();
    let summary = serde_json::json!({
        "status": status,
        "total_seconds": 1.0,
        "config": {"seed": 1, "optimizer": {"kind": "sgd"}, "schedule": {"kind": "constant"}},
    });
    std::fs::write(dir.join("summary.json"), summary.to_string()).unwrap();
}

/// `compare --from` over a tame run, one diverging in epoch 2 (`wild`) and one in epoch 1
/// (`early`); returns the output directory.
fn compare_with_diverged_runs(dir: &Path) -> PathBuf {
    let runs = dir.join("runs");
    let tame = [
        (2.3, 0.84),
        (1.2, 0.9),
        (0.8, 0.95),
        (0.6, 0.97),
        (0.5, 0.99),
    ];
    handmade_run(&runs.join("tame"), &tame, "completed");
    handmade_run(
        &runs.join("wild"),
        &[(2.3, 0.375), (f64::NAN, 0.1)],
        "diverged",
    );
    handmade_run(&runs.join("early"), &[(f64::NAN, 0.1)], "diverged");
    let out = dir.join("cmp");
    let o = lrtrain()
        .args(["compare", "-q", "--from"])
        .arg(&runs)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    out
}

#[test]
fn a_run_diverging_in_its_second_epoch_is_marked_at_epoch_two() {
    let dir = tempfile::tempdir().unwrap();
    let out = compare_with_diverged_runs(dir.path());
    let text = std::fs::read_to_string(out.join("loss.svg")).unwrap();
    let doc = Doc::parse(&text).unwrap();
    let colour = legend_colour(&doc, "wild (diverged)");
    let marks = crosses(&doc, &colour);
    assert_eq!(marks.len(), 1, "{marks:?}");
    let epoch2 = tick_x(&doc, "2");
    assert_eq!(epoch2.len(), 1);
    assert!(
        (marks[0].0 - epoch2[0]).abs() <= 1.0,
        "the cross at x = {} is not at epoch 2 (x = {})",
        marks[0].0,
        epoch2[0]
    );
}

#[test]
fn a_run_diverging_in_its_first_epoch_is_drawn_as_a_mark_at_epoch_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = compare_with_diverged_runs(dir.path());
    let text = std::fs::read_to_string(out.join("loss.svg")).unwrap();
    let doc = Doc::parse(&text).unwrap();
    let colour = legend_colour(&doc, "early (diverged)");
    let marks = crosses(&doc, &colour);
    assert_eq!(marks.len(), 1, "only its legend entry is drawn: {marks:?}");
    let epoch1 = tick_x(&doc, "1");
    assert!(
        (marks[0].0 - epoch1[0]).abs() <= 1.0,
        "{marks:?} vs {epoch1:?}"
    );
    // On the plot's top edge (the blow-up), not below the x axis.
    let ticks = texts(&doc);
    let axis_y = ticks.iter().find(|t| t.s == "1").unwrap().y;
    assert!(marks[0].1 < axis_y - 100.0, "{marks:?}");
}

/// The value at pixel height `y`, read off the panel's numeric y tick labels (right-anchored).
fn y_value(doc: &Doc, y: f64) -> f64 {
    let ticks: Vec<(f64, f64)> = texts(doc)
        .into_iter()
        .filter(|t| t.anchor == "end")
        .filter_map(|t| Some((t.y, t.s.parse::<f64>().ok()?)))
        .collect();
    let (a, b) = (ticks[0], ticks[ticks.len() - 1]);
    a.1 + (y - a.0) * (b.1 - a.1) / (b.0 - a.0)
}

#[test]
fn a_diverged_runs_low_accuracy_is_drawn_at_its_value_not_on_the_bottom_edge() {
    let dir = tempfile::tempdir().unwrap();
    let out = compare_with_diverged_runs(dir.path());
    let text = std::fs::read_to_string(out.join("accuracy.svg")).unwrap();
    let doc = Doc::parse(&text).unwrap();
    let colour = legend_colour(&doc, "wild (diverged)");
    let line = polylines(&doc)
        .into_iter()
        .find(|(c, w, p)| *c == colour && w == "2" && p.len() == 2 && p[0].1 != p[1].1)
        .expect("wild's accuracy over its two epochs");
    let read: Vec<f64> = line.2.iter().map(|p| y_value(&doc, p.1)).collect();
    assert!((read[0] - 0.375).abs() < 0.01, "{read:?}");
    assert!((read[1] - 0.1).abs() < 0.01, "{read:?}");
    assert_eq!(crosses(&doc, &colour).len(), 1, "still marked as diverged");
}

/// find-lr on MNIST with a blow-up at the end, plotted; returns the SVG's text.
fn find_lr_plot(dir: &Path) -> String {
    let cfg = write_config(
        dir,
        "m.toml",
        &mnist_config(
            "[model]\nkind = \"mlp\"\nhidden = [16]\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n[train]\nbatch_size = 100\n",
        ),
    );
    let plot = dir.join("lr.svg");
    let o = lrtrain()
        .args([
            "find-lr", "-q", "--max", "100", "--steps", "100", "--config",
        ])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.join("f"))
        .arg("--plot")
        .arg(&plot)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    std::fs::read_to_string(&plot).unwrap()
}

#[test]
fn find_lrs_exploded_tail_is_cut_at_the_top_edge_and_marked_not_drawn_along_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = find_lr_plot(dir.path());
    let doc = Doc::parse(&text).unwrap();
    // The seed's curve: the first palette colour, 2 pixels wide.
    let curve: Vec<Vec<(f64, f64)>> = polylines(&doc)
        .into_iter()
        .filter(|(c, w, _)| c == "#0072B2" && w == "2")
        .map(|l| l.2)
        .collect();
    let marks: Vec<Vec<(f64, f64)>> = polygons(&doc)
        .into_iter()
        .filter(|(c, p)| c == "#0072B2" && p.len() == 3)
        .map(|p| p.1)
        .collect();
    assert!(!marks.is_empty(), "the tail beyond the axis is not marked");
    for m in &marks {
        // Apex on the top edge, pointing up: out of the plot.
        assert!(m[1].1 > m[0].1 && m[2].1 > m[0].1, "{m:?}");
    }
    let edge = marks[0][0].1;
    for line in &curve {
        assert!(
            line.iter().all(|p| p.1 >= edge),
            "drawn above the plot: {line:?}"
        );
        for w in line.windows(2) {
            assert!(
                !(w[0].1 == edge && w[1].1 == edge),
                "a segment runs along the top edge: {w:?}"
            );
        }
    }
    // The line ends on the edge where the triangle marks it.
    let ends: Vec<(f64, f64)> = curve.iter().filter_map(|l| l.last().copied()).collect();
    assert!(ends.contains(&marks[0][0]), "{ends:?} vs {marks:?}");
    assert!(text.contains("beyond the y range not drawn"));
}

#[test]
fn find_lrs_marker_lines_cross_none_of_its_labels_and_each_label_starts_at_its_own_line() {
    let dir = tempfile::tempdir().unwrap();
    assert_labels_beside_their_lines_and_uncrossed(&find_lr_plot(dir.path()));
}

#[test]
fn on_fashion_mnist_each_find_lr_label_sits_beside_its_own_line_and_no_line_crosses_it() {
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("lr.svg");
    let o = lrtrain()
        .args(["find-lr", "-q", "--config"])
        .arg(repo().join("configs/fashion-mnist.toml"))
        .arg("--out")
        .arg(dir.path().join("f"))
        .arg("--plot")
        .arg(&plot)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_labels_beside_their_lines_and_uncrossed(&std::fs::read_to_string(&plot).unwrap());
}

/// find-lr's three marker labels: none crossed by a marker line, each 5 pixels beside one.
fn assert_labels_beside_their_lines_and_uncrossed(text: &str) {
    let doc = Doc::parse(text).unwrap();
    let dashes: Vec<Vec<(f64, f64)>> = polylines(&doc)
        .into_iter()
        .filter(|(c, _, _)| c == "#444444")
        .map(|l| l.2)
        .collect();
    let lines_x: Vec<f64> = dashes.iter().map(|d| d[0].0).collect();
    let labels: Vec<Text> = texts(&doc)
        .into_iter()
        .filter(|t| t.fill == "#444444")
        .collect();
    assert_eq!(labels.len(), 3, "valley, steepest, minimum/10: {labels:?}");
    for l in &labels {
        // Generous: 0.62 em a character, a line and a fifth high, from the top (dy = 0.76em).
        let w = l.s.chars().count() as f64 * l.size * 0.62;
        let (x0, x1) = match l.anchor.as_str() {
            "start" => (l.x, l.x + w),
            "end" => (l.x - w, l.x),
            a => panic!("anchor {a}"),
        };
        let (y0, y1) = (l.y, l.y + l.size * 1.2);
        for d in &dashes {
            let (x, top, bottom) = (d[0].0, d[0].1.min(d[1].1), d[0].1.max(d[1].1));
            assert!(
                !(x >= x0 && x <= x1 && bottom >= y0 && top <= y1),
                "the line at x = {x} ({top}..{bottom}) crosses {:?} at {x0}..{x1} × {y0}..{y1}",
                l.s
            );
        }
        // Its anchored end is 5 pixels beside a marker line, on the side it reads away from.
        let own = if l.anchor == "start" {
            l.x - 5.0
        } else {
            l.x + 5.0
        };
        assert!(
            lines_x.iter().any(|x| (x - own).abs() <= 1.0),
            "{:?} at {} is beside no line: {lines_x:?}",
            l.s,
            l.x
        );
    }
}

#[test]
fn the_panels_of_a_runs_curves_svg_share_one_x_axis() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    lrtrain()
        .args(["train", "-q", "--epochs", "4", "--config"])
        .arg(repo().join("configs/penguins.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(out.join("curves.svg")).unwrap();
    let doc = Doc::parse(&text).unwrap();
    for epoch in ["1", "2", "3", "4"] {
        let xs = tick_x(&doc, epoch);
        assert_eq!(xs.len(), 3, "loss, accuracy and rate panels: {xs:?}");
        assert!(
            xs.iter().all(|x| *x == xs[0]),
            "epoch {epoch} at different x: {xs:?}"
        );
    }
    // The solid curves (training loss, training accuracy, rate; not the 2-point legend
    // samples) end at the same x: the last epoch.
    let ends: Vec<f64> = polylines(&doc)
        .into_iter()
        .filter(|(c, w, p)| c == "#0072B2" && w == "2" && p.len() > 2)
        .map(|l| l.2.last().unwrap().0)
        .collect();
    assert!(ends.len() >= 3, "{ends:?}");
    assert!(ends.iter().all(|x| *x == ends[0]), "{ends:?}");
}
