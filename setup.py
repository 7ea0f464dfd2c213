"""Only what pyproject.toml cannot say: the cffi extension `zarya._native`."""

from setuptools import setup

setup(cffi_modules=["native/build_native.py:ffibuilder"])
