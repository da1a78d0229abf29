"""Column helpers shared by the table modules."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer


def fk(
    target: str,
    *,
    ondelete: str,
    nullable: bool = True,
    primary_key: bool = False,
    index: bool = True,
) -> Column:
    return Column(
        Integer,
        ForeignKey(target, ondelete=ondelete),
        nullable=nullable and not primary_key,
        index=index and not primary_key,
        primary_key=primary_key,
    )
