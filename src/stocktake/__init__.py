"""stocktake: data, statistics and routines for government delivery units."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stocktake")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
