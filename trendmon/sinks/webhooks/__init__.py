"""Alerts out to receivers, a sink like the stores: the SSRF-safe HTTP transport, the dispatcher
that queues spikes and makes attempts, and the admin calls on subscriptions (docs/alerts.md)."""
