"""Errors raised by trendmon's library code.

Only the edges (the command line, the dashboard) turn these into messages for people; the library
raises them with enough context (the input, the field, the fix) to make that message useful.

    TrendmonError
    ├── TerminalError                 retrying cannot help: fix the input or the setting
    │   ├── ConfigError               a setting is missing or wrong
    │   ├── SchemaError               an event failed validation (names the field)
    │   │   └── SchemaVersionError    an event of a version this build cannot read
    │   ├── FormatError               an input file of an unknown or broken format
    │   │   └── ExportFormatError     an account analytics export (names file, line, fix)
    │   ├── BusError                  a log/topic operation that cannot succeed as asked
    │   ├── SubscriptionError         an alert subscription's field is invalid (names it)
    │   ├── UnknownAlertError         no subscription or delivery has the id given
    │   ├── UnsafeTargetError         an alert target refused by the outbound rules (SSRF)
    │   ├── AccountError              an account, session or kiosk operation refused
    │   │   ├── PasswordPolicyError   a new password too short, too long or too common
    │   │   ├── UnknownAccountError   no such account (or kiosk link)
    │   │   ├── AccountExistsError    an account of that name exists already
    │   │   └── AuthenticationError   wrong name or password, or a disabled account
    │   └── ForecastError             a forecast cannot be made or scored as asked
    │       └── ModelFileError        a model file missing, unreadable or of another version
    └── RetryableError                the same call may succeed later (network, server restart)
        ├── SourceBlockedError        TikTok answered empty, with a captcha, or not at all
        ├── ServiceUnavailableError   Kafka, Redis or MongoDB did not answer
        └── DeliveryError             an alert's receiver did not take it (network, timeout)
"""

from __future__ import annotations


class TrendmonError(Exception):
    """Base of every error trendmon raises on purpose."""


class TerminalError(TrendmonError):
    """Retrying the same call cannot succeed: the input or a setting must change."""


class RetryableError(TrendmonError):
    """The same call may succeed later: retry loops catch this kind, and only this kind."""


class ConfigError(TerminalError):
    """A setting is missing or invalid; the message says where it was looked for."""


class SchemaError(TerminalError):
    """An event failed validation.

    ``field`` is the JSON path of the offending field (``$.stats.plays``) when one is known.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class SchemaVersionError(SchemaError):
    """An event carries a schema version this build does not understand."""


class FormatError(TerminalError):
    """An input file could not be read in the requested or detected format."""


class BusError(TerminalError):
    """A log or topic operation that cannot succeed as asked (unknown topic, bad offset)."""


class SourceBlockedError(RetryableError):
    """A scraping source answered with nothing usable: empty, captcha, invalid JSON, timeout."""


class ServiceUnavailableError(RetryableError):
    """A server (Kafka, Redis, MongoDB) did not answer; the call may succeed once it is back.

    The message is for whoever runs the server (its address, files, the fix); ``service`` names
    it for everybody else (``the live store (Redis)``; empty when not known), so that a page
    can say which store is away without showing where it lives.
    """

    def __init__(self, message: str, service: str = "") -> None:
        super().__init__(message)
        self.service = service


class SubscriptionError(TerminalError):
    """An alert subscription's field is invalid; ``field`` names it (``target``, ``markets``)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownAlertError(TerminalError):
    """No alert subscription or delivery has the id given."""


class UnsafeTargetError(TerminalError):
    """An alert target that the outbound rules refuse: the message says why and what to set."""


class DeliveryError(RetryableError):
    """One delivery attempt failed before an answer (refused, reset, timed out)."""


class AccountError(TerminalError):
    """An account, session or kiosk operation that cannot succeed as asked."""


class PasswordPolicyError(AccountError):
    """A new password is too short, too long or among the most common passwords."""


class UnknownAccountError(AccountError):
    """No account (or kiosk link) of that name or id."""


class AccountExistsError(AccountError):
    """An account of that name exists already."""


class AuthenticationError(AccountError):
    """Wrong name or password, or a disabled account. The edges show one generic message."""


class ExportFormatError(FormatError):
    """An analytics export (``trendmon account import``) that cannot be read: ``source`` names
    the file (and ZIP entry), ``line`` the line when one is known, ``fix`` what to do."""

    def __init__(self, problem: str, source: str, line: int | None = None, fix: str = "") -> None:
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {problem}" + (f"; {fix}" if fix else ""))
        self.source = source
        self.line = line
        self.problem = problem
        self.fix = fix


class ForecastError(TerminalError):
    """A forecast cannot be made or scored as asked (too little history, a broken model file)."""


class ModelFileError(ForecastError):
    """A forecast model file is missing, unreadable or of another format version."""
