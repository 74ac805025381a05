"""The county's case record: one row per case, projected from the units' events and the back
offices' actions (hub.cases.project), with its API, time limits and counts."""
