"""A request observed by the middleware is freed as it would be without perfkit: perfkit
adds no reference cycle, so its frames, the request and the rows it loaded do not wait
for the cycle collector (which, in a big process, costs time and memory)."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.usefixtures("site_data")

MIDDLEWARE_FIRST = ["perfkit.middleware.PerfkitMiddleware"]


@pytest.fixture
def collector_paused() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def cyclic_garbage(client: Client, url: str) -> Counter[str]:
    """What one request left for the cycle collector, by type."""
    gc.collect()
    response = client.get(url)
    assert response.status_code == 200
    del response
    gc.set_debug(gc.DEBUG_SAVEALL)
    gc.collect()
    left = Counter(
        f"frame {item.f_code.co_filename}"
        if type(item).__name__ == "frame"
        else type(item).__name__
        for item in gc.garbage
    )
    gc.set_debug(0)
    gc.garbage.clear()
    return left


@pytest.mark.parametrize("url", ["/tuned/classes/", "/naive/classes/", "/api/tuned/classes/"])
def test_a_request_leaves_no_more_cyclic_garbage_than_without_perfkit(
    url: str, collector_paused: None, settings
):
    client = Client()
    with override_settings(PERFKIT={"ENABLED": False}):
        client.get(url)  # warm: first-use caches fill
        without = cyclic_garbage(client, url)
    with override_settings(PERFKIT={"ENABLED": True, "ACTION": "log"}):
        client.get(url)
        observed = cyclic_garbage(client, url)
    added = observed - without
    assert not [name for name in observed if "perfkit" in name], observed  # its frames
    # perfkit's records on instances that the host's own cycles hold (prefetch caches
    # refer back to their parents) go with them; nothing else may be added: no frame, no
    # request, no related manager, no partial.
    assert set(added) <= ATTACHED_TO_HOST_OBJECTS, added


ATTACHED_TO_HOST_OBJECTS = {"dict", "Batch", "RelationLoad", "EagerLoad", "CallSite"}
