"""One module per page: ``layout(data, settings, query, ...)`` builds it, ``register(app, data,
settings)`` adds its callbacks. Pages call the data module and the shared components only."""
