#!/usr/bin/python3
"""Regenerates optuna_golden.json: log densities of Optuna 3.1's Parzen
estimators (Debian python3-optuna) on fixed observations, which
TestParzenMatchesOptuna compares ours with. Run from this directory:

    /usr/bin/python3 optuna_golden.py > optuna_golden.json
"""
import json

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import default_weights


def case(name, space, obs, points, multivariate, endpoints=False, prior_weight=1.0):
    """space: name -> (kind, arg) with kind in cont, int (levels), cat (choices)."""
    dists = {}
    for k, (kind, arg) in space.items():
        if kind == "cont":
            dists[k] = FloatDistribution(0, 1)
        elif kind == "int":
            dists[k] = IntDistribution(0, arg - 1)
        else:
            dists[k] = CategoricalDistribution(list(range(arg)))
    params = _ParzenEstimatorParameters(True, prior_weight, True, endpoints, default_weights, multivariate)
    pe = _ParzenEstimator({k: np.asarray(v, dtype=float) for k, v in obs.items()}, dists, params)
    pts = {k: np.asarray(v) for k, v in points.items()}
    names = list(space)
    return {"name": name, "params": [[k, space[k][0], space[k][1]] for k in names],
            "obs": [obs[k] for k in names], "points": [points[k] for k in names], "multivariate": multivariate,
            "consider_endpoints": endpoints, "prior_weight": prior_weight,
            "log_pdf": [float(x) for x in pe.log_pdf(pts)]}


cases = [
    case("cont", {"x": ("cont", 0)}, {"x": [0.1, 0.15, 0.7, 0.72, 0.9]},
         {"x": [0.0, 0.05, 0.12, 0.3, 0.5, 0.71, 0.95, 1.0]}, False),
    case("cont-endpoints", {"x": ("cont", 0)}, {"x": [0.02, 0.15, 0.7, 0.98]},
         {"x": [0.0, 0.01, 0.5, 0.99]}, False, endpoints=True, prior_weight=2.0),
    case("cont-many", {"x": ("cont", 0)}, {"x": list(np.linspace(0.01, 0.99, 40) ** 2)},
         {"x": [0.0, 0.2, 0.5, 0.8, 1.0]}, False),
    case("int", {"k": ("int", 5)}, {"k": [0, 1, 1, 4]}, {"k": [0, 1, 2, 3, 4]}, False),
    case("cat", {"c": ("cat", 3)}, {"c": [0, 2, 2]}, {"c": [0, 1, 2]}, False),
    case("mv-cont", {"x": ("cont", 0), "y": ("cont", 0)},
         {"x": [0.1, 0.15, 0.7, 0.72, 0.9], "y": [0.2, 0.5, 0.6, 0.1, 0.3]},
         {"x": [0.1, 0.5, 0.9], "y": [0.2, 0.5, 0.0]}, True),
    case("mv-mixed", {"x": ("cont", 0), "k": ("int", 4), "c": ("cat", 3)},
         {"x": [0.1, 0.4, 0.8], "k": [0, 3, 1], "c": [1, 1, 0]},
         {"x": [0.1, 0.5, 0.9], "k": [0, 2, 3], "c": [1, 2, 0]}, True),
]
print(json.dumps({"optuna": optuna.__version__, "cases": cases}, indent=1))
