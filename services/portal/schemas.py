"""Request and response models of the portal API (XCreate / XUpdate / XRead)."""

from __future__ import annotations
