from pyimagesearch.utils.ranked import rank5_accuracy

__all__ = ["rank5_accuracy"]
