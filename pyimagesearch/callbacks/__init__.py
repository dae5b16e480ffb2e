from pyimagesearch.callbacks.epochcheckpoint import EpochCheckpoint, latest_checkpoint
from pyimagesearch.callbacks.trainingmonitor import TrainingMonitor

__all__ = ["EpochCheckpoint", "TrainingMonitor", "latest_checkpoint"]
