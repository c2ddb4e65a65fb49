"""Golden learning rates for the "= PyTorch X" / "= Keras Y" claims of docs/schedules.md.

Runs the real torch.optim.lr_scheduler classes and the real Keras 3 schedules and
ReduceLROnPlateau callback (torch backend), and writes tests/golden/schedules.json: for each
claim, the lrtrain [schedule] table that claims to match, optimizer.lr, and the framework's rate
at t = 0, 1, ... (for plateau: after the given metric per epoch). tests/it/golden_schedules.rs
and the plateau unit tests read that file; this script is how it was made:

    KERAS_BACKEND=torch python scripts/golden_schedules.py > tests/golden/schedules.json

Needs torch and keras (3.x). PyTorch rates are Python floats (f64); Keras computes in f32, so
its cases carry a looser tolerance.
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import torch  # noqa: E402
from torch.optim import lr_scheduler as S  # noqa: E402

# A case passes when |lrtrain − framework| ≤ rtol · |framework| + atol · (largest rate of the
# case). PyTorch works in f64: 1e-9 and 1e-12 leave room only for rounding. Keras works in f32,
# whose error scales with the schedule's size, not with a small rate near the end: 1e-6 of the
# largest rate (about 8 f32 ulps) still tells any off-by-one in t apart.
TORCH_RTOL, TORCH_ATOL = 1e-9, 1e-12
KERAS_RTOL, KERAS_ATOL = 1e-6, 1e-6


def torch_rates(lr0, make, n):
    """The rate of steps 0..n-1: read before each optimizer step, scheduler stepped after."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr0)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def keras_rates(schedule, n):
    return [float(schedule(t)) for t in range(n)]


cases = []


def pt(name, lr0, schedule, reference, make, n):
    cases.append(
        dict(name=name, framework="pytorch", reference=reference, schedule=schedule,
             lr0=lr0, rtol=TORCH_RTOL, atol=TORCH_ATOL, rates=torch_rates(lr0, make, n))
    )


def ks(name, lr0, schedule, reference, sched, n):
    cases.append(
        dict(name=name, framework="keras", reference=reference, schedule=schedule,
             lr0=lr0, rtol=KERAS_RTOL, atol=KERAS_ATOL, rates=keras_rates(sched, n))
    )


# --- PyTorch ---------------------------------------------------------------------------------
pt("constant", 0.1, 'kind = "constant"', "ConstantLR(factor=1.0)",
   lambda o: S.ConstantLR(o, factor=1.0, total_iters=5), 10)
pt("step", 0.1, 'kind = "step"\nstep_size = 4\ngamma = 0.5', "StepLR(step_size=4, gamma=0.5)",
   lambda o: S.StepLR(o, step_size=4, gamma=0.5), 20)
pt("multistep", 0.1, 'kind = "multistep"\nmilestones = [3, 7, 12]\ngamma = 0.3',
   "MultiStepLR(milestones=[3, 7, 12], gamma=0.3)",
   lambda o: S.MultiStepLR(o, milestones=[3, 7, 12], gamma=0.3), 16)
pt("piecewise", 0.1, 'kind = "piecewise"\nboundaries = [2, 6]\nvalues = [0.1, 0.05, 0.025]',
   "MultiStepLR(milestones=[3, 7], gamma=0.5) (milestones b + 1)",
   lambda o: S.MultiStepLR(o, milestones=[3, 7], gamma=0.5), 10)
pt("piecewise_lambda", 0.1, 'kind = "piecewise"\nboundaries = [2, 6]\nvalues = [0.1, 0.3, 0.02]',
   "LambdaLR(v[number of b < t] / lr0)",
   lambda o: S.LambdaLR(o, lambda t: [0.1, 0.3, 0.02][sum(t > b for b in [2, 6])] / 0.1), 10)
pt("exponential", 0.1, 'kind = "exponential"\ndecay_rate = 0.9', "ExponentialLR(gamma=0.9)",
   lambda o: S.ExponentialLR(o, gamma=0.9), 20)
pt("inverse_time", 0.1, 'kind = "inverse_time"\ndecay_rate = 0.5\ndecay_steps = 3',
   "LambdaLR(1 / (1 + 0.5 t / 3))", lambda o: S.LambdaLR(o, lambda t: 1 / (1 + 0.5 * t / 3)), 12)
