"""The stores: one folder per store, the same file names where they hold the same role.

- ``redis/``: the live store (``store.py``), read by the wall and the explorer pages;
- ``sqlite/`` and ``mongo/``: the history (``history.py`` in each), behind the interface of
  ``history.py`` here, at the bottom of the package;
- ``factory.py``: opens the store a runtime or the dashboard asks for.
"""
