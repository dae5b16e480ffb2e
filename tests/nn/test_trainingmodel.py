"""`nn.trainingmodel`: a training checkpoint loads in a fresh process, and a
padded step on two devices updates as one device does on the real rows."""

import json

import keras
import pytest

from conftest import BACKENDS, run_on_two_devices


def test_a_training_checkpoint_loads_in_a_fresh_process(tmp_path):
    """load_model(..., training=True) must not depend on what the caller
    happened to import first: TrainingModel is registered by load_model."""
    import subprocess
    import sys

    from pyimagesearch.nn.trainingmodel import TrainingModel

    model = TrainingModel([keras.Input((5,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd")
    path = tmp_path / "checkpoint.keras"
    model.save(path)
    script = (
        "import sys\n"
        "from pyimagesearch.nn.modelfiles import load_model\n"
        "model = load_model(sys.argv[1], training=True)\n"
        "print(type(model).__name__, model.count_params())\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["TrainingModel", "12"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_padded_step_updates_as_one_device_on_the_real_rows(backend):
    """3 rows padded to 4 and split 2 + 2, with SGD (whose step shows the
    gradient's size, which Adam's first step hides) and L2: the same
    weights and figures as one device on the 3 rows. Keras alone averaged
    the replicas' means (one row counting 1/2, not 1/3) and counted the
    regularization once per replica."""
    stdout = run_on_two_devices(backend, """
        import json, keras, numpy as np
        from pyimagesearch.utils.batchplan import padded_rows
        from pyimagesearch.nn.parallel.replicas import choose_replicas
        from pyimagesearch.nn.trainingmodel import TrainingModel

        x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
        y = np.eye(2, dtype="float32")[[0, 1, 1]]
        (copies, weights) = padded_rows(3, 4)
        runs = []
        for mode in ("none", "data-parallel"):
            keras.utils.set_random_seed(1)
            replicas = choose_replicas(mode)
            with replicas.scope():
                model = TrainingModel([keras.Input((5,)), keras.layers.Dense(
                    2, activation="softmax", kernel_regularizer=keras.regularizers.l2(0.05))])
                model.compile(optimizer=keras.optimizers.SGD(0.5))
                data = (dict(x=x, y=y, batch_size=3) if mode == "none" else
                        dict(x=x[copies], y=y[copies], sample_weight=weights, batch_size=4))
                history = model.fit(**data, epochs=2, shuffle=False, verbose=0)
            runs.append((history.history, [np.asarray(w) for w in model.get_weights()]))
        print(json.dumps({"logs": [r[0] for r in runs], "diff": max(
            float(np.abs(a - b).max()) for a, b in zip(runs[0][1], runs[1][1]))}))
    """)  # fmt: skip
    result = json.loads(stdout.strip().splitlines()[-1])
    (one, two) = result["logs"]
    for key in ("loss", "accuracy"):
        assert two[key] == pytest.approx(one[key], rel=1e-6), key
    assert result["diff"] < 1e-6
