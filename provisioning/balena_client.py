"""A balena-sdk client pointed at the API the operator chose.

balena-sdk 17.3.0 takes no API URL: it builds ``https://api.<balena_host>/`` and its pine
client captures that prefix when constructed. For openBalena or the tests' fake API we set
``api_endpoint`` and rebuild the objects that captured it (the verified recipe in
/work/shared/notes/device_libs.md §5). Settings stay in memory (``data_directory: False``):
nothing is written to ~/.balena, and the token is never stored on disk by us.
"""

from __future__ import annotations

import os
from typing import Any

API_KEY_ENV = "BALENA_API_KEY"


class BalenaUnavailable(RuntimeError):
    code = "balena_error"


def connect(api_url: str | None, api_key: str | None = None) -> Any:
    """A logged-in ``balena.Balena``; the key defaults to $BALENA_API_KEY."""
    import balena
    from balena import Balena
    from balena.auth import Auth
    from balena.logs import Logs
    from balena.models import Models
    from balena.pine import PineClient

    key = api_key or os.environ.get(API_KEY_ENV)
    if not key:
        raise BalenaUnavailable(
            f"no balena API key: set {API_KEY_ENV} (balena dashboard: Preferences, Access tokens)"
        )
    sdk = Balena({"data_directory": False, "retry_rate_limited_request": True})
    if api_url is not None:
        sdk.settings.set("api_endpoint", api_url)
        sdk.pine = PineClient(sdk.settings, balena.__version__)
        sdk.auth = Auth(sdk.pine, sdk.settings)
        sdk.logs = Logs(sdk.pine, sdk.settings)
        sdk.models = Models(sdk.pine, sdk.settings)
    sdk.auth.login_with_token(key)
    return sdk