pt("inverse_time_staircase", 0.1,
   'kind = "inverse_time"\ndecay_rate = 0.5\ndecay_steps = 3\nstaircase = true',
   "LambdaLR(1 / (1 + 0.5 floor(t / 3)))",
   lambda o: S.LambdaLR(o, lambda t: 1 / (1 + 0.5 * (t // 3))), 12)
pt("polynomial", 0.1, 'kind = "polynomial"\ndecay_steps = 10\npower = 2.0',
   "PolynomialLR(total_iters=10, power=2.0)",
   lambda o: S.PolynomialLR(o, total_iters=10, power=2.0), 15)
pt("inverse_power", 0.1, 'kind = "inverse_power"\ndecay_steps = 4\npower = 0.5',
   "LambdaLR((1 + t / 4) ** -0.5)", lambda o: S.LambdaLR(o, lambda t: (1 + t / 4) ** -0.5), 12)
pt("linear_warmup", 0.1, 'kind = "linear"\ntotal = 8\nstart_factor = 0.25\nend_factor = 1.0',
   "LinearLR(start_factor=0.25, end_factor=1.0, total_iters=8)",
   lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=8), 12)
pt("linear_decay", 0.1, 'kind = "linear"\ntotal = 10', "LinearLR(1.0, 0.0, total_iters=10)",
   lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=10), 14)
# CosineAnnealingLR rises again after T_max; lrtrain stays at min_lr (a stated difference).
pt("cosine", 0.1, 'kind = "cosine"\ntotal = 10\nmin_lr = 0.01',
   "CosineAnnealingLR(T_max=10, eta_min=0.01), t <= T_max",
   lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.01), 11)
pt("cosine_restarts", 0.1, 'kind = "cosine_restarts"\nperiod = 4\nperiod_mult = 2.0\nmin_lr = 0.001',
   "CosineAnnealingWarmRestarts(T_0=4, T_mult=2, eta_min=0.001)",
   lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.001), 30)
pt("cosine_restarts_mult_1", 0.1, 'kind = "cosine_restarts"\nperiod = 5',
   "CosineAnnealingWarmRestarts(T_0=5)",
   lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5), 16)
for mode, up, down, gamma in [("triangular", 3, 5, 1.0), ("triangular2", 2, 2, 1.0),
                              ("exp_range", 3, 3, 0.95)]:
    extra = f"\ngamma = {gamma}" if mode == "exp_range" else ""
    pt(f"cyclic_{mode}", 0.01,
       f'kind = "cyclic"\nmax_lr = 0.1\nstep_size_up = {up}\nstep_size_down = {down}\nmode = "{mode}"{extra}',
       f"CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up={up}, step_size_down={down}, "
       f"mode={mode!r}, gamma={gamma}, cycle_momentum=False)",
       lambda o, up=up, down=down, mode=mode, gamma=gamma: S.CyclicLR(
           o, base_lr=0.01, max_lr=0.1, step_size_up=up, step_size_down=down, mode=mode,
           gamma=gamma, cycle_momentum=False), 30)
for anneal, three in [("cos", False), ("linear", False), ("cos", True)]:
    pt(f"one_cycle_{anneal}{'_three_phase' if three else ''}", 0.1,
       f'kind = "one_cycle"\ntotal = 20\nanneal = "{anneal}"\nthree_phase = {str(three).lower()}',
       f"OneCycleLR(max_lr=0.1, total_steps=20, anneal_strategy={anneal!r}, three_phase={three}, "
       "cycle_momentum=False)",
       lambda o, anneal=anneal, three=three: S.OneCycleLR(
           o, max_lr=0.1, total_steps=20, anneal_strategy=anneal, three_phase=three,
           cycle_momentum=False), 20)
pt("sequential", 0.1,
   'kind = "sequential"\nphases = [{ kind = "linear", length = 4, start_factor = 0.1, end_factor = 1.0 }, '
   '{ kind = "cosine", total = 6 }]',
   "SequentialLR([LinearLR(0.1, 1.0, total_iters=4), CosineAnnealingLR(T_max=6)], milestones=[4])",
   lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=4),
                                S.CosineAnnealingLR(o, T_max=6)], milestones=[4]), 11)

# --- Keras -----------------------------------------------------------------------------------
K = keras.optimizers.schedules
ks("step", 0.1, 'kind = "step"\nstep_size = 4\ngamma = 0.5',
   "ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True)",
   K.ExponentialDecay(0.1, 4, 0.5, staircase=True), 20)
