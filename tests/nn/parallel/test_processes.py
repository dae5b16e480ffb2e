"""`nn.parallel.processes`: several processes training together over
127.0.0.1 (JAX): their flags and coordinator address checked at once, one
epoch trained together, a signal to one stopping all, a coordinator that
never answers or a busy port in one line; TensorFlow refuses processes."""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import INPUT_SIZE, ROOT, SCRIPTS, call_main, train_args
from helpers import one_line_error
from pyimagesearch.errors import ArgumentError
from pyimagesearch.nn.parallel.processes import check_address


@pytest.mark.parametrize("address", ["not-a-host", "127.0.0.1:99999", "[::1", "host:-1", ":80",
                                     "[::1]:0"])  # fmt: skip
def test_a_coordinator_that_is_not_host_port_is_refused_at_once(address):
    with pytest.raises(ArgumentError, match="is not HOST:PORT") as raised:
        check_address(address)
    assert raised.value.argument == "coordinator"
    for good in ("127.0.0.1:1234", "[::1]:1234", "node-1.cluster:65535"):
        check_address(good)


def test_a_bad_coordinator_is_one_line_from_the_script(built, tmp_path):
    """'not-a-host' was an IndexError traceback from JAX."""
    pytest.importorskip("jax")
    argv = [str(a) for a in train_args(built, tmp_path)]
    result = subprocess.run(
        [sys.executable, "train_alexnet.py", *argv, "--coordinator", "not-a-host",
         "--num-processes", "2", "--process-id", "0"],
        cwd=SCRIPTS, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, KERAS_BACKEND="jax"),
    )  # fmt: skip
    one_line_error(result.returncode, result.stderr, "--coordinator", "'not-a-host'")
    assert not list(tmp_path.iterdir())


def test_several_processes_on_tensorflow_are_refused_with_the_reason(built, tmp_path, capsys):
    from conftest import train_args
    from dogs_vs_cats import train_alexnet

    argv = train_args(built, tmp_path) + ["--coordinator", "127.0.0.1:1", "--num-processes", 2,
                                          "--process-id", 0]  # fmt: skip
    (code, _, err) = call_main(train_alexnet, argv, capsys)
    assert code == 2 and "--coordinator" in err and "KERAS_BACKEND=jax" in err
    assert "Traceback" not in err and not list(tmp_path.iterdir())


@pytest.mark.parametrize("flags,message", [
    (["--num-processes", "2", "--process-id", "1"], "--coordinator: give process 0's HOST:PORT"),
    (["--coordinator", "127.0.0.1:1", "--num-processes", "2", "--process-id", "2"],
     "--process-id: 2 is not in [0, 2) for 2 processes"),
])  # fmt: skip
def test_jax_processes_missing_or_wrong_flags_are_one_line(built, tmp_path, flags, message):
    pytest.importorskip("jax")
    argv = [str(a) for a in train_args(built, tmp_path)] + flags
    result = subprocess.run(
        [sys.executable, "train_alexnet.py", *argv], cwd=SCRIPTS, capture_output=True,
        text=True, timeout=300, env=dict(os.environ, KERAS_BACKEND="jax"),
    )  # fmt: skip
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr and not list(tmp_path.iterdir())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_train_one_epoch_together(built, tmp_path):
    """Two JAX processes on 127.0.0.1, one CPU device each, each reading its
    own shard: both exit 0 with identical weights; process 0 alone writes
    the model, the history, the plot and the checkpoint."""
    pytest.importorskip("jax")
    out = tmp_path / "out"
    address = f"127.0.0.1:{free_port()}"
    script = textwrap.dedent(f"""
        import sys, numpy as np
        from pyimagesearch.nn.parallel.processes import join_processes
        from pyimagesearch.pipeline.training import train_alexnet

        def network(size, classes):  # small: the processes, not AlexNet, are tested here
            import keras
            layers = [keras.layers.Dense(8, activation="relu") for _ in range(5)]
            return keras.Sequential([keras.Input((size, size, 3)), keras.layers.Flatten(),
                                     *layers, keras.layers.Dense(classes, activation="softmax")])

        process = int(sys.argv[1])
        join_processes("{address}", 2, process)
        history = train_alexnet(r"{built['train']}", r"{built['val']}", r"{built['mean']}",
            r"{out}", r"{out}/alexnet.keras", epochs=1, batchSize=8, inputSize={INPUT_SIZE},
            workers=1, cache="memory", buildNetwork=network, verbose=0).history
        np.savez(r"{tmp_path}/weights" + str(process), *history.model.get_weights())
    """)  # fmt: skip
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_NUM_CPU_DEVICES="1", PYTHONPATH=ROOT)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(i)],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        for i in (0, 1)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]
    assert all("2 device(s) x 8 images = 16 per step" in o for o in outputs)
    assert all("data-parallel over 2 devices in 2 processes" in o for o in outputs)
    (first, second) = (np.load(tmp_path / f"weights{i}.npz") for i in (0, 1))
    assert len(first.files) > 10
    assert all(np.array_equal(first[key], second[key]) for key in first.files)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "alexnet.json", "alexnet.keras", "alexnet.png", "checkpoint-epoch-001.keras"]  # fmt: skip
    assert len(json.loads((out / "alexnet.json").read_text())["loss"]) == 1


