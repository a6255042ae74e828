"""A creator's own account: TikTok's analytics exports read into plain records (pure, no I/O).

:func:`~trendmon.creator.detect.read_export` takes a file's name and bytes and returns what it
holds (:class:`~trendmon.creator.records.Export`), whatever the format: each format family has
its module (:mod:`.studio`, :mod:`.business`, :mod:`.takeout`), :mod:`.text` reads the cells,
:mod:`.merge` says which value of a day wins. The stores are in ``trendmon.sinks``; "accounts"
there means the dashboard's logins, so this package is named for the creator.
"""
