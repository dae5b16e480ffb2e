"""For tools that look for setup.py (`python setup.py --version`): the
metadata is in pyproject.toml, the version in pyimagesearch/__init__.py."""

from setuptools import setup

setup()
