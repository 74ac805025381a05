"""The clerk's kiosk page, served by the unit on localhost for its touchscreen."""
