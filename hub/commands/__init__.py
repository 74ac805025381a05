"""Operator commands to units (protocol.command): the table, issuing and signing, the
answers, the API and the CLI; published by the `cmd` sender (hub.notices.sender). Also a
unit's revocation (hub.commands.revocation), which ends every command to it."""
