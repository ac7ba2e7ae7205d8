"""automl_trial: the exec trainer's contract as five functions.

A training script that automl runs with the `exec` trainer imports this
file (or copies it beside itself: it needs nothing but Python's standard
library, 3.7 or later) instead of reading automl's environment variables
and writing its JSON lines by hand:

    import automl_trial as trial

    p = trial.params()                      # {"lr": 0.01, "layers": 3, ...}
    start, end = trial.resource_span(default_end=20)
    state = load(trial.checkpoint_dir()) if start > 0 else fresh(p)
    for epoch in range(start + 1, end + 1):
        loss = train_one_epoch(state)
        save(state, trial.checkpoint_dir())
        trial.report(epoch, val_loss=loss)
        if trial.should_stop():             # stopped, pruned or timed out
            break

Run by hand (no automl around it), params(defaults) returns the defaults,
report() still prints its lines, and checkpoint_dir() is None.
"""
import json
import math
import numbers
import os
import signal
import sys

__all__ = ["params", "report", "checkpoint_dir", "resource_span", "should_stop",
           "trial_id", "study", "seed"]

_stop_requested = False
_last_step = None


def _on_sigterm(signum, frame):
    # automl asks a trial to stop (a user's stop, a prune, a timeout) with
    # SIGTERM to its process group, then SIGKILL 2 s later: remember it so
    # that the training loop can save its checkpoint and return.
    global _stop_requested
    _stop_requested = True


def _install_handler():
    try:
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:
        pass  # imported outside the main thread: should_stop() stays False


_install_handler()


def params(defaults=None):
    """The trial's hyperparameters, as a dict of name to value.

    Under automl they come from the JSON file $AUTOML_PARAMS names. Run by
    hand, `defaults` (a dict) is returned instead; without defaults that is
    an error, since the script would otherwise train with values nobody
    chose.
    """
    path = os.environ.get("AUTOML_PARAMS")
    if not path:
        text = os.environ.get("AUTOML_PARAMS_JSON")
        if text:
            return _decode_params(text, "$AUTOML_PARAMS_JSON")
        if defaults is None:
            raise RuntimeError("automl_trial.params(): not running under automl ($AUTOML_PARAMS is not set); "
                               "pass params(defaults={...}) to run this script by hand")
        return dict(defaults)
    with open(path) as f:
        got = _decode_params(f.read(), path)
    if defaults:
        merged = dict(defaults)
        merged.update(got)
        return merged
    return got


def _decode_params(text, where):
    value = json.loads(text)
    if not isinstance(value, dict):
        raise RuntimeError("automl_trial.params(): %s holds %s, not a JSON object" % (where, type(value).__name__))
    return value


def report(step=None, **metrics):
    """Reports metrics at a step (an epoch, a number of samples: the study's
    resource) as one JSON line on stdout, which automl records.

    Values must be finite numbers: a NaN or infinity raises ValueError here,
    naming the metric, so the trial fails with that message (a diverged
    model) rather than with a value no search can rank. Steps must
    increase.
    """
    global _last_step
    if not metrics:
        raise ValueError("automl_trial.report(): give at least one metric, e.g. report(%s, val_loss=0.41)" % (step if step is not None else 1))
    line = {}
    if step is not None:
        step = _number("step", step)
        if _last_step is not None and step <= _last_step:
            raise ValueError("automl_trial.report(): step %s after step %s; steps must increase" % (_fmt(step), _fmt(_last_step)))
        _last_step = step
        line["step"] = step
    for name, value in metrics.items():
        if name == "step":
            raise ValueError("automl_trial.report(): 'step' is the step, not a metric name")
        line[name] = _number(name, value)
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def _number(name, value):
    if hasattr(value, "item") and callable(value.item):
        value = value.item()  # a 0-d torch tensor or numpy scalar
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError("automl_trial.report(): %s=%r is not a number" % (name, value))
    value = float(value) if not isinstance(value, int) else value
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("automl_trial.report(): %s is %s at this step: the model diverged or the metric is "
                         "undefined (try a lower learning rate); automl fails the trial" % (name, value))
    return value


def _fmt(x):
    return ("%d" % x) if float(x).is_integer() else repr(x)


def checkpoint_dir():
    """The directory to save the checkpoint in and, when resuming
    (resource_span()[0] > 0), to load it from; None when the job has none."""
    return os.environ.get("AUTOML_CHECKPOINT_DIR") or None


def resource_span(default_end=None):
    """(start, end): train steps start+1 .. end. start > 0 means resume
    from the checkpoint of step start. end is the job's span, or
    default_end when the job gives none (algorithms that are not
    multi-fidelity); without either, a RuntimeError."""
    start = _float_env("AUTOML_RESOURCE_FROM", 0)
    end = _float_env("AUTOML_RESOURCE_TO", 0)
    if end == 0:
        if default_end is None:
            raise RuntimeError("automl_trial.resource_span(): this job has no resource span (the algorithm is not "
                               "multi-fidelity); pass default_end=, your own full budget")
        end = default_end
    return _int_if_whole(start), _int_if_whole(end)


def _float_env(name, default):
    text = os.environ.get(name, "")
    if text == "":
        return default
    try:
        return float(text)
    except ValueError:
        raise RuntimeError("automl_trial: $%s is %r, not a number" % (name, text))


def _int_if_whole(x):
    return int(x) if float(x).is_integer() else x


def should_stop():
    """True once automl has asked this trial to stop (SIGTERM): save the
    checkpoint and return; the process is killed 2 s after the request."""
    return _stop_requested


def trial_id():
    """The trial's id in its study, or None when run by hand."""
    v = os.environ.get("AUTOML_TRIAL_ID")
    return int(v) if v else None


def study():
    """The study's name, or None when run by hand."""
    return os.environ.get("AUTOML_STUDY") or None


def seed(default=0):
    """The trial's seed: seed every random generator with it for a
    reproducible trial."""
    v = os.environ.get("AUTOML_SEED")
    return int(v) if v else default
