"""Operator commands on the unit's `cmd` channel (protocol.command): opened and checked, done
once per id (edge.commands.store), answered on `cmd/result`. One module per kind in
``edge.commands.kinds``."""
