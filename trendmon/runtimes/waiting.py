"""Waiting for a store that is away, in the distributed runtime's agents."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_never,
    wait_exponential,
)

from trendmon.errors import ServiceUnavailableError

log = logging.getLogger(__name__)

FIRST_WAIT_S = 1.0
LONGEST_WAIT_S = 10.0


async def until_available(call: Callable[[], object], who: str) -> None:
    """Run the blocking ``call`` in a thread until its store answers: while it raises
    :class:`~trendmon.errors.ServiceUnavailableError`, wait 1 s, doubling up to 10 s, and try
    again, for as long as it takes. Any other error is raised at once. The agent's batch is not
    acknowledged meanwhile, so nothing is lost."""

    def waiting(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        log.warning("%s waits for its store: %s", who, exc)

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(ServiceUnavailableError),
        wait=wait_exponential(multiplier=FIRST_WAIT_S, min=FIRST_WAIT_S, max=LONGEST_WAIT_S),
        stop=stop_never,
        before_sleep=waiting,
        reraise=True,
    )
    await retrying(asyncio.to_thread, call)
