"""Rough speed of the local Cloudinary: seeding, Search over 10,000 assets, first-time renders.
Run: PYTHONPATH=. .venv/bin/python tests/cloudinary_sim/bench_search.py (not collected by pytest)."""
import logging
import time

import cloudinary.api
import requests
from cloudinary.search import Search

import cloudinary_sim
from tests.server_thread import ServerThread

app = cloudinary_sim.create_app({"SIM_NOTIFICATION_THREAD": False})
logging.getLogger("werkzeug").setLevel(logging.ERROR)
with ServerThread(app) as s:
    b = s.base_url
    requests.post(b + "/_sim/environments", json={"cloud_name": "bench", "api_key": "1", "api_secret": "s"})
    o = {"cloud_name": "bench", "api_key": "1", "api_secret": "s", "upload_prefix": b}
    cloudinary.api.add_metadata_field({"external_id": "sku", "label": "SKU", "type": "string"}, **o)
    t = time.perf_counter()
    for chunk in range(10):
        assets = [{"public_id": f"p/{chunk}/{i}", "metadata": {"sku": f"SKU-{(chunk * 1000 + i) // 4}"}}
                  for i in range(1000)]
        requests.post(b + "/_sim/environments/bench/assets", json={"assets": assets})
    print("seed 10,000 assets: %.2fs" % (time.perf_counter() - t))
    t = time.perf_counter()
    r = Search().expression('metadata.sku="SKU-42"').with_field("metadata").execute(**o)
    print("search exact sku over 10,000: %.3fs, %d hits" % (time.perf_counter() - t, r["total_count"]))
    t = time.perf_counter()
    r = (Search().expression('metadata.sku=("SKU-1" OR "SKU-2" OR "SKU-3") AND uploaded_at>1d')
         .sort_by("public_id", "asc").max_results(500).execute(**o))
    print("search OR group + date over 10,000: %.3fs, %d hits" % (time.perf_counter() - t, r["total_count"]))
    t = time.perf_counter()
    for i in range(20):
        requests.get(f"{b}/bench/image/upload/c_fill,w_800,h_800/v1/p/0/{i}.jpg")
    print("20 first-time 800x800 JPEG renders: %.2fs" % (time.perf_counter() - t))
