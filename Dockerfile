# The trendmon image: the `trendmon` console script on Python 3.11, run as a non-root user.
# docker-compose.yml runs it as the producer (`trendmon simulate`), the workers (`trendmon
# worker`) and the dashboard (`trendmon dashboard`).
#
# No browser inside: `trendmon scrape` (the TikTok-Api producer) drives Chromium, which this image
# does not ship. To scrape from a container, add to the final stage
#     RUN apt-get update && apt-get install -y --no-install-recommends chromium \
#         && rm -rf /var/lib/apt/lists/*
# (TRENDMON_SCRAPE_CHROMIUM_PATH defaults to Debian's /usr/bin/chromium), or run scrape on a host
# that has Chromium, against Kafka's EXTERNAL listener (see docker-compose.yml).

# -- build: the package and its dependencies into a virtual environment --------------------------
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/trendmon
ENV PATH=/opt/trendmon/bin:$PATH

WORKDIR /src
# Dependencies first, from pyproject.toml alone, so that a code change reuses this layer.
COPY pyproject.toml README.md ./
RUN mkdir trendmon && touch trendmon/__init__.py \
    && pip install . && pip uninstall -y trendmon && rm -rf trendmon build
COPY trendmon ./trendmon
# The dashboard's CSS and JavaScript are package data: check that the wheel carried them.
RUN pip install --no-deps . \
    && python -c 'from trendmon.dashboard.app import ASSETS; assert (ASSETS / "wall.js").is_file()' \
    && trendmon --help >/dev/null

# -- run -----------------------------------------------------------------------------------------
FROM python:3.11-slim

RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/trendmon --create-home \
        --shell /usr/sbin/nologin trendmon
COPY --from=build /opt/trendmon /opt/trendmon

ENV PATH=/opt/trendmon/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TRENDMON_HOME=/var/lib/trendmon

USER trendmon
WORKDIR /var/lib/trendmon
EXPOSE 8050
CMD ["trendmon", "--help"]
