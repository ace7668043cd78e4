"""Request and response models of the notifications API (XCreate / XUpdate / XRead)."""

from __future__ import annotations
