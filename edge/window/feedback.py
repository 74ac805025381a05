"""The feedback book (意见反馈簿) at the kiosk: a resident's note becomes a `feedback.note`
event in the unit's event log, sent to the hub like every event. No personal data is asked
for; free text is made storable (one line, bounded) before it is committed."""

from __future__ import annotations

from datetime import datetime

from edge.eventlog import EventLog
from edge.workflow.errors import WorkflowError
from protocol.bounds import one_line
from protocol.feedback import MAX_CASE_REF, MAX_FEEDBACK_TEXT, FeedbackTopic
from protocol.messages import FeedbackEnvelope, FeedbackNote


class InvalidFeedback(WorkflowError):
    code = "invalid_feedback"


def note(topic: str, text: str, case_ref: str | None) -> FeedbackNote:
    try:
        chosen = FeedbackTopic(topic)
    except ValueError:
        raise InvalidFeedback("请选择反馈类别") from None
    ref = one_line(case_ref or "", MAX_CASE_REF) or None
    return FeedbackNote(topic=chosen, text=one_line(text, MAX_FEEDBACK_TEXT), case_ref=ref)


async def record_feedback(
    event_log: EventLog, feedback: FeedbackNote, at: datetime
) -> FeedbackEnvelope:
    return await event_log.append(feedback, at)
