"""The Chinese words the kiosk, the printed slips and the hub's pages all use for the same
things: rating levels (好差评), the window's devices and the printer's paper. Defined once so a
clerk, a resident and the county's operator never read two names for one thing."""

from __future__ import annotations

from typing import Final

# 一事一评: five levels, 5 the best.
RATING_LABELS: Final[dict[int, str]] = {
    5: "非常满意",
    4: "满意",
    3: "基本满意",
    2: "不满意",
    1: "非常不满意",
}
NOT_RATED_LABEL: Final = "未评价"
# 差评: the applicant is asked why, and the county follows each one up.
BAD_RATINGS: Final = frozenset({1, 2})
# 好评 as the county reports its good-rating rate: 非常满意 and 满意 over the rated cases
# (基本满意 is neither good nor bad).
GOOD_RATINGS: Final = frozenset({4, 5})

DEVICE_LABELS: Final[dict[str, str]] = {
    "camera": "摄像头",
    "pad": "签字板",
    "rating": "评价器",
    "printer": "打印机",
    "idcard": "读卡器",  # the second-generation ID-card reader, where the profile has one
}
PAPER_LABELS: Final[dict[str, str]] = {"ok": "纸张正常", "near_end": "纸将用尽", "out": "缺纸"}
# the paper states someone at the window has to act on
PAPER_PROBLEMS: Final = frozenset({"near_end", "out"})
