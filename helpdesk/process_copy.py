"""Per-process copies of rows that are read on every change and edited rarely.

A copy is loaded on first use and kept for `seconds` (a monotonic timer, not the wall
clock). Saves and deletes made in this process drop it at once (the signals connected by
`watch`); other processes' edits are seen once their copy has aged out.

    products = ProcessCopy("products", lambda: {p.pk: p for p in Product.objects.all()})
    products.watch(Product)
    products.get()[42]
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

RELOAD_SECONDS = 2.0

_all: list[ProcessCopy] = []


class ProcessCopy(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T], *, seconds: float = RELOAD_SECONDS):
        self.name = name
        self._load = load
        self.seconds = seconds
        self._value: T | None = None
        self._loaded = 0.0
        self._generation = 0
        self._lock = threading.Lock()
        _all.append(self)

    def get(self) -> T:
        """Return the copy, loading it when there is none or it is older than `seconds`."""
        with self._lock:
            if self._value is not None and time.monotonic() - self._loaded < self.seconds:
                return self._value
            generation = self._generation
        value = self._load()
        with self._lock:
            # A forget() that ran during the load may describe a change the load missed:
            # use the rows for this call but do not keep them.
            if generation == self._generation:
                self._value, self._loaded = value, time.monotonic()
        return value

    def forget(self, *_args, **_kwargs) -> None:
        """Drop the copy now and again once the transaction commits.

        Signal receivers call this with the signal's arguments. The second time covers a
        copy loaded by another thread between the save and its commit, which cannot have
        seen the change.
        """
        self._drop()
        from django.db import transaction

        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(self._drop)

    def _drop(self) -> None:
        with self._lock:
            self._value = None
            self._generation += 1

    def watch(self, *models) -> None:
        """Forget the copy whenever this process saves or deletes a row of `models`."""
        from django.db.models.signals import post_delete, post_save

        for model in models:
            label = f"process-copy-{self.name}-{model._meta.label_lower}"
            post_save.connect(self.forget, sender=model, dispatch_uid=f"{label}-save", weak=False)
            post_delete.connect(self.forget, sender=model, dispatch_uid=f"{label}-delete", weak=False)


def forget_all() -> None:
    """Drop every copy of this process (tests start each from the database)."""
    for copy in _all:
        copy._drop()
