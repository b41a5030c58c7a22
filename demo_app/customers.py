"""Deterministic fake customer profiles.

Ids ``cus_00001`` to ``cus_<DEMO_APP_CUSTOMER_COUNT>`` (five digits) exist; every other
string is an unknown customer. A profile depends only on the seed and the id.
"""

import datetime
import random
import re
from functools import lru_cache

from demo_app.schemas import CustomerProfile

_CUSTOMER_ID = re.compile(r"cus_(\d{5})")
_FIRST_NAMES = (
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Radia",
    "Tim",
)
_LAST_NAMES = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Perlman",
    "Berners-Lee",
)
_PLANS = ("free", "pro", "enterprise")
_COUNTRIES = ("GB", "US", "DE", "FR", "NL", "IE", "ES", "SE", "IN", "BR")
_FIRST_SIGNUP = datetime.date(2019, 1, 1)


def customer_number(customer_id: str, customer_count: int) -> int | None:
    """The number of an existing customer id, or None if there is no such customer."""
    match = _CUSTOMER_ID.fullmatch(customer_id)
    if match is None:
        return None
    number = int(match.group(1))
    return number if 1 <= number <= customer_count else None


@lru_cache(maxsize=16_384)
def customer_profile(seed: int, number: int) -> CustomerProfile:
    """The profile of customer ``number``; cached, as it never changes."""
    generator = random.Random(f"{seed}:{number}")
    first = generator.choice(_FIRST_NAMES)
    last = generator.choice(_LAST_NAMES)
    return CustomerProfile(
        id=f"cus_{number:05d}",
        name=f"{first} {last}",
        email=f"{first}.{last}.{number}@example.com".lower(),
        plan=generator.choice(_PLANS),
        country=generator.choice(_COUNTRIES),
        customer_since=_FIRST_SIGNUP + datetime.timedelta(days=generator.randrange(2000)),
        open_tickets=generator.randrange(4),
        lifetime_value_usd=round(generator.uniform(0, 5000), 2),
    )
