"""`bianmin rollout status` tables: what a person reads, from the hub's JSON."""

from rich.console import Console

from hub.rollouts.table import rollout_tables, rollouts_table

ROLLOUT = {
    "id": 7, "kind": "config", "state": "paused", "stage": 1, "stages": 3, "units": 76,
    "catalog_version": 4, "profile": None, "failure_threshold": 0.1, "timeout_s": 600.0,
    "paused_reason": "2 of 8 canary units rejected", "parent_id": None, "note": None,
    "created_by": "ops", "created_at": "2026-11-28T08:00:00+00:00",
    "counts": {"applied": 6, "rejected": 2, "pending": 68},
    "stage_counts": [{"applied": 6, "rejected": 2}, {"pending": 30}, {"pending": 38}],
    "unit_states": [{"unit": "dongjie-cun", "state": "rejected", "version": 12,
                     "reason": "artifact_hash_mismatch"}],
}  # fmt: skip


def _text(*tables):
    console = Console(record=True, width=140)
    for t in tables:
        console.print(t)
    return console.export_text()


def test_one_rollout_reads_as_its_state_stages_and_failing_units():
    text = _text(*rollout_tables(ROLLOUT))
    assert "rollout 7: config, paused" in text
    assert "2 of 8 canary units rejected" in text
    assert "1/3" in text
    assert "artifact_hash_mismatch" in text
    all_row = next(line for line in text.splitlines() if "all" in line.split())
    # pending, delivered, applied, rejected, timed_out
    numbers = [c for c in all_row.replace("│", " ").split() if c.isdigit()]
    assert numbers == ["68", "0", "6", "2", "0"]


def test_the_list_has_a_row_per_rollout():
    text = _text(rollouts_table([ROLLOUT, {**ROLLOUT, "id": 8, "state": "completed"}]))
    assert "completed" in text
    assert "paused" in text
