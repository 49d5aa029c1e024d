"""Whether a token is stored for a profile and API host: in the credentials file, or the OS
keyring. Config asks it whether a profile exists; auth decides which token to send.
"""

from __future__ import annotations

from aitasker_cli.local import credentials, keyring_store
from aitasker_cli.local.keyring_store import KeyringMissing, KeyringUnavailable


def has_stored_token(profile: str, api_host: str) -> bool:
    """Whether the credentials file or the keyring holds a token for this profile and host.

    The file is read first: it answers at once, and a keyring may hang. A keyring that fails
    or does not answer cannot say there is nothing, so that is KeyringUnavailable (exit 4).
    """
    if credentials.holds(profile, api_host):
        return True
    try:
        return keyring_store.read(profile, api_host)[0] is not None
    except KeyringMissing:
        return False
    except KeyringUnavailable as exc:
        raise KeyringUnavailable(
            f"cannot tell whether profile '{profile}' exists: {exc.message}",
            hint="Unlock the OS keyring and try again, or name the profile in config.toml.",
        ) from None
