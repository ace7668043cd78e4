"""Request and response models of the appointments API (XCreate / XUpdate / XRead)."""

from __future__ import annotations