ks("multistep", 0.1, 'kind = "multistep"\nmilestones = [3, 7, 12]\ngamma = 0.3',
   "PiecewiseConstantDecay(boundaries=[2, 6, 11], values=0.1 * 0.3 ** i) (boundaries m - 1)",
   K.PiecewiseConstantDecay([2, 6, 11], [0.1, 0.1 * 0.3, 0.1 * 0.3**2, 0.1 * 0.3**3]), 16)
ks("piecewise", 0.1, 'kind = "piecewise"\nboundaries = [2, 6]\nvalues = [0.1, 0.3, 0.02]',
   "PiecewiseConstantDecay([2, 6], [0.1, 0.3, 0.02])",
   K.PiecewiseConstantDecay([2, 6], [0.1, 0.3, 0.02]), 10)
ks("exponential", 0.1, 'kind = "exponential"\ndecay_rate = 0.8\ndecay_steps = 3',
   "ExponentialDecay(0.1, decay_steps=3, decay_rate=0.8)", K.ExponentialDecay(0.1, 3, 0.8), 15)
ks("exponential_staircase", 0.1,
   'kind = "exponential"\ndecay_rate = 0.8\ndecay_steps = 3\nstaircase = true',
   "ExponentialDecay(0.1, 3, 0.8, staircase=True)",
   K.ExponentialDecay(0.1, 3, 0.8, staircase=True), 15)
ks("inverse_time", 0.1, 'kind = "inverse_time"\ndecay_rate = 0.5\ndecay_steps = 3',
   "InverseTimeDecay(0.1, decay_steps=3, decay_rate=0.5)", K.InverseTimeDecay(0.1, 3, 0.5), 12)
ks("inverse_time_staircase", 0.1,
   'kind = "inverse_time"\ndecay_rate = 0.5\ndecay_steps = 3\nstaircase = true',
   "InverseTimeDecay(0.1, 3, 0.5, staircase=True)",
   K.InverseTimeDecay(0.1, 3, 0.5, staircase=True), 12)
ks("polynomial", 0.1, 'kind = "polynomial"\ndecay_steps = 10\npower = 2.0\nend_lr = 0.001',
   "PolynomialDecay(0.1, 10, end_learning_rate=0.001, power=2.0, cycle=False)",
   K.PolynomialDecay(0.1, 10, end_learning_rate=0.001, power=2.0), 15)
ks("linear", 0.1, 'kind = "linear"\ntotal = 10\nend_factor = 0.2',
   "PolynomialDecay(0.1, 10, end_learning_rate=0.02, power=1.0)",
   K.PolynomialDecay(0.1, 10, end_learning_rate=0.02, power=1.0), 14)
ks("cosine", 0.1, 'kind = "cosine"\ntotal = 10\nmin_lr = 0.01', "CosineDecay(0.1, 10, alpha=0.1)",
   K.CosineDecay(0.1, 10, alpha=0.1), 15)
ks("cosine_restarts", 0.1, 'kind = "cosine_restarts"\nperiod = 4\nperiod_mult = 2.0\npeak_mult = 0.5',
   "CosineDecayRestarts(0.1, 4, t_mul=2.0, m_mul=0.5, alpha=0.0)",
   K.CosineDecayRestarts(0.1, 4, t_mul=2.0, m_mul=0.5, alpha=0.0), 30)
ks("cosine_restarts_mult_1", 0.1, 'kind = "cosine_restarts"\nperiod = 5',
   "CosineDecayRestarts(0.1, 5, t_mul=1.0, m_mul=1.0)",
   K.CosineDecayRestarts(0.1, 5, t_mul=1.0, m_mul=1.0), 16)

# --- the shipped configs/schedules/*.toml: the classes their headers name, 800 steps --------
SHIPPED_STEPS, PER_EPOCH = 800, 80
shipped = []


def per_epoch(rates):
    """A scheduler stepped once per epoch, as the rate of every step."""
    return [r for r in rates for _ in range(PER_EPOCH)]


def shipped_pt(config, lr0, reference, make, epochs=False, atol=TORCH_ATOL):
    n = SHIPPED_STEPS // PER_EPOCH if epochs else SHIPPED_STEPS
    rates = torch_rates(lr0, make, n)
    shipped.append(dict(config=config, framework="pytorch", reference=reference, rtol=TORCH_RTOL,
                        atol=atol, rates=per_epoch(rates) if epochs else rates))


def shipped_ks(config, reference, sched):
    shipped.append(dict(config=config, framework="keras", reference=reference, rtol=KERAS_RTOL,
                        atol=KERAS_ATOL, rates=keras_rates(sched, SHIPPED_STEPS)))


