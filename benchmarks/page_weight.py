"""Page weight: what the dashboard costs to load over a poor link, with the demo camp's data.

    python benchmarks/page_weight.py [--language en]

Loads the demo camp into a temporary data directory, proposes today's plan, signs in as the demo
coordinator and fetches the workspace's main pages through Django's test client. Prints, for each
page, the HTML's size as sent (the server does not compress it) and gzipped (what a compressing
proxy would send), and the static files a first visit also fetches (served once, then cached).
Goal: the dashboard under 200 KB apart from cached static files.
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
from pathlib import Path

from scratch import scratch_environment, start_django

LIMIT = 200 * 1024
PAGES = ("/", "/plan/", "/trips/", "/patients/", "/ledger/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--language", default="en", choices=["en", "fa", "ar"])
    args = parser.parse_args()
    scratch_environment(CORRIDOR_TODAY=None)
    subprocess.run(
        [sys.executable, "-c", "from corridor.cli import main; main()", "demo", "--no-serve"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    start_django(migrate=False)  # the demo has made the tables
    from django.contrib.auth.models import User
    from django.contrib.staticfiles import finders
    from django.test import Client

    from corridor.register.models import Site
    from corridor.transfers import plans

    # The page shows a plan; how good it is does not weigh on the bytes, so a quick one.
    plans.propose_plan(site=Site.objects.order_by("code")[0], by=None, budget=plans.lowered_budget({"windows": 2}))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="demo-coordinator"))
    client.post("/language/", {"language": args.language})
    print(f"demo camp, signed in as demo-coordinator, language {args.language}")
    print(f"{'page':<12} {'HTML bytes':>11} {'gzipped':>9}")
    dashboard = 0
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = response.content
        headers = sum(len(k) + len(v) + 4 for k, v in response.items())
        print(f"{url:<12} {len(body) + headers:>11,} {len(gzip.compress(body)) + headers:>9,}")
        if url == "/":
            dashboard = len(body) + headers
    print(f"{'static files, first visit only':<34}")
    for name in ("corridor/corridor.css", "corridor/htmx.min.js"):
        path = Path(str(finders.find(name)))
        raw = path.read_bytes()
        print(f"  {name:<30} {len(raw):>9,} {len(gzip.compress(raw)):>9,}")
    verdict = "under" if dashboard < LIMIT else "OVER"
    print(f"dashboard: {dashboard:,} bytes, {verdict} the {LIMIT // 1024} KB goal apart from cached static files")


if __name__ == "__main__":
    main()
