"""The dashboard: a Dash app with a live wall display and explorer pages (``trendmon dashboard``).

``app`` builds it (routing, the ``/stream`` push endpoint, exports); ``data`` is the only module
that reads the stores; ``pages/`` holds one module per page; ``components``, ``wallboards`` and
``tables`` are what pages are made of. See :mod:`trendmon.dashboard.app` for the list of pages.
"""
