"""The clerk's ways back on the kiosk, a mixin of ``Window`` (edge.window.window): 返回 one
step before acceptance (a transition, edge.workflow.recovery), 修改 the ID number before the
identification is committed (nothing to record: only the draft changes), and the applicant
refusing to sign (the case is not accepted, with the reason; the 一次性告知书 prints)."""

from __future__ import annotations

from typing import Any

from edge.window.base import WindowBase
from edge.workflow import errors as e
from edge.workflow.model import Back, RefuseSign
from protocol.case import CaseState

S = CaseState


class RecoveryActions(WindowBase):
    async def _do_back(self, args: dict[str, Any]) -> None:
        case = self.case
        if case is None:
            raise e.NoOpenCase("当前没有办理中的办件")
        if case.state is S.CONSENTED and self.draft.mode != "number":
            await self._do_edit_number(args)  # still identifying: back to the number first
            return
        await self._stop_task()  # the registry lookup or a face step of the screen left
        if case.state is S.IDENTIFIED:  # the applicant is identified again from the number
            self.draft.id_ref = self.draft.id_masked = None
            self.draft.id_pending = False
        await self._commit(Back())

    async def _do_edit_number(self, args: dict[str, Any]) -> None:
        """修改: the number typed is wrong; before identification nothing was recorded."""
        case = self.case
        if case is None or case.state is not S.CONSENTED:
            raise e.WrongState("身份已核验，不能修改号码；如需更正请点“返回”")
        await self._stop_task()
        d = self.draft
        d.id_ref = d.id_masked = None
        d.id_pending = False
        d.face, d.offers, d.search_error, d.mode = None, None, None, "number"
        d.card, d.card_error = None, None

    async def _do_refuse_sign(self, args: dict[str, Any]) -> None:
        await self._commit(RefuseSign(str(args.get("reason", ""))))
        self.steps.signed()  # the signing step lets go of the pad itself
        await self._step.finish(timeout=5)
