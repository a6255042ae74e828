"""Spike alerts: subscriptions, signed deliveries to webhooks, Slack and Discord.

The pure parts, bottom up: :mod:`~trendmon.alerts.subscriptions` (what a subscriber asked for,
validated), :mod:`~trendmon.alerts.signing` (Standard Webhooks signatures),
:mod:`~trendmon.alerts.formats` (the bodies), :mod:`~trendmon.alerts.schedule` (when to try
again). The I/O parts: :mod:`~trendmon.alerts.transport` (the one outbound HTTP client, SSRF-safe)
and :mod:`~trendmon.alerts.delivery` (spikes in, deliveries queued, attempts made and logged), over
a store from :mod:`trendmon.sinks.alerts` (SQLite embedded, MongoDB distributed);
:mod:`~trendmon.alerts.service` runs the dispatcher in a thread beside a runtime. The user's
guide is docs/alerts.md.
"""
