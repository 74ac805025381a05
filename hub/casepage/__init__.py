"""The case status page a slip's QR leads to (`/c/{token}`): public, Chinese, for a phone,
without JavaScript; it shows what the slip already holds and takes feedback."""
