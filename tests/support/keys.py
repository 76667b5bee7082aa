"""RSA keys made once per test session: generating a 2048-bit key costs about 60 ms, and the
tool, the sandbox and every platform double made their own for every test.

`install()` puts a pool in front of `cryptography`'s `rsa.generate_private_key`: the first
`SIZE` calls generate real keys, later calls hand them out again in turn, so any `SIZE`
consecutive keys are distinct (no test needs more than a handful) while the session generates
`SIZE` keys per size instead of thousands."""

from collections import defaultdict
from itertools import count

from cryptography.hazmat.primitives.asymmetric import rsa

SIZE = 48

_generate = rsa.generate_private_key
_pools: dict[tuple[int, int], list] = defaultdict(list)
_turns = count()


def _pooled(public_exponent: int, key_size: int, backend=None):
    pool = _pools[(public_exponent, key_size)]
    if len(pool) < SIZE:
        pool.append(_generate(public_exponent=public_exponent, key_size=key_size))
        return pool[-1]
    return pool[next(_turns) % SIZE]


def install(monkeypatch) -> None:
    monkeypatch.setattr(rsa, "generate_private_key", _pooled)
