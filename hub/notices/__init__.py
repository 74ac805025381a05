"""Case notices to units: the signed downlink of a back office's result (protocol.notice), its
outbox, the sender that publishes it until the unit answers, and the answers."""
