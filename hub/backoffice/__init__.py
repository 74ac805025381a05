"""The back offices (a town's or a department's) that decide forwarded cases: who may act on
which case, the steps they record, their queue, their pages."""
