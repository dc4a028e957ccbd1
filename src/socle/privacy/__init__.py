"""Privacy: pseudonym keys, identity vault, output checking."""

from socle.privacy.errors import PrivacyError, UnsafeSecretError, VaultError
from socle.privacy.keys import create_next_key, install_next_key, load_or_create_key
from socle.privacy.output_check import CheckedTable, check_aggregate, disclose_count
from socle.privacy.pseudonym import Pseudonymizer
from socle.privacy.vault import IdentityVault

__all__ = [
    "CheckedTable",
    "IdentityVault",
    "PrivacyError",
    "Pseudonymizer",
    "UnsafeSecretError",
    "VaultError",
    "check_aggregate",
    "create_next_key",
    "disclose_count",
    "install_next_key",
    "load_or_create_key",
]
