"""Save and load a fitted scikit-learn `LogisticRegression` as plain JSON.

A pickle from someone else can run any code when it is loaded; a JSON file
of numbers cannot. The file holds what `predict` and `predict_proba` need.
"""

import json

import numpy as np
from sklearn.linear_model import LogisticRegression

from pyimagesearch.utils.files import write_json

FORMAT = "pyimagesearch.logistic_regression.v1"


def save_logistic_regression(model, path, labelNames=None):
    """Write a fitted binary or multinomial `LogisticRegression` to `path`."""
    write_json(path, {
        "format": FORMAT,
        "params": {k: v for k, v in model.get_params().items()
                   if isinstance(v, (int, float, str, bool, type(None)))},
        "classes": model.classes_.tolist(),
        "coef": model.coef_.tolist(),
        "intercept": model.intercept_.tolist(),
        "label_names": list(labelNames) if labelNames is not None else None,
    })


def load_logistic_regression(path):
    """(model, labelNames) from a file written by `save_logistic_regression`."""
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: run train_model.py first") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"{path} is not a JSON model file written by train_model.py") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a JSON model file written by train_model.py")
    model = LogisticRegression(**data["params"])
    model.classes_ = np.array(data["classes"])
    model.coef_ = np.array(data["coef"], dtype=np.float64)
    model.intercept_ = np.array(data["intercept"], dtype=np.float64)
    model.n_features_in_ = model.coef_.shape[1]
    return model, data["label_names"]
