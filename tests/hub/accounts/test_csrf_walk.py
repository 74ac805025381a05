"""Every state-changing route of the hub, walked from the app itself: a signed-in admin's
browser made to post by another site's page (the session cookie rides along, no CSRF token)
is refused on each one, and so is the same post from the hub's own origin without the token.
Automation tokens count only in the Authorization header: a token in a cookie or the query
string authenticates nothing. (Production, SQLite: this is the request layer, not storage.)"""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.accounts.roles import Role
from hub.app import create_app
from hub.keys import create_key_file
from hub.settings import HubSettings
from tests.hub.test_authorisation_table import concrete, routes
from tests.support.signin import make_account, sign_in_client

# POST routes a session does not matter to, each with why
NO_SESSION_NEEDED = {
    # a resident's feedback on the public case page a slip's QR opens: anyone may post it,
    # it changes nothing of an account's (rate-limited per address, hub.casepage)
    ("POST", "/c/{token}/feedback"),
}
EVIL = "http://evil.example"
OWN = "http://testserver"


def _production(tmp_path):
    create_key_file(tmp_path / "hub_signing_key.pem")
    return create_app(
        HubSettings(
            database_url=f"sqlite:///{tmp_path / 'hub.db'}",
            broker_url=None,
            data_dir=tmp_path,
            environment="production",
        )
    )


def test_every_state_changing_route_refuses_a_cross_site_post_carrying_the_session(tmp_path):
    app = _production(tmp_path)
    password = make_account(app.state.engine, "root-admin", Role.ADMIN)
    changing = [(m, p) for m, p in routes(app) if m != "GET" and (m, p) not in NO_SESSION_NEEDED]
    assert len(changing) >= 40  # the walk found the hub's routes
    with TestClient(app) as client:
        sign_in_client(client, "root-admin", password)
        client.headers.pop("X-CSRF-Token")  # the other site's page cannot know it
        wrong = []
        for method, path in changing:
            for origin in (EVIL, OWN, None):
                headers = {"Origin": origin} if origin else {}
                resp = client.request(method, concrete(path), headers=headers, data={"x": "1"})
                if resp.status_code not in (401, 403):
                    wrong.append(f"{method} {path} from {origin}: {resp.status_code}")
        assert not wrong, "\n".join(wrong)
        # the session still works with its token: the refusals were the token's doing
        assert client.get("/api/me").status_code == 200


def test_an_api_token_counts_only_in_the_authorization_header(tmp_path):
    app = _production(tmp_path)
    with TestClient(app) as client:
        from sqlmodel import Session

        from hub.accounts.store import add_account

        with Session(app.state.engine) as s:
            token = add_account(s, name="robot", role=Role.OPERATOR)
            s.commit()
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/me", headers=bearer).status_code == 200
        for query in ("token", "access_token", "api_token", "bearer"):
            assert client.get(f"/api/me?{query}={token}").status_code == 401, query
        for cookie in ("Authorization", "token", "bianmin_token", "bianmin_session"):
            client.cookies.set(cookie, token)
            assert client.get("/api/me").status_code == 401, cookie
            client.cookies.clear()
        # a cross-site page can never set the header, so a token needs no CSRF token
        post = client.post("/api/alerts/999/acknowledge", headers={**bearer, "Origin": EVIL})
        assert post.status_code not in (401, 403)
