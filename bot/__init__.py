"""citizenbot: a messenger bot through which a city talks with its citizens."""

# The package's version (pyproject.toml reads it from here). A literal rather than
# importlib.metadata, which imports email, zipfile and csv: 1 MB of the serving process.
__version__ = "0.1.0"
