"""Erasing one resident's data on the hub and on the units that served them (PIPL art. 47):
the receipts (hub.residents.tables), the erasure itself (hub.residents.erase), the operator's
API and CLI."""
