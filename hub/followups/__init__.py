"""好差评 follow-up: a rating of 不满意 or 非常不满意 opens a follow-up (核实, 整改, 回访) with an
owner and a deadline, closed with its result (docs/cases.md)."""
