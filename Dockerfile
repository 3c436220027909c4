# Warden in a container: `docker build -t warden . && docker run -p 8080:8080 -v warden:/data warden`
# Real enforcement needs the host's network: add `--network host --cap-add NET_ADMIN`.
# Inside the container every interface is the container's own (published ports decide who
# reaches it); with --network host, set WARDEN_SYSLOG_HOST to the LAN address instead.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WARDEN_DATA_DIR=/data \
    WARDEN_HTTP_HOST=0.0.0.0 \
    WARDEN_SYSLOG_HOST=0.0.0.0

RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 nftables \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY warden ./warden
COPY core ./core
COPY collectors ./collectors
COPY enforcement ./enforcement
COPY console ./console
COPY web ./web
COPY simulator ./simulator
COPY benchmarks ./benchmarks
COPY data ./data
RUN pip install . \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin warden \
 && mkdir -p /data && chown warden:warden /data

USER warden
VOLUME ["/data"]
EXPOSE 8080 5514/udp 5514/tcp

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('WARDEN_HTTP_PORT', '8080')}/healthz\", timeout=4)"]

CMD ["warden", "serve"]
