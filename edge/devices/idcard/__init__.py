"""The second-generation ID-card reader (二代证阅读器): its serial frames (pure), the card's
fields, the chip photo's vendor decoder, and the serial driver (docs/devices.md)."""
