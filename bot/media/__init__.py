"""Citizen photos: validate and clean (photos.py), store under unguessable names (store.py).

No transport imports here: handlers may use this package. Serving over HTTP is in
bot/web/media.py.
"""

from bot.media.photos import (
    MAX_INPUT_BYTES,
    MAX_PIXELS,
    MAX_SIDE,
    REASONS,
    InvalidImage,
    ProcessedPhoto,
    Reason,
    process_photo,
    process_photo_async,
)
from bot.media.store import InvalidPhotoName, PhotoStore, is_photo_name

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_PIXELS",
    "MAX_SIDE",
    "REASONS",
    "InvalidImage",
    "InvalidPhotoName",
    "PhotoStore",
    "ProcessedPhoto",
    "Reason",
    "is_photo_name",
    "process_photo",
    "process_photo_async",
]
