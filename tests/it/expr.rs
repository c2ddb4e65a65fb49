//! `[schedule] kind = "expr"`: every function may appear in every argument of every other, to
//! any depth. Expressions are built here as trees of the SPEC's functions, operators, variables
//! and `pi`, printed as a user writes them, and each one's rate at every t of a small run is
//! checked against a recursive evaluator of the same tree (1e-12 relative), or, where that
//! evaluator finds a negative or non-finite rate, the refusal must name its first t.
//!
//! The random trees run `PROPTEST_CASES` cases (proptest's default 256 when unset).

use std::sync::atomic::{AtomicUsize, Ordering};

use lrtrain::schedule::{LrSchedule, RunShape, ScheduleConfig};
use proptest::prelude::*;

use crate::common::*;

/// The variables, in the order [`Node::eval`] takes their values.
const VARS: [&str; 7] = [
    "t",
    "lr0",
    "epoch",
    "step",
    "epochs",
    "steps_per_epoch",
    "total_steps",
];

/// The SPEC's functions and how many arguments each takes.
const FUNCTIONS: [(&str, usize); 11] = [
    ("exp", 1),
    ("ln", 1),
    ("log10", 1),
    ("sqrt", 1),
    ("cos", 1),
    ("sin", 1),
    ("min", 2),
    ("max", 2),
    ("floor", 1),
    ("ceil", 1),
    ("abs", 1),
];

/// The run every expression is evaluated over: 3 epochs of 4 steps, unit step, lr0 0.5.
const SHAPE: RunShape = RunShape {
    seed: 1,
    epochs: 3,
    steps_per_epoch: 4,
    has_validation: true,
    classification: true,
};
const LR0: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

#[derive(Debug, Clone)]
enum Node {
    /// A literal >= 0 (a minus sign is a `Neg`).
    Num(f64),
    /// An index into [`VARS`].
    Var(usize),
    Pi,
    Neg(Box<Node>),
    Bin(Op, Box<Node>, Box<Node>),
    Call(&'static str, Vec<Node>),
}

impl Op {
    /// Binding strength as the text is written: `+ -` < `* /` < unary minus < `^`.
    fn prec(self) -> u8 {
        match self {
            Op::Add | Op::Sub => 1,
            Op::Mul | Op::Div => 2,
            Op::Pow => 4,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
            Op::Pow => "^",
        }
    }
}

impl Node {
    fn prec(&self) -> u8 {
        match self {
            Node::Bin(op, ..) => op.prec(),
            Node::Neg(_) => 3,
            _ => 5,
        }
    }

    /// The expression as a user would write it: parentheses only where the grouping needs
    /// them. Operands of one class (`a - (b + c)`, `(a * b) / c`) and of `^` are always
    /// grouped, so that the order of the operations, and so their rounding, is the tree's;
    /// a unary minus right of an operator is grouped too (`a * (-b)`).
    fn text(&self) -> String {
        let group = |n: &Node, yes: bool| {
            if yes {
                format!("({})", n.text())
            } else {
                n.text()
            }
        };
        match self {
            Node::Num(x) => format!("{x}"),
            Node::Var(i) => VARS[*i].to_string(),
            Node::Pi => "pi".to_string(),
            Node::Neg(a) => format!("-{}", group(a, a.prec() < 5)),
            Node::Bin(op, a, b) => {
                let p = op.prec();
                format!(
                    "{} {} {}",
                    group(a, a.prec() <= p),
                    op.symbol(),
                    group(b, b.prec() <= p || matches!(**b, Node::Neg(_)))
                )
            }
            Node::Call(f, args) => {
                let args: Vec<String> = args.iter().map(Node::text).collect();
                format!("{f}({})", args.join(", "))
            }
        }
    }

    /// The value, with `vars` in [`VARS`] order.
    fn eval(&self, vars: &[f64; 7]) -> f64 {
        match self {
            Node::Num(x) => *x,
            Node::Var(i) => vars[*i],
            Node::Pi => std::f64::consts::PI,
            Node::Neg(a) => -a.eval(vars),
            Node::Bin(op, a, b) => {
                let (a, b) = (a.eval(vars), b.eval(vars));
                match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                    Op::Pow => a.powf(b),
                }
            }
            Node::Call(f, args) => {
                let x = args[0].eval(vars);
                match *f {
                    "exp" => x.exp(),
                    "ln" => x.ln(),
                    "log10" => x.log10(),
                    "sqrt" => x.sqrt(),
                    "cos" => x.cos(),
                    "sin" => x.sin(),
                    "min" => x.min(args[1].eval(vars)),
                    "max" => x.max(args[1].eval(vars)),
                    "floor" => x.floor(),
                    "ceil" => x.ceil(),
                    "abs" => x.abs(),
                    other => unreachable!("{other}"),
                }
            }
        }
    }