C = "configs/schedules/"
shipped_pt(C + "constant.toml", 0.05, "ConstantLR(factor=1.0)",
           lambda o: S.ConstantLR(o, factor=1.0))
shipped_pt(C + "step.toml", 0.1, "StepLR(step_size=3, gamma=0.5) per epoch",
           lambda o: S.StepLR(o, step_size=3, gamma=0.5), epochs=True)
shipped_ks(C + "step.toml", "ExponentialDecay(0.1, decay_steps=240, decay_rate=0.5, staircase=True)",
           K.ExponentialDecay(0.1, 240, 0.5, staircase=True))
shipped_pt(C + "multistep.toml", 0.1, "MultiStepLR(milestones=[5, 8], gamma=0.1) per epoch",
           lambda o: S.MultiStepLR(o, milestones=[5, 8], gamma=0.1), epochs=True)
shipped_ks(C + "multistep.toml", "PiecewiseConstantDecay([399, 639], [0.1, 0.01, 0.001])",
           K.PiecewiseConstantDecay([399, 639], [0.1, 0.01, 0.001]))
shipped_pt(C + "piecewise.toml", 0.1, "MultiStepLR(milestones=[401, 641], gamma=0.1)",
           lambda o: S.MultiStepLR(o, milestones=[401, 641], gamma=0.1))
shipped_ks(C + "piecewise.toml", "PiecewiseConstantDecay([400, 640], [0.1, 0.01, 0.001])",
           K.PiecewiseConstantDecay([400, 640], [0.1, 0.01, 0.001]))
shipped_pt(C + "exponential.toml", 0.1, "ExponentialLR(gamma=0.5 ** (1/200))",
           lambda o: S.ExponentialLR(o, gamma=0.5 ** (1 / 200)))
shipped_ks(C + "exponential.toml", "ExponentialDecay(0.1, decay_steps=200, decay_rate=0.5)",
           K.ExponentialDecay(0.1, 200, 0.5))
shipped_pt(C + "inverse_time.toml", 0.1, "LambdaLR(1 / (1 + 0.5 t / 80))",
           lambda o: S.LambdaLR(o, lambda t: 1 / (1 + 0.5 * t / 80)))
shipped_ks(C + "inverse_time.toml", "InverseTimeDecay(0.1, decay_steps=80, decay_rate=0.5)",
           K.InverseTimeDecay(0.1, 80, 0.5))
shipped_pt(C + "inverse_power.toml", 0.1, "LambdaLR((1 + t / 80) ** -0.5)",
           lambda o: S.LambdaLR(o, lambda t: (1 + t / 80) ** -0.5))
shipped_ks(C + "polynomial.toml",
           "PolynomialDecay(0.1, decay_steps=800, end_learning_rate=1e-4, power=2.0)",
           K.PolynomialDecay(0.1, 800, end_learning_rate=1e-4, power=2.0))
shipped_pt(C + "linear.toml", 0.1, "LinearLR(start_factor=1.0, end_factor=0.0, total_iters=800)",
           lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=800))
shipped_ks(C + "linear.toml", "PolynomialDecay(0.1, decay_steps=800, end_learning_rate=0.0, power=1.0)",
           K.PolynomialDecay(0.1, 800, end_learning_rate=0.0, power=1.0))
shipped_pt(C + "cosine.toml", 1e-3, "CosineAnnealingLR(T_max=800, eta_min=1e-5)",
           lambda o: S.CosineAnnealingLR(o, T_max=800, eta_min=1e-5))
shipped_ks(C + "cosine.toml", "CosineDecay(1e-3, decay_steps=800, alpha=0.01)",
           K.CosineDecay(1e-3, 800, alpha=0.01))
shipped_ks(C + "cosine_restarts.toml", "CosineDecayRestarts(0.1, 160, t_mul=1.0, m_mul=0.8)",
           K.CosineDecayRestarts(0.1, 160, t_mul=1.0, m_mul=0.8))
shipped_pt(C + "cyclic.toml", 0.01,
           "CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=200, mode='triangular2', cycle_momentum=False)",
           lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=200, mode="triangular2",
                                cycle_momentum=False))
shipped_pt(C + "one_cycle.toml", 0.1, "OneCycleLR(max_lr=0.1, total_steps=800, cycle_momentum=False)",
           lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=800, cycle_momentum=False))
shipped_pt(C + "sequential.toml", 0.1,
           "SequentialLR([LinearLR(0.1, 1.0, total_iters=80), ConstantLR(factor=1.0), "
           "CosineAnnealingLR(T_max=480)], milestones=[80, 320])",
           lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=80),
                                        S.ConstantLR(o, factor=1.0),
                                        S.CosineAnnealingLR(o, T_max=480)], milestones=[80, 320]))
