"""Several processes training together (JAX backend): joining the run, and
stopping every process of it when any one is told to stop.

JAX's coordination service holds a run together. Left to itself it waits
300 s for a coordinator that never answers, ignoring signals, and then
aborts with a C++ stack; a port already in use crashes it. `join_processes`
checks the address and the port first and waits a minute (by default) in a
thread of its own, so that the wait can end in an error or a signal.

Once joined, JAX takes SIGTERM for its preemption service: the signal is
passed to every process of the run, which learn of it through
`reached_preemption_sync_point` at the same training step. `StopSignals`
routes SIGINT the same way and reads back which signal stopped the run.
"""

from __future__ import annotations

import errno
import math
import os
import signal
import socket
import threading

from pyimagesearch.errors import ArgumentError

# Where Keras's launch scripts put the run's addresses, count and rank.
JOB_ADDRESSES = "KERAS_DISTRIBUTION_JOB_ADDRESSES"
NUM_PROCESSES = "KERAS_DISTRIBUTION_NUM_PROCESSES"
PROCESS_ID = "KERAS_DISTRIBUTION_PROCESS_ID"
DEFAULT_TIMEOUT = 60.0
# JAX's own wait must never end first: it aborts the process.
JAX_TIMEOUT_MARGIN = 60


def join_processes(
    coordinator: str | None = None,
    numProcesses: int | None = None,
    processId: int | None = None,
    coordinatorTimeout: float = DEFAULT_TIMEOUT,
) -> None:
    """Join a run of several processes (JAX backend): `coordinator` is
    process 0's HOST:PORT. Arguments left None are read from the
    environment (KERAS_DISTRIBUTION_JOB_ADDRESSES, ..._NUM_PROCESSES,
    ..._PROCESS_ID, or what JAX reads or detects). Call before any Keras
    computation. Raises `ArgumentError` when the address or port is
    unusable, or when the run has not gathered within `coordinatorTimeout`
    seconds;
    SIGINT and SIGTERM end the wait as they would anything else."""
    import keras

    if keras.backend.backend() != "jax":
        raise ArgumentError(
            "coordinator",
            f"training across processes needs the JAX backend (KERAS_BACKEND=jax), not "
            f"{keras.backend.backend()}: TensorFlow's multi-worker strategy does not work "
            "with Keras 3 (keras-team/keras#20585)",
        )
    timeout = coordinatorTimeout
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise ArgumentError(
            "coordinatorTimeout", f"{timeout!r} is not a positive number of seconds"
        )
    coordinator = coordinator or environment_coordinator()
    numProcesses = numProcesses if numProcesses is not None else environment_int(NUM_PROCESSES)
    processId = processId if processId is not None else environment_int(PROCESS_ID)
    if coordinator is not None:
        check_address(coordinator)
    if numProcesses is not None and processId is not None and not 0 <= processId < numProcesses:
        raise ArgumentError(
            "processId", f"{processId} is not in [0, {numProcesses}) for {numProcesses} processes"
        )
    if coordinator is not None and processId == 0:
        check_port_free(coordinator)
    connect(coordinator, numProcesses, processId, timeout)


def connect(coordinator, numProcesses, processId, timeout):
    """jax.distributed.initialize in a daemon thread, waited for at most
    `timeout` seconds: the main thread stays free to take signals."""
    import jax

    # JAX's preemption service is what carries SIGTERM to every process.
    jax.config.update("jax_enable_preemption_service", True)
    outcome = []

    def initialize():
        try:
            jax.distributed.initialize(
                coordinator, numProcesses, processId,
                initialization_timeout=math.ceil(timeout) + JAX_TIMEOUT_MARGIN,
            )  # fmt: skip
            outcome.append(None)
        except Exception as error:  # handed to the main thread below
            outcome.append(error)

    thread = threading.Thread(target=initialize, name="join-processes", daemon=True)
    thread.start()
    thread.join(timeout)
    if not outcome:
        raise ArgumentError(
            "coordinatorTimeout",
            f"the {numProcesses or 'expected'} processes did not all reach "
            f"{coordinator or 'the coordinator'} within {timeout:g} s: start every process "
            "with the same address and process count, check that the address is reachable, "
            "or wait longer",
        )
    if isinstance(outcome[0], ValueError):  # JAX found no coordinator, count or id
        raise ArgumentError(
            "coordinator",
            f"give process 0's HOST:PORT, the process count and this process's id "
            f"(or the KERAS_DISTRIBUTION_* variables): {outcome[0]}",
        )
    if outcome[0] is not None:
        raise outcome[0]
    # Keras seeds its random generator the same in every process once they
    # are joined (keras.distribution.initialize does this after JAX's own
    # initialize, which we call above for its timeout).
    from keras.src.backend.jax.distribution_lib import initialize_rng

    initialize_rng()