    fn depth(&self) -> usize {
        match self {
            Node::Num(_) | Node::Var(_) | Node::Pi => 0,
            Node::Neg(a) => 1 + a.depth(),
            Node::Bin(_, a, b) => 1 + a.depth().max(b.depth()),
            Node::Call(_, args) => 1 + args.iter().map(Node::depth).max().unwrap_or(0),
        }
    }
}

/// The variables' values at step `t` of [`SHAPE`].
fn vars_at(t: usize) -> [f64; 7] {
    let spe = SHAPE.steps_per_epoch;
    [
        t as f64,
        LR0,
        (t / spe) as f64,
        t as f64,
        SHAPE.epochs as f64,
        spe as f64,
        (SHAPE.epochs * spe) as f64,
    ]
}

/// Whether the expression gave every rate of the run (else it was rightly refused).
#[derive(Debug, PartialEq)]
enum Checked {
    Rates,
    Refused,
}

/// Builds the schedule of `tree` as lrtrain does and checks it against [`Node::eval`]: the
/// same rate at every t of the run, or, when some t gives a negative or non-finite rate, a
/// refusal naming the first such t.
fn check(tree: &Node) -> Result<Checked, String> {
    let text = tree.text();
    let cfg: ScheduleConfig = toml::from_str(&format!("kind = \"expr\"\nexpr = \"{text}\""))
        .map_err(|e| format!("{text}: {e}"))?;
    let run = SHAPE.epochs * SHAPE.steps_per_epoch;
    let expected: Vec<f64> = (0..run).map(|t| tree.eval(&vars_at(t))).collect();
    let built = LrSchedule::new(&cfg, LR0, &SHAPE);
    match expected.iter().position(|r| !(r.is_finite() && *r >= 0.0)) {
        Some(first) => {
            let e = format!(
                "{:#}",
                built.err().ok_or(format!(
                    "{text}: accepted, though its rate at t = {first} is {}",
                    expected[first]
                ))?
            );
            if !e.contains(&format!("at t = {first} ")) {
                return Err(format!(
                    "{text}: expected a refusal at t = {first}, got: {e}"
                ));
            }
            Ok(Checked::Refused)
        }
        None => {
            let s = built.map_err(|e| format!("{text}: {e:#}"))?;
            for (t, want) in expected.iter().enumerate() {
                let got = s.rate_at(t);
                if (got - want).abs() > 1e-12 * want.abs() {
                    return Err(format!("{text} at t = {t}: {got}, expected {want}"));
                }
            }
            Ok(Checked::Rates)
        }
    }
}

fn leaf() -> BoxedStrategy<Node> {
    prop_oneof![
        // 0 to 20 in hundredths: 0.07, 3, 12.5.
        (0u32..2000).prop_map(|k| Node::Num(f64::from(k) / 100.0)),
        (0..VARS.len()).prop_map(Node::Var),
        Just(Node::Pi),
    ]
    .boxed()
}

/// For each depth d up to `max`, trees of exactly depth d: the node at the root has one child
/// of depth d − 1 and the others of any depth below d, in any argument position.
fn exact_depths(max: usize) -> Vec<BoxedStrategy<Node>> {
    let ops = prop::sample::select(vec![Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Pow]);
    let unary: Vec<&'static str> = FUNCTIONS.iter().filter(|f| f.1 == 1).map(|f| f.0).collect();
    let binary: Vec<&'static str> = FUNCTIONS.iter().filter(|f| f.1 == 2).map(|f| f.0).collect();
    let mut exact = vec![leaf()];
    for d in 1..=max {
        let deep = exact[d - 1].clone();
        let below = prop::strategy::Union::new(exact[..d].to_vec()).boxed();
        let node = prop_oneof![
            1 => deep.clone().prop_map(|a| Node::Neg(Box::new(a))),
            3 => (ops.clone(), deep.clone(), below.clone(), any::<bool>()).prop_map(
                |(op, a, b, swap)| {
                    let (a, b) = if swap { (b, a) } else { (a, b) };
                    Node::Bin(op, Box::new(a), Box::new(b))
                }
            ),
            3 => (prop::sample::select(unary.clone()), deep.clone())
                .prop_map(|(f, a)| Node::Call(f, vec![a])),
            4 => (prop::sample::select(binary.clone()), deep, below, any::<bool>()).prop_map(
                |(f, a, b, swap)| {
                    let (a, b) = if swap { (b, a) } else { (a, b) };
                    Node::Call(f, vec![a, b])
                }
            ),
        ];
        exact.push(node.boxed());
    }
    exact
}

