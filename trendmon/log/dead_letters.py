"""Dead letters: what could not become an event, kept with the reason, the origin and the bytes.

Producers (:class:`~trendmon.producers.publish.Publisher`) and both runtimes describe a refused
record as a :class:`Rejected` and publish it to the dead-letters topic under a deterministic id,
so that the same reject published twice is stored once.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime

from trendmon.events import DeadLetter, encode
from trendmon.log.base import Message


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not become a snapshot.

    ``reason`` is a short category used to count rejects (``invalid JSON``, ``negative count``);
    ``detail`` says exactly what was wrong; ``origin`` where it was (``FILE:LINE``).
    """

    reason: str
    origin: str
    raw: bytes | str
    detail: str = ""
    field: str | None = None

    @property
    def letter_id(self) -> str:
        """Deterministic id of the dead letter: the same reject published twice is stored once."""
        raw = self.raw.encode("utf-8", "surrogatepass") if isinstance(self.raw, str) else self.raw
        digest = hashlib.blake2b(digest_size=12)
        for part in (self.origin.encode(), self.reason.encode(), raw):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return "dl:" + digest.hexdigest()

    def message(self, at: datetime) -> Message:
        """The dead letter as a message for the dead-letters topic, keyed by its origin."""
        letter = self.dead_letter(at)
        return Message(
            key=self.origin,
            value=encode(letter),
            timestamp_ms=int(at.timestamp() * 1000),
            event_id=self.letter_id,
            tally=reason_class(letter.reason, letter.field),
        )

    def dead_letter(self, at: datetime) -> DeadLetter:
        raw_text: str | None
        raw_b64: str | None = None
        if isinstance(self.raw, str):
            raw_text = self.raw
        else:
            try:
                raw_text = self.raw.decode("utf-8")
            except UnicodeDecodeError:
                raw_text, raw_b64 = None, base64.b64encode(self.raw).decode("ascii")
        reason = f"{self.reason}: {self.detail}" if self.detail else self.reason
        return DeadLetter(
            reason=reason,
            field=self.field,
            origin=self.origin,
            at=at,
            raw=raw_text,
            raw_b64=raw_b64,
        )


def reason_class(reason: str, field: str | None = None) -> str:
    """A dead letter's reason without its particulars, so that letters group:
    ``invalid event (at $.stats.plays)``.

    >>> reason_class("invalid event: Expected `int`, got `str` - at `$.stats.plays`")
    'invalid event (at $.stats.plays)'
    """
    head = reason.split(":", 1)[0].strip()[:80] or "?"
    if field is None and " - at `" in reason:
        field = reason.rsplit(" - at `", 1)[1].rstrip("`")
    return f"{head} (at {field})" if field else head
