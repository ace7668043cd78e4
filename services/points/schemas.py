"""Request and response models of the points API (XCreate / XUpdate / XRead)."""

from __future__ import annotations
