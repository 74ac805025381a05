"""Who may do what: roles and actors, API accounts with hashed tokens, who is asking a
request, and the `bianmin hub user` commands."""
