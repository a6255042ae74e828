"""Spike alerts, the pure part: what a subscriber asked for and what is sent.

:mod:`~trendmon.alerts.subscriptions` (a subscription, validated, its filters),
:mod:`~trendmon.alerts.signing` (Standard Webhooks signatures), :mod:`~trendmon.alerts.formats`
(the webhook, Slack and Discord bodies), :mod:`~trendmon.alerts.schedule` (when to try again),
:mod:`~trendmon.alerts.records` (deliveries and attempts, as stored). No I/O here.

The rest lives in the rooms of the layout: the stores in :mod:`trendmon.sinks.alerts`
(interface), ``sinks/sqlite/alerts.py`` and ``sinks/mongo/alerts.py``; the outbound side, a sink
to receivers, in :mod:`trendmon.sinks.webhooks` (the SSRF-safe transport, the dispatcher, the
admin calls); the runtimes' parts in :mod:`trendmon.runtimes.alerts` (a thread beside
``trendmon run``) and :mod:`trendmon.runtimes.alert_agent` (the worker's Faust agent). The
user's guide is docs/alerts.md.
"""
