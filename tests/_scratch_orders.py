import time
from tests.conftest import EVENT_URL

def test_x(api, store):
    t = time.perf_counter()
    for i in range(20):
        api.post(f"{EVENT_URL}/taxrules/", json={"name": "VAT", "rate": "19.00"})
    print("per call", (time.perf_counter() - t) / 20)