def environment_coordinator() -> str | None:
    """Process 0's address from KERAS_DISTRIBUTION_JOB_ADDRESSES (the first
    of a comma-separated list), or None (JAX then reads its own variables)."""
    addresses = os.environ.get(JOB_ADDRESSES)
    return addresses.split(",")[0].strip() if addresses else None


def environment_int(name: str) -> int | None:
    """The whole number in the environment variable `name`, or None."""
    text = os.environ.get(name)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise ArgumentError(name, f"{name}={text!r} is not a whole number") from None


def check_address(coordinator: str) -> None:
    """Raise `ArgumentError` unless `coordinator` reads as HOST:PORT (an IPv6
    host in brackets) with a port from 1 to 65535: JAX would otherwise wait
    minutes on it, or crash."""
    (host, colon, port) = coordinator.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not (colon and host and "[" not in host and "]" not in host and port.isdigit()
            and 1 <= int(port) <= 65535):  # fmt: skip
        raise ArgumentError(
            "coordinator",
            f"{coordinator!r} is not HOST:PORT with a port from 1 to 65535 "
            "(like 10.0.0.1:1234, or [::1]:1234 for IPv6)",
        )


def check_port_free(coordinator: str) -> None:
    """Raise `ArgumentError` if process 0 cannot listen on `coordinator`'s
    port (JAX binds every address, and crashes when the port is taken)."""
    port = int(coordinator.rpartition(":")[2])
    for family, address in ((socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind((address, port))
            return
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ArgumentError(
                    "coordinator",
                    f"port {port} of {coordinator} is in use on this machine: process 0 "
                    "listens there, so choose a free port",
                ) from None
            if error.errno not in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL):
                raise ArgumentError(
                    "coordinator", f"process 0 cannot listen on port {port}: {error.strerror}"
                ) from None


class StopSignals:
    """While training across processes, SIGINT or SIGTERM to any one of them
    stops all of them at the same step. `install()` sends SIGINT the way JAX
    sends SIGTERM (noting which it was); `reached(step)`, called by every
    process after every step, returns the signal number that stopped the
    run once the run agrees to stop at `step`, else None; `uninstall()`
    gives SIGINT and SIGTERM back to Python's handlers."""

    KEY = "pyimagesearch/stop-signal"

    def __init__(self):
        self.previous = {}

    def install(self):
        for number in (signal.SIGINT, signal.SIGTERM):
            self.previous[number] = signal.getsignal(number)
        signal.signal(signal.SIGINT, self.forward)

    def uninstall(self):
        for number, handler in self.previous.items():
            if handler is not None:  # None: not set from Python, nothing to put back
                signal.signal(number, handler)
        self.previous = {}

    def forward(self, number, frame):
        client().key_value_set(self.KEY, str(number), allow_overwrite=True)
        # JAX's handler now owns SIGTERM: it tells every process.
        os.kill(os.getpid(), signal.SIGTERM)

    def reached(self, step: int) -> int | None:
        from jax.experimental import multihost_utils

        if not multihost_utils.reached_preemption_sync_point(step):
            return None
        try:
            return int(client().key_value_try_get(self.KEY))
        except Exception:  # no SIGINT was forwarded: JAX's own SIGTERM
            return signal.SIGTERM


def client():
    """This process's client of the run's coordination service."""
    from jax._src import distributed

    return distributed.global_state.client
