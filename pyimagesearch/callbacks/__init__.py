from pyimagesearch.callbacks.trainingmonitor import TrainingMonitor

__all__ = ["TrainingMonitor"]
