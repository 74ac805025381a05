"""Finding (issue 17): every unit held the county key the ID references are made with, so one
stolen unit's key, a stored mask (8 of 18 characters) and the stored reference gave the full ID
number back in ~16,000 keyed hashes, and the same key opened the blacklist.

Here the attacker holds everything a provisioned unit is given (its whole bundle directory)
and everything the hub stores for one applicant (the case's reference and mask, the blacklist
entry). To keep the test short the attacker is also told far more than a mask says: the
county's region code, the birth month and the sequence number, leaving a handful of candidates;
each is tried under every secret and every other string the unit holds. On main the county
key is among them and the number falls out; now no unit holds anything that computes a
reference (docs/security-keys.md).
"""

import json
import re
from datetime import date, timedelta

from protocol import identity
from provisioning.store import IdentityStore
from tests.provisioning.helpers import init, run, small_registry

NUMBER = "330122196805172318"  # 浙江省 杭州市 桐庐县, born 1968-05-17 (a valid check digit)


def candidates(masked: str, region: str, month: date, sequence: str) -> list[str]:
    """Numbers that fit the mask's first and last characters, born in ``month`` in ``region``
    with this ``sequence`` number (all of it given away, to keep the search short)."""
    found = []
    day = month
    while day.month == month.month:
        first17 = region + day.strftime("%Y%m%d") + sequence
        if first17[0] == masked[0] and identity.check_digit(first17) == masked[-1]:
            found.append(first17 + masked[-1])
        day += timedelta(days=1)
    return found


def everything_in(bundle) -> list[bytes]:
    """Every secret-looking string in every file of the bundle, as key material."""
    keys: set[bytes] = set()
    for path in bundle.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for hexed in re.findall(r"[0-9a-f]{32,}", text):
            keys.add(bytes.fromhex(hexed[: len(hexed) // 2 * 2]))
        if path.suffix == ".json":
            for value in json.loads(text).values():
                if isinstance(value, str) and len(value) >= 16:
                    keys.add(value.encode())
    return sorted(keys)


def test_a_stolen_units_bundle_and_the_hubs_rows_do_not_give_the_id_number_back(tmp_path):
    state = tmp_path / "provision"
    init(state, "--registry", str(small_registry(tmp_path / "villages.json", 1)))
    assert run("apply", "--state-dir", str(state)).exit_code == 0
    (bundle,) = (state / "bundles").iterdir()
    # the hub references numbers under the county's key (the one units held before)
    county_key = bytes.fromhex(IdentityStore(state).county(create=False).id_key.get_secret_value())
    stored_ref, stored_mask = identity.reference(NUMBER, county_key), identity.mask(NUMBER)
    blacklisted = {stored_ref}

    unit_material = everything_in(bundle)
    guesses = candidates(stored_mask, NUMBER[:6], date(1968, 5, 1), NUMBER[14:17])
    assert NUMBER in guesses
    assert len(unit_material) >= 3

    recovered = [
        n for n in guesses for key in unit_material
        if len(key) >= 16 and identity.reference(n, key) in blacklisted | {stored_ref}
    ]  # fmt: skip
    assert recovered == []
    assert json.loads((bundle / "identity.json").read_text()).get("id_key") is None
