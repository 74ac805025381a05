"""The village window on a unit: the open case, the clerk's actions, the device steps, the case
store and the runtime that assembles them and serves the kiosk page."""
