"""Request and response models of the disputes API (XCreate / XUpdate / XRead)."""

from __future__ import annotations
