"""Keras callbacks, importable from here or from their own modules.
Imported on first use, for the reason given in `pyimagesearch.preprocessing`."""

from typing import TYPE_CHECKING

from pyimagesearch.utils.lazy import lazy_getattr

if TYPE_CHECKING:  # what IDEs and type checkers see; imported lazily at run time
    from pyimagesearch.callbacks.epochcheckpoint import EpochCheckpoint as EpochCheckpoint
    from pyimagesearch.callbacks.epochcheckpoint import latest_checkpoint as latest_checkpoint
    from pyimagesearch.callbacks.epochseeds import EpochSeeds as EpochSeeds
    from pyimagesearch.callbacks.hostvalidation import HostValidation as HostValidation
    from pyimagesearch.callbacks.stoptogether import StopTogether as StopTogether
    from pyimagesearch.callbacks.trainingmonitor import TrainingMonitor as TrainingMonitor

_MODULES = {
    "EpochCheckpoint": "epochcheckpoint",
    "EpochSeeds": "epochseeds",
    "HostValidation": "hostvalidation",
    "StopTogether": "stoptogether",
    "TrainingMonitor": "trainingmonitor",
    "latest_checkpoint": "epochcheckpoint",
}

__all__ = sorted(_MODULES)

__getattr__ = lazy_getattr(__name__, _MODULES)
