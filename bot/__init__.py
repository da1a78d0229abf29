"""citizenbot: a messenger bot through which a city talks with its citizens."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("citizenbot")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
