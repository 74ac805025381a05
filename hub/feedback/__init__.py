"""The feedback book (意见反馈簿): residents' notes from the kiosk (events on `tx`) and from a
case's status page, listed for the county and answered by an operator."""