# one CPU device a process on every machine (a GPU would be shared by both)
JAX_ENV = dict(os.environ, KERAS_BACKEND="jax", JAX_NUM_CPU_DEVICES="1", PYTHONPATH=ROOT,
               JAX_PLATFORMS="cpu")  # fmt: skip


# train_alexnet.py as a user runs it, with a small network in place of AlexNet
TRAIN_SMALL = """
import functools, sys
import keras
from dogs_vs_cats import train_alexnet
from pyimagesearch.pipeline import training

def network(size, classes):
    return keras.Sequential([keras.Input((size, size, 3)), keras.layers.Flatten(),
                             keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(classes, activation="softmax")])

training.train_alexnet = functools.partial(training.train_alexnet, buildNetwork=network)
train_alexnet.main(sys.argv[1:])
"""


def start_processes(built, out, address, count=2, epochs=1000):
    """`count` JAX processes of one run of train_alexnet.py (small network)."""
    env = dict(JAX_ENV, PYTHONUNBUFFERED="1")
    argv = [*train_args(built, out, epochs=epochs), "--batch-size", 8, "--cache", "memory",
            "--coordinator", address, "--num-processes", count]  # fmt: skip
    return [
        subprocess.Popen(
            [sys.executable, "-c", TRAIN_SMALL, *map(str, argv), "--process-id", str(i)],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=SCRIPTS,
        )
        for i in range(count)
    ]


@pytest.mark.slow
def test_a_signal_to_one_process_stops_every_process_of_the_run(built, tmp_path):
    """Two runs of two processes at once, once training runs: SIGTERM to
    process 0 of one, SIGINT to process 1 of the other. Every process stops
    at the same step as its partner with 143 (130), says so in one line, and
    no final model or partial file is left (a finished epoch's checkpoint
    may be). Both used to ignore the signal and train to the end."""
    pytest.importorskip("jax")
    runs = [(signal.SIGTERM, 0, 143, tmp_path / "term"), (signal.SIGINT, 1, 130, tmp_path / "int")]
    started = [start_processes(built, out, f"127.0.0.1:{free_port()}") for *_, out in runs]
    seen = []
    for (number, target, _, _), processes in zip(runs, started):
        lines = []
        for line in processes[target].stdout:  # training has begun once epoch 2 starts
            lines.append(line)
            if line.startswith("Epoch 2/"):
                break
        processes[target].send_signal(number)
        seen.append("".join(lines))
    for (_, target, status, out), processes, before in zip(runs, started, seen):
        outputs = [p.communicate(timeout=120)[0] for p in processes]
        outputs[target] = before + outputs[target]
        assert [p.returncode for p in processes] == [status, status], outputs
        for output in outputs:
            assert output.rstrip().endswith(": interrupted") and "Traceback" not in output
        left = sorted(p.name for p in out.iterdir())
        assert "alexnet.keras" not in left and not any("partial" in name for name in left), left


def test_a_coordinator_that_never_answers_or_a_busy_port_is_one_line(built, tmp_path):
    """Process 1 waiting on a port nobody serves gives up after
    --coordinator-timeout, and process 0 refuses a port already in use:
    one line each, exit 2, nothing written (JAX alone waits 300 s and aborts
    with a C++ stack, or crashes on the busy port)."""
    pytest.importorskip("jax")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cases = [
            (f"127.0.0.1:{free_port()}", 1, ["--coordinator-timeout", "2"],
             "--coordinator-timeout: the 2 processes did not all reach"),
            (f"127.0.0.1:{port}", 0, [], f"--coordinator: port {port} of 127.0.0.1:{port} is in"),
        ]  # fmt: skip
        for address, process, extra, message in cases:
            flags = ["--coordinator", address, "--num-processes", 2, "--process-id", process]
            argv = [*train_args(built, tmp_path / "out"), *flags, *extra]
            result = subprocess.run(
                [sys.executable, "train_alexnet.py", *map(str, argv)], cwd=SCRIPTS,
                capture_output=True, text=True, timeout=120, env=JAX_ENV,
            )  # fmt: skip
            assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
            assert result.stderr.startswith("train_alexnet.py: error: " + message)
    assert not (tmp_path / "out").exists()