#[test]
fn random_expressions_with_calls_nested_four_and_five_deep_give_the_rates_of_an_independent_evaluation()
 {
    let exact = exact_depths(5);
    let trees = prop::strategy::Union::new(vec![exact[4].clone(), exact[5].clone()]);
    let (rates, refused) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&trees, |tree| {
            prop_assert!(tree.depth() >= 4);
            match check(&tree) {
                Ok(Checked::Rates) => rates.fetch_add(1, Ordering::Relaxed),
                Ok(Checked::Refused) => refused.fetch_add(1, Ordering::Relaxed),
                Err(e) => return Err(TestCaseError::fail(e)),
            };
            Ok(())
        })
        .unwrap();
    let (rates, refused) = (rates.into_inner(), refused.into_inner());
    // Both outcomes are exercised, the rates most.
    assert!(
        rates >= refused / 4 && rates > 0,
        "{rates} gave rates, {refused} were refused"
    );
}

#[test]
fn every_function_takes_every_function_in_every_argument_three_deep() {
    // Arguments that keep every function's value finite on the run, mostly.
    let x = || {
        Node::Bin(
            Op::Add,
            Box::new(Node::Bin(
                Op::Div,
                Box::new(Node::Var(0)),
                Box::new(Node::Num(7.0)),
            )),
            Box::new(Node::Num(0.5)),
        )
    };
    let call = |f: &'static str, inner: Node, at: usize| {
        let n = FUNCTIONS.iter().find(|g| g.0 == f).unwrap().1;
        let args = (0..n)
            .map(|i| {
                if i == at {
                    inner.clone()
                } else {
                    Node::Bin(Op::Sub, Box::new(Node::Num(1.5)), Box::new(Node::Var(2)))
                }
            })
            .collect();
        Node::Call(f, args)
    };
    let mut checked = 0;
    let mut rates = 0;
    for (f, fn_) in FUNCTIONS {
        for at in 0..fn_ {
            for (g, gn) in FUNCTIONS {
                for g_at in 0..gn {
                    for (h, _) in FUNCTIONS {
                        let tree = call(f, call(g, call(h, x(), 0), g_at), at);
                        if check(&tree).unwrap() == Checked::Rates {
                            rates += 1;
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 13 * 13 * 11);
    assert!(rates > checked / 2, "{rates} of {checked} gave rates");
}

#[test]
fn the_clamp_of_issue_21_prints_one_clamped_rate_per_step() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "s.toml",
        &mnist_config(
            "[optimizer]\nkind = \"sgd\"\nlr = 0.5\n[schedule]\nkind = \"expr\"\nexpr = \"lr0 * min(1, max(0.1, 1 - t / 10))\"\n",
        ),
    );
    let o = lrtrain()
        .args([
            "schedule",
            "--epochs",
            "2",
            "--steps-per-epoch",
            "10",
            "--config",
        ])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let rates: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(rates.len(), 20);
    for (t, r) in rates.iter().enumerate() {
        let want = 0.5 * 1f64.min(0.1f64.max(1.0 - t as f64 / 10.0));
        assert_eq!(*r, want, "t = {t}");
    }
}

#[test]
fn check_accepts_a_clamp_written_with_min_around_max_and_max_around_min() {
    for expr in [
        "lr0 * min(1, max(0.1, 1 - t / 10))",
        "lr0 * max(0.1, min(1, 1 - t / 10))",
    ] {
        let o = lrtrain()
            .args(["check", "--config"])
            .arg(repo().join("configs/mnist.toml"))
            .arg("--set")
            .arg(format!("schedule={{ kind = \"expr\", expr = \"{expr}\" }}"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{expr}: {}", stderr_of(&o));
    }
}

#[test]
fn a_call_with_a_third_argument_is_refused_naming_its_comma() {
    let o = lrtrain()
        .args(["check", "--config"])
        .arg(repo().join("configs/mnist.toml"))
        .args([
            "--set",
            "schedule={ kind = \"expr\", expr = \"lr0 * min(1, t, 2)\" }",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr_of(&o),
        "error: --set schedule={ kind = \"expr\", expr = \"lr0 * min(1, t, 2)\" }: schedule.expr: cannot parse \"lr0 * min(1, t, 2)\" at character 15: min takes 2 arguments, found 3\n"
    );
}
