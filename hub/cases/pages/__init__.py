"""The case pages for the county's and towns' staff (Chinese, on the hub's shared layout,
each list in the asking account's area and paginated). The work lists are routed before
``/cases/{id}`` so their paths never read as a case id."""

from fastapi import APIRouter

from hub.cases.pages import blacklist, feedback, followups, queues, search

router = APIRouter()
for module in (queues, followups, feedback, blacklist, search):
    router.include_router(module.router)
