"""Waiting for a store that is away, in the distributed runtime's agents."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from trendmon.errors import ServiceUnavailableError

log = logging.getLogger(__name__)


async def until_available(call: Callable[[], object], who: str) -> None:
    """Run the blocking ``call`` in a thread until its store answers: while it raises
    :class:`~trendmon.errors.ServiceUnavailableError`, wait 1 s, doubling up to 10 s, and try
    again. The agent's batch is not acknowledged meanwhile, so nothing is lost."""
    delay = 1.0
    while True:
        try:
            await asyncio.to_thread(call)
            return
        except ServiceUnavailableError as exc:
            log.warning("%s waits for its store: %s", who, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
