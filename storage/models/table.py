"""The base of every table."""

from __future__ import annotations

from sqlmodel import SQLModel
from sqlmodel.main import SQLModelConfig


class Table(SQLModel):
    """A table's pydantic schema (validation and serialisation) is built when first used, not
    at import: the ORM never validates a row it loads or creates, and 34 schemas built up front
    were 0.7 MB of every process (bench/README.md, idle RSS)."""

    model_config = SQLModelConfig(defer_build=True)
