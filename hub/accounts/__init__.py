"""Who may do what: roles, areas and actors; accounts with hashed API tokens and argon2
passwords; sessions, the CSRF check and lock-out for people signing in to the pages; who is
asking a request; account management, the account and audit pages, and `bianmin hub user`
(docs/accounts.md)."""
