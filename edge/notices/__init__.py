"""Case notices from the hub (protocol.notice): received on the unit's `cmd` channel, verified
against the pinned hub key, stored once, answered on `cmd/result`; shown on the kiosk, printed
for the applicant and their handover recorded as a case event."""
