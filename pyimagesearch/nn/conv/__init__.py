"""Convolutional networks. Imported on first use, for the reason given in
`pyimagesearch.preprocessing`."""

from typing import TYPE_CHECKING

from pyimagesearch.utils.lazy import lazy_getattr

if TYPE_CHECKING:  # what IDEs and type checkers see; imported lazily at run time
    from pyimagesearch.nn.conv.alexnet import AlexNet as AlexNet

_MODULES = {
    "AlexNet": "alexnet",
}

__all__ = sorted(_MODULES)

__getattr__ = lazy_getattr(__name__, _MODULES)
