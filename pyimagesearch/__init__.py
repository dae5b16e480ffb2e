"""The `pyimagesearch` package of *Deep Learning for Computer Vision with
Python* (Practitioner Bundle, chapters 9-10), ported to TensorFlow 2.21 /
Keras 3 with the book's module paths, class names and arguments."""

__version__ = "1.2.0"  # pyproject.toml reads it from here
