"""The feedback book (意见反馈簿): what a resident may leave at the kiosk or on a case's status
page. No personal data is asked for: a topic, optional free text and, optionally, the case
reference printed on their slip."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class FeedbackTopic(StrEnum):
    WAIT = "wait"
    ATTITUDE = "attitude"
    MATERIALS = "materials"
    SPEED = "speed"
    FACILITIES = "facilities"
    SUGGESTION = "suggestion"
    PRAISE = "praise"
    OTHER = "other"


# the common topics a resident picks from (kiosk and status page), in this order
FEEDBACK_TOPIC_LABELS: Final[dict[FeedbackTopic, str]] = {
    FeedbackTopic.WAIT: "等候时间",
    FeedbackTopic.ATTITUDE: "服务态度",
    FeedbackTopic.MATERIALS: "材料要求",
    FeedbackTopic.SPEED: "办理速度",
    FeedbackTopic.FACILITIES: "环境设施",
    FeedbackTopic.SUGGESTION: "意见建议",
    FeedbackTopic.PRAISE: "表扬",
    FeedbackTopic.OTHER: "其他",
}
MAX_FEEDBACK_TEXT: Final = 500
MAX_CASE_REF: Final = 64


class FeedbackSource(StrEnum):
    KIOSK = "kiosk"  # typed at a window's kiosk, sent as a `feedback.note` event on `tx`
    STATUS_PAGE = "status_page"  # the form on a case's status page (the slip's QR)
