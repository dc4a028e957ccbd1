"""Privacy: pseudonym keys, identity vault, output checking."""

from socle.privacy.dates import DateShift
from socle.privacy.errors import PrivacyError, UnsafeSecretError, VaultError
from socle.privacy.keys import create_next_key, install_next_key, load_or_create_key
from socle.privacy.keystore import PROVIDERS, FileKeyProvider, KeyProvider, key_provider
from socle.privacy.output_check import CheckedTable, check_aggregate, disclose_count
from socle.privacy.pseudonym import Pseudonymizer
from socle.privacy.strength import MIN_SECRET_BITS, check_entropy, entropy_bits
from socle.privacy.vault import IdentityVault

__all__ = [
    "MIN_SECRET_BITS",
    "PROVIDERS",
    "CheckedTable",
    "DateShift",
    "FileKeyProvider",
    "IdentityVault",
    "KeyProvider",
    "PrivacyError",
    "Pseudonymizer",
    "UnsafeSecretError",
    "VaultError",
    "check_aggregate",
    "check_entropy",
    "create_next_key",
    "disclose_count",
    "entropy_bits",
    "install_next_key",
    "key_provider",
    "load_or_create_key",
]
