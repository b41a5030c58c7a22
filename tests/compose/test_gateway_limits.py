"""The compose gateway bounds request heads as demo_app does (issue 11, bounded requests)."""

import re

from http_limits import MAX_HEAD_BYTES
from playground.core.paths import REPO_ROOT

# Go's http.Server reads MaxHeaderBytes plus this before it answers 431 (net/http,
# initialReadLimitSize: "bufio slop"); Caddy's max_header_size is MaxHeaderBytes.
GO_BUFIO_SLOP = 4096


def test_the_gateways_head_limit_is_the_apps_16_kib() -> None:
    caddyfile = (REPO_ROOT / "gateway" / "Caddyfile").read_text()

    [kib] = re.findall(r"^\s*max_header_size\s+(\d+)KiB\s*$", caddyfile, re.MULTILINE)

    assert int(kib) * 1024 + GO_BUFIO_SLOP == MAX_HEAD_BYTES
