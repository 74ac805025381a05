"""The kiosk reaches the window only through its action table: the table names exactly what
the page sends, and any other name is refused before it touches the case."""

import asyncio
import re
from importlib import resources

import pytest

from edge.window.window import ACTIONS
from edge.workflow.errors import WorkflowError
from tests.edge.window.desk import build_desk


def _sent_by_the_page() -> set[str]:
    static = resources.files("edge.kiosk") / "static"
    js = "".join(f.read_text(encoding="utf-8") for f in static.iterdir() if f.name.endswith(".js"))
    return set(re.findall(r"\bact\(\"([a-z_]+)\"", js))


def test_the_table_names_exactly_the_actions_the_kiosk_page_sends():
    sent = _sent_by_the_page()
    assert "open" in sent  # the pattern still finds the page's calls
    assert set(ACTIONS) == sent


def test_an_unknown_action_is_refused_and_commits_nothing(tmp_path):
    desk = build_desk(tmp_path)

    async def scenario():
        await desk.window.start()
        try:
            await desk.sign_in()
            await desk.window.act("open", {})
            for name in ("_commit", "advance", "__init__", "open_case", ""):
                with pytest.raises(WorkflowError) as refused:
                    await desk.window.act(name, {})
                assert (type(refused.value), refused.value.message_zh) == (
                    WorkflowError,
                    "未知操作",
                )
        finally:
            await desk.window.close()

    asyncio.run(scenario())
    assert [s.value for s in desk.store.states] == ["opened"]
