"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py app:app`.

Every value can be overridden from the environment (below) or the command line. Workers are
plain processes (sync): each request holds one database connection for its duration, so size
PostgreSQL's max_connections for (workers × servers) + migrations and cron jobs.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# 2 × cores + 1 is gunicorn's rule of thumb for requests that wait on the database.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A stuck worker is killed and replaced after this many seconds (uploads are capped at 10 MB).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak can never grow without bound.
max_requests = 2000
max_requests_jitter = 200
# The app sits behind a reverse proxy on the same host (deploy/nginx.conf): trust its
# X-Forwarded-Proto. The client address for rate limits comes from PROXY_COUNT (ProxyFix).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Request size limits: the proxy already refuses bodies over client_max_body_size.
limit_request_line = 8190
limit_request_fields = 100
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # "" turns it off
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# gunicorn 27's control socket lives in ~/.gunicorn; nothing here uses it.
control_socket_disable = True