# LinearLR needs start_factor > 0: 1e-8 instead of lrtrain's 0 leaves up to 1e-8 of the peak
# during the warmup, which the atol allows (and nothing more).
shipped_pt(C + "warmup_cosine.toml", 2e-3,
           "SequentialLR([LinearLR(start_factor=1e-8, total_iters=80), CosineAnnealingLR(T_max=720)], "
           "milestones=[80])",
           lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=1e-8, total_iters=80),
                                        S.CosineAnnealingLR(o, T_max=720)], milestones=[80]),
           atol=1.01e-8)
shipped_ks(C + "warmup_cosine.toml",
           "CosineDecay(0.0, decay_steps=720, warmup_target=2e-3, warmup_steps=80)",
           K.CosineDecay(0.0, 720, warmup_target=2e-3, warmup_steps=80))

# --- plateau: the rate of each epoch, fed one metric value after each ------------------------
# Improves, stalls, improves a little (below and above the threshold), stalls long enough for
# several cuts, down to min_lr.
METRIC = [1.0, 0.9, 0.9, 0.9, 0.9, 0.85, 0.849, 0.849, 0.849, 0.849, 0.849, 0.7, 0.7, 0.7,
          0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]


def torch_plateau(lr0, **kw):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr0)
    sched = S.ReduceLROnPlateau(opt, **kw)
    out = []
    for m in METRIC:
        out.append(opt.param_groups[0]["lr"])
        sched.step(m)
    return out


class _Opt:
    def __init__(self, lr):
        self.learning_rate = lr


class _Model:
    def __init__(self, lr):
        self.optimizer = _Opt(lr)


def keras_plateau(lr0, **kw):
    cb = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", verbose=0, **kw)
    model = _Model(lr0)
    cb.set_model(model)
    cb.on_train_begin()
    out = []
    for epoch, m in enumerate(METRIC):
        out.append(float(model.optimizer.learning_rate))
        cb.on_epoch_end(epoch, {"val_loss": m})
    return out


plateau = []
for patience, cooldown in [(2, 0), (2, 2), (0, 1)]:
    src = (f'kind = "plateau"\nmonitor = "val_loss"\npatience = {patience}\nfactor = 0.5\n'
           f'cooldown = {cooldown}\nmin_lr = 0.01\nthreshold = 0.01\nthreshold_mode = "abs"')
    plateau.append(dict(
        name=f"plateau_p{patience}_c{cooldown}", framework="pytorch", lr0=0.1, schedule=src,
        reference=f"ReduceLROnPlateau(factor=0.5, patience={patience}, threshold=0.01, "
                  f"threshold_mode='abs', cooldown={cooldown}, min_lr=0.01)",
        rtol=TORCH_RTOL, atol=TORCH_ATOL, metric=METRIC,
        rates=torch_plateau(0.1, factor=0.5, patience=patience, threshold=0.01,
                            threshold_mode="abs", cooldown=cooldown, min_lr=0.01)))
    # docs/schedules.md's mapping: Keras patience = lrtrain's + 1, cooldown + 1 when > 0, min_delta =
    # threshold (absolute), no eps.
    kp, kc = patience + 1, cooldown + 1 if cooldown > 0 else 0
    plateau.append(dict(
        name=f"plateau_p{patience}_c{cooldown}", framework="keras", lr0=0.1,
        schedule=src + "\neps = 0.0",
        reference=f"ReduceLROnPlateau(factor=0.5, patience={kp}, min_delta=0.01, "
                  f"cooldown={kc}, min_lr=0.01)",
        rtol=KERAS_RTOL, atol=KERAS_ATOL, metric=METRIC,
        rates=keras_plateau(0.1, factor=0.5, patience=kp, min_delta=0.01, cooldown=kc,
                            min_lr=0.01)))

# One case per line: diffs of a regenerated file stay readable.
out = sys.stdout
out.write('{"generated_by": "scripts/golden_schedules.py", ')
out.write(f'"torch": {json.dumps(torch.__version__.split("+")[0])}, "keras": {json.dumps(keras.__version__)}')
for key, items in [("cases", cases), ("shipped", shipped), ("plateau", plateau)]:
    out.write(f',\n"{key}": [\n')
    out.write(",\n".join(json.dumps(c) for c in items))
    out.write("\n]")
out.write("}\n")
