"""`bianmin simulate county`: the county's working day on the real agent and hub code, with
chaos on demand (docs/simulation.md)."""
