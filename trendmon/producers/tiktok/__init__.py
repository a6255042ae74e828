"""The TikTok-Api producer behind ``trendmon scrape``.

``targets`` says what to watch, ``client`` fetches raw items through TikTokApi's browser sessions
and turns blocking into errors, ``runner`` schedules attempts and publishes snapshots, ``health``
keeps and publishes each target's health and computes the backoff.
"""
